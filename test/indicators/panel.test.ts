import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alignBars, dailyReturns, yearStartBase } from '../../src/indicators/panel.ts';
import { barsFromRows } from '../../src/market/types.ts';
import { NaN_, assertSeries } from '../helpers/series.ts';

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
