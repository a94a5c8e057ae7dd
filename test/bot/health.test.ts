import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { openBot } from '../../src/bot/app.ts';
import { DATA_FAILURE_GRACE_MS, Health, startHealthServer } from '../../src/bot/health.ts';
import { Metrics } from '../../src/lib/metrics.ts';
import { silentLogger } from '../../src/log.ts';
import { FakeClock } from '../helpers/clock.ts';
import { FakeDiscord, type RecordedCall } from '../fakes/discord.ts';
import { startProcess } from '../helpers/process.ts';

const TOKEN = 'ODg4.fake-token.do-not-log-me';

/** The value of one sample line of a Prometheus text exposition, or undefined when it is absent. */
function sample(text: string, line: RegExp): number | undefined {
  const found = text.split('\n').find((l) => line.test(l));
  return found === undefined ? undefined : Number(found.split(' ').at(-1));
}

describe('health', () => {
  it('is unhealthy until the gateway connects, and again once it is lost, saying why', () => {
    const clock = new FakeClock('2024-07-11T20:30:00Z');
    const health = new Health(clock.now);
    assert.deepEqual(health.check(), {
      healthy: false,
      reasons: ['Discord gateway: not connected yet (since 2024-07-11T20:30:00.000Z)'],
    });
    health.gatewayConnected();
    assert.deepEqual(health.check(), { healthy: true, reasons: [] });
    clock.advanceSeconds(60);
    health.gatewayLost('reconnecting');
    assert.deepEqual(health.check().reasons, [
      'Discord gateway: reconnecting (since 2024-07-11T20:31:00.000Z)',
    ]);
  });

  it('blames the data source only after Yahoo has not answered for the whole grace period', () => {
    const clock = new FakeClock('2024-07-11T20:30:00Z');
    const health = new Health(clock.now);
    health.gatewayConnected();
    health.observeData('attempt');
    health.observeData('unanswered');
    clock.advanceSeconds(DATA_FAILURE_GRACE_MS / 1000 - 1);
    health.observeData('unanswered');
    assert.equal(health.check().healthy, true, 'a blip is left to the retries');
    clock.advanceSeconds(1);
    assert.deepEqual(health.check().reasons, [
      'data source: no answer from Yahoo Finance since 2024-07-11T20:30:00.000Z',
    ]);
    health.observeData('answered');
    assert.equal(health.check().healthy, true, 'one answer and it is healthy again');
  });

  it('serves /healthz as 200 or 503 with the reasons, /metrics as Prometheus text, nothing else', async () => {
    const health = new Health(() => new Date('2024-07-11T20:30:00Z'));
    const metrics = new Metrics();
    metrics.yahoo('rate_limited');
    const server = await startHealthServer({ host: '127.0.0.1', port: 0 }, health, metrics, silentLogger);
    const base = `http://127.0.0.1:${server.port}`;
    try {
      const down = await fetch(`${base}/healthz`);
      assert.equal(down.status, 503);
      assert.deepEqual(await down.json(), {
        status: 'unavailable',
        reasons: ['Discord gateway: not connected yet (since 2024-07-11T20:30:00.000Z)'],
      });
      health.gatewayConnected();
      const up = await fetch(`${base}/healthz`);
      assert.equal(up.status, 200);
      assert.deepEqual(await up.json(), { status: 'ok', reasons: [] });
      const scraped = await fetch(`${base}/metrics`);
      assert.match(scraped.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await scraped.text();
      assert.equal(sample(text, /^tapewatch_yahoo_requests_total\{event="rate_limited"\}/), 1);
      assert.ok(sample(text, /^tapewatch_process_cpu_seconds_total/) !== undefined, 'process metrics too');
      assert.equal((await fetch(`${base}/`)).status, 404);
      assert.equal((await fetch(`${base}/healthz`, { method: 'POST' })).status, 405);
    } finally {
      await server.close();
    }
  });
});

describe('health and metrics of a running bot (HEALTH_PORT)', { timeout: 60_000 }, () => {
  it('refuses to start, in one line, when HEALTH_PORT is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const home = mkdtempSync(path.join(tmpdir(), 'tapewatch-health-port-'));
    try {
      const bot = startProcess(
        process.execPath,
        [path.resolve(import.meta.dirname, '..', '..', 'src', 'bot', 'main.ts')],
        {
          cwd: home,
          env: {
            PATH: process.env.PATH ?? '',
            DISCORD_TOKEN: TOKEN,
            DISCORD_API_URL: 'http://127.0.0.1:9/api',
            MARKET_DATA_SOURCE: 'demo',
            TAPEWATCH_HOME: home,
            HEALTH_PORT: String(port),
            LOG_LEVEL: 'silent',
          },
        },
      );
      assert.equal(await bot.exit(), 1);
      assert.match(
        bot.output(),
        new RegExp(
          `^tapewatch: HEALTH_PORT ${port} on 127\\.0\\.0\\.1 cannot be used \\(listen EADDRINUSE[^\\n]*\\)\\.\\n$`,
        ),
      );
    } finally {
      taken.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('says 200 while connected, counts an answered /breadth, says 503 while the gateway is gone and 200 once it is back', async () => {
    const discord = await FakeDiscord.start();
    const home = mkdtempSync(path.join(tmpdir(), 'tapewatch-health-'));
    const running = openBot({
      env: {
        DISCORD_TOKEN: TOKEN,
        DISCORD_API_URL: discord.apiUrl,
        MARKET_DATA_SOURCE: 'demo',
        TAPEWATCH_HOME: home,
        HEALTH_PORT: '0',
        LOG_LEVEL: 'silent',
      },
      fetch: () => Promise.reject(new TypeError('fetch failed: no network in tests')),
      now: () => new Date('2024-07-11T20:30:00Z'),
      schedulerIntervalMs: 3_600_000,
    });
    try {
      const endpoint = await running.health;
      assert.ok(endpoint);
      const base = `http://127.0.0.1:${endpoint.port}`;
      assert.equal((await fetch(`${base}/healthz`)).status, 503, 'not connected before start');
      await running.bot.start();
      assert.equal((await fetch(`${base}/healthz`)).status, 200);

      const token = discord.slashCommand('breadth', [{ name: 'universe', type: 3, value: 'sectors' }]);
      await discord.waitForCall(
        (call: RecordedCall) => call.method === 'PATCH' && call.path.endsWith(`/${token}/messages/@original`),
        30_000,
      );
      // The interaction's log line and counts come when its handler returns, just after the answer.
      let text = '';
      for (let tries = 0; tries < 50; tries++) {
        text = await (await fetch(`${base}/metrics`)).text();
        if (sample(text, /^tapewatch_interactions_total\{command="breadth",outcome="ok"\}/) === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(sample(text, /^tapewatch_interactions_total\{command="breadth",outcome="ok"\}/), 1);
      assert.equal(sample(text, /^tapewatch_interaction_deferral_seconds_count\{command="breadth"\}/), 1);
      assert.equal(
        sample(text, /^tapewatch_interaction_deferral_seconds_bucket\{le="3",command="breadth"\}/),
        1,
      );
      assert.equal(
        sample(text, /^tapewatch_interaction_answer_seconds_count\{command="breadth",outcome="ok"\}/),
        1,
      );
      assert.ok(
        (sample(text, /^tapewatch_store_bytes\{file="user"\}/) ?? 0) > 0,
        'the user database has a size',
      );

      // The gateway goes away (REST stays up): the bot keeps trying to reconnect and is not healthy.
      discord.gatewayDown = true;
      discord.dropGateway(1006);
      const statusWithin = async (want: number) => {
        let status = 0;
        for (let tries = 0; tries < 400 && status !== want; tries++) {
          await new Promise((resolve) => setTimeout(resolve, 25));
          status = (await fetch(`${base}/healthz`)).status;
        }
        return status;
      };
      assert.equal(await statusWithin(503), 503);
      const body = (await (await fetch(`${base}/healthz`)).json()) as { reasons: string[] };
      assert.match(body.reasons[0] ?? '', /^Discord gateway: (reconnecting|disconnected)/);
      // And back: once the gateway takes connections again, the bot reconnects and is healthy.
      discord.gatewayDown = false;
      await discord.waitForGateway();
      assert.equal(await statusWithin(200), 200);
    } finally {
      await running.close();
      await discord.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
