import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_BAD_TICK_FACTOR, describeBadTick, findBadTick, gateBars } from '../../src/market/quality.ts';
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

describe('the data-quality gate', () => {
  /** Three days of consistent bars (open 10, high 12, low 9, close 11, volume 100) to break one rule in. */
  function clean(symbol = 'XLK'): DailyBars {
    const made = allocateBars(symbol, ['2024-03-04', '2024-03-05', '2024-03-06']);
    made.open.fill(10);
    made.high.fill(12);
    made.low.fill(9);
    made.close.fill(11);
    made.adjClose.fill(10.5);
    made.volume.fill(100);
    return made;
  }
  const gate = { badTickFactor: DEFAULT_BAD_TICK_FACTOR, notAfter: '2024-03-06' };

  it('passes clean bars through untouched, with no note', () => {
    const bars = clean();
    const result = gateBars(bars, gate);
    assert.ok(result.ok);
    assert.equal(result.bars, bars);
    assert.deepEqual(result.notes, []);
  });

  it('leaves out a member with a bar dated after the last day, naming it', () => {
    assert.deepEqual(gateBars(clean(), { ...gate, notAfter: '2024-03-05' }), {
      ok: false,
      reason: 'it has a bar dated 2024-03-06, after 2024-03-05',
    });
  });

  it('leaves out a member whose dates go back', () => {
    const bars = { ...clean(), dates: ['2024-03-04', '2024-03-06', '2024-03-05'] };
    assert.deepEqual(gateBars(bars, gate), {
      ok: false,
      reason: 'its dates go back from 2024-03-06 to 2024-03-05',
    });
  });

  it('leaves out a zero, negative or infinite price and a negative volume, naming column and day', () => {
    const cases: [column: 'open' | 'close' | 'adjClose' | 'volume', value: number, reason: string][] = [
      ['open', 0, 'its open of 0 on 2024-03-05 is not a possible price'],
      ['close', -3, 'its close of -3 on 2024-03-05 is not a possible price'],
      [
        'adjClose',
        Number.POSITIVE_INFINITY,
        'its adjusted close of Infinity on 2024-03-05 is not a possible price',
      ],
      ['volume', -1, 'its volume of -1 on 2024-03-05 is not possible'],
    ];
    for (const [column, value, reason] of cases) {
      const bars = clean();
      bars[column][1] = value;
      assert.deepEqual(gateBars(bars, gate), { ok: false, reason }, column);
    }
  });

  it('takes a missing field (NaN) as n/a, not as wrong, and lets a yield be zero or negative', () => {
    const bars = clean();
    bars.open[1] = Number.NaN;
    bars.volume[1] = Number.NaN;
    assert.ok(gateBars(bars, gate).ok);
    const yields = clean('^IRX');
    yields.low[1] = -0.05;
    yields.open[1] = 0;
    yields.close[1] = 0;
    yields.adjClose[1] = 0;
    assert.ok(gateBars(yields, gate).ok);
  });

  it('makes the open, high and low of a day whose range does not hold its open and close n/a, with a note', () => {
    const bars = clean('TEVA');
    // TEVA's real last bar in the Nasdaq folder: an open above its high.
    bars.open[2] = 32.38;
    bars.high[2] = 32.325;
    bars.low[2] = 30.8;
    bars.close[2] = 31.48;
    const result = gateBars(bars, gate);
    assert.ok(result.ok);
    assert.ok([result.bars.open[2], result.bars.high[2], result.bars.low[2]].every(Number.isNaN));
    assert.equal(result.bars.close[2], 31.48, 'the close stays');
    assert.equal(result.bars.open[1], 10, 'other days stay');
    assert.equal(bars.open[2], 32.38, "the source's own bars are not changed");
    assert.deepEqual(result.notes, [
      'TEVA: 1 day, 2024-03-06 (open 32.38, high 32.325, low 30.8, close 31.48), with a high and low that do not contain the open and close; the open, high and low of such days are n/a.',
    ]);
    const close = clean();
    close.close[0] = 8.5;
    const low = gateBars(close, gate);
    assert.ok(low.ok && Number.isNaN(low.bars.low[0]), 'a close below the low breaks the rule too');
    const rounding = clean();
    rounding.close[0] = 12 + 5e-7;
    const rounded = gateBars(rounding, gate);
    assert.ok(rounded.ok);
    assert.equal(rounded.bars, rounding, 'rounding is not a break');
  });

  it('leaves out a bad tick in a price, but does not judge a yield by it', () => {
    const bars = clean();
    bars.adjClose.set([10, 1000, 10]);
    bars.close.set([10, 1000, 10]);
    bars.high.set([12, 1000, 12]);
    const result = gateBars(bars, gate);
    assert.ok(!result.ok);
    assert.match(result.reason, /a bad tick/);
    // ^IRX in December 2008: a bill rate near zero went from 0.01 to 0.05 and back.
    const bill = clean('^IRX');
    for (const column of [bill.open, bill.high, bill.low, bill.close, bill.adjClose])
      column.set([0.01, 0.05, 0.01]);
    assert.ok(gateBars(bill, gate).ok);
  });
});
