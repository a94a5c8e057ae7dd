import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeBreadth, zweigThrusts } from '../../src/indicators/breadth.ts';

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
