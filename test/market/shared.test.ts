import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnknownSymbolError } from '../../src/errors.ts';
import { CachedMarketData } from '../../src/market/cache.ts';
import { decodeBars, encodeBars, SharedMarketData } from '../../src/market/shared.ts';
import { barsFromRows } from '../../src/market/types.ts';
import { openRedis } from '../../src/store/redis.ts';
import { RecordingSource } from '../fakes/recording-source.ts';
import { FakeClock } from '../helpers/clock.ts';
import { redisForSuite, SKIP_WITHOUT_REDIS, startRedis } from '../helpers/redis.ts';

const RANGE = { from: '2026-01-02', to: '2026-03-31' };

describe('bars as bytes for the shared cache', () => {
  it('come back exactly, n/a (NaN) and notes included', () => {
    const bars = {
      ...barsFromRows('AAA', [
        { date: '2026-01-02', open: 1, high: 2, low: 0.5, close: 1.5, adjClose: Number.NaN, volume: 10 },
        { date: '2026-01-05', open: 1.5, high: 2, low: 1, close: 1.75, adjClose: 1.7, volume: 0 },
      ]),
      notes: ['1 identical duplicate row dropped'],
    };
    const back = decodeBars(encodeBars(bars));
    assert.deepEqual(back, bars);
    assert.ok(Number.isNaN(back.adjClose[0]));
  });
});

describe('the market cache shared through Redis', { skip: SKIP_WITHOUT_REDIS, timeout: 30_000 }, () => {
  const redis = redisForSuite();
  const clock = new FakeClock('2026-04-04T16:00:00Z'); // a Saturday: entries live until Monday's open
  /** A bot process: its own Redis connection, its own in-memory cache, its own source. */
  const process = async (source: RecordingSource, lockMs = 30_000) => {
    const shared = await redis.connect();
    const errors: string[] = [];
    const data = new CachedMarketData(
      new SharedMarketData(source, shared.client, {
        now: clock.now,
        onError: (message) => {
          errors.push(message);
        },
        options: { lockMs, pollMs: 20 },
      }),
      clock.now,
    );
    return { data, shared, errors };
  };

  it('20 identical requests over two processes make one fetch, and both get the same bars', async () => {
    const sourceOne = new RecordingSource();
    const sourceTwo = new RecordingSource();
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    sourceOne.gate = gate;
    sourceTwo.gate = gate;
    const one = await process(sourceOne);
    const two = await process(sourceTwo);
    const asked = Array.from({ length: 20 }, (_, i) =>
      (i % 2 === 0 ? one : two).data.getDailyBars('AAA', RANGE),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    const answers = await Promise.all(asked);
    assert.equal(sourceOne.barRequests.length + sourceTwo.barRequests.length, 1, 'one fetch between them');
    for (const bars of answers) assert.deepEqual(bars, answers[0]);
    assert.equal(answers[0]?.dates.length, 61);
  });

  it('remembers a symbol the source does not have, so the other process does not ask again', async () => {
    const sourceOne = new RecordingSource();
    const sourceTwo = new RecordingSource();
    const one = await process(sourceOne);
    const two = await process(sourceTwo);
    await assert.rejects(one.data.getDailyBars('NOPE', RANGE), UnknownSymbolError);
    await assert.rejects(two.data.getDailyBars('NOPE', RANGE), (error: Error) => {
      assert.ok(error instanceof UnknownSymbolError);
      assert.equal(error.message, 'Unknown symbol "NOPE": no data found; it may be misspelt or delisted.');
      return true;
    });
    assert.equal(sourceTwo.barRequests.length, 0);
  });

  it('shares quotes, and what is missing, between processes', async () => {
    const sourceOne = new RecordingSource();
    const sourceTwo = new RecordingSource();
    const one = await process(sourceOne);
    const two = await process(sourceTwo);
    const first = await one.data.getQuotes(['AAA', 'BBB', 'ZZZ']);
    const second = await two.data.getQuotes(['bbb', 'ZZZ', 'AAA']);
    assert.deepEqual(sourceTwo.quoteRequests, [], 'the second process asked nobody');
    assert.deepEqual(second.quotes.map((q) => q.symbol).sort(), ['AAA', 'BBB']);
    assert.deepEqual(second.missing, [{ symbol: 'ZZZ', reason: 'unknown' }]);
    assert.deepEqual(first.missing, [{ symbol: 'ZZZ', reason: 'unknown' }]);
  });

  it('takes over the fetch once the lock of a process that died mid-fetch expires', async () => {
    const dying = new RecordingSource();
    dying.gate = new Promise<void>(() => undefined); // its fetch never ends: the process is gone
    const survivor = new RecordingSource();
    const one = await process(dying, 400);
    const two = await process(survivor, 400);
    void one.data.getDailyBars('BBB', RANGE).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    one.shared.client.disconnect(); // killed: it will never release its lock
    const started = performance.now();
    const bars = await two.data.getDailyBars('BBB', RANGE);
    const waited = performance.now() - started;
    assert.equal(bars.symbol, 'BBB');
    assert.equal(survivor.barRequests.length, 1);
    assert.ok(waited >= 300 && waited < 2_000, `took over after ${waited.toFixed(0)} ms (lock 400 ms)`);
  });

  it('asks its own source directly while Redis cannot be reached', async () => {
    const own = await startRedis();
    const shared = openRedis(own.url, () => undefined);
    await shared.ready;
    const source = new RecordingSource();
    const errors: string[] = [];
    const data = new SharedMarketData(source, shared.client, {
      now: clock.now,
      onError: (message) => {
        errors.push(message);
      },
    });
    await own.stop();
    const bars = await data.getDailyBars('CCC', RANGE);
    assert.equal(bars.symbol, 'CCC');
    assert.equal(source.barRequests.length, 1);
    assert.match(errors[0] ?? '', /^shared cache unavailable, asking the source directly/);
    shared.client.disconnect();
  });
});
