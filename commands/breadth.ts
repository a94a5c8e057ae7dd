import type { z } from 'zod';
import { TapewatchError } from '../src/errors.ts';
import { computeBreadth, HIGH_LOW_WINDOW, type BreadthSeries } from '../src/indicators/breadth.ts';
import { yearStartBase, type Panel } from '../src/indicators/panel.ts';
import { mean, median, rollingExtreme } from '../src/indicators/rolling.ts';
import {
  coverageNote,
  lastCoveredSession,
  seriesStart,
  seriesTail,
  survivorshipNote,
  trailingReturn,
} from '../src/reports/build.ts';
import { derivedFrom, describeMissing, loadPanel, type ReportContext } from '../src/reports/context.ts';
import {
  describeForward,
  describeRarity,
  findEpisodes,
  forwardStats,
  forwardStudy,
  severityOf,
  type EventCondition,
} from '../src/reports/events.ts';
import {
  finite,
  type MetricInfo,
  type Report,
  type ReportEvent,
  type ReportTable,
} from '../src/reports/types.ts';
import {
  integerOption,
  optionsSchema,
  symbolOption,
  universeOption,
  type OptionTable,
} from '../src/reports/options.ts';
import type { Universe } from '../src/universes/index.ts';
import { AsOfMarketData } from '../src/market/as-of.ts';
import { CAP_TABLE_FILE } from '../src/universes/price-files.ts';
import type { MissingSymbol } from '../src/market/types.ts';

/** The options of the breadth report, declared once for the CLI, Discord, the LLM tools and validation. */
export const breadthOptions = {
  universe: universeOption,
  /** The index the members are measured against: an ETF that tracks it. */
  index: symbolOption({
    name: 'index',
    help: 'the index ETF the members are measured against',
    default: 'SPY',
  }),
  /** How many of the largest members count as "the leaders" for concentration. */
  top: integerOption({
    name: 'top',
    placeholder: 'n',
    help: 'how many of the largest members count for concentration',
    min: 1,
    max: 50,
    default: 7,
  }),
} as const satisfies OptionTable;

export const breadthOptionsSchema = optionsSchema(breadthOptions);
export type BreadthOptions = z.infer<typeof breadthOptionsSchema>;

export const EQUAL_WEIGHT_ETF = 'RSP';
/** Members a breadth reading needs before a percentage of them means anything. */
export const MIN_MEMBERS = 5;
/** Sessions of average dollar volume ranking the members by size when no market caps are available. */
const DOLLAR_VOLUME_WINDOW = 63;

export interface BreadthAnalysis {
  readonly universe: Universe;
  readonly panel: Panel;
  readonly members: readonly number[];
  readonly indexAt: number;
  readonly equalWeightAt: number;
  /** Last session on which at least half of the members have a price. */
  readonly last: number;
  readonly breadth: BreadthSeries;
  readonly missing: readonly MissingSymbol[];
  readonly notes: string[];
  readonly options: BreadthOptions;
}

