import { nextTradingDay } from '../market/calendar.ts';
import type { IsoDate } from '../market/types.ts';
import { dailyReturns, returnsInto } from './panel.ts';
import { rollingStd } from './rolling.ts';

/**
 * The long-short momentum factor (Jegadeesh and Titman 1993; the "UMD" factor of Carhart 1997 and Kenneth
 * French's data library): at each month's last session rank stocks on their return from `lookback` to
 * `skip` sessions ago (12-1 months by default: the most recent month is skipped because one-month returns
 * tend to reverse), buy the top quantile and sell the bottom one, equal weight, held until the next
 * month-end. The factor's daily return is the long leg's minus the short leg's.
 */
export interface MomentumSettings {
  /** Sessions back to the start of the ranking window (252, about 12 months). */
  readonly lookback: number;
  /** Most recent sessions left out of the ranking window (21, about one month). */
  readonly skip: number;
  /** Share of the ranked stocks in each leg (0.2: quintiles). */
  readonly quantile: number;
  /**
   * Rank within each sector and take each sector's top and bottom quantile, so the legs hold no sector
   * bet; `sectors[i]` is symbol i's sector (null: unknown, ranked together as one group).
   */
  readonly sectorNeutral: boolean;
  readonly sectors: readonly (string | null)[];
  /**
   * Volatility scaling (Barroso and Santa-Clara 2015): at each rebalance the factor is levered to this
   * annualized volatility, judged on the unscaled factor's last `volWindow` sessions, and the leverage is
   * capped at MAX_LEVERAGE. Null: unscaled.
   */
  readonly volTarget: number | null;
}

export const VOL_WINDOW = 126;
const EMPTY = new Float64Array(0);
export const MAX_LEVERAGE = 2;
export const TRADING_DAYS_PER_YEAR = 252;
/** Fewer ranked stocks than this and a quantile sort says nothing. */
export const MIN_RANKED = 10;

export interface Formation {
  /** Index of the month-end session whose close the ranking uses. */
  readonly at: number;
  readonly date: IsoDate;
  /** Symbol indices in each leg, in symbol order. */
  readonly long: readonly number[];
  readonly short: readonly number[];
  /** Ranking return of every symbol at this formation (NaN: not ranked). */
  readonly signal: Float64Array;
  /** Leverage applied to the factor until the next formation (1 when unscaled). */
  readonly leverage: number;
}

export interface MomentumFactor {
  /** Daily factor return (long minus short, after any volatility scaling); NaN before the first formation. */
  readonly longShort: Float64Array;
  readonly long: Float64Array;
  readonly short: Float64Array;
  readonly formations: readonly Formation[];
  /** Daily returns of a symbol (computed on first use), for crowding and tables. */
  readonly returnsOf: (symbol: number) => Float64Array;
}

/** Whether a session is the last of its month on the NYSE calendar (known in advance, so no look-ahead). */
export function isMonthEnd(date: IsoDate): boolean {
  return nextTradingDay(date).slice(0, 7) !== date.slice(0, 7);
}

export function rankingReturns(
  adjClose: readonly Float64Array[],
  at: number,
  settings: MomentumSettings,
): Float64Array {
  const signal = new Float64Array(adjClose.length).fill(Number.NaN);
  if (at - settings.lookback < 0) return signal;
  for (let s = 0; s < adjClose.length; s++) {
    const prices = adjClose[s] ?? new Float64Array(0);
    // A stock must still trade at the formation close to be bought or sold.
    if (Number.isNaN(prices[at] ?? Number.NaN)) continue;
    signal[s] =
      (prices[at - settings.skip] ?? Number.NaN) / (prices[at - settings.lookback] ?? Number.NaN) - 1;
  }
  return signal;
}

/**
 * The bottom and top `quantile` of the ranked symbols (per sector when sector-neutral), in symbol order.
 * Cut-offs come from a native numeric sort of the values; ties at a cut-off go to the lower symbol index,
 * so the legs never depend on sort stability.
 */
