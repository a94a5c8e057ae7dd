import { HIGH_LOW_WINDOW } from './breadth.ts';
import type { Panel } from './panel.ts';
import { sma } from './rolling.ts';

/** Sessions in the 52-week range: a trading year, as the breadth report's new highs and lows use. */
export const YEAR_SESSIONS = HIGH_LOW_WINDOW;
/** The moving averages traders quote a stock against. */
export const SHORT_AVERAGE = 50;
export const LONG_AVERAGE = 200;
/** Sessions of volume a day's volume is compared with (the sessions before it, not including it). */
export const VOLUME_AVERAGE = 20;

/**
 * One symbol's own sessions, oldest first, with no gaps: the rows on which it has a price. Working on
 * its own sessions keeps a halted day in a shared calendar from blanking its averages for 200 sessions.
 */
export interface OwnSessions {
  /** Split-adjusted closes: the price levels charts show, averages and the 52-week range. */
  readonly close: ArrayLike<number>;
  /** Dividend- and split-adjusted closes: returns. */
  readonly adjClose: ArrayLike<number>;
  /** Shares traded; NaN where the source reported none. */
  readonly volume: ArrayLike<number>;
}

/**
 * What a quote shows beyond the price, on the last session. Every field is NaN when there is not enough
 * history for it (a 200-day average of a stock listed 100 sessions ago is n/a, never a shorter average).
 */
export interface PriceSnapshot {
  readonly price: number;
  readonly previousClose: number;
  /** From the previous close on adjusted closes, so an ex-dividend day is not a loss. */
  readonly change1d: number;
  /** Highest and lowest close of the last YEAR_SESSIONS sessions, today included. */
  readonly high52w: number;
  readonly low52w: number;
  /** price / high - 1: 0 at a 52-week high, -0.2 a fifth below it. */
  readonly fromHigh52w: number;
  readonly fromLow52w: number;
  readonly sma50: number;
  readonly sma200: number;
  /** price / average - 1. */
  readonly vsSma50: number;
  readonly vsSma200: number;
  readonly volume: number;
  /** Mean volume of the VOLUME_AVERAGE sessions before the last; n/a if any of them has none. */
  readonly averageVolume20: number;
  /** volume / averageVolume20: 2 is twice the usual. */
  readonly volumeRatio: number;
}

function extremeOfLast(values: ArrayLike<number>, n: number, pick: (a: number, b: number) => number): number {
  const last = values.length - 1;
  if (last + 1 < n) return Number.NaN;
  let extreme = values[last] ?? Number.NaN;
  for (let t = last - n + 1; t < last; t++) extreme = pick(extreme, values[t] ?? Number.NaN);
  return extreme;
}

export function priceSnapshot(sessions: OwnSessions): PriceSnapshot {
  const { close, adjClose, volume } = sessions;
  const last = close.length - 1;
  const price = close[last] ?? Number.NaN;
  const previousClose = close[last - 1] ?? Number.NaN;
  const change1d = (adjClose[last] ?? Number.NaN) / (adjClose[last - 1] ?? Number.NaN) - 1;
  const high52w = extremeOfLast(close, YEAR_SESSIONS, Math.max);
  const low52w = extremeOfLast(close, YEAR_SESSIONS, Math.min);
  const sma50 = averageOfLast(close, SHORT_AVERAGE, last);
  const sma200 = averageOfLast(close, LONG_AVERAGE, last);
  const averageVolume20 = averageOfLast(volume, VOLUME_AVERAGE, last - 1);
  const today = volume[last] ?? Number.NaN;
  return {
    price,
    previousClose,
    change1d,
    high52w,
    low52w,
    fromHigh52w: price / high52w - 1,
    fromLow52w: price / low52w - 1,
    sma50,
    sma200,
    vsSma50: price / sma50 - 1,
    vsSma200: price / sma200 - 1,
    volume: today,
    averageVolume20,
    // A day without volume (NaN) or a stretch of zero volume gives n/a, not 0 or infinity.
    volumeRatio: averageVolume20 > 0 ? today / averageVolume20 : Number.NaN,
  };
}

/** Mean of the n values ending at `end`; n/a with fewer than n or a gap among them. */
function averageOfLast(values: ArrayLike<number>, n: number, end: number): number {
  if (end + 1 < n) return Number.NaN;
  let sum = 0;
  for (let t = end - n + 1; t <= end; t++) sum += values[t] ?? Number.NaN;
  return sum / n;
}

/** The moving averages a price chart draws, over a symbol's own sessions (n/a during warm-up). */
export function movingAverages(close: ArrayLike<number>): { short: Float64Array; long: Float64Array } {
  return { short: sma(close, SHORT_AVERAGE), long: sma(close, LONG_AVERAGE) };
}

/** A symbol's own sessions in a panel up to session `last`, with the panel index of each. */
export function ownSessions(
  panel: Pick<Panel, 'dates' | 'close' | 'adjClose' | 'volume'>,
  s: number,
  last: number,
): {
  readonly at: readonly number[];
  readonly close: Float64Array;
  readonly adjClose: Float64Array;
  readonly volume: Float64Array;
} {
  const close = panel.close[s];
  const adjClose = panel.adjClose[s];
  const volume = panel.volume[s];
  const at: number[] = [];
  for (let t = 0; t <= last; t++) {
    // A price row needs both closes: the level for averages, the adjusted one for returns.
    if ((close?.[t] ?? 0) > 0 && (adjClose?.[t] ?? 0) > 0) at.push(t);
  }
  const pick = (column: Float64Array | undefined) => Float64Array.from(at, (t) => column?.[t] ?? Number.NaN);
  return { at, close: pick(close), adjClose: pick(adjClose), volume: pick(volume) };
}
