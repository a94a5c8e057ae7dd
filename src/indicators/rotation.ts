import { sma } from './rolling.ts';

/**
 * Relative Rotation Graph coordinates. Julius de Kempenaer's JdK RS-Ratio and RS-Momentum are proprietary,
 * so tapewatch uses an open, fully rolling approximation with the same reading:
 * - relative strength RS = asset / benchmark (adjusted closes);
 * - RS-Ratio = 100 × RS / (its RS_RATIO_LENGTH-session simple average): above 100 the asset's relative
 *   strength is above its own ten-week trend;
 * - RS-Momentum = 100 × RS-Ratio / (RS-Ratio RS_MOMENTUM_LAG sessions earlier): above 100 the ratio is
 *   rising.
 * Both are centred on 100 and use only data up to the day. Unlike JdK's they are not normalised by each
 * asset's volatility, so a volatile sector (energy) sits farther from the centre than a quiet one
 * (staples) for the same relative trend; we keep that, since the distance is then a plain percentage.
 */
export const RS_RATIO_LENGTH = 50;
export const RS_MOMENTUM_LAG = 10;

export const QUADRANTS = ['leading', 'weakening', 'lagging', 'improving'] as const;
export type Quadrant = (typeof QUADRANTS)[number];

export interface RotationSeries {
  readonly rsRatio: Float64Array;
  readonly rsMomentum: Float64Array;
}

export function computeRotation(asset: ArrayLike<number>, benchmark: ArrayLike<number>): RotationSeries {
  const length = Math.min(asset.length, benchmark.length);
  const rs = new Float64Array(length);
  for (let t = 0; t < length; t++) rs[t] = (asset[t] ?? Number.NaN) / (benchmark[t] ?? Number.NaN);
  const trend = sma(rs, RS_RATIO_LENGTH);
  const rsRatio = rs.map((value, t) => (100 * value) / (trend[t] ?? Number.NaN));
  const rsMomentum = rsRatio.map((value, t) =>
    t < RS_MOMENTUM_LAG ? Number.NaN : (100 * value) / (rsRatio[t - RS_MOMENTUM_LAG] ?? Number.NaN),
  );
  return { rsRatio, rsMomentum };
}

/** Leading: strong and strengthening; weakening: strong, fading; lagging: weak, fading; improving: weak, recovering. */
export function quadrantOf(rsRatio: number, rsMomentum: number): Quadrant | null {
  if (Number.isNaN(rsRatio) || Number.isNaN(rsMomentum)) return null;
  if (rsRatio >= 100) return rsMomentum >= 100 ? 'leading' : 'weakening';
  return rsMomentum >= 100 ? 'improving' : 'lagging';
}

/** Return of holding `a` against `b` over `lag` sessions: (1 + a's return) / (1 + b's return) - 1. */
export function relativeReturns(a: ArrayLike<number>, b: ArrayLike<number>, lag: number): Float64Array {
  const length = Math.min(a.length, b.length);
  const out = new Float64Array(length).fill(Number.NaN);
  for (let t = lag; t < length; t++) {
    const growthA = (a[t] ?? Number.NaN) / (a[t - lag] ?? Number.NaN);
    const growthB = (b[t] ?? Number.NaN) / (b[t - lag] ?? Number.NaN);
    out[t] = growthA / growthB - 1;
  }
  return out;
}

/**
 * Sessions on which a pair split sharply: the first leg moved at least `threshold` (a fraction) in
 * `direction` while the second moved the other way (e.g. small caps +3% while the S&P 500 fell).
 */
export function splitSessions(
  firstReturns: ArrayLike<number>,
  secondReturns: ArrayLike<number>,
  threshold: number,
  direction: 'up' | 'down',
): number[] {
  const sign = direction === 'up' ? 1 : -1;
  const out: number[] = [];
  const length = Math.min(firstReturns.length, secondReturns.length);
  for (let t = 0; t < length; t++) {
    const first = sign * (firstReturns[t] ?? Number.NaN);
    const second = sign * (secondReturns[t] ?? Number.NaN);
    if (first >= threshold && second < 0) out.push(t);
  }
  return out;
}
