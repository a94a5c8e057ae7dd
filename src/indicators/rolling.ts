/**
 * Pure series arithmetic over typed arrays. Conventions shared by every function here:
 * - NaN means "n/a": not enough history yet (warm-up) or a missing input. Nothing is ever filled in.
 * - No look-ahead: output[t] depends only on input[0..t].
 * - Output arrays have the input's length, so index t always means the same day.
 */
export type Series = ArrayLike<number>;

function requireWindow(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`window must be a positive integer, got ${n}`);
}

/** Simple moving average of the last n values; n/a until n values, and for any window holding a gap. */
export function sma(values: Series, n: number): Float64Array {
  requireWindow(n);
  const out = new Float64Array(values.length).fill(Number.NaN);
  let sum = 0;
  let valid = 0;
  for (let t = 0; t < values.length; t++) {
    const v = values[t] ?? Number.NaN;
    if (Number.isNaN(v)) {
      sum = 0;
      valid = 0;
      continue;
    }
    sum += v;
    valid++;
    if (valid > n) sum -= values[t - n] ?? 0;
    if (valid >= n) out[t] = sum / n;
  }
  return out;
}

/**
 * Exponential moving average with smoothing 2/(n+1), seeded with the simple average of the first n
 * values so the warm-up is explicit (n/a for the first n-1 values). A gap (NaN) gives n/a that day and
 * leaves the average where it was.
 */
export function ema(values: Series, n: number): Float64Array {
  requireWindow(n);
  const out = new Float64Array(values.length).fill(Number.NaN);
  const alpha = 2 / (n + 1);
  let seedSum = 0;
  let seen = 0;
  let current = Number.NaN;
  for (let t = 0; t < values.length; t++) {
    const v = values[t] ?? Number.NaN;
    if (Number.isNaN(v)) continue;
    if (seen < n) {
      seedSum += v;
      seen++;
      if (seen === n) current = seedSum / n;
      else continue;
    } else {
      current += alpha * (v - current);
    }
    out[t] = current;
  }
  return out;
}

/** Sample standard deviation (n-1) of the last n values; n/a for a window holding a gap. */
export function rollingStd(values: Series, n: number): Float64Array {
  requireWindow(n);
  if (n < 2) throw new RangeError('a standard deviation needs a window of at least 2');
  const out = new Float64Array(values.length).fill(Number.NaN);
  for (let t = n - 1; t < values.length; t++) {
    let mean = 0;
    let ok = true;
    for (let k = t - n + 1; k <= t; k++) {
      const v = values[k] ?? Number.NaN;
      if (Number.isNaN(v)) {
        ok = false;
        break;
      }
      mean += v;
    }
    if (!ok) continue;
    mean /= n;
    let squares = 0;
    for (let k = t - n + 1; k <= t; k++) {
      const d = (values[k] ?? 0) - mean;
      squares += d * d;
    }
    out[t] = Math.sqrt(squares / (n - 1));
  }
  return out;
}

/**
 * Highest (or lowest) of the last n values, n/a until n values and for any window holding a gap. Uses the
 * van Herk/Gil-Werman scheme: running extremes forward and backward within blocks of n, so each output is
 * one comparison of two precomputed values, whatever n is. `scratch` (the input's length) may be passed
 * to reuse one buffer across many calls.
 */
export function rollingMax(
  values: Float64Array,
  n: number,
  kind: 'high' | 'low' = 'high',
  scratch = new Float64Array(values.length),
): Float64Array {
  requireWindow(n);
  const length = values.length;
  const out = new Float64Array(length).fill(Number.NaN);
  // Math.max and Math.min return NaN when either side is NaN, which carries a gap through its windows.
  // The two kinds are separate loops because calling Math.max through a variable was three times slower.
  const backward = scratch;
  let forward = Number.NaN;
  if (kind === 'high') {
    for (let t = length - 1; t >= 0; t--) {
      const v = values[t] ?? Number.NaN;
      backward[t] = t % n === n - 1 || t === length - 1 ? v : Math.max(v, backward[t + 1] ?? Number.NaN);
    }
    for (let t = 0; t < length; t++) {
      const v = values[t] ?? Number.NaN;
      forward = t % n === 0 ? v : Math.max(forward, v);
      if (t >= n - 1) out[t] = Math.max(backward[t - n + 1] ?? Number.NaN, forward);
    }
  } else {
    for (let t = length - 1; t >= 0; t--) {
      const v = values[t] ?? Number.NaN;
      backward[t] = t % n === n - 1 || t === length - 1 ? v : Math.min(v, backward[t + 1] ?? Number.NaN);
    }
    for (let t = 0; t < length; t++) {
      const v = values[t] ?? Number.NaN;
      forward = t % n === 0 ? v : Math.min(forward, v);
      if (t >= n - 1) out[t] = Math.min(backward[t - n + 1] ?? Number.NaN, forward);
    }
  }
  return out;
}