export async function analyzeBreadth(
  context: ReportContext,
  options: BreadthOptions,
  universe: Universe,
): Promise<BreadthAnalysis> {
  const memberSymbols = universe.symbols.filter((s) => s !== options.index && s !== EQUAL_WEIGHT_ETF);
  const { panel, missing, notes } = await loadPanel(context, [
    ...memberSymbols,
    options.index,
    EQUAL_WEIGHT_ETF,
  ]);
  const indexAt = panel.symbols.indexOf(options.index);
  const equalWeightAt = panel.symbols.indexOf(EQUAL_WEIGHT_ETF);
  const members = panel.symbols.flatMap((_, i) => (i === indexAt || i === equalWeightAt ? [] : [i]));
  if (members.length < MIN_MEMBERS) {
    throw new TapewatchError(
      'not_enough_data',
      `Universe "${universe.name}" has ${members.length} members with data; breadth needs at least ${MIN_MEMBERS}.`,
    );
  }
  const last = lastCoveredSession(panel, members);
  if (last < 1) {
    throw new TapewatchError(
      'not_enough_data',
      `Breadth needs at least two sessions of member prices; the data has fewer.`,
    );
  }
  if (indexAt < 0) {
    // Breadth is read against the index; without it half the report would be n/a, so say so instead.
    const reason = missing.find((m) => m.symbol === options.index)?.reason ?? 'no data';
    throw new TapewatchError(
      'unknown_symbol',
      `No data for the index "${options.index}" (${reason}); name an index ETF the source has, such as SPY.`,
    );
  }
  const memberMissing = missing.filter((m) => m.symbol !== EQUAL_WEIGHT_ETF && m.symbol !== options.index);
  const reportNotes = [...notes];
  const fallback = coverageNote(panel, last);
  if (fallback) reportNotes.push(fallback);
  const breadth = derivedFrom(panel, `breadth:${options.index}`, () =>
    computeBreadth(
      members.map((i) => panel.close[i] ?? new Float64Array(0)),
      members.map((i) => panel.adjClose[i] ?? new Float64Array(0)),
      panel.adjClose[indexAt] ?? null,
    ),
  );
  return {
    universe,
    panel,
    members,
    indexAt,
    equalWeightAt,
    last,
    breadth,
    missing: memberMissing,
    notes: reportNotes,
    options,
  };
}

export const BREADTH_METRICS = {
  pct_above_20d: { label: 'Members above their 20-day average', unit: 'percent' },
  pct_above_50d: { label: 'Members above their 50-day average', unit: 'percent' },
  pct_above_200d: { label: 'Members above their 200-day average', unit: 'percent' },
  advancers: { label: 'Advancers', unit: 'count' },
  decliners: { label: 'Decliners', unit: 'count' },
  unchanged: { label: 'Unchanged', unit: 'count' },
  net_advances: { label: 'Net advances', unit: 'count' },
  ad_line: { label: 'Advance-decline line (cumulative net advances)', unit: 'count' },
  mcclellan: { label: 'McClellan oscillator (19/39-day EMAs of net advances)', unit: 'number' },
  mcclellan_summation: { label: 'McClellan summation index', unit: 'number' },
  new_highs: { label: '52-week closing highs', unit: 'count' },
  new_lows: { label: '52-week closing lows', unit: 'count' },
  zweig_ema: { label: 'Zweig breadth ratio (10-day EMA of advances share)', unit: 'number' },
  pct_outperforming_index_1d: { label: 'Members beating the index today', unit: 'percent' },
  pct_outperforming_index_21d: { label: 'Members beating the index over 21 days', unit: 'percent' },
  index_return_1d: { label: 'Index return, 1 day', unit: 'fraction' },
  index_return_ytd: { label: 'Index return, year to date', unit: 'fraction' },
  average_member_return_ytd: { label: 'Average member return, year to date', unit: 'fraction' },
  median_member_return_ytd: { label: 'Median member return, year to date', unit: 'fraction' },
  equal_vs_cap_ytd: { label: 'Equal weight minus cap weight, year to date', unit: 'fraction' },
  top_weight: { label: 'Weight of the largest members', unit: 'fraction' },
  top_return_1d: { label: 'Largest members’ return, 1 day (cap-weighted)', unit: 'fraction' },
  others_return_1d: { label: 'Other members’ return, 1 day (cap-weighted)', unit: 'fraction' },
  top_contribution_ytd: {
    label: 'Largest members’ contribution to the cap-weighted return, YTD',
    unit: 'fraction',
  },
  top_share_of_return_ytd: {
    label: 'Largest members’ share of the cap-weighted return, YTD',
    unit: 'fraction',
  },
} as const satisfies Record<string, MetricInfo>;
type BreadthMetric = keyof typeof BREADTH_METRICS;

/** Thresholds for the breadth events, named once. */
const WASHOUT_PCT_ABOVE_20D = 10;
const WASHOUT_DECLINE_SHARE = 0.9;
const DIVERGENCE_DROP_POINTS = 10;
const DIVERGENCE_LOOKBACK = 21;
const BROAD_DAY_PCT = 75;
/**
 * Flags closer than this many sessions to the previous one continue its episode: a thrust needs the
 * average to sink below 40% again before another, a bout of selling or a narrowing rally runs for weeks,
 * a day the leaders drag the index down is news for a week.
 */
