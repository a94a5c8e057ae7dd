import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openBot, type RunningBot } from '../../src/bot/app.ts';
import { answerTo, FakeDiscord } from '../fakes/discord.ts';

/** A key pair standing in for the application's: Discord signs with the private half. */
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const PUBLIC_KEY_HEX = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');

function signed(body: string, timestamp = String(Math.floor(Date.now() / 1000))) {
  const signature = sign(null, Buffer.from(timestamp + body), privateKey).toString('hex');
  return { 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp };
}

/** A bot on the demo market serving the interactions endpoint on a free port, checked with the test key. */
function endpointBot(discord: FakeDiscord, home: string, extra: Record<string, string> = {}): RunningBot {
  return openBot({
    env: {
      DISCORD_TOKEN: 'ODg4.fake-token.do-not-log-me',
      DISCORD_API_URL: discord.apiUrl,
      MARKET_DATA_SOURCE: 'demo',
      TAPEWATCH_HOME: home,
      BOT_COOLDOWN_SECONDS: '0',
      LOG_LEVEL: 'silent',
      INTERACTIONS_PORT: '0',
      DISCORD_PUBLIC_KEY: PUBLIC_KEY_HEX,
      ...extra,
    },
    fetch: () => Promise.reject(new TypeError('fetch failed: no network in tests')),
    now: () => new Date('2024-07-11T20:30:00Z'),
    schedulerIntervalMs: 3_600_000,
  });
}

describe('the HTTP interactions endpoint', { timeout: 60_000 }, () => {
  let discord: FakeDiscord;
  let running: RunningBot;
  let home: string;
  let url: string;

  before(async () => {
    discord = await FakeDiscord.start();
    home = mkdtempSync(path.join(tmpdir(), 'tapewatch-http-interactions-'));
    running = endpointBot(discord, home);
    const endpoint = await running.interactions;
    assert.ok(endpoint);
    url = `http://127.0.0.1:${endpoint.port}/interactions`;
    await running.bot.start();
  });

  after(async () => {
    await running.close();
    await discord.close();
    rmSync(home, { recursive: true, force: true });
  });

  const post = (body: string, headers: Record<string, string>) =>
    fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  it('refuses a bad or missing signature with 401, and runs nothing', async () => {
    const { token, payload } = discord.slashPayload('rotation');
    const body = JSON.stringify(payload);
    const tampered = signed(body.replace('rotation', 'breadth'));
    assert.equal((await post(body, tampered)).status, 401, 'signed for another body');
    assert.equal((await post(body, {})).status, 401, 'not signed at all');
    const other = signed(body, '1700000000');
    assert.equal(
      (await post(body, { ...other, 'x-signature-timestamp': '1700000001' })).status,
      401,
      'signed at another timestamp',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(
      discord.calls.filter((c) => c.path.includes(token)).length,
      0,
      'no acknowledgement, no answer',
    );
  });

  it("answers Discord's PING with PONG", async () => {
    const body = JSON.stringify({
      id: '1',
      application_id: '111111111111111111',
      type: 1,
      token: 'x',
      version: 1,
    });
    const response = await post(body, signed(body));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { type: 1 });
  });

  it('takes a signed slash command with 202 and answers it through the callback, as from the gateway', async () => {
    const { token, payload } = discord.slashPayload('rotation', [], { userId: '700000000000000201' });
    const body = JSON.stringify(payload);
    const response = await post(body, signed(body));
    assert.equal(response.status, 202);
    assert.equal(await response.text(), '');
    const answer = await answerTo(discord, token);
    assert.match(answer, /Rotation/);
  });
});

describe('a stateless interactions worker (DISCORD_GATEWAY=off)', { timeout: 60_000 }, () => {
  it('answers signed slash commands over HTTP without ever connecting to the gateway', async () => {
    const discord = await FakeDiscord.start();
    const home = mkdtempSync(path.join(tmpdir(), 'tapewatch-http-worker-'));
    const worker = endpointBot(discord, home, { DISCORD_GATEWAY: 'off' });
    try {
      const endpoint = await worker.interactions;
      await worker.bot.start();
      const { token, payload } = discord.slashPayload('breadth', [], { userId: '700000000000000202' });
      const body = JSON.stringify(payload);
      const response = await fetch(`http://127.0.0.1:${endpoint?.port ?? 0}/interactions`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...signed(body) },
      });
      assert.equal(response.status, 202);
      assert.match(await answerTo(discord, token), /Breadth/);
      assert.equal(discord.identifies.length, 0, 'it never identified on the gateway');
    } finally {
      await worker.close();
      await discord.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
