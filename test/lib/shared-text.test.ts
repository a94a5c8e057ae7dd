import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromSharedJson, toSharedJson } from '../../src/lib/shared-text.ts';

describe('JSON for the shared cache', () => {
  it('keeps n/a, infinities and bytes, which plain JSON turns into null and lists of numbers', () => {
    const value = {
      metrics: { a: 1.5, b: Number.NaN, c: Number.POSITIVE_INFINITY, d: null },
      series: [1, Number.NaN, 3],
      chart: { name: 'x.png', png: Buffer.from([0, 1, 2, 255]) },
    };
    const back = fromSharedJson(toSharedJson(value)) as typeof value;
    assert.deepEqual(back, value);
    assert.ok(Number.isNaN(back.series[1]));
    assert.ok(Buffer.isBuffer(back.chart.png));
    const plain = JSON.parse(JSON.stringify(value)) as { metrics: { b: unknown } };
    assert.equal(plain.metrics.b, null, 'what plain JSON would have made of it');
  });
});
