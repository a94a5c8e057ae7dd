import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeSeries, seriesCsv } from '../../commands/series.ts';
import { realHistory, SKIP_WITHOUT_SHARED_DATA } from '../helpers/shared-data.ts';

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
});
