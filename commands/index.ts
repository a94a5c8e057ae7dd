import { TapewatchError, type ErrorCode } from '../src/errors.ts';
import { AsOfMarketData, resolveAsOf } from '../src/market/as-of.ts';
import type { IsoDate } from '../src/market/types.ts';
import type { ReportContext } from '../src/reports/context.ts';
import {
  defineReport,
  givenOptions,
  optionsError,
  type PreparedReport,
  type ReportModule,
  type RequestPolicy,
} from '../src/reports/module.ts';
import { optionsSchema, universeOption, type OptionTable } from '../src/reports/options.ts';
import { BRIEF_COMMANDS, REPORT_COMMANDS, type Report, type ReportCommand } from '../src/reports/types.ts';
import { resolveUniverse } from '../src/universes/index.ts';
import { breadthOptions, breadthOptionsSchema, buildBreadthReport, EQUAL_WEIGHT_ETF } from './breadth.ts';
import {
  buildMomentumReport,
  checkMomentumUniverse,
  momentumOptions,
  momentumOptionsSchema,
} from './momentum.ts';
import { buildChartReport, CHART_HEADLINE, chartOptions, chartOptionsSchema } from './chart.ts';
import {
  buildQuoteReport,
  checkQuoteUniverse,
  QUOTE_HEADLINE,
  quoteOptions,
  quoteOptionsSchema,
} from './quote.ts';
import { buildRotationReport, rotationOptions, rotationOptionsSchema, rotationSymbols } from './rotation.ts';

/** Every report, by name: a new report is one module in this folder and one line here. */
export const REPORTS: Readonly<Record<ReportCommand, ReportModule>> = {
  momentum: defineReport({
    name: 'momentum',
    description: 'the long-short momentum factor: returns, crashes and what followed them, legs and crowding',
    options: momentumOptions,
    schema: momentumOptionsSchema,
    headline: [
      'ls_return_1d',
      'ls_return_1d_z',
      'ls_return_5d',
      'ls_return_21d',
      'ls_return_ytd',
      'ls_drawdown',
      'long_leg_return_1d',
      'short_leg_return_1d',
      'long_leg_crowding_63d',
    ],
    build: buildMomentumReport,
    check: checkMomentumUniverse,
  }),
  breadth: defineReport({
    name: 'breadth',
    description:
      'participation under the index: moving averages, advance-decline, highs and lows, concentration',
    options: breadthOptions,
    schema: breadthOptionsSchema,
    headline: [
      'pct_above_50d',
      'pct_above_200d',
      'net_advances',
      'pct_outperforming_index_1d',
      'mcclellan',
      'new_highs',
      'new_lows',
      'equal_vs_cap_ytd',
      'top_weight',
    ],
    build: buildBreadthReport,
  }),
  rotation: defineReport({
    name: 'rotation',
    description: 'sector rotation graph, size and style pairs, and rare one-day splits',
    options: rotationOptions,
    schema: rotationOptionsSchema,
    headline: [
      'iwm_spy_1d',
      'iwm_spy_21d',
      'iwm_qqq_21d',
      'rsp_spy_21d',
      'iwd_iwf_21d',
      'cyclicals_defensives_21d',
      'sectors_leading',
      'sectors_improving',
      'sectors_lagging',
    ],
    build: buildRotationReport,
  }),
  quote: defineReport({
    name: 'quote',
    description: 'quotes with context: day, 52-week range, 50/200-day averages, volume against usual',
    options: quoteOptions,
    schema: quoteOptionsSchema,
    headline: QUOTE_HEADLINE,
    build: buildQuoteReport,
    check: checkQuoteUniverse,
    loneSymbol: true,
  }),
  chart: defineReport({
    name: 'chart',
    description: 'a price chart with 50/200-day averages, volume and strength against SPY',
    options: chartOptions,
    schema: chartOptionsSchema,
    headline: CHART_HEADLINE,
    build: buildChartReport,
  }),
};

/**
 * The symbols the reports load with their default options, whatever the universe: the rotation ETFs,
 * the index and the equal-weight fund. The bot keeps these warm first, as every brief needs them.
 */
export function defaultReportSymbols(): string[] {
  const rotation = rotationOptionsSchema.parse({});
  const breadth = breadthOptionsSchema.parse({});
  return [...new Set([...rotationSymbols(rotation.benchmark), breadth.index, EQUAL_WEIGHT_ETF])];
}

/** The brief: the three market reports at once, momentum and breadth on one universe. */
export const BRIEF = {
  name: 'market',
  description: 'a one-screen brief: momentum, breadth and rotation together',
  options: { universe: universeOption },
} as const satisfies { name: string; description: string; options: OptionTable };
const briefSchema = optionsSchema(BRIEF.options);

/** What a user can ask for on any surface: one report, or the brief. */
export const REQUEST_NAMES = [...REPORT_COMMANDS, BRIEF.name] as const;
export type RequestName = (typeof REQUEST_NAMES)[number];

export function isRequestName(name: string): name is RequestName {
  return (REQUEST_NAMES as readonly string[]).includes(name);
}

