import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeBreadth, breadthOptionsSchema } from '../../commands/breadth.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CsvMarketData } from '../../src/market/csv.ts';
import { TapewatchError } from '../../src/errors.ts';
import {
  allocateBars,
  type DateRange,
  type MarketData,
  type Quote,
  type QuoteBatch,
} from '../../src/market/types.ts';
import { dailyReturns } from '../../src/indicators/panel.ts';
import { loadPanel, PanelCache, type ReportContext } from '../../src/reports/context.ts';
import { buildReport } from '../helpers/reports.ts';
import { realHistory, SKIP_WITHOUT_SHARED_DATA } from '../helpers/shared-data.ts';

describe('panel cache on real history', { skip: SKIP_WITHOUT_SHARED_DATA }, () => {
  const { sp500Folder, context, sp500Universe } = realHistory();

  it('serves a warm report from cached alignment with the same numbers', async () => {
    const panels = new PanelCache();
    const warm: ReportContext = { ...context('2020-11-09'), panels };
    const options = breadthOptionsSchema.parse({ universe: sp500Folder });
    const universe = sp500Universe();
    const first = await analyzeBreadth(warm, options, universe);
    const second = await analyzeBreadth(warm, options, universe);
    assert.equal(second.panel, first.panel, 'the second request reuses the aligned panel');
    assert.equal(second.breadth, first.breadth, 'and the breadth series derived from it');
    const uncached = await analyzeBreadth(context('2020-11-09'), options, universe);
    assert.notEqual(uncached.panel, first.panel, 'without the cache every request aligns afresh');
    const [cachedReport, freshReport] = await Promise.all([
      buildReport(warm, 'breadth', { universe: sp500Folder }),
      buildReport(context('2020-11-09'), 'breadth', { universe: sp500Folder }),
    ]);
    assert.deepEqual(cachedReport.metrics, freshReport.metrics);
    assert.equal(cachedReport.metrics.advancers, 359);
  });
});

/** Bars a source sent without open, high and low (n/a, as Yahoo leaves them out): closes to fill in. */
function closesOnly(symbol: string, dates: readonly string[]) {
  const bars = allocateBars(symbol, dates);
  for (const column of [bars.open, bars.high, bars.low]) column.fill(Number.NaN);
  return bars;
}

