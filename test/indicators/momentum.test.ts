import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  averagePairwiseCorrelation,
  computeMomentumFactor,
  isMonthEnd,
  returnZScores,
  type MomentumSettings,
} from '../../src/indicators/momentum.ts';
import { tradingDays } from '../../src/market/calendar.ts';
import { NaN_, assertSeries } from '../helpers/series.ts';

describe('momentum factor', () => {
  const dates = tradingDays('2023-01-03', '2023-06-30');
  // Ten stocks growing at 0.0%, 0.1%, … 0.9% a day: the ranking is known in advance.
  const growth = Array.from({ length: 10 }, (_, i) => i * 0.001);
  const prices = growth.map((g) => Float64Array.from(dates, (_, t) => 100 * (1 + g) ** t));
  const settings: MomentumSettings = {
    lookback: 42,
    skip: 21,
    quantile: 0.2,
    sectorNeutral: false,
    sectors: [],
    volTarget: null,
  };

  it('forms legs at month-ends from the top and bottom quantile of the ranking return', () => {
    const factor = computeMomentumFactor(dates, prices, settings);
    const first = factor.formations[0];
    assert.ok(first, 'a formation once 42 sessions of history exist');
    assert.equal(first.date, '2023-03-31', 'the first month-end with 42 sessions before it');
    assert.ok(isMonthEnd(first.date));
    assert.deepEqual(first.long, [8, 9]);
    assert.deepEqual(first.short, [0, 1]);
    assert.ok(Number.isNaN(factor.longShort[first.at] ?? 0), 'no factor return before the first formation');
  });

  it('earns equal-weight, drifting leg returns from the session after the formation', () => {
    const factor = computeMomentumFactor(dates, prices, settings);
    const at = factor.formations[0]?.at ?? -1;
    // Day 1: equal weights. long (0.008 + 0.009)/2, short (0 + 0.001)/2.
    assert.ok(Math.abs((factor.longShort[at + 1] ?? 0) - (0.0085 - 0.0005)) < 1e-12);
    // Day 2: weights drifted by one day's growth.
    const long2 = (1.008 * 0.008 + 1.009 * 0.009) / (1.008 + 1.009);
    const short2 = (1 * 0 + 1.001 * 0.001) / (1 + 1.001);
    assert.ok(Math.abs((factor.longShort[at + 2] ?? 0) - (long2 - short2)) < 1e-12);
    assert.ok(Math.abs((factor.long[at + 2] ?? 0) - long2) < 1e-12);
  });

  it('ranks within each sector when sector-neutral', () => {
    const sectors = growth.map((_, i) => (i < 5 ? 'A' : 'B'));
    const factor = computeMomentumFactor(dates, prices, { ...settings, sectorNeutral: true, sectors });
    const first = factor.formations[0];
    assert.ok(first);
    assert.deepEqual(first.long, [4, 9]);
    assert.deepEqual(first.short, [0, 5]);
  });

  it('uses no data after the day: cutting the history changes no earlier value', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.04;
    const noisy = growth.map(() => {
      let p = 100;
      return Float64Array.from(dates, () => (p *= 1 + random()));
    });
    const full = computeMomentumFactor(dates, noisy, settings);
    const cut = 100;
    const partial = computeMomentumFactor(
      dates.slice(0, cut),
      noisy.map((p) => p.slice(0, cut)),
      settings,
    );
    for (let t = 0; t < cut; t++) {
      const a = full.longShort[t] ?? 0;
      const b = partial.longShort[t] ?? 0;
      assert.ok(
        Object.is(a, b) || Math.abs(a - b) < 1e-15,
        `day ${t}: ${a} with the full history, ${b} without`,
      );
    }
  });

  it('divides the day’s return by the standard deviation of the window before it', () => {
    // sd of [1, -1, 1] = sqrt(((2/3)² + (4/3)² + (2/3)²) / 2)
    const z = returnZScores(Float64Array.from([1, -1, 1, 3]), 3);
    assertSeries(z, [NaN_, NaN_, NaN_, 3 / Math.sqrt(24 / 9 / 2)]);
  });

  it('averages the correlation over every pair of members', () => {
    const a = Float64Array.from([1, 2, 3, 4, 5]);
    const b = a.map((v) => 2 * v);
    const c = a.map((v) => -v);
    // pairs: (a,b) = 1, (a,c) = -1, (b,c) = -1
    assert.ok(Math.abs(averagePairwiseCorrelation([a, b, c], 0, 4) - -1 / 3) < 1e-12);
    assert.ok(Number.isNaN(averagePairwiseCorrelation([a], 0, 4)), 'one member has no pairs');
  });
});
