import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { computeSeries, seriesCsv } from '../../commands/series.ts';
import { CsvMarketData } from '../../src/market/csv.ts';
import type { MarketData } from '../../src/market/types.ts';
import { type ReportContext } from '../../src/reports/context.ts';
import { SKIP_WITHOUT_SHARED_DATA, sharedPath } from '../helpers/shared-data.ts';
import { resolveUniverse } from '../../src/universes/index.ts';

const universes = { homeDir: '/nonexistent-tapewatch-home', cwd: process.cwd() };

describe('series export on real history', { skip: SKIP_WITHOUT_SHARED_DATA }, () => {
  let csv: MarketData;
  const sp500Folder = sharedPath('prices', 'sp500');
  const context = (endDate: string): ReportContext => ({ marketData: csv, endDate });
  const sp500Universe = () => resolveUniverse(sp500Folder, universes);
  before(() => {
    csv = new CsvMarketData([sp500Folder, sharedPath('prices', 'etf')]);
  });

  it('exports a series as date,value CSV with the warm-up left out', async () => {
    const series = await computeSeries(context('2021-04-21'), 'breadth.pct_above_200d', sp500Universe());
    const csvText = seriesCsv(series, null, '2004-12-31');
    const lines = csvText.trim().split('\n');
    assert.equal(lines[0], 'date,value');
    // prices/sp500 starts 2004-01-02: the first 200-day average is on the 200th session.
    assert.match(lines[1] ?? '', /^2004-10-1\d,\d+(\.\d+)?$/);
  });
});