const THRUST_EPISODE_GAP = 21;
const WASHOUT_EPISODE_GAP = 21;
const DIVERGENCE_EPISODE_GAP = 21;
const BROAD_DAY_EPISODE_GAP = 5;

export async function buildBreadthReport(
  context: ReportContext,
  options: BreadthOptions,
  universe: Universe,
): Promise<Report> {
  const analysis = await analyzeBreadth(context, options, universe);
  const { panel, breadth, last, members, indexAt } = analysis;
  const asOf = panel.dates[last] ?? context.endDate;
  const base = yearStartBase(panel.dates, last);
  const index = panel.adjClose[indexAt] ?? null;
  const memberYtd = members
    .map((i) => (base < 0 ? Number.NaN : trailingReturn(panel.adjClose[i] ?? [], base, last)))
    .filter((r) => !Number.isNaN(r));
  const averageYtd = mean(memberYtd);
  const medianYtd = median(memberYtd);
  const indexYtd = index && base >= 0 ? trailingReturn(index, base, last) : Number.NaN;
  const notes = [...analysis.notes];
  let equalVsCap = averageYtd - indexYtd;
  const rspAt = analysis.equalWeightAt;
  const rspYtd =
    rspAt >= 0 && base >= 0 ? trailingReturn(panel.adjClose[rspAt] ?? [], base, last) : Number.NaN;
  if (!Number.isNaN(rspYtd)) {
    equalVsCap = rspYtd - indexYtd;
    if (!Number.isNaN(equalVsCap)) {
      notes.push(`Equal versus cap weight: ${EQUAL_WEIGHT_ETF} minus ${options.index} year to date.`);
    }
  } else if (!Number.isNaN(equalVsCap)) {
    notes.push(
      `Equal versus cap weight: the members’ average year-to-date return minus ${options.index} (${EQUAL_WEIGHT_ETF} not in the data).`,
    );
  }
  const at = (series: ArrayLike<number>) => finite(series[last]);
  const concentration = await concentrationOf(context, analysis, base);
  notes.push(concentration.note);
  const metrics: Record<BreadthMetric, number | null> = {
    pct_above_20d: at(breadth.pctAbove[20]),
    pct_above_50d: at(breadth.pctAbove[50]),
    pct_above_200d: at(breadth.pctAbove[200]),
    advancers: at(breadth.advancers),
    decliners: at(breadth.decliners),
    unchanged: at(breadth.unchanged),
    net_advances: at(breadth.netAdvances),
    ad_line: at(breadth.adLine),
    mcclellan: at(breadth.mcclellan),
    mcclellan_summation: at(breadth.summation),
    new_highs: at(breadth.newHighs),
    new_lows: at(breadth.newLows),
    zweig_ema: at(breadth.zweigEma),
    pct_outperforming_index_1d: at(breadth.pctOutperforming1d),
    pct_outperforming_index_21d: at(breadth.pctOutperforming21d),
    index_return_1d: index ? finite(trailingReturn(index, last - 1, last)) : null,
    index_return_ytd: finite(indexYtd),
    average_member_return_ytd: finite(averageYtd),
    median_member_return_ytd: finite(medianYtd),
    equal_vs_cap_ytd: finite(equalVsCap),
    ...concentration.metrics,
  };
  // The index and the equal-weight fund are measures, not members: sizes count members only.
  const memberCount = members.length + analysis.missing.length;
  const missingNote = describeMissing(analysis.missing, memberCount);
  if (missingNote) notes.push(missingNote);
  const survivorship = survivorshipNote(universe);
  if (survivorship) notes.push(survivorship);
  if (index && Number.isNaN(index[last] ?? Number.NaN)) notes.push(`The index has no price on ${asOf}.`);

  const from = seriesStart(last);
  const tail = (
    id: string,
    label: string,
    unit: 'percent' | 'count' | 'number' | 'fraction',
    values: ArrayLike<number>,
  ) => seriesTail(id, label, unit, panel.dates.slice(0, last + 1), values, from);
  return {
    command: 'breadth',
    title: `Breadth (${universe.name} against ${options.index})`,
    asOf,
    source: { name: context.marketData.source, label: context.marketData.label },
    universe: {
      name: universe.name,
      description: universe.description,
      size: memberCount,
      covered: members.length,
      missing: analysis.missing,
    },
    options: { ...options },
    metrics,
    metricInfo: BREADTH_METRICS,
    tables: [sectorTable(analysis), ...(concentration.table ? [concentration.table] : [])],
    series: [
      ...(index ? [tail('breadth.index', `${options.index} adjusted close`, 'number', index)] : []),
      tail('breadth.pct_above_20d', '% above 20-day average', 'percent', breadth.pctAbove[20]),
      tail('breadth.pct_above_50d', '% above 50-day average', 'percent', breadth.pctAbove[50]),
      tail('breadth.pct_above_200d', '% above 200-day average', 'percent', breadth.pctAbove[200]),
      tail('breadth.net_advances', 'Net advances', 'count', breadth.netAdvances),
      tail('breadth.ad_line', 'Advance-decline line', 'count', breadth.adLine),
      tail('breadth.mcclellan', 'McClellan oscillator', 'number', breadth.mcclellan),
      tail('breadth.new_highs', '52-week highs', 'count', breadth.newHighs),
      tail('breadth.new_lows', '52-week lows', 'count', breadth.newLows),
    ],
    events: breadthEvents(analysis, options.index),
    notes,
  };
}

