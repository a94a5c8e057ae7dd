import assert from 'node:assert/strict';

export const NaN_ = Number.NaN;

/** Element-wise equality within 1e-9, with NaN equal to NaN (n/a must stay n/a). */
export function assertSeries(actual: ArrayLike<number>, expected: readonly number[], message?: string): void {
  assert.equal(actual.length, expected.length, `${message ?? 'series'}: length`);
  expected.forEach((want, i) => {
    const got = actual[i] ?? NaN_;
    if (Number.isNaN(want))
      assert.ok(Number.isNaN(got), `${message ?? 'series'}[${i}] should be n/a, got ${got}`);
    else assert.ok(Math.abs(got - want) < 1e-9, `${message ?? 'series'}[${i}] = ${got}, expected ${want}`);
  });
}
