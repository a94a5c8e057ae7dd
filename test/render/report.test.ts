import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DemoMarketData } from '../../src/market/demo.ts';
import { type ReportContext } from '../../src/reports/context.ts';
import type { Report } from '../../src/reports/types.ts';
import { renderReportJson, renderReportMarkdown, renderReportText } from '../../src/render/report.ts';
import { buildReport } from '../helpers/reports.ts';

describe('report renderers on the demo market', () => {
  const demo = new DemoMarketData(20240711, () => new Date('2026-11-20T22:00:00Z'));
  const context: ReportContext = { marketData: demo, endDate: '2026-11-20' };
  const reports = new Map<string, Report>();
  before(async () => {
    for (const name of ['momentum', 'breadth'] as const) reports.set(name, await buildReport(context, name));
  });

  it('renders to text, Markdown and JSON with the same numbers', () => {
    const report = reports.get('breadth');
    assert.ok(report);
    const text = renderReportText(report);
    const pct = report.metrics.pct_above_200d ?? 0;
    assert.ok(text.includes(`${pct.toFixed(1)}%`), 'the text shows pct_above_200d');
    assert.ok(text.includes('DEMO DATA'), 'demo output says so');
    assert.ok(text.trimEnd().endsWith('Not investment advice.'));
    assert.match(renderReportMarkdown(report), /^## Breadth/);
    assert.deepEqual((JSON.parse(renderReportJson(report)) as Report).metrics, report.metrics);
  });

  it('shows n/a, never a number, for a metric without enough history', () => {
    const report = reports.get('momentum');
    assert.ok(report);
    const text = renderReportText({ ...report, metrics: { ...report.metrics, ls_return_ytd: null } });
    assert.match(text, /year to date\s+n\/a/);
  });
});