/**
 * 1 where a value is the highest (or lowest) of the last n values, itself included (a tie counts), else 0;
 * n/a until n values without a gap.
 */
export function rollingExtreme(values: Float64Array, n: number, kind: 'high' | 'low'): Float64Array {
  const extreme = rollingMax(values, n, kind);
  return extreme.map((e, t) => (Number.isNaN(e) ? Number.NaN : e === values[t] ? 1 : 0));
}

/** Return over `lag` days, value[t] / value[t-lag] - 1. */
export function change(values: Series, lag: number): Float64Array {
  requireWindow(lag);
  const out = new Float64Array(values.length).fill(Number.NaN);
  for (let t = lag; t < values.length; t++) {
    out[t] = (values[t] ?? Number.NaN) / (values[t - lag] ?? Number.NaN) - 1;
  }
  return out;
}

/** Compounded return of daily returns from index `from` to `to`, both included; n/a across a gap. */
export function compound(returns: Series, from: number, to: number): number {
  if (from < 0 || to >= returns.length || from > to) return Number.NaN;
  let growth = 1;
  for (let t = from; t <= to; t++) growth *= 1 + (returns[t] ?? Number.NaN);
  return growth - 1;
}

/** Growth of 1 invested at the first valid return; n/a before it, flat across later gaps. */
export function cumulativeGrowth(returns: Series): Float64Array {
  const out = new Float64Array(returns.length).fill(Number.NaN);
  let growth = Number.NaN;
  for (let t = 0; t < returns.length; t++) {
    const r = returns[t] ?? Number.NaN;
    if (Number.isNaN(r)) {
      out[t] = growth;
      continue;
    }
    growth = (Number.isNaN(growth) ? 1 : growth) * (1 + r);
    out[t] = growth;
  }
  return out;
}

/** Fall from the highest value so far, as a fraction (0 at a peak, -0.2 twenty percent below it). */
export function drawdown(values: Series): Float64Array {
  const out = new Float64Array(values.length).fill(Number.NaN);
  let peak = Number.NaN;
  for (let t = 0; t < values.length; t++) {
    const v = values[t] ?? Number.NaN;
    if (Number.isNaN(v)) continue;
    if (Number.isNaN(peak) || v > peak) peak = v;
    out[t] = v / peak - 1;
  }
  return out;
}

/** Running sum from the first valid value; gaps add nothing. */
export function cumulativeSum(values: Series): Float64Array {
  const out = new Float64Array(values.length).fill(Number.NaN);
  let sum = Number.NaN;
  for (let t = 0; t < values.length; t++) {
    const v = values[t] ?? Number.NaN;
    if (!Number.isNaN(v)) sum = (Number.isNaN(sum) ? 0 : sum) + v;
    out[t] = sum;
  }
  return out;
}

/** Median of the valid values; n/a when there are none. */
export function median(values: Iterable<number>): number {
  const sorted = [...values].filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export function mean(values: Iterable<number>): number {
  let sum = 0;
  let count = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    sum += v;
    count++;
  }
  return count === 0 ? Number.NaN : sum / count;
}

/**
 * Percentile rank of `value` within `sample` (0-100): the share of the sample below it, counting ties
 * as half, so the median of a sample ranks 50. n/a for an empty sample.
 */
export function percentileRank(sample: Iterable<number>, value: number): number {
  let below = 0;
  let equal = 0;
  let count = 0;
  for (const v of sample) {
    if (Number.isNaN(v)) continue;
    count++;
    if (v < value) below++;
    else if (v === value) equal++;
  }
  if (count === 0 || Number.isNaN(value)) return Number.NaN;
  return ((below + equal / 2) / count) * 100;
}

/** Pearson correlation over the indices where both series are valid; n/a with fewer than 3 pairs. */
export function correlation(a: Series, b: Series): number {
  const n = Math.min(a.length, b.length);
  let count = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? Number.NaN;
    const y = b[i] ?? Number.NaN;
    if (Number.isNaN(x) || Number.isNaN(y)) continue;
    sa += x;
    sb += y;
    count++;
  }
  if (count < 3) return Number.NaN;
  const ma = sa / count;
  const mb = sb / count;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? Number.NaN;
    const y = b[i] ?? Number.NaN;
    if (Number.isNaN(x) || Number.isNaN(y)) continue;
    cov += (x - ma) * (y - mb);
    va += (x - ma) ** 2;
    vb += (y - mb) ** 2;
  }
  return va === 0 || vb === 0 ? Number.NaN : cov / Math.sqrt(va * vb);
}
