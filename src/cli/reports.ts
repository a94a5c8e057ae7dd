import { BRIEF, buildReports, prepare, REPORTS, type ReportServices } from '../../commands/index.ts';
import { computeSeries, seriesCsv } from '../../commands/series.ts';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeError, TapewatchError } from '../errors.ts';
import { addDays } from '../market/calendar.ts';
import { liveSession } from '../market/session.ts';
import type { ReportCommand } from '../reports/types.ts';
import { renderSummaryText } from '../llm/template.ts';
import { resolveUniverse } from '../universes/index.ts';
import { renderReportJson, renderReportMarkdown, renderReportText } from '../render/report.ts';
import type { CliContext } from './context.ts';
import { checkDateFlags } from './flags.ts';
import { createProgress, type Progress } from './progress.ts';

/** Calendar days loaded before --from so every series has warmed up by then (two years and a month). */
const SERIES_WARM_UP_DAYS = 800;

/** The report layer's services for one CLI run, with a progress bar while symbols load. */
function reportServices(context: CliContext): { services: ReportServices; finish: () => void } {
  let progress: Progress | null = null;
  let shown = 0;
  const services: ReportServices = {
    marketData: context.source,
    badTickFactor: context.config.badTickFactor,
    session: liveSession(context.source.source, context.io.now()),
    onProgress: (done, total) => {
      progress ??= createProgress(context.io.stderr, context.io.stderrIsTty, 'Loading prices', total);
      progress.advance(done - shown);
      shown = done;
    },
  };
  return {
    services,
    finish: () => {
      progress?.done();
    },
  };
}

export async function runReport(
  context: CliContext,
  name: ReportCommand,
  raw: Readonly<Record<string, unknown>>,
): Promise<void> {
  // --as-of was resolved (and its note printed) with the context; the request takes the session itself.
  const prepared = prepare(name, raw, context.asOf?.date ?? null, context.policy);
  const { services, finish } = reportServices(context);
  let report;
  try {
    [report] = (await buildReports(prepared, services)).reports;
  } finally {
    finish();
  }
  if (report === undefined) throw new Error(`a ${name} request builds one report`);
  const { format, explain, chart } = context.options;
  if (chart !== undefined) {
    const file = path.resolve(context.io.cwd, chart);
    // Loaded only when asked for: the charting library and canvas add to every CLI start otherwise.
    const { chartSpec, renderChartPng } = await import('../render/chart.ts');
    try {
      writeFileSync(file, await renderChartPng(chartSpec(report)));
    } catch (error) {
      throw new TapewatchError('bad_input', `--chart: cannot write "${chart}" (${describeError(error)}).`);
    }
  }
  const summary = explain
    ? await (await context.summarizer()).summarize(report, REPORTS[name].headline)
    : null;
  if (format === 'json') {
    context.io.stdout(renderReportJson(report, summary === null ? {} : { summary }));
    return;
  }
  const body = format === 'md' ? renderReportMarkdown(report) : renderReportText(report, context.io.styleOut);
  const explained =
    summary === null
      ? ''
      : `${format === 'md' ? '### Summary' : 'Summary'}\n\n${renderSummaryText(summary)}\n\n`;
  context.io.stdout(explained + body);
}

export async function runSeries(
  context: CliContext,
  name: string,
  range: { from?: string; to?: string },
): Promise<void> {
  checkDateFlags(range, context.asOf?.date ?? null);
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    throw new TapewatchError('bad_input', `--from ${range.from} is after --to ${range.to}.`);
  }
  const { services, finish } = reportServices(context);
  const universe = resolveUniverse(context.options.universe ?? 'sp500', context.policy.universes);
  const to = range.to !== undefined && range.to < context.endDate ? range.to : context.endDate;
  let series;
  try {
    // A long lookback (12-month ranking, a year of z-score history) must warm up before --from.
    const historyFrom = range.from === undefined ? undefined : addDays(range.from, -SERIES_WARM_UP_DAYS);
    series = await computeSeries(
      {
        ...services,
        marketData: context.marketData,
        endDate: to,
        ...(historyFrom === undefined ? {} : { historyFrom }),
      },
      name,
      universe,
    );
  } finally {
    finish();
  }
  const from = range.from ?? null;
  if (context.options.format === 'json') {
    const points: { date: string; value: number | null }[] = [];
    series.dates.forEach((date, t) => {
      if ((from !== null && date < from) || date > to) return;
      const value = series.values[t] ?? Number.NaN;
      points.push({ date, value: Number.isFinite(value) ? value : null });
    });
    context.io.stdout(`${JSON.stringify({ series: series.name, unit: series.unit, points }, null, 2)}\n`);
    return;
  }
  context.io.stdout(seriesCsv(series, from, to));
}

/**
 * `tapewatch market`: the brief `/market` posts, the three reports on one universe. A report the data
 * cannot answer is left out with the reason, as in Discord; `--chart` draws the same dashboard.
 */
export async function runBrief(context: CliContext): Promise<void> {
  const raw = context.options.universe === undefined ? {} : { universe: context.options.universe };
  const prepared = prepare(BRIEF.name, raw, context.asOf?.date ?? null, context.policy);
  const { services, finish } = reportServices(context);
  let built;
  try {
    built = await buildReports(prepared, services);
  } finally {
    finish();
  }
  const { reports, omitted } = built;
  const { format, chart } = context.options;
  if (chart !== undefined) {
    const file = path.resolve(context.io.cwd, chart);
    const { renderDashboardPng } = await import('../render/chart.ts');
    try {
      writeFileSync(file, await renderDashboardPng(reports));
    } catch (error) {
      throw new TapewatchError('bad_input', `--chart: cannot write "${chart}" (${describeError(error)}).`);
    }
  }
  if (format === 'json') {
    context.io.stdout(
      `${JSON.stringify({ command: BRIEF.name, asOf: prepared.endDate, reports, omitted }, null, 2)}\n`,
    );
    return;
  }
  const left = omitted.map((o) => `${o.command} is left out: ${o.reason}`);
  if (format === 'md') {
    const intro = left.length === 0 ? '' : `${left.map((line) => `> ${line}`).join('\n')}\n\n`;
    context.io.stdout(intro + reports.map(renderReportMarkdown).join('\n---\n\n'));
    return;
  }
  const intro = left.length === 0 ? '' : `${left.join('\n')}\n\n`;
  context.io.stdout(
    intro +
      reports.map((report) => renderReportText(report, context.io.styleOut)).join(`\n${'='.repeat(72)}\n\n`),
  );
}
