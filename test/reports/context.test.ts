import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeBreadth, breadthOptionsSchema } from '../../commands/breadth.ts';
import { PanelCache, type ReportContext } from '../../src/reports/context.ts';
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
