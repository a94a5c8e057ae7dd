import type { DailyBars, IsoDate } from './types.ts';

/**
 * The default size of a bad tick: a one-day move to at least 3× or at most a third of the day before.
 * Over the 611 real price files in ../shared/data (2.5 million rows) no such move is undone the next
 * day; the largest undone move is TRMB's 2.0× on 2007-02-23, an adjusted close left unadjusted for one
 * day around its split. BAD_TICK_FACTOR sets another size.
 */
export const DEFAULT_BAD_TICK_FACTOR = 3;

export interface BadTick {
  readonly date: IsoDate;
  /** The day's move as a price ratio (190 for a 190-fold print, 0.01 for a hundredth). */
  readonly move: number;
}

/**
 * The first bad tick in the bars' closes or adjusted closes: a one-day move of at least `factor` up or
 * down that the next day takes back (to within the square root of `factor` of where it started). A real
 * jump stays; a misprint comes straight back. The last bar cannot be judged and is never flagged.
 */
export function findBadTick(bars: DailyBars, factor: number): BadTick | null {
  const back = Math.sqrt(factor);
  for (const prices of [bars.adjClose, bars.close]) {
    for (let t = 1; t + 1 < prices.length; t++) {
      const before = prices[t - 1] ?? Number.NaN;
      const day = prices[t] ?? Number.NaN;
      const after = prices[t + 1] ?? Number.NaN;
      if (!(before > 0 && day > 0 && after > 0)) continue;
      const move = day / before;
      const undone = after / before;
      if ((move >= factor || move <= 1 / factor) && undone <= back && undone >= 1 / back) {
        return { date: bars.dates[t] ?? '', move };
      }
    }
  }
  return null;
}

/** The reason a member with a bad tick is left out, in words. */
export function describeBadTick(tick: BadTick): string {
  const size = tick.move >= 1 ? `${formatMove(tick.move)}×` : `1/${formatMove(1 / tick.move)}`;
  return `a one-day move to ${size} of the day before on ${tick.date}, undone the next day (a bad tick)`;
}

function formatMove(value: number): string {
  return value >= 10 ? value.toFixed(0) : value.toFixed(1);
}
