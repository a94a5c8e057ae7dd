import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeSeries, seriesCsv } from '../../commands/series.ts';
import { CsvMarketData } from '../../src/market/csv.ts';
import { csvRows } from '../helpers/csv.ts';
import { realHistory, sharedPath, SKIP_WITHOUT_SHARED_DATA } from '../helpers/shared-data.ts';

describe('series export on real history', { skip: SKIP_WITHOUT_SHARED_DATA }, () => {
  const { context, sp500Universe } = realHistory();

  it('exports a series as date,value CSV with the warm-up left out', async () => {
    const series = await computeSeries(context('2021-04-21'), 'breadth.pct_above_200d', sp500Universe());
    const csvText = seriesCsv(series, null, '2004-12-31');
    const lines = csvText.trim().split('\n');
    assert.equal(lines[0], 'date,value');
    // prices/sp500 starts 2004-01-02: the first 200-day average is on the 200th session.
    assert.match(lines[1] ?? '', /^2004-10-1\d,\d+(\.\d+)?$/);
  });

  it("exports a pair's relative return, the rotation report's iwm_spy_1d, worked out from the two files", async () => {
    const etf = new CsvMarketData([sharedPath('prices', 'etf')]);
    const series = await computeSeries(
      { marketData: etf, endDate: '2024-07-11' },
      'rotation.iwm_spy_1d',
      sp500Universe(),
    );
    assert.equal(series.dates.at(-1), '2024-07-11');
    const [iwmBefore, iwm] = csvRows(sharedPath('prices', 'etf', 'IWM.csv'), '2024-07-11').slice(-2);
    const [spyBefore, spy] = csvRows(sharedPath('prices', 'etf', 'SPY.csv'), '2024-07-11').slice(-2);
    const expected = (iwm?.adj ?? 0) / (iwmBefore?.adj ?? 1) / ((spy?.adj ?? 0) / (spyBefore?.adj ?? 1)) - 1;
    const value = series.values[series.values.length - 1] ?? Number.NaN;
    assert.ok(Math.abs(value - expected) < 1e-12, `${value} vs ${expected}`);
    assert.ok(value > 0.04, 'IWM beat SPY by more than 4 points that day');
  });
});
