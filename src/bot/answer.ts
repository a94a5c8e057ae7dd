import {
  BRIEF,
  buildReports,
  REPORTS,
  type PreparedRequest,
  type ReportServices,
} from '../../commands/index.ts';
import { describeError } from '../errors.ts';
import type { IsoDate } from '../market/types.ts';
import type { RequestPolicy } from '../reports/module.ts';
import type { Report } from '../reports/types.ts';
import { chartSpec, renderChartPng, renderDashboardPng } from '../render/chart.ts';
import {
  renderBriefMessage,
  renderReportMessage,
  withChart,
  type RenderedMessage,
} from '../render/discord.ts';

/** The reply, and the reports it was made from (for summaries). */
export interface ReportAnswer {
  readonly message: RenderedMessage;
  readonly reports: readonly Report[];
}

export interface ComputedAnswer {
  readonly answer: ReportAnswer;
  /** What went wrong without spoiling the answer (a chart that could not be drawn), for the log. */
  readonly warnings: readonly string[];
}

/**
 * How the bot reads a request, on the main thread that checks it and in the worker that computes it.
 * Discord users name universes and symbols, never files: the bot's files are not theirs to read.
 */
export function botRequestPolicy(today: IsoDate, homeDir: string): RequestPolicy {
  return {
    today,
    universes: { homeDir, cwd: homeDir, allowFiles: false },
    optionLabel: (option) => `Option \`${option}\``,
  };
}

/** Builds the reports of a request and renders the message with its chart: the work of a report worker. */
export async function computeAnswer(
  request: PreparedRequest,
  services: ReportServices,
): Promise<ComputedAnswer> {
  const { reports, omitted } = await buildReports(request, services);
  const warnings: string[] = [];
  /** A chart makes the answer better but is not the answer: if drawing fails, the answer goes without it. */
  const charted = async (message: RenderedMessage, name: string, draw: () => Promise<Buffer>) => {
    try {
      return withChart(message, { name, png: await draw() });
    } catch (error) {
      warnings.push(`chart ${name} could not be drawn: ${describeError(error)}`);
      return message;
    }
  };
  const [single] = reports;
  if (request.name === BRIEF.name || single === undefined) {
    const message = renderBriefMessage(
      reports.map((report) => ({ report, headline: REPORTS[report.command].headline })),
      omitted,
    );
    return {
      answer: {
        message: await charted(message, `market-${request.endDate}.png`, () => renderDashboardPng(reports)),
        reports,
      },
      warnings,
    };
  }
  const message = renderReportMessage(single, REPORTS[single.command].headline);
  return {
    answer: {
      message: await charted(message, `${single.command}-${single.asOf}.png`, () =>
        renderChartPng(chartSpec(single)),
      ),
      reports,
    },
    warnings,
  };
}