/**
 * Breadth's events, each shown when its condition holds on one of the last RECENT_SESSIONS sessions,
 * with its rarity, its earlier episodes (never the running one) and what the index did after them
 * against any day.
 */
function breadthEvents(analysis: BreadthAnalysis, indexName: string): ReportEvent[] {
  const { panel, last, indexAt } = analysis;
  const dates = panel.dates;
  const index = panel.adjClose[indexAt] ?? new Float64Array(0);
  return breadthConditions(analysis).flatMap((c): ReportEvent[] => {
    const episodes = findEpisodes(c.flags, c.judged, c.gap, last);
    if (episodes.current === null) return [];
    const since = dates[episodes.firstJudged] ?? '';
    const study = forwardStudy(index, episodes.earlier, episodes.firstJudged, last);
    return [
      {
        id: c.id,
        severity: severityOf(episodes.flaggedDays, episodes.judgedDays),
        date: dates[last] ?? '',
        title: c.title,
        detail:
          `${c.condition} It held ${describeRarity(episodes.flaggedDays, episodes.judgedDays)} since ${since}. ` +
          describeForward(indexName, study, episodes.earlier.length, since),
        earlierDates: episodes.earlier.map((t) => dates[t] ?? ''),
        stats: {
          ...c.stats,
          earlier_episodes: episodes.earlier.length,
          episode_start_session: episodes.current,
          days_flagged: episodes.flaggedDays,
          days_judged: episodes.judgedDays,
          ...forwardStats(study),
        },
      },
    ];
  });
}

