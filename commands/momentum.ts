import type { z } from 'zod';
import { TapewatchError } from '../src/errors.ts';
import {
  averagePairwiseCorrelation,
  computeMomentumFactor,
  MIN_RANKED,
  returnZScores,
  type Formation,
  type MomentumFactor,
} from '../src/indicators/momentum.ts';
import { yearStartBase, type Panel } from '../src/indicators/panel.ts';
import { compound, cumulativeGrowth, drawdown } from '../src/indicators/rolling.ts';
import {
  describeForward,
  findEpisodes,
  forwardStats,
  forwardStudy,
  severityOf,
} from '../src/reports/events.ts';
import {
  derivedFrom,
  describeMissing,
  loadPanel,
  requireSessions,
  type ReportContext,
} from '../src/reports/context.ts';
import {
  coverageNote,
  lastCoveredSession,
  seriesStart,
  seriesTail,
  survivorshipNote,
  trailingReturn,
} from '../src/reports/build.ts';
import { formatPercent } from '../src/reports/format.ts';
import {
  finite,
  type MetricInfo,
  type Report,
  type ReportEvent,
  type ReportTable,
} from '../src/reports/types.ts';
import {
  booleanOption,
  integerOption,
  numberOption,
  optionsSchema,
  universeOption,
  type OptionTable,
} from '../src/reports/options.ts';
import type { Universe } from '../src/universes/index.ts';

const SESSIONS_PER_MONTH = 21;

/** The options of the momentum report, declared once for the CLI, Discord, the LLM tools and validation. */
export const momentumOptions = {
  universe: universeOption,
  /** Ranking window in months back from the formation day (12 in the classic 12-1 factor). */
  lookbackMonths: integerOption({
    name: 'lookback',
    placeholder: 'months',
    help: 'ranking window in months; the classic factor is 12-1',
    min: 2,
    max: 24,
    default: 12,
  }),
  /** Most recent months left out of the ranking (1 in 12-1). */
  skipMonths: integerOption({
    name: 'skip',
    placeholder: 'months',
    help: 'most recent months left out of the ranking',
    min: 0,
    max: 3,
    default: 1,
  }),
  quantile: numberOption({
    name: 'quantile',
    placeholder: 'fraction',
    help: 'share of the ranked stocks in each leg, 0.2 for quintiles',
    min: 0.05,
    max: 0.5,
    default: 0.2,
  }),
  sectorNeutral: booleanOption({ name: 'sector-neutral', help: 'rank within GICS sectors' }),
  /** Annualized volatility target for volatility scaling (0.12 is 12%); null leaves the factor unscaled. */
  volTarget: numberOption({
    name: 'vol-target',
    placeholder: 'fraction',
    help: 'scale the factor to this annual volatility, e.g. 0.12',
    min: 0.01,
    max: 1,
    default: null,
  }),
  /** |z| at or beyond which a day is a crash or spike. */
  eventSigma: numberOption({
    name: 'event-sigma',
    placeholder: 'sigma',
    help: 'a day beyond this many standard deviations is a crash or spike',
    min: 1,
    max: 10,
    default: 3,
  }),
  rows: integerOption({
    name: 'rows',
    placeholder: 'n',
    help: 'stocks listed for each leg, strongest first',
    min: 1,
    max: 50,
    default: 10,
  }),
} as const satisfies OptionTable;

export const momentumOptionsSchema = optionsSchema(momentumOptions).refine(
  (o) => o.skipMonths < o.lookbackMonths,
  { message: 'skipMonths must be smaller than lookbackMonths', path: ['skipMonths'] },
);
export type MomentumOptions = z.infer<typeof momentumOptionsSchema>;

/** A universe too small to sort into legs is refused before anything loads. */
export function checkMomentumUniverse(_options: MomentumOptions, universe: Universe): void {
  if (universe.symbols.length >= MIN_RANKED) return;
  throw new TapewatchError(
    'not_enough_data',
    `Universe "${universe.name}" has ${universe.symbols.length} members; the momentum factor needs at least ${MIN_RANKED} to sort into legs.`,
  );
}

/** ETFs that track momentum, compared with SPY when the source has them. */
const MOMENTUM_ETFS = ['MTUM', 'SPMO'] as const;
const BENCHMARK = 'SPY';
const CROWDING_WINDOW = 63;

export interface MomentumAnalysis {
  readonly universe: Universe;
  readonly panel: Panel;
  readonly missing: readonly { symbol: string; reason: string }[];
  readonly loadNotes: readonly string[];
  readonly factor: MomentumFactor;
  readonly zScores: Float64Array;
  readonly options: MomentumOptions;
}

