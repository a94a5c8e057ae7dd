import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { basketGrowth } from '../../commands/rotation.ts';
import {
  computeRotation,
  quadrantOf,
  relativeReturns,
  splitSessions,
} from '../../src/indicators/rotation.ts';
import { NaN_, assertSeries } from '../helpers/series.ts';

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
});
