import type { z } from 'zod';
import { REPORT_MODULES } from '../../commands/index.ts';
import { describeError, TapewatchError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { AsOfMarketData, resolveAsOf } from '../market/as-of.ts';
import { exchangeDateOf } from '../market/calendar.ts';
import type { MarketData } from '../market/types.ts';
import type { PanelCache, ReportContext } from '../report/context.ts';
import { REPORT_COMMANDS, type Report, type ReportCommand } from '../report/types.ts';
import { resolveUniverse, type UniverseContext } from '../universes/index.ts';
import { OPTION_NAMES, type BotReport } from './definitions.ts';
import { chartSpec, renderChartPng, renderDashboardPng } from '../render/chart.ts';
import {
  renderBriefMessage,
  renderReportMessage,
  withChart,
  type RenderedMessage,
} from '../render/discord.ts';

/** A validated request: options parsed by the report's own schema, the as-of day resolved. */
export interface ReportRequest {
  readonly report: BotReport;
  readonly options: Readonly<Record<string, unknown>>;
  readonly asOf: string | null;
}

function optionsError(error: z.ZodError): TapewatchError {
  const issue = error.issues[0];
  const key = String(issue?.path[0] ?? '');
  const name = OPTION_NAMES[key] ?? key;
  return new TapewatchError('bad_input', `Option \`${name}\`: ${issue?.message ?? 'invalid value'}.`);
}

function parseWith(command: ReportCommand, raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const parsed = REPORT_MODULES[command].options.safeParse(raw);
  if (!parsed.success) throw optionsError(parsed.error);
  return parsed.data;
}

export interface ReportRunnerDeps {
  readonly marketData: MarketData;
  readonly homeDir: string;
  readonly now: () => Date;
  readonly panels: PanelCache;
  readonly logger: Logger;
}

type Progress = (done: number, total: number) => void;
const noop = (): void => undefined;

/** The reply, and the reports it was made from (for summaries). */
export interface ReportAnswer {
  readonly message: RenderedMessage;
  readonly reports: readonly Report[];
}

interface Flight {
  readonly promise: Promise<ReportAnswer>;
  readonly listeners: Set<Progress>;
}

/**
 * Runs reports for every bot surface (slash commands, buttons, DMs, schedules) through the same report
 * code as the CLI. Identical requests arriving together share one computation and its progress.
 */
export class ReportRunner {
  readonly #deps: ReportRunnerDeps;
  readonly #flights = new Map<string, Flight>();

  constructor(deps: ReportRunnerDeps) {
    this.#deps = deps;
  }

  /** Checks a request before anything is computed, so bad input is answered at once. */
  validate(report: BotReport, raw: Readonly<Record<string, unknown>>, asOf: string | null): ReportRequest {
    const input = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== null));
    if (asOf !== null) resolveAsOf(asOf, this.today(), 'Option `as-of`');
    // Resolving the universe now answers a bad one before anything is deferred or computed.
    if (typeof input.universe === 'string') resolveUniverse(input.universe, this.#universes);
    if (report === 'market') {
      const universe = input.universe;
      for (const command of REPORT_COMMANDS) parseWith(command, command === 'rotation' ? {} : { universe });
      return { report, options: universe === undefined ? {} : { universe }, asOf };
    }
    return { report, options: parseWith(report, input), asOf };
  }

  /** Discord users name universes and symbols, never files: the bot's files are not theirs to read. */
  get #universes(): UniverseContext {
    return { homeDir: this.#deps.homeDir, cwd: this.#deps.homeDir, allowFiles: false };
  }

  today(): string {
    return exchangeDateOf(this.#deps.now());
  }

  /**
   * The reply for a validated request; shares the computation with an identical one in progress. A new
   * computation waits for `acknowledged` (the Discord deferral) to settle: report code can hold the
   * CPU for a while, and Discord's 3-second acknowledgement must not wait behind it.
   */
  run(request: ReportRequest, onProgress?: Progress, acknowledged?: Promise<unknown>): Promise<ReportAnswer> {
    const endDate = request.asOf === null ? this.today() : resolveAsOf(request.asOf, this.today()).date;
    const key = JSON.stringify([request.report, request.options, endDate]);
    let flight = this.#flights.get(key);
    if (!flight) {
      const listeners = new Set<Progress>();
      const start = acknowledged ? acknowledged.then(noop, noop) : Promise.resolve();
      const promise = start
        .then(() =>
          this.#compute(request, endDate, (done, total) => {
            for (const listener of listeners) listener(done, total);
          }),
        )
        .finally(() => this.#flights.delete(key));
      flight = { promise, listeners };
      this.#flights.set(key, flight);
    } else {
      this.#deps.logger.debug({ report: request.report }, 'joined an identical request in progress');
    }
    if (onProgress) flight.listeners.add(onProgress);
    return flight.promise;
  }

  /** How many distinct computations are running now. */
  get inFlight(): number {
    return this.#flights.size;
  }

  async #compute(request: ReportRequest, endDate: string, onProgress: Progress): Promise<ReportAnswer> {
    const marketData =
      request.asOf === null ? this.#deps.marketData : new AsOfMarketData(this.#deps.marketData, endDate);
    const context: ReportContext = {
      marketData,
      endDate,
      universes: this.#universes,
      panels: this.#deps.panels,
      onProgress,
    };
    const build = (command: ReportCommand, options: Readonly<Record<string, unknown>>): Promise<Report> =>
      (REPORT_MODULES[command].build as (c: ReportContext, o: unknown) => Promise<Report>)(
        context,
        parseWith(command, options),
      );
    if (request.report === 'market') {
      const reports = await Promise.all(
        REPORT_COMMANDS.map((command) => build(command, command === 'rotation' ? {} : request.options)),
      );
      const message = renderBriefMessage(
        reports.map((report) => ({ report, headline: REPORT_MODULES[report.command].headline })),
      );
      return {
        message: await this.#withChart(message, `market-${endDate}.png`, () => renderDashboardPng(reports)),
        reports,
      };
    }
    const report = await build(request.report, request.options);
    const message = renderReportMessage(report, REPORT_MODULES[request.report].headline);
    return {
      message: await this.#withChart(message, `${report.command}-${report.asOf}.png`, () =>
        renderChartPng(chartSpec(report)),
      ),
      reports: [report],
    };
  }

  /** A chart makes the answer better but is not the answer: if drawing fails, the answer goes without it. */
  async #withChart(
    message: RenderedMessage,
    name: string,
    draw: () => Promise<Buffer>,
  ): Promise<RenderedMessage> {
    try {
      return withChart(message, { name, png: await draw() });
    } catch (error) {
      this.#deps.logger.warn({ err: describeError(error), chart: name }, 'chart could not be drawn');
      return message;
    }
  }
}