export async function analyzeMomentum(
  context: ReportContext,
  options: MomentumOptions,
  universe: Universe,
): Promise<MomentumAnalysis> {
  const { panel, missing, notes } = await loadPanel(context, universe.symbols);
  if (panel.symbols.length < MIN_RANKED) {
    throw new TapewatchError(
      'not_enough_data',
      `Universe "${universe.name}" has ${panel.symbols.length} members with data; the momentum factor needs at least ${MIN_RANKED} to sort into legs.`,
    );
  }
  const lookback = options.lookbackMonths * SESSIONS_PER_MONTH;
  requireSessions(panel, lookback + SESSIONS_PER_MONTH, `A ${options.lookbackMonths}-month momentum ranking`);
  const settings = {
    lookback,
    skip: options.skipMonths * SESSIONS_PER_MONTH,
    quantile: options.quantile,
    sectorNeutral: options.sectorNeutral,
    sectors: panel.symbols.map((s) => universe.sectors.get(s) ?? null),
    volTarget: options.volTarget,
  };
  const factorKey = JSON.stringify({ ...settings, sectors: settings.sectorNeutral ? settings.sectors : [] });
  const factor = derivedFrom(panel, `momentum:${factorKey}`, () =>
    computeMomentumFactor(panel.dates, panel.adjClose, settings),
  );
  if (factor.formations.length === 0) {
    throw new TapewatchError(
      'not_enough_data',
      `No month-end in the data has ${lookback} sessions of history before it for at least ${MIN_RANKED} members, so there is no momentum portfolio yet.`,
    );
  }
  return {
    universe,
    panel,
    missing,
    loadNotes: notes,
    factor,
    zScores: derivedFrom(panel, `zscores:${factorKey}`, () => returnZScores(factor.longShort)),
    options,
  };
}

export const MOMENTUM_METRICS = {
  ls_return_1d: { label: 'Long-short return, 1 day', unit: 'fraction' },
  ls_return_5d: { label: 'Long-short return, 5 days', unit: 'fraction' },
  ls_return_21d: { label: 'Long-short return, 21 days', unit: 'fraction' },
  ls_return_ytd: { label: 'Long-short return, year to date', unit: 'fraction' },
  ls_return_1d_z: { label: 'Day’s move in 252-day standard deviations', unit: 'sigma' },
  ls_drawdown: { label: 'Drawdown from the factor’s peak', unit: 'fraction' },
  long_leg_return_1d: { label: 'Long leg (winners), 1 day', unit: 'fraction' },
  short_leg_return_1d: { label: 'Short leg (losers), 1 day', unit: 'fraction' },
  long_leg_crowding_63d: {
    label: 'Crowding: average pairwise 63-day correlation of the long leg',
    unit: 'correlation',
  },
  long_leg_size: { label: 'Stocks in the long leg', unit: 'count' },
  short_leg_size: { label: 'Stocks in the short leg', unit: 'count' },
  mtum_vs_spy_1d: { label: 'MTUM minus SPY, 1 day', unit: 'fraction' },
  mtum_vs_spy_21d: { label: 'MTUM minus SPY, 21 days', unit: 'fraction' },
  mtum_vs_spy_ytd: { label: 'MTUM minus SPY, year to date', unit: 'fraction' },
  spmo_vs_spy_1d: { label: 'SPMO minus SPY, 1 day', unit: 'fraction' },
  spmo_vs_spy_21d: { label: 'SPMO minus SPY, 21 days', unit: 'fraction' },
  spmo_vs_spy_ytd: { label: 'SPMO minus SPY, year to date', unit: 'fraction' },
} as const satisfies Record<string, MetricInfo>;
type MomentumMetric = keyof typeof MOMENTUM_METRICS;

