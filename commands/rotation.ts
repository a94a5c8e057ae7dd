import type { z } from 'zod';
import { TapewatchError } from '../src/errors.ts';
import { dailyReturns, type Panel } from '../src/indicators/panel.ts';
import { percentileRank } from '../src/indicators/rolling.ts';
import {
  computeRotation,
  quadrantOf,
  relativeReturns,
  RS_MOMENTUM_LAG,
  RS_RATIO_LENGTH,
  splitSessions,
  type Quadrant,
  type RotationSeries,
} from '../src/indicators/rotation.ts';
import type { MissingSymbol } from '../src/market/types.ts';
import { lastCoveredSession, seriesStart, seriesTail } from '../src/reports/build.ts';
import { formatPercent } from '../src/reports/format.ts';
import { derivedFrom, describeMissing, loadPanel, type ReportContext } from '../src/reports/context.ts';
import {
  describeForward,
  describeRarity,
  findEpisodes,
  forwardStats,
  forwardStudy,
  severityOf,
} from '../src/reports/events.ts';
import {
  finite,
  type MetricInfo,
  type Report,
  type ReportEvent,
  type ReportSeries,
  type ReportTable,
} from '../src/reports/types.ts';
import { SECTOR_ETFS } from '../src/universes/sectors.ts';
import {
  integerOption,
  numberOption,
  optionsSchema,
  symbolOption,
  type OptionTable,
} from '../src/reports/options.ts';

/** The options of the rotation report, declared once for the CLI, Discord, the LLM tools and validation. */
export const rotationOptions = {
  benchmark: symbolOption({ name: 'benchmark', help: 'what the sectors rotate against', default: 'SPY' }),
  /** Weekly points in each sector's tail on the rotation graph. */
  tailWeeks: integerOption({
    name: 'tail-weeks',
    placeholder: 'n',
    help: 'weekly points in each sector’s tail',
    min: 1,
    max: 26,
    default: 5,
  }),
  /** A pair "splits" when its first leg moves at least this much (0.03 is 3%) and the second the other way. */
  splitThreshold: numberOption({
    name: 'split-threshold',
    placeholder: 'fraction',
    help: 'one-day move of a pair’s first leg that counts as a split, 0.03 is 3%',
    min: 0.005,
    max: 0.2,
    default: 0.03,
  }),
} as const satisfies OptionTable;

export const rotationOptionsSchema = optionsSchema(rotationOptions);
export type RotationOptions = z.infer<typeof rotationOptionsSchema>;

const SESSIONS_PER_WEEK = 5;
/** Cyclical and defensive sector baskets (equal weight, rebalanced daily). */
const CYCLICALS = ['XLY', 'XLF', 'XLI', 'XLB', 'XLE'] as const;
const DEFENSIVES = ['XLP', 'XLU', 'XLV'] as const;
const CYCLICALS_ID = 'Cyclicals';
const DEFENSIVES_ID = 'Defensives';

export interface PairDefinition {
  readonly id: string;
  readonly first: string;
  readonly second: string;
  readonly label: string;
}

/** Size and style pairs, first leg over second: positive means the first is winning. */
export const PAIRS: readonly PairDefinition[] = [
  { id: 'iwm_spy', first: 'IWM', second: 'SPY', label: 'Small caps vs S&P 500 (IWM/SPY)' },
  { id: 'iwm_qqq', first: 'IWM', second: 'QQQ', label: 'Small caps vs Nasdaq 100 (IWM/QQQ)' },
  { id: 'rsp_spy', first: 'RSP', second: 'SPY', label: 'Equal weight vs cap weight (RSP/SPY)' },
  { id: 'iwd_iwf', first: 'IWD', second: 'IWF', label: 'Value vs growth (IWD/IWF)' },
  {
    id: 'cyclicals_defensives',
    first: CYCLICALS_ID,
    second: DEFENSIVES_ID,
    label: `Cyclicals vs defensives (${CYCLICALS.join('+')} / ${DEFENSIVES.join('+')})`,
  },
];
/** The horizons of the pairs' relative returns: metrics `iwm_spy_1d` … and series `rotation.iwm_spy_1d` …. */
export const ROTATION_HORIZONS = [
  { suffix: '1d', sessions: 1, label: '1 day' },
  { suffix: '5d', sessions: 5, label: '5 days' },
  { suffix: '21d', sessions: 21, label: '1 month' },
  { suffix: '63d', sessions: 63, label: '3 months' },
] as const;