function pickLegs(signal: Float64Array, settings: MomentumSettings): { long: number[]; short: number[] } {
  const groups = new Map<string | null, number[]>();
  const all: number[] = [];
  for (let s = 0; s < signal.length; s++) {
    if (Number.isNaN(signal[s] ?? Number.NaN)) continue;
    if (!settings.sectorNeutral) {
      all.push(s);
      continue;
    }
    const key = settings.sectors[s] ?? null;
    const group = groups.get(key);
    if (group) group.push(s);
    else groups.set(key, [s]);
  }
  if (!settings.sectorNeutral) groups.set(null, all);
  const long: number[] = [];
  const short: number[] = [];
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    const size = Math.max(1, Math.floor(members.length * settings.quantile));
    const sorted = new Float64Array(members.length);
    for (let i = 0; i < members.length; i++) sorted[i] = signal[members[i] ?? 0] ?? 0;
    sorted.sort();
    takeBeyond(members, signal, sorted[size - 1] ?? 0, size, -1, short);
    takeBeyond(members, signal, sorted[sorted.length - size] ?? 0, size, 1, long);
  }
  return { long: long.sort((a, b) => a - b), short: short.sort((a, b) => a - b) };
}

/** Adds `size` members strictly beyond the cut-off in `direction`, topped up from those exactly at it. */
function takeBeyond(
  members: readonly number[],
  signal: Float64Array,
  cut: number,
  size: number,
  direction: 1 | -1,
  into: number[],
): void {
  let taken = 0;
  for (const s of members) {
    if (direction * ((signal[s] ?? 0) - cut) > 0) {
      into.push(s);
      taken++;
    }
  }
  for (const s of members) {
    if (taken >= size) break;
    if (signal[s] === cut) {
      into.push(s);
      taken++;
    }
  }
}

/**
 * Daily returns, over sessions from..to, of an equal-weight basket bought at the close before `from` and
 * left to drift. A member without a return that day (halted, delisted) is held flat. Each member is walked
 * through the period in turn (weight × return summed per day), which reads memory in order.
 */
function basketReturns(
  members: readonly number[],
  adjClose: readonly Float64Array[],
  from: number,
  to: number,
  out: Float64Array,
): void {
  const days = to - from + 1;
  const gain = new Float64Array(days);
  const total = new Float64Array(days);
  const own = new Float64Array(days);
  for (const s of members) {
    returnsInto(adjClose[s] ?? EMPTY, from, to, own);
    let weight = 1;
    for (let k = 0; k < days; k++) {
      const r = own[k] ?? Number.NaN;
      total[k] = (total[k] ?? 0) + weight;
      if (Number.isNaN(r)) continue;
      gain[k] = (gain[k] ?? 0) + weight * r;
      weight *= 1 + r;
    }
  }
  for (let k = 0; k < days; k++) {
    const t = total[k] ?? 0;
    out[from + k] = t > 0 ? (gain[k] ?? 0) / t : Number.NaN;
  }
}