/** Each breadth event's condition over the history, for the report's events and for `npm run bench:events`. */
export function breadthConditions(analysis: BreadthAnalysis): EventCondition[] {
  const { breadth, panel, last, indexAt } = analysis;
  const days = last + 1;
  const index = panel.adjClose[indexAt] ?? new Float64Array(0);
  const conditions: EventCondition[] = [];
  const report = (
    id: string,
    flags: Uint8Array,
    judged: (t: number) => boolean,
    gap: number,
    title: string,
    condition: string,
    stats: Record<string, number | null>,
  ) => {
    conditions.push({ id, flags, judged, gap, title, condition, stats });
  };

  report(
    'zweig_breadth_thrust',
    breadth.zweigThrust.subarray(0, days),
    (t) => known(breadth.zweigEma[t]),
    THRUST_EPISODE_GAP,
    'Zweig breadth thrust',
    "The 10-day average share of advancing members went from below 40% to above 61.5% within 10 sessions (Zweig's thresholds, set for the whole NYSE; on a few hundred large stocks they are met more often).",
    { zweig_ema: finite(breadth.zweigEma[last]) },
  );

  const washout = new Uint8Array(days);
  for (let t = 0; t < days; t++) {
    const adv = breadth.advancers[t] ?? Number.NaN;
    const dec = breadth.decliners[t] ?? Number.NaN;
    const pct20 = breadth.pctAbove[20][t] ?? Number.NaN;
    if (pct20 <= WASHOUT_PCT_ABOVE_20D || dec / (adv + dec) >= WASHOUT_DECLINE_SHARE) washout[t] = 1;
  }
  report(
    'washout',
    washout,
    (t) => known(breadth.pctAbove[20][t]),
    WASHOUT_EPISODE_GAP,
    'Breadth washout',
    `At most ${WASHOUT_PCT_ABOVE_20D}% of members above their 20-day average, or a day with ${WASHOUT_DECLINE_SHARE * 100}% of them falling: selling is exhausting itself or accelerating.`,
    { pct_above_20d: finite(breadth.pctAbove[20][last]), decliners: finite(breadth.decliners[last]) },
  );

  const indexHigh = rollingExtreme(index.subarray(0, days), HIGH_LOW_WINDOW, 'high');
  const divergence = new Uint8Array(days);
  const drops = new Float64Array(days).fill(Number.NaN);
  const broadDay = new Uint8Array(days);
  const indexDays = new Float64Array(days).fill(Number.NaN);
  for (let t = DIVERGENCE_LOOKBACK; t < days; t++) {
    drops[t] =
      (breadth.pctAbove[50][t - DIVERGENCE_LOOKBACK] ?? Number.NaN) - (breadth.pctAbove[50][t] ?? Number.NaN);
    if (indexHigh[t] === 1 && (drops[t] ?? Number.NaN) >= DIVERGENCE_DROP_POINTS) divergence[t] = 1;
    indexDays[t] = (index[t] ?? Number.NaN) / (index[t - 1] ?? Number.NaN) - 1;
    if ((indexDays[t] ?? 0) < 0 && (breadth.pctOutperforming1d[t] ?? 0) >= BROAD_DAY_PCT) broadDay[t] = 1;
  }
  report(
    'breadth_divergence',
    divergence,
    // A 52-week high can be judged once a year of the index exists.
    (t) => t >= HIGH_LOW_WINDOW - 1 && known(drops[t]),
    DIVERGENCE_EPISODE_GAP,
    'Index at a high on narrowing breadth',
    `The index closed at a 52-week high while the share of members above their 50-day average fell by ${DIVERGENCE_DROP_POINTS} points or more over ${DIVERGENCE_LOOKBACK} sessions: fewer stocks are carrying it.`,
    { pct_above_50d: finite(breadth.pctAbove[50][last]) },
  );
  const beat = finite(breadth.pctOutperforming1d[last]);
  report(
    'broad_day_index_down',
    broadDay,
    (t) => known(indexDays[t]) && known(breadth.pctOutperforming1d[t]),
    BROAD_DAY_EPISODE_GAP,
    beat !== null && broadDay[last] === 1
      ? `${beat.toFixed(1)}% of members beat a falling index`
      : `${BROAD_DAY_PCT}% or more of members beat a falling index`,
    `At least ${BROAD_DAY_PCT}% of members beat the index on a day it fell: the largest names dragged it down while the average stock held up (rotation away from the leaders).`,
    { pct_outperforming_index_1d: beat },
  );
  return conditions;
}

function known(value: number | undefined): boolean {
  return value !== undefined && !Number.isNaN(value);
}