export async function buildMomentumReport(
  context: ReportContext,
  options: MomentumOptions,
  universe: Universe,
): Promise<Report> {
  const analysis = await analyzeMomentum(context, options, universe);
  const { panel, factor, zScores } = analysis;
  const last = lastCoveredSession(
    panel,
    panel.symbols.map((_, i) => i),
  );
  const asOf = panel.dates[last] ?? context.endDate;
  const formation = heldFormation(factor, last);
  const ls = factor.longShort;
  const base = yearStartBase(panel.dates, last);
  const metrics: Record<MomentumMetric, number | null> = {
    ls_return_1d: finite(ls[last]),
    ls_return_5d: finite(compound(ls, last - 4, last)),
    ls_return_21d: finite(compound(ls, last - 20, last)),
    ls_return_ytd: base < 0 ? null : finite(compound(ls, base + 1, last)),
    ls_return_1d_z: finite(zScores[last]),
    ls_drawdown: finite(drawdown(cumulativeGrowth(ls))[last]),
    long_leg_return_1d: finite(factor.long[last]),
    short_leg_return_1d: finite(factor.short[last]),
    long_leg_crowding_63d: finite(
      averagePairwiseCorrelation(
        formation.long.map((s) => factor.returnsOf(s)),
        last - CROWDING_WINDOW + 1,
        last,
      ),
    ),
    long_leg_size: formation.long.length,
    short_leg_size: formation.short.length,
    mtum_vs_spy_1d: null,
    mtum_vs_spy_21d: null,
    mtum_vs_spy_ytd: null,
    spmo_vs_spy_1d: null,
    spmo_vs_spy_21d: null,
    spmo_vs_spy_ytd: null,
  };
  const notes: string[] = [...analysis.loadNotes];
  const fallback = coverageNote(panel, last);
  if (fallback) notes.push(fallback);
  const { table: etfTable, index } = await etfCrossCheck(context, asOf, metrics, notes, panel.dates);

  const events = momentumEvents(analysis, last, index);
  const missingNote = describeMissing(analysis.missing, universe.symbols.length);
  if (missingNote) notes.push(missingNote);
  notes.push(
    `Legs formed at the close of ${formation.date} from ${options.lookbackMonths}-${options.skipMonths} month returns ` +
      `(${formation.long.length} long, ${formation.short.length} short, equal weight, held to the next month-end).`,
  );
  const newest = factor.formations.at(-1);
  if (newest !== undefined && newest.at === last && newest !== formation) {
    notes.push(
      `New legs were formed at today's close (${newest.long.length} long, ${newest.short.length} short); they are held from the next session, so today's figures and tables are the legs above.`,
    );
  }
  if (options.volTarget !== null) {
    notes.push(
      `Volatility-scaled to ${(options.volTarget * 100).toFixed(0)}% a year: leverage ${formation.leverage.toFixed(2)} this month (capped at 2).`,
    );
  }
  if (options.sectorNeutral) {
    const unknown = panel.symbols.filter((s) => !universe.sectors.has(s)).length;
    notes.push(
      `Sector-neutral: stocks ranked within their GICS sector${unknown > 0 ? `; ${unknown} without a known sector ranked together` : ''}.`,
    );
  }
  const survivorship = survivorshipNote(universe);
  if (survivorship) notes.push(survivorship);

  const from = seriesStart(last);
  const dates = panel.dates.slice(0, last + 1);
  const growth = cumulativeGrowth(ls);
  return {
    command: 'momentum',
    title: `Momentum factor (${universe.name}, ${options.lookbackMonths}-${options.skipMonths} months)`,
    asOf,
    source: { name: context.marketData.source, label: context.marketData.label },
    universe: {
      name: universe.name,
      description: universe.description,
      size: universe.symbols.length,
      covered: panel.symbols.length,
      missing: analysis.missing,
    },
    options: { ...options },
    metrics,
    metricInfo: MOMENTUM_METRICS,
    tables: [...legTables(analysis, last), ...(etfTable ? [etfTable] : [])],
    series: [
      seriesTail('momentum.long_short', 'Long-short daily return', 'fraction', dates, ls, from),
      seriesTail('momentum.cumulative', 'Long-short growth of 1', 'number', dates, growth, from),
      seriesTail('momentum.drawdown', 'Long-short drawdown', 'fraction', dates, drawdown(growth), from),
      seriesTail(
        'momentum.z',
        'Long-short daily return in standard deviations',
        'sigma',
        dates,
        zScores,
        from,
      ),
      seriesTail('momentum.long_leg', 'Long leg daily return', 'fraction', dates, factor.long, from),
      seriesTail('momentum.short_leg', 'Short leg daily return', 'fraction', dates, factor.short, from),
    ],
    events,
    notes,
  };
}

/** Days of a crash or spike closer than this to the previous one belong to its episode (an aftershock). */
export const MOMENTUM_EPISODE_GAP = 5;

/**
 * A crash or spike (|z| at or beyond the threshold) with its history: how many sessions had a return
 * at least this extreme, the earlier episodes of as large a move (never the running one), and what the
 * factor and the index did after them against any day.
 */
