import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeBreadth, zweigThrusts } from '../../src/indicators/breadth.ts';
import { alignBars } from '../../src/indicators/panel.ts';
import { CsvMarketData } from '../../src/market/csv.ts';
import { SKIP_WITHOUT_SHARED_DATA, sharedPath } from '../helpers/shared-data.ts';

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

describe('% above an average, compared exactly', () => {
  it('never counts a close equal to its average as above it, after thousands of sessions', () => {
    // 3,960 sessions of prices with six decimals (a fixed pseudo-random walk), then 40 flat ones: plain
    // running sums had drifted by then, and the flat close read as above its own average on 118 of 200
    // such histories.
    for (let seed = 1; seed <= 20; seed++) {
      let state = seed;
      const next = () => (state = (state * 16807) % 2147483647) / 2147483647;
      const n = 4000;
      const prices = Float64Array.from({ length: n }, (_, t) =>
        t < n - 40 ? Math.round((100 + 900 * next()) * 1e6) / 1e6 : 431.123457,
      );
      const breadth = computeBreadth([prices], [prices], null);
      assert.equal(breadth.pctAbove[20][n - 1], 0, `history ${seed}`);
    }
  });

  it(
    'matches integer arithmetic on every day of the 504 real S&P 500 files',
    { skip: SKIP_WITHOUT_SHARED_DATA },
    async () => {
      const csv = new CsvMarketData([sharedPath('prices', 'sp500')]);
      const bars = await Promise.all(
        csv.symbols().map((s) => csv.getDailyBars(s, { from: '2004-01-01', to: '2021-04-21' })),
      );
      const { panel } = alignBars(bars);
      const breadth = computeBreadth(panel.close, panel.adjClose, null);
      // Independent count: prices in millionths as integers, sums exact, a tie is a tie.
      let differences = 0;
      for (const length of [20, 50, 200] as const) {
        const above = new Float64Array(panel.dates.length);
        const counted = new Float64Array(panel.dates.length);
        for (const prices of panel.close) {
          const micros = Array.from(prices, (p) => (Number.isNaN(p) ? Number.NaN : Math.round(p * 1e6)));
          for (let t = length - 1; t < micros.length; t++) {
            let sum = 0;
            let complete = true;
            for (let k = t - length + 1; k <= t; k++) {
              const v = micros[k] ?? Number.NaN;
              if (Number.isNaN(v)) complete = false;
              sum += v;
            }
            if (!complete) continue;
            counted[t] = (counted[t] ?? 0) + 1;
            if ((micros[t] ?? 0) * length > sum) above[t] = (above[t] ?? 0) + 1;
          }
        }
        for (let t = 0; t < panel.dates.length; t++) {
          if (!(counted[t] ?? 0)) continue;
          const exact = (100 * (above[t] ?? 0)) / (counted[t] ?? 1);
          if (Math.abs((breadth.pctAbove[length][t] ?? Number.NaN) - exact) > 1e-9) differences++;
        }
      }
      assert.equal(differences, 0);
    },
  );
});