/** Percent of each GICS sector's members above their 50- and 200-day averages on the report's day. */
function sectorTable(analysis: BreadthAnalysis): ReportTable {
  const { panel, members, last, universe } = analysis;
  const bySector = new Map<
    string,
    { n: number; above50: number; counted50: number; above200: number; counted200: number }
  >();
  for (const i of members) {
    const sector = universe.sectors.get(panel.symbols[i] ?? '') ?? 'Unknown';
    const entry = bySector.get(sector) ?? { n: 0, above50: 0, counted50: 0, above200: 0, counted200: 0 };
    entry.n++;
    const prices = panel.close[i] ?? new Float64Array(0);
    for (const n of [50, 200] as const) {
      const window = prices.subarray(Math.max(0, last - n + 1), last + 1);
      if (window.length < n || window.some((p) => Number.isNaN(p))) continue;
      const average = window.reduce((a, b) => a + b, 0) / n;
      if (n === 50) {
        entry.counted50++;
        if ((prices[last] ?? 0) > average) entry.above50++;
      } else {
        entry.counted200++;
        if ((prices[last] ?? 0) > average) entry.above200++;
      }
    }
    bySector.set(sector, entry);
  }
  const pct = (hits: number, counted: number) => (counted === 0 ? null : (100 * hits) / counted);
  return {
    id: 'sectors',
    title: 'Breadth by sector',
    columns: [
      { key: 'sector', label: 'Sector', unit: 'text' },
      { key: 'members', label: 'Members', unit: 'count' },
      { key: 'pct_above_50d', label: '% > 50d', unit: 'percent' },
      { key: 'pct_above_200d', label: '% > 200d', unit: 'percent' },
    ],
    rows: [...bySector.entries()]
      .map(
        ([sector, e]) => [sector, e.n, pct(e.above50, e.counted50), pct(e.above200, e.counted200)] as const,
      )
      .sort((a, b) => (b[2] ?? -1) - (a[2] ?? -1)),
  };
}

interface Concentration {
  readonly metrics: Pick<
    Record<BreadthMetric, number | null>,
    'top_weight' | 'top_return_1d' | 'others_return_1d' | 'top_contribution_ytd' | 'top_share_of_return_ytd'
  >;
  readonly table: ReportTable | null;
  readonly note: string;
}

/** Why a concentration is sized without market caps, in words. */
function whyNoCaps(context: ReportContext, capped: number, members: number): string {
  // Caps are the source's latest: moved back to a past day with the price, they would carry today's
  // share count into the past, information the day did not have.
  if (context.marketData instanceof AsOfMarketData) {
    return `market caps, where the source has them, are its latest, and a report as of ${context.marketData.asOf} does not use them (that would look ahead)`;
  }
  if (context.marketData.source === 'csv' && capped === 0) {
    return `price files carry no market caps (a ${CAP_TABLE_FILE} in the folder adds them)`;
  }
  return `${context.marketData.label} has market caps for only ${capped} of ${members} members`;
}

/**
 * How much of the cap-weighted universe's move comes from its largest members. Market caps come from the
 * source's quotes, moved to each day with the member's price (cap on day t = quoted cap × close(t) /
 * quoted price). Without caps (CSV files carry none unless their folder has a cap table) members are sized by their average dollar volume over
 * 63 sessions, a proxy that ranks the giants correctly but only approximates their weights; the note says
 * which was used.
 */