export const ROTATION_METRICS: Record<string, MetricInfo> = Object.fromEntries([
  ...PAIRS.flatMap((pair) =>
    ROTATION_HORIZONS.flatMap((h) => [
      [
        `${pair.id}_${h.suffix}`,
        { label: `${pair.first}/${pair.second} relative return, ${h.label}`, unit: 'fraction' },
      ],
      [
        `${pair.id}_${h.suffix}_pctile`,
        { label: `${pair.first}/${pair.second} ${h.label}: percentile in history`, unit: 'percent' },
      ],
    ]),
  ),
  ['sectors_leading', { label: 'Sectors leading', unit: 'count' }],
  ['sectors_weakening', { label: 'Sectors weakening', unit: 'count' }],
  ['sectors_lagging', { label: 'Sectors lagging', unit: 'count' }],
  ['sectors_improving', { label: 'Sectors improving', unit: 'count' }],
]) as Record<string, MetricInfo>;

export interface RotationAnalysis {
  readonly panel: Panel;
  readonly last: number;
  readonly benchmarkAt: number;
  /** RRG series of each sector ETF with data, by symbol. */
  readonly rotation: ReadonlyMap<string, RotationSeries>;
  /** Price-like series (adjusted closes, or the baskets' growth) by pair leg. */
  readonly legs: ReadonlyMap<string, Float64Array>;
  readonly missing: readonly MissingSymbol[];
  readonly notes: readonly string[];
}

/** What the rotation report loads: the benchmark, the sector ETFs and both legs of every pair. */
export function rotationSymbols(benchmark: string): string[] {
  const sectorSymbols = Object.values(SECTOR_ETFS);
  return [...new Set([benchmark, ...sectorSymbols, ...PAIRS.flatMap((p) => [p.first, p.second])])].filter(
    (s) => s !== CYCLICALS_ID && s !== DEFENSIVES_ID,
  );
}

export async function analyzeRotation(
  context: ReportContext,
  options: RotationOptions,
): Promise<RotationAnalysis> {
  const { panel, missing, notes } = await loadPanel(context, rotationSymbols(options.benchmark));
  const benchmarkAt = panel.symbols.indexOf(options.benchmark);
  if (benchmarkAt < 0) {
    throw new TapewatchError(
      'no_data',
      `No data for the benchmark "${options.benchmark}", so there is nothing to rotate against.`,
    );
  }
  const last = lastCoveredSession(panel, [benchmarkAt]);
  const minimum = RS_RATIO_LENGTH + RS_MOMENTUM_LAG;
  if (last + 1 < minimum) {
    throw new TapewatchError(
      'not_enough_data',
      `The rotation graph needs ${minimum} sessions of "${options.benchmark}"; the data has ${last + 1}.`,
    );
  }
  const benchmark = panel.adjClose[benchmarkAt] ?? new Float64Array(0);
  const rotation = derivedFrom(panel, `rotation:${options.benchmark}`, () => {
    const out = new Map<string, RotationSeries>();
    for (const symbol of Object.values(SECTOR_ETFS)) {
      const at = panel.symbols.indexOf(symbol);
      if (at >= 0) out.set(symbol, computeRotation(panel.adjClose[at] ?? new Float64Array(0), benchmark));
    }
    return out;
  });
  const legs = new Map<string, Float64Array>();
  panel.symbols.forEach((symbol, i) => legs.set(symbol, panel.adjClose[i] ?? new Float64Array(0)));
  for (const [id, members] of [
    [CYCLICALS_ID, CYCLICALS],
    [DEFENSIVES_ID, DEFENSIVES],
  ] as const) {
    const series = members.flatMap((s) => {
      const prices = legs.get(s);
      return prices ? [prices] : [];
    });
    if (series.length === members.length) legs.set(id, basketGrowth(series));
  }
  return { panel, last, benchmarkAt, rotation, legs, missing, notes };
}