describe('loading a panel', () => {
  const HEADER = 'Date,Open,High,Low,Close,Adj Close,Volume';
  const row = (date: string, price: number) => `${date},${price},${price},${price},${price},${price},100`;

  it('leaves out a member whose file is broken, naming file and line, and keeps the rest with their notes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tapewatch-panel-'));
    writeFileSync(
      path.join(dir, 'AAA.csv'),
      [HEADER, row('2024-01-02', 10), row('2024-01-03', 11)].join('\n'),
    );
    writeFileSync(
      path.join(dir, 'BBB.csv'),
      [HEADER, row('2024-01-02', 20), row('2024-01-03', 21), row('2024-01-03', 22)].join('\n'),
    );
    writeFileSync(
      path.join(dir, 'CCC.csv'),
      [HEADER, row('2024-01-02', 30), row('2024-01-02', 30), row('2024-01-03', 31)].join('\n'),
    );
    const loaded = await loadPanel({ marketData: new CsvMarketData([dir]), endDate: '2024-01-03' }, [
      'AAA',
      'BBB',
      'CCC',
      'DDD',
    ]);
    assert.deepEqual(loaded.panel.symbols, ['AAA', 'CCC']);
    assert.deepEqual([...(loaded.panel.adjClose[1] ?? [])], [30, 31]);
    assert.deepEqual(loaded.missing, [
      {
        symbol: 'BBB',
        reason: `${path.join(dir, 'BBB.csv')}:4: a second, different row for 2024-01-03 (the first is line 3)`,
      },
      { symbol: 'DDD', reason: 'not in the data source' },
    ]);
    assert.deepEqual(loaded.notes, [`CCC: 1 repeated row in ${path.join(dir, 'CCC.csv')} dropped.`]);
  });

  it('says which days came without an adjusted close, and keeps them out of returns', async () => {
    const dates = ['2015-08-25', '2015-08-26', '2015-08-27'];
    const ko = closesOnly('KO', dates);
    ko.close.set([38.5, 38.73, 39]);
    ko.adjClose.set([31.9, Number.NaN, 32.3]);
    const source: MarketData = {
      source: 'yahoo',
      label: 'one gap',
      getDailyBars: () => Promise.resolve(ko),
      getQuotes: () => Promise.resolve({ quotes: [], missing: [] }),
    };
    const loaded = await loadPanel({ marketData: source, endDate: '2015-08-27' }, ['KO']);
    assert.deepEqual(loaded.notes, [
      'KO: 1 day (2015-08-26) without an adjusted close, left out of its returns.',
    ]);
    assert.ok(Number.isNaN(loaded.panel.adjClose[0]?.[1]));
    const returns = dailyReturns(loaded.panel.adjClose[0] ?? new Float64Array(0));
    assert.ok(Number.isNaN(returns[1]), 'no return on the day without an adjusted close');
    assert.ok(Math.abs((returns[2] ?? 0) - (32.3 / 31.9 - 1)) < 1e-12, 'the move is measured across the gap');
  });

  it('leaves out a member with a bad tick, with the reason, at the size the context sets', async () => {
    const dates = ['2024-03-01', '2024-03-04', '2024-03-05', '2024-03-06'];
    // 38,000 / 202 = 188.1: a misprint of a hundred-odd times the price.
    const series: Record<string, number[]> = { XLK: [200, 202, 38_000, 204], XLF: [40, 41, 42, 41] };
    const source: MarketData = {
      source: 'csv',
      label: 'a misprint',
      getDailyBars: (symbol) => {
        const made = closesOnly(symbol, dates);
        made.adjClose.set(series[symbol] ?? []);
        made.close.set(series[symbol] ?? []);
        return Promise.resolve(made);
      },
      getQuotes: () => Promise.resolve({ quotes: [], missing: [] }),
    };
    const loaded = await loadPanel({ marketData: source, endDate: '2024-03-06' }, ['XLK', 'XLF']);
    assert.deepEqual(loaded.panel.symbols, ['XLF']);
    assert.deepEqual(loaded.missing, [
      {
        symbol: 'XLK',
        reason: 'a one-day move to 188× of the day before on 2024-03-05, undone the next day (a bad tick)',
      },
    ]);
    const tolerant = await loadPanel({ marketData: source, endDate: '2024-03-06', badTickFactor: 1000 }, [
      'XLK',
      'XLF',
    ]);
    assert.deepEqual(tolerant.panel.symbols, ['XLK', 'XLF']);
  });

  describe('when the report fails or is abandoned', () => {
    /**
     * Members whose requests wait until their signal aborts, and one ("DOWN") whose source fails: the
     * log of what each request saw.
     */
    function hanging() {
      const started: string[] = [];
      const aborted: string[] = [];
      const source: MarketData = {
        source: 'yahoo',
        label: 'hanging',
        getDailyBars: (symbol, _range, options) => {
          started.push(symbol);
          if (symbol === 'DOWN') {
            return new Promise((_, reject) => {
              setTimeout(() => {
                reject(new TapewatchError('source_unreachable', 'Yahoo Finance is unreachable.'));
              }, 20);
            });
          }
          return new Promise((_, reject) => {
            options?.signal?.addEventListener('abort', () => {
              aborted.push(symbol);
              reject(options.signal?.reason as Error);
            });
          });
        },
        getQuotes: () => Promise.resolve({ quotes: [], missing: [] }),
      };
      return { source, started, aborted };
    }
    const symbols = ['DOWN', ...Array.from({ length: 40 }, (_, i) => `M${i}`)];

    it('stops every request still under way when the source fails, and starts no more', async () => {
      const { source, started, aborted } = hanging();
      await assert.rejects(loadPanel({ marketData: source, endDate: '2024-03-06' }, symbols), /unreachable/);
      assert.equal(started.length, 8, 'only the first eight (the load concurrency) ever started');
      assert.deepEqual(
        aborted.sort(),
        started.filter((symbol) => symbol !== 'DOWN').sort(),
        'every one still waiting was stopped',
      );
    });

    it("stops the load when the caller's signal aborts", async () => {
      const { source, started, aborted } = hanging();
      const caller = new AbortController();
      const load = loadPanel({ marketData: source, endDate: '2024-03-06', signal: caller.signal }, [
        'M1',
        'M2',
      ]);
      caller.abort(new Error('the interaction expired'));
      await assert.rejects(load, /interaction expired/);
      assert.deepEqual(aborted, started);
    });
  });

  describe('with a session under way', () => {
    const dates = ['2024-03-04', '2024-03-05'];
    /** Closed history to 2024-03-05; quotes for 2024-03-06 at 11:30 New York time (16:30 UTC). */
    function live(quotes: () => Promise<QuoteBatch>) {
      const asked: DateRange[] = [];
      const source: MarketData = {
        source: 'yahoo',
        label: 'live',
        getDailyBars: (symbol, range) => {
          asked.push(range);
          const made = closesOnly(symbol, dates);
          made.close.set([100, 110]);
          // AAA paid dividends since: its adjusted closes are half its closes.
          made.adjClose.set(symbol === 'AAA' ? [50, 55] : [100, 110]);
          made.volume.set([1000, 1000]);
          return Promise.resolve(made);
        },
        getQuotes: quotes,
      };
      return { source, asked };
    }
    const quote = (symbol: string, date: string, price: number): Quote => ({
      symbol,
      name: null,
      price,
      previousClose: 110,
      changeFraction: null,
      marketCap: null,
      currency: 'USD',
      asOf: `${date}T16:30:00.000Z`,
      sessionBar: { date, open: 111, high: 122, low: 109, close: price, adjClose: price, volume: 500 },
    });

    it('loads closed history to the day before and joins the session from one quote batch', async () => {
      let batches = 0;
      const { source, asked } = live(() => {
        batches++;
        // BBB has not traded yet today: its quote is still yesterday's.
        return Promise.resolve({
          quotes: [quote('AAA', '2024-03-06', 121), quote('BBB', '2024-03-05', 110)],
          missing: [],
        });
      });
      const loaded = await loadPanel({ marketData: source, endDate: '2024-03-06', session: '2024-03-06' }, [
        'AAA',
        'BBB',
      ]);
      assert.deepEqual(
        asked.map((range) => range.to),
        ['2024-03-05', '2024-03-05'],
      );
      assert.equal(batches, 1);
      assert.deepEqual(loaded.panel.dates, ['2024-03-04', '2024-03-05', '2024-03-06']);
      assert.deepEqual([...(loaded.panel.close[0] ?? [])], [100, 110, 121]);
      assert.deepEqual(
        [...(loaded.panel.adjClose[0] ?? [])],
        [50, 55, 60.5],
        "the price carries the last close's adjustment: +10% on both series",
      );
      assert.deepEqual([...(loaded.panel.volume[0] ?? [])], [1000, 1000, 500]);
      assert.ok(Number.isNaN(loaded.panel.adjClose[1]?.[2]), 'no quote for the session: n/a on it');
      assert.deepEqual(loaded.notes, [
        '2024-03-06 is under way: its prices are quotes as of 11:30 New York time, not closing prices.',
        '1 of 2 symbols have no quote for 2024-03-06 yet and are n/a on it.',
      ]);
    });

    it('stands on the last close, saying why, when the quotes cannot be had', async () => {
      const { source } = live(() =>
        Promise.reject(new TapewatchError('rate_limited', 'Yahoo Finance is rate-limiting us.')),
      );
      const loaded = await loadPanel({ marketData: source, endDate: '2024-03-06', session: '2024-03-06' }, [
        'AAA',
      ]);
      assert.deepEqual(loaded.panel.dates, dates);
      assert.deepEqual(loaded.notes, [
        'The session under way (2024-03-06) is left out: Yahoo Finance is rate-limiting us.',
      ]);
    });

    it('asks for no quotes when the report ends before the session', async () => {
      let batches = 0;
      const { source, asked } = live(() => {
        batches++;
        return Promise.resolve({ quotes: [], missing: [] });
      });
      await loadPanel({ marketData: source, endDate: '2024-03-05', session: '2024-03-06' }, ['AAA']);
      assert.equal(batches, 0);
      assert.equal(asked[0]?.to, '2024-03-05');
    });
  });
});
