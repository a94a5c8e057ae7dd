import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CachedMarketData, DEFAULT_CACHE_POLICY } from '../../src/market/cache.ts';
import { FakeClock } from '../helpers/clock.ts';
import { RecordingSource } from '../fakes/recording-source.ts';

const RANGE = { from: '2026-01-05', to: '2026-01-09' };

describe('market data cache', () => {
  it('keeps entries briefly while the market is open and until the next open while it is closed', () => {
    const clock = new FakeClock('2026-11-20T15:00:00Z'); // Friday 10:00 New York
    const cache = new CachedMarketData(new RecordingSource(), clock.now);
    assert.equal(cache.ttlSeconds('quote'), 60);
    assert.equal(cache.ttlSeconds('bars'), 300);
    clock.set('2026-11-20T22:00:00Z'); // Friday 17:00 New York; next open Monday 09:30 is 64.5 hours away
    assert.equal(cache.ttlSeconds('quote'), 24 * 3600, 'capped at a day');
    clock.set('2026-11-23T13:30:00Z'); // Monday 08:30 New York, one hour before the open
    assert.equal(cache.ttlSeconds('bars'), 3600);
    cache.close();
  });

  it('answers repeated requests from memory until the entry expires', async () => {
    const clock = new FakeClock('2026-11-20T15:00:00Z');
    const source = new RecordingSource();
    const cache = new CachedMarketData(source, clock.now);
    await cache.getDailyBars('AAA', RANGE);
    await cache.getDailyBars('AAA', RANGE);
    assert.equal(source.barRequests.length, 1);
    await cache.getDailyBars('AAA', { from: RANGE.from, to: '2026-01-08' });
    assert.equal(source.barRequests.length, 2, 'a different range is a different entry');
    cache.close();
  });

  it('expires entries by the clock it is given, so a quote from before the open is not served after it', async () => {
    const clock = new FakeClock('2026-11-20T14:29:00Z'); // Friday 09:29 New York: fresh until the open
    const source = new RecordingSource();
    const cache = new CachedMarketData(source, clock.now);
    await cache.getQuotes(['AAA']);
    await cache.getQuotes(['AAA']);
    assert.equal(source.quoteRequests.length, 1);
    clock.set('2026-11-20T14:31:00Z'); // two minutes later by that clock, moments later by the process's
    await cache.getQuotes(['AAA']);
    assert.equal(source.quoteRequests.length, 2, 'the session under way needs a fresh quote');
    cache.close();
  });

  it('shares one fetch among concurrent identical requests', async () => {
    const source = new RecordingSource();
    let release = (): void => undefined;
    source.gate = new Promise((resolve) => {
      release = resolve;
    });
    const cache = new CachedMarketData(source, new FakeClock('2026-11-20T15:00:00Z').now);
    const pending = Array.from({ length: 10 }, () => cache.getDailyBars('AAA', RANGE));
    release();
    const results = await Promise.all(pending);
    assert.equal(source.barRequests.length, 1);
    assert.ok(results.every((bars) => bars === results[0]));
    cache.close();
  });

  it('caches nothing from a failed fetch', async () => {
    const source = new RecordingSource();
    source.failNext = 1;
    const cache = new CachedMarketData(source, new FakeClock('2026-11-20T15:00:00Z').now);
    await assert.rejects(cache.getDailyBars('AAA', RANGE), /upstream failure/);
    const bars = await cache.getDailyBars('AAA', RANGE);
    assert.equal(bars.dates.length, 5);
    assert.equal(source.barRequests.length, 2);
    cache.close();
  });

  it('caches quotes per symbol and asks again for symbols that were missing', async () => {
    const source = new RecordingSource();
    const cache = new CachedMarketData(source, new FakeClock('2026-11-20T15:00:00Z').now);
    const first = await cache.getQuotes(['AAA', 'ZZZ']);
    assert.deepEqual(
      first.missing.map((m) => m.symbol),
      ['ZZZ'],
    );
    const second = await cache.getQuotes(['AAA', 'BBB', 'ZZZ']);
    assert.deepEqual(source.quoteRequests, [
      ['AAA', 'ZZZ'],
      ['BBB', 'ZZZ'],
    ]);
    assert.deepEqual(
      second.quotes.map((q) => q.symbol),
      ['AAA', 'BBB'],
    );
    cache.close();
  });

  it('holds at most CACHE_MAX_MB, letting the least recently used entry go first', async () => {
    const source = new RecordingSource();
    const clock = new FakeClock('2026-11-20T15:00:00Z');
    // Five sessions of bars: six float64 columns (240 B) + 16 B a date (80 B) + 256 B = 576 B an entry.
    const cache = new CachedMarketData(source, clock.now, { ...DEFAULT_CACHE_POLICY, maxBytes: 1200 });
    const asked = (symbol: string) => source.barRequests.filter((r) => r.symbol === symbol).length;
    await cache.getDailyBars('AAA', RANGE);
    await cache.getDailyBars('BBB', RANGE);
    assert.equal(cache.bytes, 1152);
    await cache.getDailyBars('AAA', RANGE); // a hit: AAA is now the most recently used
    await cache.getDailyBars('CCC', RANGE); // over 1200 B: BBB, the least recently used, goes
    assert.equal(cache.bytes, 1152);
    await cache.getDailyBars('AAA', RANGE);
    assert.deepEqual([asked('AAA'), asked('BBB'), asked('CCC')], [1, 1, 1], 'AAA was kept');
    await cache.getDailyBars('BBB', RANGE);
    assert.equal(asked('BBB'), 2, 'BBB was let go and is asked again');
    cache.close();
  });

  it('does not keep an entry larger than the whole cache, and keeps the accounting when entries expire', async () => {
    const source = new RecordingSource();
    const clock = new FakeClock('2026-11-20T15:00:00Z');
    const tiny = new CachedMarketData(source, clock.now, { ...DEFAULT_CACHE_POLICY, maxBytes: 500 });
    await tiny.getDailyBars('AAA', RANGE);
    await tiny.getDailyBars('AAA', RANGE);
    assert.equal(source.barRequests.length, 2);
    assert.equal(tiny.bytes, 0);
    tiny.close();
    const cache = new CachedMarketData(source, clock.now);
    await cache.getDailyBars('AAA', RANGE);
    assert.equal(cache.bytes, 576);
    clock.advanceSeconds(301);
    await cache.getDailyBars('AAA', RANGE); // expired by the clock: dropped and fetched again
    assert.equal(cache.bytes, 576, 'the expired entry no longer counts');
    cache.close();
  });
});