async function concentrationOf(
  context: ReportContext,
  analysis: BreadthAnalysis,
  base: number,
): Promise<Concentration> {
  const { panel, members, last, options } = analysis;
  const quotes = await context.marketData.getQuotes(members.map((i) => panel.symbols[i] ?? ''));
  const quoted = new Map(quotes.quotes.map((q) => [q.symbol, q]));
  const size = new Map<number, number>();
  for (const i of members) {
    const quote = quoted.get(panel.symbols[i] ?? '');
    const close = panel.close[i]?.[last] ?? Number.NaN;
    if (quote?.marketCap && quote.price > 0 && close > 0)
      size.set(i, (quote.marketCap * close) / quote.price);
  }
  const useCaps = size.size >= 0.8 * members.length;
  let note = `Concentration: sizes from market caps in ${context.marketData.label} quotes.`;
  if (!useCaps) {
    const why = whyNoCaps(context, size.size, members.length);
    size.clear();
    const volumes = dollarVolumes(panel, members, last);
    for (const [i, v] of volumes) size.set(i, v);
    note = `Concentration: ${why}, so members are sized by their ${DOLLAR_VOLUME_WINDOW}-session average dollar volume. That is a proxy for size: it can rank a heavily traded name above a larger one, and the weights are approximate.`;
  }
  const ranked = [...size.entries()].sort((a, b) => b[1] - a[1]);
  const top = new Set(ranked.slice(0, options.top).map(([i]) => i));
  const total = ranked.reduce((sum, [, s]) => sum + s, 0);
  // Weights at the start of the year and the day before, from today's size and the price path.
  const weighted = (from: number, pick: (i: number) => boolean) => {
    let weight = 0;
    let gain = 0;
    for (const [i, s] of ranked) {
      if (!pick(i)) continue;
      const close = panel.close[i] ?? new Float64Array(0);
      const r = trailingReturn(close, from, last);
      if (Number.isNaN(r)) continue;
      const startSize = s / (1 + r);
      weight += startSize;
      gain += startSize * r;
    }
    return { weight, gain };
  };
  const metrics: Concentration['metrics'] = {
    top_weight: total > 0 ? finite([...top].reduce((sum, i) => sum + (size.get(i) ?? 0), 0) / total) : null,
    top_return_1d: null,
    others_return_1d: null,
    top_contribution_ytd: null,
    top_share_of_return_ytd: null,
  };
  const topDay = weighted(last - 1, (i) => top.has(i));
  const othersDay = weighted(last - 1, (i) => !top.has(i));
  metrics.top_return_1d = topDay.weight > 0 ? finite(topDay.gain / topDay.weight) : null;
  metrics.others_return_1d = othersDay.weight > 0 ? finite(othersDay.gain / othersDay.weight) : null;
  if (base >= 0) {
    const topYear = weighted(base, (i) => top.has(i));
    const all = weighted(base, () => true);
    if (all.weight > 0) {
      metrics.top_contribution_ytd = finite(topYear.gain / all.weight);
      const allReturn = all.gain / all.weight;
      // A share of a near-zero return is noise, not concentration.
      if (Math.abs(allReturn) >= 0.005) metrics.top_share_of_return_ytd = finite(topYear.gain / all.gain);
    }
  }
  const rows = ranked.slice(0, options.top).map(([i, s]) => {
    const close = panel.close[i] ?? new Float64Array(0);
    return [
      panel.symbols[i] ?? '',
      total > 0 ? s / total : null,
      finite(trailingReturn(close, last - 1, last)),
      base >= 0 ? finite(trailingReturn(close, base, last)) : null,
    ];
  });
  return {
    metrics,
    note,
    table:
      rows.length === 0
        ? null
        : {
            id: 'largest',
            title: `Largest ${options.top} members`,
            columns: [
              { key: 'symbol', label: 'Symbol', unit: 'text' },
              { key: 'weight', label: 'Weight', unit: 'fraction' },
              { key: 'return_1d', label: '1 day', unit: 'fraction' },
              { key: 'return_ytd', label: 'Year to date', unit: 'fraction' },
            ],
            rows,
          },
  };
}

/** Average close × volume over the last DOLLAR_VOLUME_WINDOW sessions, over the days with both. */
function dollarVolumes(panel: Panel, members: readonly number[], last: number): Map<number, number> {
  const out = new Map<number, number>();
  const from = Math.max(0, last - DOLLAR_VOLUME_WINDOW + 1);
  for (const i of members) {
    const close = panel.close[i] ?? new Float64Array(0);
    const volume = panel.volume[i] ?? new Float64Array(0);
    let sum = 0;
    let days = 0;
    for (let t = from; t <= last; t++) {
      const traded = (close[t] ?? Number.NaN) * (volume[t] ?? Number.NaN);
      if (Number.isNaN(traded)) continue;
      sum += traded;
      days++;
    }
    if (days > 0) out.set(i, sum / days);
  }
  return out;
}