/**
 * Growth of 1 in an equal-weight basket rebalanced daily: each day earns the average of its members'
 * returns that day. n/a on a day none of them has a return, and before the first.
 */
export function basketGrowth(prices: readonly Float64Array[]): Float64Array {
  const days = prices[0]?.length ?? 0;
  const returns = prices.map((p) => dailyReturns(p));
  const out = new Float64Array(days).fill(Number.NaN);
  let growth = Number.NaN;
  for (let t = 0; t < days; t++) {
    let sum = 0;
    let count = 0;
    for (const r of returns) {
      const v = r[t] ?? Number.NaN;
      if (Number.isNaN(v)) continue;
      sum += v;
      count++;
    }
    if (count > 0) growth = (Number.isNaN(growth) ? 1 : growth) * (1 + sum / count);
    else if (Number.isNaN(growth) && prices.every((p) => !Number.isNaN(p[t] ?? Number.NaN))) growth = 1;
    out[t] = growth;
  }
  return out;
}

export async function buildRotationReport(context: ReportContext, options: RotationOptions): Promise<Report> {
  const analysis = await analyzeRotation(context, options);
  const { panel, last, rotation, legs } = analysis;
  const asOf = panel.dates[last] ?? context.endDate;
  const metrics: Record<string, number | null> = {};
  const pairRows: (string | number | null)[][] = [];
  const events: ReportEvent[] = [];
  const notes: string[] = [...analysis.notes];

  for (const pair of PAIRS) {
    const first = legs.get(pair.first);
    const second = legs.get(pair.second);
    const row: (string | number | null)[] = [pair.label];
    for (const h of ROTATION_HORIZONS) {
      const relative =
        first && second
          ? relativeReturns(first.subarray(0, last + 1), second.subarray(0, last + 1), h.sessions)
          : null;
      const value = relative ? (relative[last] ?? Number.NaN) : Number.NaN;
      // Percentile among every earlier overlapping window in the data, today's included.
      const rank = relative ? percentileRank(relative, value) : Number.NaN;
      metrics[`${pair.id}_${h.suffix}`] = finite(value);
      metrics[`${pair.id}_${h.suffix}_pctile`] = finite(rank);
      row.push(finite(value), finite(rank));
    }
    pairRows.push(row);
    if (first && second) events.push(...splitEvents(pair, first, second, analysis, options));
    else
      notes.push(
        `${pair.label}: no data for ${[first ? null : pair.first, second ? null : pair.second].filter(Boolean).join(' and ')}.`,
      );
  }

  const quadrantCounts: Record<Quadrant, number> = { leading: 0, weakening: 0, lagging: 0, improving: 0 };
  const rrgRows: (string | number | null)[][] = [];
  const tails: ReportSeries[] = [];
  const changes: string[] = [];
  const tailStart = Math.max(0, last - options.tailWeeks * SESSIONS_PER_WEEK);
  for (const [sector, symbol] of Object.entries(SECTOR_ETFS)) {
    const series = rotation.get(symbol);
    if (!series) continue;
    const ratio = series.rsRatio[last] ?? Number.NaN;
    const momentum = series.rsMomentum[last] ?? Number.NaN;
    const { quadrant, previous } = weekOfQuadrants(series, last);
    if (quadrant) quadrantCounts[quadrant]++;
    if (quadrant && previous && quadrant !== previous)
      changes.push(`${symbol} (${sector}) ${previous} → ${quadrant}`);
    rrgRows.push([symbol, sector, finite(ratio), finite(momentum), quadrant, previous]);
    const weekly = weeklyPoints(tailStart, last);
    const dates = weekly.map((t) => panel.dates[t] ?? '');
    tails.push(
      {
        id: `rotation.rs_ratio:${symbol}`,
        label: `${symbol} RS-Ratio (weekly tail)`,
        unit: 'index',
        dates,
        values: weekly.map((t) => finite(series.rsRatio[t])),
      },
      {
        id: `rotation.rs_momentum:${symbol}`,
        label: `${symbol} RS-Momentum (weekly tail)`,
        unit: 'index',
        dates,
        values: weekly.map((t) => finite(series.rsMomentum[t])),
      },
    );
  }
  metrics.sectors_leading = quadrantCounts.leading;
  metrics.sectors_weakening = quadrantCounts.weakening;
  metrics.sectors_lagging = quadrantCounts.lagging;
  metrics.sectors_improving = quadrantCounts.improving;
  if (changes.length > 0) {
    events.push({
      id: 'quadrant_changes',
      severity: 'info',
      date: asOf,
      title: `${changes.length} sector${changes.length === 1 ? '' : 's'} changed quadrant this week`,
      detail: changes.join('; ') + '.',
      earlierDates: [],
      stats: { changes: changes.length },
    });
  }
  const missingNote = describeMissing(analysis.missing, panel.symbols.length + analysis.missing.length);
  if (missingNote) notes.push(missingNote);
  notes.push(
    `RS-Ratio = 100 × (ETF/${options.benchmark}) ÷ its ${RS_RATIO_LENGTH}-session average; RS-Momentum = 100 × RS-Ratio ÷ RS-Ratio ${RS_MOMENTUM_LAG} sessions earlier (an open approximation of the proprietary JdK RRG).`,
  );

  const from = seriesStart(last);
  const dates = panel.dates.slice(0, last + 1);
  const relativeSeries = PAIRS.flatMap((pair) => {
    const first = legs.get(pair.first);
    const second = legs.get(pair.second);
    if (!first || !second) return [];
    const ratio = first.map((v, t) => v / (second[t] ?? Number.NaN));
    return [
      seriesTail(
        `rotation.ratio:${pair.first}/${pair.second}`,
        `${pair.label}: price ratio`,
        'number',
        dates,
        ratio,
        from,
      ),
    ];
  });
  const pctColumns = ROTATION_HORIZONS.flatMap((h) => [
    { key: `return_${h.suffix}`, label: h.label, unit: 'fraction' as const },
    { key: `pctile_${h.suffix}`, label: 'pctile', unit: 'percent' as const },
  ]);
  return {
    command: 'rotation',
    title: `Rotation (sectors, size and style against ${options.benchmark})`,
    asOf,
    source: { name: context.marketData.source, label: context.marketData.label },
    universe: {
      name: 'sectors+styles',
      description: 'The 11 SPDR sector ETFs and size/style ETFs',
      size: panel.symbols.length + analysis.missing.length,
      covered: panel.symbols.length,
      missing: analysis.missing,
    },
    options: { ...options },
    metrics,
    metricInfo: ROTATION_METRICS,
    tables: [
      {
        id: 'rrg',
        title: 'Relative rotation of the sectors',
        columns: [
          { key: 'symbol', label: 'ETF', unit: 'text' },
          { key: 'sector', label: 'Sector', unit: 'text' },
          { key: 'rs_ratio', label: 'RS-Ratio', unit: 'index' },
          { key: 'rs_momentum', label: 'RS-Momentum', unit: 'index' },
          { key: 'quadrant', label: 'Quadrant', unit: 'text' },
          { key: 'week_ago', label: 'A week ago', unit: 'text' },
        ],
        rows: rrgRows.sort((a, b) => (Number(b[2]) || 0) - (Number(a[2]) || 0)),
      } satisfies ReportTable,
      {
        id: 'pairs',
        title: 'Size and style: first leg relative to second',
        columns: [{ key: 'pair', label: 'Pair', unit: 'text' }, ...pctColumns],
        rows: pairRows,
      },
    ],
    series: [...tails, ...relativeSeries],
    events,
    notes,
  };
}

