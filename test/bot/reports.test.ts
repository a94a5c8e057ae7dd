import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PreparedRequest } from '../../commands/index.ts';
import type { ComputedAnswer } from '../../src/bot/answer.ts';
import { ReportRunner } from '../../src/bot/reports.ts';
import type { SharedText } from '../../src/lib/shared-text.ts';
import { silentLogger } from '../../src/log.ts';
import { DemoMarketData } from '../../src/market/demo.ts';
import { FakeClock } from '../helpers/clock.ts';

/** A Redis stand-in: text by key, with the TTL each was given. */
function sharedStore() {
  const entries = new Map<string, { value: string; ttl: number }>();
  const shared: SharedText = {
    get: (key) => Promise.resolve(entries.get(key)?.value ?? null),
    set: (key, value, ttl) => {
      entries.set(key, { value, ttl });
      return Promise.resolve();
    },
  };
  return { shared, entries };
}

/** A report runner (a bot process) whose worker pool records what it computed. */
function runner(shared: SharedText, clock: FakeClock) {
  const computed: string[] = [];
  const pool = {
    threads: 1,
    answer: (request: PreparedRequest): Promise<ComputedAnswer> => {
      computed.push(request.key);
      return Promise.resolve({
        answer: {
          message: {
            content: '',
            embeds: [{ title: `${request.name} as of ${request.endDate}` }],
            attachment: null,
            chart: { name: 'chart.png', png: Buffer.from([137, 80, 78, 71, 0, 255]) },
          },
          reports: [],
        },
        warnings: [],
      });
    },
  };
  const runnerOf = new ReportRunner({
    marketData: new DemoMarketData(20240711, clock.now),
    homeDir: '/nonexistent',
    now: clock.now,
    pool,
    logger: silentLogger,
    shared,
  });
  return { runner: runnerOf, computed };
}

describe('report answers shared between processes', () => {
  it('one process computes, the other reads its answer, chart bytes included', async () => {
    // Thursday 2024-07-11, 17:00 in New York: the market has closed.
    const clock = new FakeClock('2024-07-11T21:00:00Z');
    const { shared, entries } = sharedStore();
    const one = runner(shared, clock);
    const two = runner(shared, clock);
    const first = await one.runner.run(one.runner.prepare('rotation', {}, null));
    const second = await two.runner.run(two.runner.prepare('rotation', {}, null));
    assert.equal(one.computed.length, 1);
    assert.equal(two.computed.length, 0, 'the second process computed nothing');
    assert.deepEqual(second, first);
    assert.ok(Buffer.isBuffer(second.message.chart?.png), 'the PNG comes back as bytes');
    // Kept until the next open (Friday 09:30 New York), as the market cache keeps the day's bars.
    assert.equal([...entries.values()][0]?.ttl, 16.5 * 3600);
  });

  it("keeps today's report only a minute while the market is open", async () => {
    const clock = new FakeClock('2024-07-11T15:00:00Z'); // 11:00 in New York
    const { shared, entries } = sharedStore();
    const one = runner(shared, clock);
    await one.runner.run(one.runner.prepare('breadth', {}, null));
    assert.equal([...entries.values()][0]?.ttl, 60);
  });
});
