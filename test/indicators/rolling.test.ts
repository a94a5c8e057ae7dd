import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  change,
  compound,
  correlation,
  cumulativeSum,
  drawdown,
  ema,
  median,
  percentileRank,
  rollingExtreme,
  rollingMax,
  rollingStd,
  sma,
} from '../../src/indicators/rolling.ts';
import { NaN_, assertSeries } from '../helpers/series.ts';

describe('rolling arithmetic (values worked out by hand)', () => {
  it('returns n/a for a moving average until the window is full and across a gap', () => {
    assertSeries(sma([1, 2, 3, 4, 5], 3), [NaN_, NaN_, 2, 3, 4]);
    assertSeries(sma([1, 2, NaN_, 4, 5, 6], 2), [NaN_, 1.5, NaN_, NaN_, 4.5, 5.5]);
  });

  it('seeds the EMA with the simple average of the first n values, then smooths by 2/(n+1)', () => {
    // n = 2: seed (1+3)/2 = 2; then 2 + 2/3·(2-2) = 2; then 2 + 2/3·(6-2) = 4.666…
    assertSeries(ema([1, 3, 2, 6], 2), [NaN_, 2, 2, 2 + 8 / 3]);
  });

  it('computes the sample standard deviation of the window', () => {
    // mean 5, squared deviations sum to 32, divided by n-1 = 7
    assertSeries(rollingStd([2, 4, 4, 4, 5, 5, 7, 9], 8), [
      ...Array<number>(7).fill(NaN_),
      Math.sqrt(32 / 7),
    ]);
  });

  it('finds rolling highs and lows, with a gap spoiling every window that holds it', () => {
    const values = Float64Array.from([3, 1, 4, 1, 5, 9, 2, 6]);
    assertSeries(rollingMax(values, 3, 'high'), [NaN_, NaN_, 4, 4, 5, 9, 9, 9]);
    assertSeries(rollingMax(values, 3, 'low'), [NaN_, NaN_, 1, 1, 1, 1, 2, 2]);
    const gapped = Float64Array.from([3, 1, 4, NaN_, 5, 9, 2, 6]);
    assertSeries(rollingMax(gapped, 3, 'high'), [NaN_, NaN_, 4, NaN_, NaN_, NaN_, 9, 9]);
    assertSeries(rollingExtreme(Float64Array.from([1, 2, 2, 1, 3]), 3, 'high'), [NaN_, NaN_, 1, 0, 1]);
  });

  it('computes changes, compounding, drawdowns and running sums', () => {
    assertSeries(change([100, 110, 99], 1), [NaN_, 0.1, -0.1]);
    assert.ok(Math.abs(compound([0.1, -0.1], 0, 1) - -0.01) < 1e-12);
    assertSeries(drawdown([100, 120, 90, 130]), [0, 0, -0.25, 0]);
    assertSeries(cumulativeSum([NaN_, 1, NaN_, 2]), [NaN_, 1, 1, 3]);
  });

  it('computes medians, percentile ranks and correlations', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
    assert.equal(percentileRank([1, 2, 3, 4], 3), 62.5, 'two below and half of one tie out of four');
    assert.ok(Math.abs(correlation([1, 2, 3], [2, 4, 6]) - 1) < 1e-12);
    assert.ok(Math.abs(correlation([1, 2, 3], [3, 2, 1]) + 1) < 1e-12);
  });
});
