import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { basketGrowth } from '../commands/rotation.ts';
import { computeBreadth, zweigThrusts } from '../src/indicators/breadth.ts';
import {
  averagePairwiseCorrelation,
  computeMomentumFactor,
  isMonthEnd,
  returnZScores,
  type MomentumSettings,
} from '../src/indicators/momentum.ts';
import { alignBars, dailyReturns, yearStartBase } from '../src/indicators/panel.ts';
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
} from '../src/indicators/rolling.ts';
import { computeRotation, quadrantOf, relativeReturns, splitSessions } from '../src/indicators/rotation.ts';
import { tradingDays } from '../src/market/calendar.ts';
import { barsFromRows } from '../src/market/types.ts';
import { episodeStarts } from '../src/reports/build.ts';

const NaN_ = Number.NaN;

/** Element-wise equality within 1e-9, with NaN equal to NaN (n/a must stay n/a). */
function assertSeries(actual: ArrayLike<number>, expected: readonly number[], message?: string): void {
  assert.equal(actual.length, expected.length, `${message ?? 'series'}: length`);
  expected.forEach((want, i) => {
    const got = actual[i] ?? NaN_;
    if (Number.isNaN(want))
      assert.ok(Number.isNaN(got), `${message ?? 'series'}[${i}] should be n/a, got ${got}`);
    else assert.ok(Math.abs(got - want) < 1e-9, `${message ?? 'series'}[${i}] = ${got}, expected ${want}`);
  });
}

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

describe('panel alignment and returns', () => {
  it('measures a return across a short gap from the last close, and not across a long one', () => {
    assertSeries(dailyReturns(Float64Array.from([10, NaN_, 12, 12.6])), [NaN_, NaN_, 0.2, 0.05]);
    const longGap = Float64Array.from([10, ...Array<number>(6).fill(NaN_), 20]);
    assert.ok(Number.isNaN(dailyReturns(longGap)[7] ?? 0), 'six missing sessions break the chain');
  });

  it('aligns symbols on shared sessions, leaves holes as n/a and drops rows dated on closed days', () => {
    const row = (date: string, close: number) => ({
      date,
      open: close,
      high: close,
      low: close,
      close,
      adjClose: close,
      volume: 1,
    });
    const a = barsFromRows('A', [row('2024-01-02', 10), row('2024-01-03', 11), row('2024-01-04', 12)]);
    // 2024-01-06 is a Saturday; a zero price is a data error.
    const b = barsFromRows('B', [row('2024-01-03', 20), row('2024-01-04', 0), row('2024-01-06', 22)]);
    const { panel, offCalendarRows } = alignBars([a, b]);
    assert.deepEqual(panel.dates, ['2024-01-02', '2024-01-03', '2024-01-04']);
    assert.equal(offCalendarRows, 1);
    assertSeries(panel.adjClose[1] ?? [], [NaN_, 20, NaN_]);
    assertSeries(panel.close[0] ?? [], [10, 11, 12]);
  });

  it('finds the base of year-to-date returns: the last session of the previous year', () => {
    assert.equal(yearStartBase(['2023-12-28', '2023-12-29', '2024-01-02', '2024-01-03'], 3), 1);
    assert.equal(yearStartBase(['2024-01-02', '2024-01-03'], 1), -1, 'no session before the year: n/a');
  });
});

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