/** Every fifth session back from `last` to `from`, oldest first. */
function weeklyPoints(from: number, last: number): number[] {
  const points: number[] = [];
  for (let t = last; t >= from; t -= SESSIONS_PER_WEEK) points.unshift(t);
  return points;
}

/**
 * A pair's split days up to `last`, the same the report's split events count (and alerts watch): a flag
 * per session, and whether the session could be judged (both legs have a return).
 */
export function pairSplits(
  first: Float64Array,
  second: Float64Array,
  last: number,
  threshold: number,
  direction: 'up' | 'down',
) {
  const firstReturns = dailyReturns(first.subarray(0, last + 1));
  const secondReturns = dailyReturns(second.subarray(0, last + 1));
  const flags = new Uint8Array(last + 1);
  for (const t of splitSessions(firstReturns, secondReturns, threshold, direction)) flags[t] = 1;
  const judged = (t: number) =>
    !Number.isNaN(firstReturns[t] ?? Number.NaN) && !Number.isNaN(secondReturns[t] ?? Number.NaN);
  return { firstReturns, secondReturns, flags, judged };
}

/** A sector's quadrant at session t and a week earlier (null where not known yet). */
export function weekOfQuadrants(
  series: RotationSeries,
  t: number,
): { quadrant: Quadrant | null; previous: Quadrant | null } {
  const weekAgo = t - SESSIONS_PER_WEEK;
  return {
    quadrant: quadrantOf(series.rsRatio[t] ?? Number.NaN, series.rsMomentum[t] ?? Number.NaN),
    previous:
      weekAgo >= 0
        ? quadrantOf(series.rsRatio[weekAgo] ?? Number.NaN, series.rsMomentum[weekAgo] ?? Number.NaN)
        : null,
  };
}