function momentumEvents(analysis: MomentumAnalysis, last: number, index: Float64Array): ReportEvent[] {
  const { factor, zScores, panel, options } = analysis;
  const z = zScores[last] ?? Number.NaN;
  const today = factor.longShort[last] ?? Number.NaN;
  if (!(Math.abs(z) >= options.eventSigma)) return [];
  const sign = Math.sign(z);
  const flags = new Uint8Array(last + 1);
  for (let t = 0; t <= last; t++) if (sign * (zScores[t] ?? Number.NaN) >= options.eventSigma) flags[t] = 1;
  const judged = (t: number) => !Number.isNaN(zScores[t] ?? Number.NaN);
  const episodes = findEpisodes(flags, judged, MOMENTUM_EPISODE_GAP, last);
  // Rarity of the day itself, in returns: how many sessions (today's included) did as badly or as well.
  let asFar = 0;
  for (let t = 0; t <= last; t++) {
    if (judged(t) && sign * (factor.longShort[t] ?? Number.NaN) >= sign * today) asFar++;
  }
  const since = panel.dates[episodes.firstJudged] ?? '';
  const growth = cumulativeGrowth(factor.longShort);
  const factorStudy = forwardStudy(growth, episodes.earlier, episodes.firstJudged, last);
  const indexStudy = forwardStudy(index, episodes.earlier, episodes.firstJudged, last);
  const kind = sign < 0 ? 'crash' : 'spike';
  const worse = sign < 0 ? 'as low' : 'as high';
  const indexText = Number.isNaN(indexStudy.baseline[21].median)
    ? ''
    : ` ${describeForward(BENCHMARK, indexStudy, episodes.earlier.length, since, true)}`;
  return [
    {
      id: `momentum_${kind}`,
      severity: severityOf(asFar, episodes.judgedDays),
      date: panel.dates[last] ?? '',
      title: `Momentum ${kind}: ${formatPercent(today)} in a day (${z.toFixed(1)}σ)`,
      detail:
        `${asFar - 1} of the ${(episodes.judgedDays - 1).toLocaleString('en-US')} earlier sessions since ${since} had a long-short return ${worse} as today's ${formatPercent(today)}. ` +
        `Moves of ${options.eventSigma}σ or more ${sign < 0 ? 'down' : 'up'} (in z-scores against the past year) came in ` +
        `${episodes.earlier.length} earlier episode${episodes.earlier.length === 1 ? '' : 's'}. ` +
        describeForward('the factor', factorStudy, episodes.earlier.length, since) +
        indexText,
      earlierDates: episodes.earlier.map((t) => panel.dates[t] ?? ''),
      stats: {
        z: finite(z),
        return_1d: finite(today),
        earlier_episodes: episodes.earlier.length,
        days_as_extreme: asFar - 1,
        days_in_history: episodes.judgedDays - 1,
        days_flagged: episodes.flaggedDays,
        ...forwardStats(factorStudy, 'factor_'),
        ...forwardStats(indexStudy),
      },
    },
  ];
}

/**
 * The legs held on session `day`: formed at an earlier month-end close. On a month-end the legs formed
 * that evening are held only from the next session, so the day's returns, the tables and "since
 * formation" all belong to the legs formed a month before; the first formation stands for days before it.
 */
function heldFormation(factor: MomentumAnalysis['factor'], day: number): Formation {
  const held = factor.formations.findLast((f) => f.at < day) ?? factor.formations[0];
  if (held === undefined) throw new Error('analyzeMomentum returns at least one formation');
  return held;
}