/** The declaration behind a request name: its description and option table. */
export function declarationOf(name: RequestName): {
  readonly description: string;
  readonly options: OptionTable;
} {
  return name === BRIEF.name ? BRIEF : REPORTS[name];
}

/** A report the brief could not include, and why, in words for the user. */
export interface Omission {
  readonly command: ReportCommand;
  readonly reason: string;
}

/**
 * The data cannot answer one report of the brief (too few members, no data for a symbol it needs): the
 * brief leaves that report out and says why. Anything else (bad input, the source or the store failing)
 * fails the whole request as usual.
 */
const OMITTABLE: ReadonlySet<ErrorCode> = new Set(['not_enough_data', 'no_data', 'unknown_symbol']);

function omissionOf(command: ReportCommand, error: unknown): Omission {
  if (error instanceof TapewatchError && OMITTABLE.has(error.code)) return { command, reason: error.message };
  throw error;
}

/** A request checked once, ready to build: options parsed, universe and as-of day resolved. */
export interface PreparedRequest {
  readonly name: RequestName;
  /** The options as the user gave them (defaults left out): what a button or schedule stores to ask again. */
  readonly input: Readonly<Record<string, unknown>>;
  /** The as-of day as asked, or null for the latest close. */
  readonly asOf: string | null;
  /** The exchange day the request was made on, against which the as-of day was checked. */
  readonly today: IsoDate;
  /** The last session the reports may use. */
  readonly endDate: IsoDate;
  /** Set when the as-of day was not a session and the previous one is used. */
  readonly asOfNote: string | null;
  readonly reports: readonly PreparedReport[];
  /** Reports of the brief left out, each with the reason a user reads (too few members for momentum). */
  readonly omitted: readonly Omission[];
  /** Equal for requests that produce the same reports, so they can share one computation. */
  readonly key: string;
}

/**
 * The one way every surface (CLI, slash commands, buttons, DMs, /ask, schedules) turns what a user asked
 * into a request: bad options, an unknown universe or a bad as-of day are refused here, before anything
 * is loaded or computed.
 */
export function prepare(
  name: RequestName,
  raw: Readonly<Record<string, unknown>>,
  asOf: string | null,
  policy: RequestPolicy,
): PreparedRequest {
  const resolved = asOf === null ? null : resolveAsOf(asOf, policy.today, policy.optionLabel('as-of'));
  const input = givenOptions(raw);
  const reports: PreparedReport[] = [];
  const omitted: Omission[] = [];
  if (name === BRIEF.name) {
    const parsed = briefSchema.safeParse(input);
    if (!parsed.success) throw optionsError(parsed.error, BRIEF.options, policy);
    const given = input.universe === undefined ? {} : { universe: parsed.data.universe };
    const universe = resolveUniverse(parsed.data.universe, policy.universes);
    // The brief shows what it can: a universe too small for momentum still has breadth and rotation.
    for (const command of BRIEF_COMMANDS) {
      try {
        reports.push(
          'universe' in REPORTS[command].options
            ? REPORTS[command].prepare(given, policy, universe)
            : REPORTS[command].prepare({}, policy),
        );
      } catch (error) {
        omitted.push(omissionOf(command, error));
      }
    }
  } else {
    reports.push(REPORTS[name].prepare(input, policy));
  }
  const endDate = resolved?.date ?? policy.today;
  return {
    name,
    input,
    asOf,
    today: policy.today,
    endDate,
    asOfNote: resolved?.note ?? null,
    reports,
    omitted,
    key: JSON.stringify([name, reports.map((r) => r.options), endDate]),
  };
}

/** The services a build uses; the request itself says up to which day. */
export type ReportServices = Omit<ReportContext, 'endDate'>;

export interface BuiltReports {
  readonly reports: readonly Report[];
  /** The brief's reports left out, when preparing or building them, with the reason. */
  readonly omitted: readonly Omission[];
}

/**
 * Builds the reports of a prepared request; an as-of request sees no bar after its day. A lone report
 * fails as it fails; the brief leaves out a report the data cannot answer and says why, and fails only
 * when it has nothing left to show.
 */
export async function buildReports(
  prepared: PreparedRequest,
  services: ReportServices,
): Promise<BuiltReports> {
  const context: ReportContext = {
    ...services,
    marketData:
      prepared.asOf === null
        ? services.marketData
        : new AsOfMarketData(services.marketData, prepared.endDate),
    endDate: prepared.endDate,
    // A day's close is what an as-of request asks for, never the quotes of a session under way.
    session: prepared.asOf === null ? (services.session ?? null) : null,
  };
  if (prepared.name !== BRIEF.name) {
    return {
      reports: await Promise.all(prepared.reports.map((report) => report.build(context))),
      omitted: [],
    };
  }
  const settled = await Promise.allSettled(prepared.reports.map((report) => report.build(context)));
  const reports: Report[] = [];
  const omitted = [...prepared.omitted];
  settled.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') reports.push(outcome.value);
    else omitted.push(omissionOf(prepared.reports[i]?.command ?? 'momentum', outcome.reason));
  });
  if (reports.length === 0) {
    throw new TapewatchError(
      'not_enough_data',
      `Nothing in the brief could be computed: ${omitted.map((o) => o.reason).join(' ')}`,
    );
  }
  return { reports, omitted };
}
