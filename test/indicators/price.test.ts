import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ownSessions, priceSnapshot } from '../../src/indicators/price.ts';

const n = Number.NaN;

/** Closes 1, 2, …, count: every average and extreme is a sum of an arithmetic series, worked by hand. */
function ramp(count: number, volume: (t: number) => number = () => 100) {
  const close = Float64Array.from({ length: count }, (_, t) => t + 1);
  return { close, adjClose: close, volume: Float64Array.from({ length: count }, (_, t) => volume(t)) };
}

describe('priceSnapshot', () => {
  it('works out range, averages and volume on a ramp of 260 closes, by hand', () => {
    // Today's volume 300 against 20 sessions of 100 before it: 3×.
    const snapshot = priceSnapshot(ramp(260, (t) => (t === 259 ? 300 : 100)));
    assert.equal(snapshot.price, 260);
    assert.equal(snapshot.previousClose, 259);
    assert.equal(snapshot.change1d, 260 / 259 - 1);
    // The last 252 closes are 9..260.
    assert.equal(snapshot.high52w, 260);
    assert.equal(snapshot.low52w, 9);
    assert.equal(snapshot.fromHigh52w, 0);
    assert.equal(snapshot.fromLow52w, 260 / 9 - 1);
    // The average of 211..260 is 235.5; of 61..260 it is 160.5.
    assert.equal(snapshot.sma50, 235.5);
    assert.equal(snapshot.sma200, 160.5);
    assert.equal(snapshot.vsSma50, 260 / 235.5 - 1);
    assert.equal(snapshot.vsSma200, 260 / 160.5 - 1);
    assert.equal(snapshot.volume, 300);
    assert.equal(snapshot.averageVolume20, 100, 'the 20 sessions before today, not today');
    assert.equal(snapshot.volumeRatio, 3);
  });

  it('is n/a, never a shorter window, while history is too short for a figure', () => {
    const young = priceSnapshot(ramp(120));
    assert.equal(young.sma50, (71 + 120) / 2, 'fifty closes are enough for the 50-day');
    assert.ok(Number.isNaN(young.sma200) && Number.isNaN(young.vsSma200));
    assert.ok(Number.isNaN(young.high52w) && Number.isNaN(young.low52w) && Number.isNaN(young.fromHigh52w));
    const newborn = priceSnapshot(ramp(1));
    assert.equal(newborn.price, 1);
    assert.ok(Number.isNaN(newborn.change1d), 'no previous close');
    assert.ok(Number.isNaN(newborn.volumeRatio));
  });

  it('measures the change on adjusted closes, so an ex-dividend day is not a loss', () => {
    // The price drops by a $1 dividend; the adjusted history says the holder lost nothing.
    const snapshot = priceSnapshot({
      close: Float64Array.of(50, 49),
      adjClose: Float64Array.of(49, 49),
      volume: Float64Array.of(1, 1),
    });
    assert.equal(snapshot.change1d, 0);
    assert.equal(snapshot.price, 49);
  });

  it('gives n/a for volume against usual when a day of the average has no volume, or all are zero', () => {
    const gap = ramp(30, (t) => (t === 15 ? n : 100));
    assert.ok(Number.isNaN(priceSnapshot(gap).volumeRatio));
    const silent = ramp(30, () => 0);
    assert.ok(Number.isNaN(priceSnapshot(silent).volumeRatio), 'not 0/0 or infinity');
  });
});

describe('ownSessions', () => {
  it('keeps the rows with both closes, up to the last session asked for, and where each came from', () => {
    const panel = {
      dates: ['d0', 'd1', 'd2', 'd3', 'd4'],
      close: [Float64Array.of(10, n, 12, 13, 14)],
      adjClose: [Float64Array.of(9, 11, 11.5, n, 13.5)],
      volume: [Float64Array.of(1, 2, 3, 4, 5)],
    };
    const own = ownSessions(panel, 0, 3);
    assert.deepEqual(own.at, [0, 2], 'd1 lacks a close, d3 an adjusted close, d4 is after the last');
    assert.deepEqual([...own.close], [10, 12]);
    assert.deepEqual([...own.adjClose], [9, 11.5]);
    assert.deepEqual([...own.volume], [1, 3]);
  });
});
