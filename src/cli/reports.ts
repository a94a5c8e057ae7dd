import type { z } from 'zod';
import { REPORT_MODULES } from '../../commands/index.ts';
import { computeSeries, seriesCsv } from '../../commands/series.ts';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeError, TapewatchError } from '../errors.ts';
import { addDays } from '../market/calendar.ts';
import type { ReportContext } from '../report/context.ts';
import type { ReportCommand } from '../report/types.ts';
import { renderSummaryText } from '../llm/template.ts';
import { renderReportJson, renderReportMarkdown, renderReportText } from '../render/report.ts';
import { checkDateFlags } from './commands.ts';
import type { CliContext } from './program.ts';
import { createProgress, type Progress } from './progress.ts';

/** Calendar days loaded before --from so every series has warmed up by then (two years and a month). */
const SERIES_WARM_UP_DAYS = 800;

/** The report layer's services for one CLI run, with a progress bar while symbols load. */
function reportContext(context: CliContext): { reports: ReportContext; finish: () => void } {
  let progress: Progress | null = null;
  let shown = 0;
  const reports: ReportContext = {
    marketData: context.marketData,
    endDate: context.endDate,
    universes: { homeDir: context.config.homeDir, cwd: context.io.cwd },
    onProgress: (done, total) => {
      progress ??= createProgress(context.io.stderr, context.io.stderrIsTty, 'Loading prices', total);
      progress.advance(done - shown);
      shown = done;
    },
  };
  return {
    reports,
    finish: () => {
      progress?.done();
    },
  };
}

/**
 * Turns the first schema complaint into one line naming the flag, e.g.
 * `--quantile: Too big: expected number to be <=0.5`.
 */
export function optionsError(error: z.ZodError, flags: Readonly<Record<string, string>>): TapewatchError {
  const issue = error.issues[0];
  const key = String(issue?.path[0] ?? '');
  const flag = flags[key] ?? key;
  return new TapewatchError('bad_input', `${flag}: ${issue?.message ?? 'invalid value'}.`);
}

/** A number-valued flag as typed; a non-number stays NaN for the schema to refuse with the flag's name. */
export function numberFlag(raw: string | undefined): number | undefined {
  return raw === undefined ? undefined : Number(raw);
}

export async function runReport(
  context: CliContext,
  command: ReportCommand,
  raw: Record<string, unknown>,
  flags: Readonly<Record<string, string>>,
): Promise<void> {
  const module = REPORT_MODULES[command];
  const input = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const parsed = module.options.safeParse(input);
  if (!parsed.success) throw optionsError(parsed.error, flags);
  const { reports, finish } = reportContext(context);
  let report;
  try {
    report = await (module.build as (c: ReportContext, o: unknown) => ReturnType<typeof module.build>)(
      reports,
      parsed.data,
    );
  } finally {
    finish();
  }
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
  const summary = explain ? await (await context.summarizer()).summarize(report, module.headline) : null;
  if (format === 'json') {
    context.io.stdout(renderReportJson(report, summary === null ? {} : { summary }));
    return;
  }
  const body = format === 'md' ? renderReportMarkdown(report) : renderReportText(report);
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
  checkDateFlags(range);
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    throw new TapewatchError('bad_input', `--from ${range.from} is after --to ${range.to}.`);
  }
  const { reports, finish } = reportContext(context);
  const to = range.to !== undefined && range.to < context.endDate ? range.to : context.endDate;
  let series;
  try {
    // A long lookback (12-month ranking, a year of z-score history) must warm up before --from.
    const historyFrom = range.from === undefined ? undefined : addDays(range.from, -SERIES_WARM_UP_DAYS);
    series = await computeSeries(
      { ...reports, endDate: to, ...(historyFrom === undefined ? {} : { historyFrom }) },
      name,
      context.options.universe ?? 'sp500',
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
