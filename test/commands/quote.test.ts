import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TapewatchError } from '../../src/errors.ts';
import { CsvMarketData } from '../../src/market/csv.ts';
import { DemoMarketData } from '../../src/market/demo.ts';
import { REPORTS } from '../../commands/index.ts';
import { buildReport, testPolicy } from '../helpers/reports.ts';
import { SKIP_WITHOUT_SHARED_DATA, sharedPath } from '../helpers/shared-data.ts';
import { SyntheticMarket } from '../fakes/synthetic-market.ts';
import { csvRows } from '../helpers/csv.ts';

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('quote report', () => {
  it(
    'matches SPY on 2024-07-11 worked out from its CSV file',
    { skip: SKIP_WITHOUT_SHARED_DATA },
    async () => {
      const rows = csvRows(sharedPath('prices', 'etf', 'SPY.csv'), '2024-07-11');
      const closes = rows.map((r) => r.close);
      const last = rows.length - 1;
      const year = closes.slice(-252);
      const report = await buildReport(
        { marketData: new CsvMarketData([sharedPath('prices', 'etf')]), endDate: '2024-07-11' },
        'quote',
        { universe: 'SPY' },
      );
      assert.equal(report.title, 'Quote: SPY', 'a lone word is a symbol here');
      assert.equal(report.asOf, '2024-07-11');
      const m = report.metrics;
      assert.equal(m.price, 556.48);
      assert.ok(Math.abs((m.change_1d ?? 0) - (545.0113 / 549.7516 - 1)) < 1e-12, 'adjusted closes');
      assert.equal(m.high_52w, Math.max(...year));
      assert.equal(m.low_52w, Math.min(...year));
      assert.ok(Math.abs((m.vs_sma50 ?? 0) - (556.48 / mean(closes.slice(-50)) - 1)) < 1e-12);
      assert.ok(Math.abs((m.vs_sma200 ?? 0) - (556.48 / mean(closes.slice(-200)) - 1)) < 1e-12);
      const before = rows.slice(last - 20, last).map((r) => r.volume);
      assert.ok(Math.abs((m.volume_ratio ?? 0) - (rows[last]?.volume ?? 0) / mean(before)) < 1e-12);
      // The day after a record close (561.32 on 2024-07-10): just below its high, well above both averages.
      assert.ok((m.from_high_52w ?? -1) < 0 && (m.vs_sma200 ?? 0) > 0.1);
    },
  );

  it('counts a group by hand: up, down, above the averages, at a high or a low', async () => {
    // UP rises 0.1% a day and DOWN falls 0.1% a day: UP closes at a 52-week high above both averages,
    // DOWN at a low below them; FLAT never moves, so it is neither up nor down nor above its averages,
    // and its one price is both its 52-week high and low.
    const market = new SyntheticMarket(
      { UP: () => 0.001, DOWN: () => -0.001, FLAT: () => 0 },
      '2023-01-03',
      '2024-07-11',
    );
    const report = await buildReport({ marketData: market, endDate: '2024-07-11' }, 'quote', {
      universe: 'UP,DOWN,FLAT',
    });
    assert.deepEqual(report.metrics, {
      advancing: 1,
      declining: 1,
      median_change_1d: 0,
      above_50d: 1,
      above_200d: 1,
      at_52w_high: 2,
      at_52w_low: 2,
    });
    assert.deepEqual(
      report.tables[0]?.rows.map((row) => row[0]),
      ['UP', 'DOWN', 'FLAT'],
      'in the order asked',
    );
  });

  it('names a symbol without data, leaving it out of the counts', async () => {
    const demo = new DemoMarketData(20240711, () => new Date('2024-07-11T22:00:00Z'));
    const report = await buildReport({ marketData: demo, endDate: '2024-07-11' }, 'quote', {
      universe: 'SPY,NOPE',
    });
    assert.equal(report.universe.covered, 1);
    assert.deepEqual(
      report.universe.missing.map((m) => m.symbol),
      ['NOPE'],
    );
    assert.ok(report.notes.some((note) => /1 of 2 symbols have no data .*: NOPE\./.test(note)));
  });

  it('refuses more symbols than one quote loads history for, before loading anything', () => {
    const many = Array.from({ length: 601 }, (_, i) => `S${i}`).join(',');
    assert.throws(
      () => REPORTS.quote.prepare({ universe: many }, testPolicy()),
      (error: unknown) =>
        error instanceof TapewatchError &&
        error.message ===
          'A quote shows at most 600 symbols; this one has 601. For a whole market, try breadth.',
    );
  });
});
