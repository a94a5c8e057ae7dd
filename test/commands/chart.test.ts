import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REPORTS } from '../../commands/index.ts';
import { TapewatchError } from '../../src/errors.ts';
import { CsvMarketData } from '../../src/market/csv.ts';
import { buildReport, testPolicy } from '../helpers/reports.ts';
import { SKIP_WITHOUT_SHARED_DATA, sharedPath } from '../helpers/shared-data.ts';
import { csvRows } from '../helpers/csv.ts';

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
function close(a: number | null | undefined, b: number, what: string): void {
  assert.ok(a !== null && a !== undefined && Math.abs(a - b) < 1e-9, `${what}: ${String(a)} vs ${b}`);
}

describe('chart report on real history', { skip: SKIP_WITHOUT_SHARED_DATA }, () => {
  const etf = () => new CsvMarketData([sharedPath('prices', 'etf')]);

  it('draws IWM for 6 months with averages and strength against SPY, as its CSV files say', async () => {
    const report = await buildReport({ marketData: etf(), endDate: '2024-07-11' }, 'chart', {
      symbol: 'iwm',
      months: 6,
    });
    const iwm = csvRows(sharedPath('prices', 'etf', 'IWM.csv'), '2024-07-11');
    const spy = new Map(
      csvRows(sharedPath('prices', 'etf', 'SPY.csv'), '2024-07-11').map((r) => [r.date, r]),
    );
    const series = (id: string) => report.series.find((s) => s.id === id);
    const price = series('chart.close');
    // Six months (183 days) back from 2024-07-11 is 2024-01-10: the chart starts on that session.
    const shown = iwm.filter((r) => r.date >= '2024-01-10');
    assert.deepEqual(
      price?.dates,
      shown.map((r) => r.date),
    );
    assert.deepEqual(
      price.values,
      shown.map((r) => r.close),
    );
    // The averages were warmed up before the chart starts: the 200-day is drawn from the first day.
    const closes = iwm.map((r) => r.close);
    const firstAt = iwm.length - shown.length;
    close(
      series('chart.sma200')?.values[0],
      mean(closes.slice(firstAt - 199, firstAt + 1)),
      '200-day, first day',
    );
    close(series('chart.sma50')?.values.at(-1), mean(closes.slice(-50)), '50-day, last day');
    // Relative strength: IWM/SPY on adjusted closes, 100 on the first day shown.
    const first = shown[0];
    const lastRow = shown.at(-1);
    assert.ok(first && lastRow);
    const ratio = (r: { date: string; adj: number }) => r.adj / (spy.get(r.date)?.adj ?? Number.NaN);
    const rs = series('chart.relative_strength');
    assert.equal(rs?.values[0], 100);
    close(rs.values.at(-1), (100 * ratio(lastRow)) / ratio(first), 'relative strength, last day');
    close(report.metrics.return_period, lastRow.adj / first.adj - 1, 'IWM over the chart');
    const spyFirst = spy.get(first.date)?.adj ?? Number.NaN;
    const spyLast = spy.get(lastRow.date)?.adj ?? Number.NaN;
    close(report.metrics.benchmark_return_period, spyLast / spyFirst - 1, 'SPY over the chart');
    // 2024-07-11 was IWM's +3.6% day against SPY's -0.9%.
    close(report.metrics.change_1d, lastRow.adj / (iwm.at(-2)?.adj ?? Number.NaN) - 1, 'the day');
    assert.ok((report.metrics.change_1d ?? 0) > 0.03);
    const week = report.tables[0]?.rows.find((row) => row[0] === '1 week');
    close(week?.[1] as number, lastRow.adj / (iwm.at(-6)?.adj ?? Number.NaN) - 1, 'IWM over a week');
  });

  it('says so when the data is shorter than the months asked for', async () => {
    const report = await buildReport({ marketData: etf(), endDate: '2005-06-30' }, 'chart', {
      symbol: 'SPY',
      months: 24,
    });
    assert.ok(
      report.notes.some(
        (n) => n === 'The data for SPY starts on 2005-01-03, so the chart is shorter than 24 months.',
      ),
    );
    assert.equal(report.series.find((s) => s.id === 'chart.sma200')?.values[0], null, 'n/a while warming up');
    assert.equal(
      report.series.find((s) => s.id === 'chart.relative_strength'),
      undefined,
      'SPY against itself',
    );
  });

  it('refuses a symbol the data does not have in one line, and a months value out of range', async () => {
    await assert.rejects(
      buildReport({ marketData: etf(), endDate: '2024-07-11' }, 'chart', { symbol: 'NOPE' }),
      (error: unknown) =>
        error instanceof TapewatchError && error.message === 'No chart for "NOPE": not in the data source.',
    );
    assert.throws(
      () => REPORTS.chart.prepare({ months: 0 }, testPolicy()),
      (error: unknown) => error instanceof TapewatchError && error.message === '--months must be at least 1.',
    );
  });
});