export function computeMomentumFactor(
  dates: readonly IsoDate[],
  adjClose: readonly Float64Array[],
  settings: MomentumSettings,
): MomentumFactor {
  const days = dates.length;
  const longShort = new Float64Array(days).fill(Number.NaN);
  const unscaled = new Float64Array(days).fill(Number.NaN);
  const long = new Float64Array(days).fill(Number.NaN);
  const short = new Float64Array(days).fill(Number.NaN);
  const formations: Formation[] = [];
  // Each formation's legs earn the returns of the sessions after it, up to and including the next one.
  const settle = (formation: Formation, to: number) => {
    const from = formation.at + 1;
    if (from > to) return;
    basketReturns(formation.long, adjClose, from, to, long);
    basketReturns(formation.short, adjClose, from, to, short);
    for (let t = from; t <= to; t++) {
      unscaled[t] = (long[t] ?? Number.NaN) - (short[t] ?? Number.NaN);
      longShort[t] = (unscaled[t] ?? Number.NaN) * formation.leverage;
    }
  };
  for (let t = settings.lookback; t < days; t++) {
    const date = dates[t] ?? '';
    // The calendar is only asked where the data's next session starts a new month (or there is none).
    const monthTurns = t === days - 1 || (dates[t + 1] ?? '').slice(0, 7) !== date.slice(0, 7);
    if (!monthTurns || !isMonthEnd(date)) continue;
    const signal = rankingReturns(adjClose, t, settings);
    let ranked = 0;
    for (const value of signal) if (!Number.isNaN(value)) ranked++;
    if (ranked < MIN_RANKED) continue;
    const previous = formations.at(-1);
    if (previous) settle(previous, t);
    formations.push({
      at: t,
      date,
      ...pickLegs(signal, settings),
      signal,
      leverage: leverageAt(unscaled, t, settings.volTarget),
    });
  }
  const latest = formations.at(-1);
  if (latest) settle(latest, days - 1);
  const memo = new Map<number, Float64Array>();
  const returnsOf = (symbol: number): Float64Array => {
    let returns = memo.get(symbol);
    if (returns === undefined) {
      returns = dailyReturns(adjClose[symbol] ?? EMPTY);
      memo.set(symbol, returns);
    }
    return returns;
  };
  return { longShort, long, short, formations, returnsOf };
}

/** Leverage for the month after session t: target over realized volatility, n/a history meaning 1. */
function leverageAt(unscaled: Float64Array, t: number, volTarget: number | null): number {
  if (volTarget === null) return 1;
  const sd = rollingStd(unscaled.subarray(Math.max(0, t - VOL_WINDOW + 1), t + 1), VOL_WINDOW).at(-1);
  if (sd === undefined || !(sd > 0)) return 1;
  return Math.min(MAX_LEVERAGE, volTarget / (sd * Math.sqrt(TRADING_DAYS_PER_YEAR)));
}

/**
 * The day's return in units of the factor's trailing volatility: r[t] / sd(r[t-n..t-1]). The window ends
 * the day before, so a crash is measured against the calm before it, not diluted by itself.
 */
export function returnZScores(returns: Float64Array, n = TRADING_DAYS_PER_YEAR): Float64Array {
  const sd = rollingStd(returns, n);
  const out = new Float64Array(returns.length).fill(Number.NaN);
  for (let t = 1; t < returns.length; t++) {
    const s = sd[t - 1] ?? Number.NaN;
    if (s > 0) out[t] = (returns[t] ?? Number.NaN) / s;
  }
  return out;
}

/**
 * Average correlation over all pairs of the members' daily returns in sessions from..to (crowding: when a
 * leg's stocks move together, the trade is crowded and can unwind at once). Members with fewer than 80% of
 * the window's returns are left out; n/a with fewer than two members left.
 */
export function averagePairwiseCorrelation(
  series: readonly Float64Array[],
  from: number,
  to: number,
): number {
  const length = to - from + 1;
  const standardized: Float64Array[] = [];
  for (const returns of series) {
    const window = returns.subarray(from, to + 1);
    let count = 0;
    let sum = 0;
    for (const r of window) {
      if (Number.isNaN(r)) continue;
      count++;
      sum += r;
    }
    if (count < 0.8 * length || count < 3) continue;
    const m = sum / count;
    let squares = 0;
    for (const r of window) if (!Number.isNaN(r)) squares += (r - m) ** 2;
    if (squares === 0) continue;
    const scale = 1 / Math.sqrt(squares);
    standardized.push(window.map((r) => (Number.isNaN(r) ? 0 : (r - m) * scale)));
  }
  const n = standardized.length;
  if (n < 2) return Number.NaN;
  // Sum over pairs of dot products = (|sum of vectors|^2 - sum of |v|^2) / 2, linear in the members.
  const total = new Float64Array(length);
  let selfDots = 0;
  for (const v of standardized) {
    for (let k = 0; k < length; k++) {
      const x = v[k] ?? 0;
      total[k] = (total[k] ?? 0) + x;
      selfDots += x * x;
    }
  }
  let totalSquares = 0;
  for (const x of total) totalSquares += x * x;
  return (totalSquares - selfDots) / (n * (n - 1));
}