function legTables(analysis: MomentumAnalysis, last: number): ReportTable[] {
  const { factor, panel, universe } = analysis;
  const formation = heldFormation(factor, last);
  const columns = [
    { key: 'symbol', label: 'Symbol', unit: 'text' },
    { key: 'sector', label: 'Sector', unit: 'text' },
    { key: 'ranking_return', label: 'Ranking return', unit: 'fraction' },
    { key: 'since_formation', label: 'Since formation', unit: 'fraction' },
    { key: 'return_1d', label: '1 day', unit: 'fraction' },
  ] as const;
  const row = (s: number) => {
    const symbol = panel.symbols[s] ?? '';
    const prices = panel.adjClose[s] ?? new Float64Array(0);
    return [
      symbol,
      universe.sectors.get(symbol) ?? null,
      finite(formation.signal[s]),
      finite(trailingReturn(prices, formation.at, last)),
      finite(factor.returnsOf(s)[last]),
    ];
  };
  const bySignal = (members: readonly number[], order: 1 | -1) =>
    [...members]
      .sort((a, b) => order * ((formation.signal[a] ?? 0) - (formation.signal[b] ?? 0)) || a - b)
      .slice(0, analysis.options.rows);
  const mix = new Map<string, { long: number; short: number }>();
  for (const [leg, members] of [
    ['long', formation.long],
    ['short', formation.short],
  ] as const) {
    for (const s of members) {
      const sector = universe.sectors.get(panel.symbols[s] ?? '') ?? 'Unknown';
      const entry = mix.get(sector) ?? { long: 0, short: 0 };
      entry[leg]++;
      mix.set(sector, entry);
    }
  }
  const mixRows = [...mix.entries()]
    .sort((a, b) => b[1].long + b[1].short - (a[1].long + a[1].short) || a[0].localeCompare(b[0]))
    .map(([sector, counts]) => [
      sector,
      counts.long,
      counts.short,
      (100 * counts.long) / Math.max(1, formation.long.length),
      (100 * counts.short) / Math.max(1, formation.short.length),
    ]);
  return [
    {
      id: 'leaders',
      title: 'Leaders: strongest stocks in the long leg',
      columns,
      rows: bySignal(formation.long, -1).map(row),
    },
    {
      id: 'laggards',
      title: 'Laggards: weakest stocks in the short leg',
      columns,
      rows: bySignal(formation.short, 1).map(row),
    },
    {
      id: 'sector_mix',
      title: 'Sector mix of each leg',
      columns: [
        { key: 'sector', label: 'Sector', unit: 'text' },
        { key: 'long', label: 'Long', unit: 'count' },
        { key: 'short', label: 'Short', unit: 'count' },
        { key: 'long_pct', label: 'Long %', unit: 'percent' },
        { key: 'short_pct', label: 'Short %', unit: 'percent' },
      ],
      rows: mixRows,
    },
  ];
}

/** MTUM and SPMO against SPY; absent ETFs are named in the notes rather than failing the report. */
async function etfCrossCheck(
  context: ReportContext,
  asOf: string,
  metrics: Record<MomentumMetric, number | null>,
  notes: string[],
  dates: readonly string[],
): Promise<{ table: ReportTable | null; index: Float64Array }> {
  const { panel, missing } = await loadPanel({ ...context, endDate: asOf, onProgress: () => undefined }, [
    BENCHMARK,
    ...MOMENTUM_ETFS,
  ]);
  const benchmark = panel.symbols.indexOf(BENCHMARK);
  if (missing.length > 0) {
    notes.push(`ETF cross-check: no data for ${missing.map((m) => m.symbol).join(', ')}.`);
  }
  // The index on the factor's own sessions, for what followed its crashes.
  const index = new Float64Array(dates.length).fill(Number.NaN);
  if (benchmark < 0) return { table: null, index };
  const prices = panel.adjClose[benchmark] ?? new Float64Array(0);
  const at = new Map(panel.dates.map((date, t) => [date, t]));
  dates.forEach((date, t) => {
    index[t] = prices[at.get(date) ?? -1] ?? Number.NaN;
  });
  const last = panel.dates.length - 1;
  if (panel.dates[last] !== asOf)
    notes.push(`ETF cross-check: the ETF data ends on ${panel.dates[last] ?? 'n/a'}.`);
  const base = yearStartBase(panel.dates, last);
  const returnsOf = (prices: Float64Array) => ({
    d1: trailingReturn(prices, last - 1, last),
    d21: trailingReturn(prices, last - SESSIONS_PER_MONTH, last),
    ytd: base < 0 ? Number.NaN : trailingReturn(prices, base, last),
  });
  const spy = returnsOf(panel.adjClose[benchmark] ?? new Float64Array(0));
  const rows: (string | number | null)[][] = [[BENCHMARK, finite(spy.d1), finite(spy.d21), finite(spy.ytd)]];
  for (const etf of MOMENTUM_ETFS) {
    const at = panel.symbols.indexOf(etf);
    if (at < 0) continue;
    const own = returnsOf(panel.adjClose[at] ?? new Float64Array(0));
    const key = etf.toLowerCase() as 'mtum' | 'spmo';
    metrics[`${key}_vs_spy_1d`] = finite(own.d1 - spy.d1);
    metrics[`${key}_vs_spy_21d`] = finite(own.d21 - spy.d21);
    metrics[`${key}_vs_spy_ytd`] = finite(own.ytd - spy.ytd);
    rows.push([etf, finite(own.d1), finite(own.d21), finite(own.ytd)]);
  }
  const table: ReportTable = {
    id: 'etf_cross_check',
    title: 'Momentum ETFs against the S&P 500',
    columns: [
      { key: 'symbol', label: 'ETF', unit: 'text' },
      { key: 'return_1d', label: '1 day', unit: 'fraction' },
      { key: 'return_21d', label: '1 month', unit: 'fraction' },
      { key: 'return_ytd', label: 'Year to date', unit: 'fraction' },
    ],
    rows,
  };
  return { table, index };
}
