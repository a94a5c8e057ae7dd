import { change, cumulativeSum, ema, rollingMax } from './rolling.ts';

/**
 * A close above its n-day average (sum / n). Equal is not above: the margin, far below one tick of a
 * price (a millionth of a dollar on n × the largest prices), absorbs the rounding of p × n and of the
 * binary fractions of decimal prices, so a close that equals its average in the file's decimals is
 * never counted.
 */
function isAbove(p: number, n: number, sum: number): boolean {
  return p * n > sum + Math.abs(sum) * TIE_MARGIN;
}
const TIE_MARGIN = 1e-14;

/** Moving-average lengths for the "percent above" measures (about one month, one quarter, ten months). */
export const AVERAGE_LENGTHS = [20, 50, 200] as const;
export type AverageLength = (typeof AVERAGE_LENGTHS)[number];
/** 52 weeks of sessions, for new highs and lows on closes. */
export const HIGH_LOW_WINDOW = 252;
/** McClellan oscillator: 19- and 39-day EMAs of net advances (smoothing 0.10 and 0.05). */
export const MCCLELLAN_FAST = 19;
export const MCCLELLAN_SLOW = 39;
/** Zweig breadth thrust: the 10-day EMA of advances/(advances+declines) from below 0.40 to above 0.615 within 10 sessions. */
export const ZWEIG_LENGTH = 10;
export const ZWEIG_LOW = 0.4;
export const ZWEIG_HIGH = 0.615;
export const ZWEIG_WITHIN = 10;

export interface BreadthSeries {
  /** Percent (0-100) of members whose close is above its n-day simple average. */
  readonly pctAbove: Readonly<Record<AverageLength, Float64Array>>;
  readonly advancers: Float64Array;
  readonly decliners: Float64Array;
  readonly unchanged: Float64Array;
  readonly netAdvances: Float64Array;
  /** Cumulative net advances from the first session in the data (only its changes mean anything). */
  readonly adLine: Float64Array;
  readonly mcclellan: Float64Array;
  /** Running total of the McClellan oscillator from its first value. */
  readonly summation: Float64Array;
  readonly newHighs: Float64Array;
  readonly newLows: Float64Array;
  readonly zweigEma: Float64Array;
  /** 1 on the session a Zweig breadth thrust completes. */
  readonly zweigThrust: Uint8Array;
  /** Percent of members whose return beat the index's over 21 sessions, and on the day. */
  readonly pctOutperforming21d: Float64Array;
  readonly pctOutperforming1d: Float64Array;
}

/**
 * Share of the members counted, as a percent; n/a when fewer than half of the members priced that day
 * have the input (warm-up: a 200-day average needs 200 sessions of a stock's history).
 */
function percentOf(hits: Float64Array, counted: Float64Array, priced: Float64Array): Float64Array {
  return hits.map((h, t) => {
    const n = counted[t] ?? 0;
    return n > 0 && n >= 0.5 * (priced[t] ?? 0) ? (100 * h) / n : Number.NaN;
  });
}

/**
 * Breadth of a universe from its members' split-adjusted closes (price levels, advances and declines, as
 * the exchanges count them) and adjusted closes (returns against the index). `indexAdjClose` may be null
 * when the index is not in the data; the index-relative series are then n/a.
 */
