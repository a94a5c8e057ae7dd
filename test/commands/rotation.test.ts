import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CsvMarketData } from '../../src/market/csv.ts';
import { DemoMarketData } from '../../src/market/demo.ts';
import { type ReportContext } from '../../src/reports/context.ts';
import { buildReport } from '../helpers/reports.ts';
import { SKIP_WITHOUT_SHARED_DATA, sharedPath } from '../helpers/shared-data.ts';

describe('rotation report on real history', { skip: SKIP_WITHOUT_SHARED_DATA }, () => {
  it('finds the 2024-07-11 small-cap split and its only precedent, 2008-10-10', async () => {
    const etf = new CsvMarketData([sharedPath('prices', 'etf')]);
    const report = await buildReport({ marketData: etf, endDate: '2024-07-11' }, 'rotation');
    const split = report.events.find((e) => e.id === 'split_iwm_spy_up');
    assert.ok(split, 'IWM up 3% or more while SPY fell');
    assert.deepEqual(split.earlierDates, ['2008-10-10']);
    assert.ok((split.stats.first_return_1d ?? 0) >= 0.03 && (split.stats.second_return_1d ?? 0) < 0);
    assert.ok((report.metrics.iwm_spy_1d_pctile ?? 0) > 99.9, 'the largest one-day IWM/SPY gap in the data');
    const rrg = report.tables.find((t) => t.id === 'rrg');
    assert.equal(rrg?.rows.length, 11, 'all eleven sectors on the graph');
    // 2 of some 4,900 sessions: rare, and said with its base rate.
    assert.equal(split.severity, 'extreme');
    assert.match(split.title, /: a rare split$/);
    assert.match(split.detail, /on 2 of 4,912 sessions \(0\.0%\) since 2005-01-04/);
    assert.match(split.detail, /too few episodes to tell from an ordinary day\.$/);
  });

  it('does not call a split rare when a low threshold makes it common', async () => {
    const etf = new CsvMarketData([sharedPath('prices', 'etf')]);
    const report = await buildReport({ marketData: etf, endDate: '2024-07-11' }, 'rotation', {
      splitThreshold: 0.005,
    });
    const split = report.events.find((e) => e.id === 'split_iwm_spy_up');
    assert.ok(split);
    // 99 of 4,912 sessions: 2.0%, notable but not rare.
    assert.equal(split.stats.days_flagged, 99);
    assert.equal(split.severity, 'notable');
    assert.match(split.title, /: a split$/);
  });
});

describe('rotation report on the demo market, recomputed in plain loops over the bars', () => {
  const demo = new DemoMarketData(20240711, () => new Date('2026-11-20T22:00:00Z'));
  const context: ReportContext = { marketData: demo, endDate: '2026-11-20' };

  it('gives each pair’s relative return, the cyclical basket against the defensive one, and the quadrants', async () => {
    const report = await buildReport(context, 'rotation');
    const range = { from: '2026-06-01', to: report.asOf };
    const adj = async (symbol: string) => [...(await demo.getDailyBars(symbol, range)).adjClose];
    const growth = (prices: number[], sessions: number) =>
      (prices.at(-1) ?? Number.NaN) / (prices.at(-1 - sessions) ?? Number.NaN);
    const close = (id: string, expected: number) => {
      const actual = report.metrics[id];
      assert.ok(
        actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-12,
        `${id}: ${actual} against ${expected}`,
      );
    };
    for (const [id, first, second] of [
      ['iwm_spy', 'IWM', 'SPY'],
      ['iwm_qqq', 'IWM', 'QQQ'],
      ['rsp_spy', 'RSP', 'SPY'],
      ['iwd_iwf', 'IWD', 'IWF'],
    ] as const) {
      const [a, b] = [await adj(first), await adj(second)];
      for (const [suffix, sessions] of [
        ['1d', 1],
        ['21d', 21],
        ['63d', 63],
      ] as const) {
        close(`${id}_${suffix}`, growth(a, sessions) / growth(b, sessions) - 1);
      }
    }
    // Equal-weight baskets rebalanced daily: each day earns the average of its members' returns.
    const basket21 = async (members: readonly string[]) => {
      const prices = await Promise.all(members.map(adj));
      let value = 1;
      for (let k = 21; k >= 1; k--) {
        const returns = prices.map((p) => (p.at(-k) ?? Number.NaN) / (p.at(-k - 1) ?? Number.NaN) - 1);
        value *= 1 + returns.reduce((sum, r) => sum + r, 0) / returns.length;
      }
      return value;
    };
    const cyclicals = await basket21(['XLY', 'XLF', 'XLI', 'XLB', 'XLE']);
    const defensives = await basket21(['XLP', 'XLU', 'XLV']);
    close('cyclicals_defensives_21d', cyclicals / defensives - 1);
    const quadrants = ['leading', 'weakening', 'lagging', 'improving'].map(
      (q) => report.metrics[`sectors_${q}`] ?? 0,
    );
    assert.equal(
      quadrants.reduce((sum, n) => sum + n, 0),
      11,
      'every sector ETF sits in one quadrant',
    );
    const rrg = report.tables.find((t) => t.id === 'rrg');
    assert.equal(rrg?.rows.length, 11);
  });
});
