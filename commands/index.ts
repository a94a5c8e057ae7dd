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
import { REPORT_COMMANDS, type Report, type ReportCommand } from '../src/reports/types.ts';
import { resolveUniverse } from '../src/universes/index.ts';
import { breadthOptions, breadthOptionsSchema, buildBreadthReport } from './breadth.ts';
import { buildMomentumReport, momentumOptions, momentumOptionsSchema } from './momentum.ts';
import { buildRotationReport, rotationOptions, rotationOptionsSchema } from './rotation.ts';

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
};

/** The brief: the three reports at once, momentum and breadth on one universe. */
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

/** A request checked once, ready to build: options parsed, universe and as-of day resolved. */
export interface PreparedRequest {
  readonly name: RequestName;
  /** The options as the user gave them (defaults left out): what a button or schedule stores to ask again. */
  readonly input: Readonly<Record<string, unknown>>;
  /** The as-of day as asked, or null for the latest close. */
  readonly asOf: string | null;
  /** The last session the reports may use. */
  readonly endDate: IsoDate;
  /** Set when the as-of day was not a session and the previous one is used. */
  readonly asOfNote: string | null;
  readonly reports: readonly PreparedReport[];
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
  let reports: PreparedReport[];
  if (name === BRIEF.name) {
    const parsed = briefSchema.safeParse(input);
    if (!parsed.success) throw optionsError(parsed.error, BRIEF.options, policy);
    const given = input.universe === undefined ? {} : { universe: parsed.data.universe };
    const universe = resolveUniverse(parsed.data.universe, policy.universes);
    reports = REPORT_COMMANDS.map((command) =>
      'universe' in REPORTS[command].options
        ? REPORTS[command].prepare(given, policy, universe)
        : REPORTS[command].prepare({}, policy),
    );
  } else {
    reports = [REPORTS[name].prepare(input, policy)];
  }
  const endDate = resolved?.date ?? policy.today;
  return {
    name,
    input,
    asOf,
    endDate,
    asOfNote: resolved?.note ?? null,
    reports,
    key: JSON.stringify([name, reports.map((r) => r.options), endDate]),
  };
}

/** The services a build uses; the request itself says up to which day. */
export type ReportServices = Omit<ReportContext, 'endDate'>;

/** Builds the reports of a prepared request; an as-of request sees no bar after its day. */
export function buildReports(prepared: PreparedRequest, services: ReportServices): Promise<Report[]> {
  const context: ReportContext = {
    ...services,
    marketData:
      prepared.asOf === null
        ? services.marketData
        : new AsOfMarketData(services.marketData, prepared.endDate),
    endDate: prepared.endDate,
  };
  return Promise.all(prepared.reports.map((report) => report.build(context)));
}
