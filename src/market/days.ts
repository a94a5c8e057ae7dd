import type { IsoDate } from './types.ts';

/**
 * Dates as yyyymmdd numbers, the compact form bars take where they are stored (the store's blobs) or
 * sent (to report workers). Decoding shares one string per distinct day across every member.
 */
const DIGIT_0 = 48;

/** yyyymmdd from "yyyy-mm-dd", read digit by digit: this runs for every date of every member. */
export function dayNumber(date: IsoDate): number {
  const digit = (i: number) => date.charCodeAt(i) - DIGIT_0;
  return (
    digit(0) * 10_000_000 +
    digit(1) * 1_000_000 +
    digit(2) * 100_000 +
    digit(3) * 10_000 +
    digit(5) * 1000 +
    digit(6) * 100 +
    digit(8) * 10 +
    digit(9)
  );
}

const texts = new Map<number, IsoDate>();

/** "yyyy-mm-dd" from yyyymmdd; one string per distinct day in the process. */
export function dateOfDay(day: number): IsoDate {
  let text = texts.get(day);
  if (text === undefined) {
    // A century of sessions is ~25,000 days; anything past that is not dates worth keeping.
    if (texts.size >= 100_000) texts.clear();
    const year = Math.floor(day / 10000);
    const month = Math.floor(day / 100) % 100;
    text = `${year}-${String(month).padStart(2, '0')}-${String(day % 100).padStart(2, '0')}`;
    texts.set(day, text);
  }
  return text;
}
