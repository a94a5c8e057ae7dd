import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_BAD_TICK_FACTOR, describeBadTick, findBadTick } from '../../src/market/quality.ts';
import { allocateBars, type DailyBars } from '../../src/market/types.ts';

const DATES = ['2024-03-01', '2024-03-04', '2024-03-05', '2024-03-06', '2024-03-07'];

function bars(adjClose: number[], close = adjClose): DailyBars {
  const made = allocateBars('XLK', DATES.slice(0, adjClose.length));
  made.adjClose.set(adjClose);
  made.close.set(close);
  return made;
}

describe('bad ticks', () => {
  it('flags a one-day misprint that the next day takes back, up or down', () => {
    assert.deepEqual(findBadTick(bars([10, 10, 1900, 10, 10]), DEFAULT_BAD_TICK_FACTOR), {
      date: '2024-03-05',
      move: 190,
    });
    assert.deepEqual(findBadTick(bars([10, 10, 0.1, 10.2, 10]), DEFAULT_BAD_TICK_FACTOR), {
      date: '2024-03-05',
      move: 0.01,
    });
  });

  it('leaves a real jump that stays, one below the size, and the last day, which cannot be judged', () => {
    assert.equal(findBadTick(bars([10, 10, 31, 30, 32]), 3), null, 'a tripling that holds');
    assert.equal(findBadTick(bars([10, 10, 25, 10, 10]), 3), null, '2.5× is under the size');
    assert.deepEqual(findBadTick(bars([10, 10, 25, 10, 10]), 2), { date: '2024-03-05', move: 2.5 });
    assert.equal(findBadTick(bars([10, 10, 10, 10, 1900]), 3), null);
  });

  it('looks at closes as well as adjusted closes, and skips days without a price', () => {
    assert.deepEqual(findBadTick(bars([10, 10, 10, 10], [10, 10, 100, 10]), 3), {
      date: '2024-03-05',
      move: 10,
    });
    assert.equal(findBadTick(bars([10, Number.NaN, 100, 100]), 3), null);
  });

  it('says what it found in words', () => {
    assert.equal(
      describeBadTick({ date: '2024-03-05', move: 190 }),
      'a one-day move to 190× of the day before on 2024-03-05, undone the next day (a bad tick)',
    );
    assert.equal(
      describeBadTick({ date: '2024-03-05', move: 0.25 }),
      'a one-day move to 1/4.0 of the day before on 2024-03-05, undone the next day (a bad tick)',
    );
  });
});