/** Split days closer than this to the previous one belong to its episode. */
export const SPLIT_EPISODE_GAP = 5;

/**
 * The day's split, if the pair split on it, with the earlier episodes in the data that split the same
 * way and what the benchmark did after them.
 */
function splitEvents(
  pair: PairDefinition,
  first: Float64Array,
  second: Float64Array,
  analysis: RotationAnalysis,
  options: RotationOptions,
): ReportEvent[] {
  const { panel, last } = analysis;
  const events: ReportEvent[] = [];
  const benchmark = panel.adjClose[panel.symbols.indexOf(options.benchmark)] ?? new Float64Array(0);
  for (const direction of ['up', 'down'] as const) {
    const { firstReturns, secondReturns, flags, judged } = pairSplits(
      first,
      second,
      last,
      options.splitThreshold,
      direction,
    );
    if (flags[last] !== 1) continue;
    const episodes = findEpisodes(flags, judged, SPLIT_EPISODE_GAP, last);
    const firstDay = firstReturns[last] ?? Number.NaN;
    const secondDay = secondReturns[last] ?? Number.NaN;
    const since = panel.dates[episodes.firstJudged] ?? '';
    const earlierDates = episodes.earlier.map((t) => panel.dates[t] ?? '');
    const study = forwardStudy(benchmark, episodes.earlier, episodes.firstJudged, last);
    const severity = severityOf(episodes.flaggedDays, episodes.judgedDays);
    events.push({
      id: `split_${pair.id}_${direction}`,
      severity,
      date: panel.dates[last] ?? '',
      // "Rare" only where the history says so (at most 1% of sessions): a lower --split-threshold
      // makes splits common.
      title: `${pair.first} ${formatPercent(firstDay)} while ${pair.second} ${formatPercent(secondDay)}: a ${severity === 'extreme' ? 'rare ' : ''}split`,
      detail:
        `${pair.first} ${direction === 'up' ? 'rose' : 'fell'} at least ${(options.splitThreshold * 100).toFixed(1)}% on a day ${pair.second} ${direction === 'up' ? 'fell' : 'rose'}, ` +
        `${describeRarity(episodes.flaggedDays, episodes.judgedDays)} since ${since}. ` +
        (earlierDates.length === 0
          ? `No earlier episode.`
          : `Earlier episodes: ${earlierDates.length <= 12 ? earlierDates.join(', ') : `${earlierDates.slice(-12).join(', ')} and ${earlierDates.length - 12} before`}. ` +
            describeForward(options.benchmark, study, earlierDates.length, since)),
      earlierDates,
      stats: {
        first_return_1d: finite(firstDay),
        second_return_1d: finite(secondDay),
        earlier_days: episodes.earlier.length,
        earlier_episodes: episodes.earlier.length,
        days_flagged: episodes.flaggedDays,
        days_judged: episodes.judgedDays,
        ...forwardStats(study),
      },
    });
  }
  return events;
}