describe('breadth', () => {
  const days = 22;
  const rising = Float64Array.from({ length: days }, (_, t) => t + 1);
  const falling = Float64Array.from({ length: days }, (_, t) => days - t);
  const flat = new Float64Array(days).fill(5);

  it('counts members above their moving average once they have its full window', () => {
    const breadth = computeBreadth([rising, falling, flat], [rising, falling, flat], null);
    assert.ok(Number.isNaN(breadth.pctAbove[20][18] ?? 0), 'n/a before 20 sessions');
    // Only the rising stock closes above its 20-day average; the flat one equals it.
    assert.ok(Math.abs((breadth.pctAbove[20][19] ?? 0) - 100 / 3) < 1e-9);
    assert.ok(Number.isNaN(breadth.pctAbove[50][21] ?? 0), 'no 50-day average in 22 sessions');
  });

  it('counts advancers, decliners and unchanged on closes, and sums net advances', () => {
    const breadth = computeBreadth([rising, falling, flat], [rising, falling, flat], null);
    assert.ok(Number.isNaN(breadth.advancers[0] ?? 0), 'nothing to compare on the first day');
    assert.equal(breadth.advancers[5], 1);
    assert.equal(breadth.decliners[5], 1);
    assert.equal(breadth.unchanged[5], 1);
    assert.equal(breadth.netAdvances[5], 0);
    assert.equal(breadth.adLine[21], 0);
  });

  it('measures members against the index on the day and over 21 sessions', () => {
    const index = Float64Array.from({ length: days }, (_, t) => 100 + t);
    const breadth = computeBreadth([rising, falling, flat], [rising, falling, flat], index);
    // Day 21: the rising stock gained 22/21 - 1 = 4.8%, the index 121/120 - 1 = 0.8%.
    assert.ok(Math.abs((breadth.pctOutperforming1d[21] ?? 0) - 100 / 3) < 1e-9);
    assert.ok(Math.abs((breadth.pctOutperforming21d[21] ?? 0) - 100 / 3) < 1e-9);
    assert.ok(Number.isNaN(breadth.pctOutperforming21d[20] ?? 0), 'n/a before 21 sessions of returns');
  });

  it('counts 52-week closing highs and lows once a member has 252 sessions', () => {
    const n = 260;
    const up = Float64Array.from({ length: n }, (_, t) => 10 + t);
    const down = Float64Array.from({ length: n }, (_, t) => 500 - t);
    const breadth = computeBreadth([up, down], [up, down], null);
    assert.ok(Number.isNaN(breadth.newHighs[250] ?? 0));
    assert.equal(breadth.newHighs[251], 1);
    assert.equal(breadth.newLows[251], 1);
  });

  it('gives a McClellan oscillator of zero when net advances never change', () => {
    const n = 45;
    const up = Float64Array.from({ length: n }, (_, t) => 10 + t);
    const breadth = computeBreadth([up], [up], null);
    assert.ok(Number.isNaN(breadth.mcclellan[38] ?? 0), 'the 39-day EMA is still warming up');
    assert.equal(breadth.mcclellan[39], 0);
  });

  it('fires a Zweig thrust only when the rise from below 0.40 to above 0.615 takes at most 10 sessions', () => {
    assert.deepEqual([...zweigThrusts(Float64Array.from([0.5, 0.39, 0.45, 0.55, 0.62]))], [0, 0, 0, 0, 1]);
    const slow = Float64Array.from([0.39, ...Array<number>(11).fill(0.5), 0.62]);
    assert.equal(
      zweigThrusts(slow).reduce((a, b) => a + b, 0),
      0,
      'the low was 12 sessions earlier',
    );
  });
});

describe('rotation', () => {
  it('centres RS-Ratio and RS-Momentum on 100 when relative strength is constant', () => {
    const n = 70;
    const bench = Float64Array.from({ length: n }, (_, t) => 100 + Math.sin(t));
    const asset = bench.map((v) => 2 * v);
    const { rsRatio, rsMomentum } = computeRotation(asset, bench);
    assert.ok(Number.isNaN(rsRatio[48] ?? 0), 'n/a before 50 sessions');
    assert.ok(Math.abs((rsRatio[49] ?? 0) - 100) < 1e-9);
    assert.ok(Number.isNaN(rsMomentum[58] ?? 0));
    assert.ok(Math.abs((rsMomentum[59] ?? 0) - 100) < 1e-9);
  });

  it('puts rising relative strength above 100: RS 1 + 0.01t gives 100 × 1.49 / 1.245 on day 49', () => {
    const n = 60;
    const bench = new Float64Array(n).fill(100);
    const asset = Float64Array.from({ length: n }, (_, t) => 100 * (1 + 0.01 * t));
    const { rsRatio } = computeRotation(asset, bench);
    assert.ok(Math.abs((rsRatio[49] ?? 0) - (100 * 1.49) / 1.245) < 1e-9);
  });

  it('names the quadrants', () => {
    assert.equal(quadrantOf(101, 101), 'leading');
    assert.equal(quadrantOf(101, 99), 'weakening');
    assert.equal(quadrantOf(99, 99), 'lagging');
    assert.equal(quadrantOf(99, 101), 'improving');
    assert.equal(quadrantOf(NaN_, 101), null);
  });

  it('measures relative returns, daily-rebalanced baskets and one-day splits', () => {
    assert.ok(Math.abs((relativeReturns([100, 110], [100, 105], 1)[1] ?? 0) - (1.1 / 1.05 - 1)) < 1e-12);
    assertSeries(
      basketGrowth([Float64Array.from([100, 110, 121]), Float64Array.from([100, 90, 99])]),
      [1, 1, 1.1],
    );
    const first = [0.035, 0.03, -0.04, 0.05];
    const second = [-0.01, 0.01, 0.002, 0];
    assert.deepEqual(
      splitSessions(first, second, 0.03, 'up'),
      [0],
      'the second leg must fall, not stay flat',
    );
    assert.deepEqual(splitSessions(first, second, 0.03, 'down'), [2]);
  });

  it('counts a run of flagged days as one episode', () => {
    assert.deepEqual(episodeStarts([1, 1, 0, 0, 1, 0], 2), [0, 4]);
  });
});