export function computeBreadth(
  close: readonly Float64Array[],
  adjClose: readonly Float64Array[],
  indexAdjClose: Float64Array | null,
): BreadthSeries {
  const days = close[0]?.length ?? 0;
  const zeros = () => new Float64Array(days);
  const priced = zeros();
  const above = AVERAGE_LENGTHS.map(zeros);
  const averaged = AVERAGE_LENGTHS.map(zeros);
  const advancers = zeros();
  const decliners = zeros();
  const unchanged = zeros();
  const highs = zeros();
  const lows = zeros();
  const extremesCounted = zeros();
  const beat21 = zeros();
  const counted21 = zeros();
  const beat1 = zeros();
  const counted1 = zeros();
  const index21 = indexAdjClose ? change(indexAdjClose, 21) : null;
  const index1 = indexAdjClose ? change(indexAdjClose, 1) : null;
  const scratch = zeros();

  // One pass per member with running sums (the three averages written out, as the lengths are fixed):
  // a full-length array per member and measure made allocation most of the time.
  const [above20, above50, above200] = above as [Float64Array, Float64Array, Float64Array];
  const [averaged20, averaged50, averaged200] = averaged as [Float64Array, Float64Array, Float64Array];
  for (const prices of close) {
    // Compensated (Neumaier) running sums: plain ones drift over thousands of additions and subtractions
    // until a close equal to its average reads as above it (on ~2% of days, by up to 0.25 points).
    let sum20 = 0;
    let sum50 = 0;
    let sum200 = 0;
    let err20 = 0;
    let err50 = 0;
    let err200 = 0;
    let run = 0;
    for (let t = 0; t < days; t++) {
      const p = prices[t] ?? Number.NaN;
      if (Number.isNaN(p)) {
        run = sum20 = sum50 = sum200 = err20 = err50 = err200 = 0;
        continue;
      }
      run++;
      priced[t] = (priced[t] ?? 0) + 1;
      const out20 = run > 20 ? -(prices[t - 20] ?? 0) : 0;
      const out50 = run > 50 ? -(prices[t - 50] ?? 0) : 0;
      const out200 = run > 200 ? -(prices[t - 200] ?? 0) : 0;
      let next = sum20 + p;
      err20 += Math.abs(sum20) >= Math.abs(p) ? sum20 - next + p : p - next + sum20;
      sum20 = next + out20;
      err20 += Math.abs(next) >= Math.abs(out20) ? next - sum20 + out20 : out20 - sum20 + next;
      next = sum50 + p;
      err50 += Math.abs(sum50) >= Math.abs(p) ? sum50 - next + p : p - next + sum50;
      sum50 = next + out50;
      err50 += Math.abs(next) >= Math.abs(out50) ? next - sum50 + out50 : out50 - sum50 + next;
      next = sum200 + p;
      err200 += Math.abs(sum200) >= Math.abs(p) ? sum200 - next + p : p - next + sum200;
      sum200 = next + out200;
      err200 += Math.abs(next) >= Math.abs(out200) ? next - sum200 + out200 : out200 - sum200 + next;
      // Comparisons on price data go either way at random, so counts add 0 or 1 instead of branching:
      // a mispredicted branch per cell tripled the time.
      const has20 = +(run >= 20);
      const has50 = +(run >= 50);
      const has200 = +(run >= 200);
      averaged20[t] = (averaged20[t] ?? 0) + has20;
      averaged50[t] = (averaged50[t] ?? 0) + has50;
      averaged200[t] = (averaged200[t] ?? 0) + has200;
      above20[t] = (above20[t] ?? 0) + has20 * +isAbove(p, 20, sum20 + err20);
      above50[t] = (above50[t] ?? 0) + has50 * +isAbove(p, 50, sum50 + err50);
      above200[t] = (above200[t] ?? 0) + has200 * +isAbove(p, 200, sum200 + err200);
      if (run < 2) continue;
      const previous = prices[t - 1] ?? Number.NaN;
      advancers[t] = (advancers[t] ?? 0) + +(p > previous);
      decliners[t] = (decliners[t] ?? 0) + +(p < previous);
      unchanged[t] = (unchanged[t] ?? 0) + +(p === previous);
    }
    const highest = rollingMax(prices, HIGH_LOW_WINDOW, 'high', scratch);
    const lowest = rollingMax(prices, HIGH_LOW_WINDOW, 'low', scratch);
    for (let t = HIGH_LOW_WINDOW - 1; t < days; t++) {
      const h = highest[t] ?? Number.NaN;
      if (Number.isNaN(h)) continue;
      extremesCounted[t] = (extremesCounted[t] ?? 0) + 1;
      const p = prices[t] ?? Number.NaN;
      highs[t] = (highs[t] ?? 0) + +(p === h);
      lows[t] = (lows[t] ?? 0) + +(p === lowest[t]);
    }
  }
  if (index21 && index1) {
    for (const adj of adjClose) {
      for (let t = 1; t < days; t++) {
        const p = adj[t] ?? Number.NaN;
        if (Number.isNaN(p)) continue;
        const m1 = p / (adj[t - 1] ?? Number.NaN) - 1;
        const i1 = index1[t] ?? Number.NaN;
        if (!Number.isNaN(m1) && !Number.isNaN(i1)) {
          counted1[t] = (counted1[t] ?? 0) + 1;
          beat1[t] = (beat1[t] ?? 0) + +(m1 > i1);
        }
        if (t < 21) continue;
        const m21 = p / (adj[t - 21] ?? Number.NaN) - 1;
        const i21 = index21[t] ?? Number.NaN;
        if (!Number.isNaN(m21) && !Number.isNaN(i21)) {
          counted21[t] = (counted21[t] ?? 0) + 1;
          beat21[t] = (beat21[t] ?? 0) + +(m21 > i21);
        }
      }
    }
  }

  const compared = advancers.map((a, t) => a + (decliners[t] ?? 0) + (unchanged[t] ?? 0));
  const nanWhereNone = (values: Float64Array) =>
    values.map((v, t) => ((compared[t] ?? 0) > 0 ? v : Number.NaN));
  const adv = nanWhereNone(advancers);
  const dec = nanWhereNone(decliners);
  const netAdvances = adv.map((a, t) => a - (dec[t] ?? Number.NaN));
  const slow = ema(netAdvances, MCCLELLAN_SLOW);
  const mcclellan = ema(netAdvances, MCCLELLAN_FAST).map((fast, t) => fast - (slow[t] ?? Number.NaN));
  const zweigEma = ema(
    adv.map((a, t) => {
      const d = dec[t] ?? Number.NaN;
      return a + d > 0 ? a / (a + d) : Number.NaN;
    }),
    ZWEIG_LENGTH,
  );
  const extremesValid = (values: Float64Array) =>
    values.map((v, t) => {
      const n = extremesCounted[t] ?? 0;
      return n > 0 && n >= 0.5 * (priced[t] ?? 0) ? v : Number.NaN;
    });
  const percentAbove = (k: number) => percentOf(above[k] ?? scratch, averaged[k] ?? scratch, priced);
  return {
    pctAbove: { 20: percentAbove(0), 50: percentAbove(1), 200: percentAbove(2) },
    advancers: adv,
    decliners: dec,
    unchanged: nanWhereNone(unchanged),
    netAdvances,
    adLine: cumulativeSum(netAdvances),
    mcclellan,
    summation: cumulativeSum(mcclellan),
    newHighs: extremesValid(highs),
    newLows: extremesValid(lows),
    zweigEma,
    zweigThrust: zweigThrusts(zweigEma),
    pctOutperforming21d: percentOf(beat21, counted21, priced),
    pctOutperforming1d: percentOf(beat1, counted1, priced),
  };
}

/** 1 on each session where the EMA first closes above ZWEIG_HIGH having been below ZWEIG_LOW within ZWEIG_WITHIN sessions. */
export function zweigThrusts(zweigEma: Float64Array): Uint8Array {
  const out = new Uint8Array(zweigEma.length);
  for (let t = 1; t < zweigEma.length; t++) {
    const today = zweigEma[t] ?? Number.NaN;
    const yesterday = zweigEma[t - 1] ?? Number.NaN;
    if (!(today > ZWEIG_HIGH) || !(yesterday <= ZWEIG_HIGH)) continue;
    for (let k = Math.max(0, t - ZWEIG_WITHIN); k < t; k++) {
      if ((zweigEma[k] ?? Number.NaN) < ZWEIG_LOW) {
        out[t] = 1;
        break;
      }
    }
  }
  return out;
}
