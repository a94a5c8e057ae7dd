import type { IsoDate } from './types.ts';

/**
 * The NYSE trading calendar, computed by rule so it needs no data file and no network: weekends, the
 * regular holidays, the one-off closures since 2001, and the 13:00 early closes. Times are in New York.
 */
export const EXCHANGE_TIME_ZONE = 'America/New_York';
export const REGULAR_OPEN_MINUTES = 9 * 60 + 30;
export const REGULAR_CLOSE_MINUTES = 16 * 60;
export const EARLY_CLOSE_MINUTES = 13 * 60;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Unscheduled closures (national mourning, weather, 9/11). */
const SPECIAL_CLOSURES: ReadonlyMap<IsoDate, string> = new Map([
  ['2001-09-11', 'September 11 attacks'],
  ['2001-09-12', 'September 11 attacks'],
  ['2001-09-13', 'September 11 attacks'],
  ['2001-09-14', 'September 11 attacks'],
  ['2004-06-11', 'Day of mourning for Ronald Reagan'],
  ['2007-01-02', 'Day of mourning for Gerald Ford'],
  ['2012-10-29', 'Hurricane Sandy'],
  ['2012-10-30', 'Hurricane Sandy'],
  ['2018-12-05', 'Day of mourning for George H. W. Bush'],
  ['2025-01-09', 'Day of mourning for Jimmy Carter'],
]);

export function isIsoDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const [, y, m, d] = match;
  const time = Date.UTC(Number(y), Number(m) - 1, Number(d));
  return toIsoDate(new Date(time)) === value;
}

function toUtcMs(date: IsoDate): number {
  const match = ISO_DATE.exec(date);
  if (!match) throw new RangeError(`Not a YYYY-MM-DD date: "${date}"`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

function toIsoDate(utcMidnight: Date): IsoDate {
  return utcMidnight.toISOString().slice(0, 10);
}

function makeDate(year: number, month: number, day: number): IsoDate {
  return toIsoDate(new Date(Date.UTC(year, month - 1, day)));
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return toIsoDate(new Date(toUtcMs(date) + days * DAY_MS));
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: IsoDate): number {
  return new Date(toUtcMs(date)).getUTCDay();
}

/** The nth (1-based) given weekday of a month, or the last one when n is -1. */
function nthWeekday(year: number, month: number, weekday: number, n: number): IsoDate {
  if (n > 0) {
    const first = makeDate(year, month, 1);
    const offset = (weekday - dayOfWeek(first) + 7) % 7;
    return addDays(first, offset + (n - 1) * 7);
  }
  const last = makeDate(year, month + 1, 0);
  return addDays(last, -((dayOfWeek(last) - weekday + 7) % 7));
}

/** Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
function easterSunday(year: number): IsoDate {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return makeDate(year, month, day);
}

/** A fixed-date holiday moves to Friday when it falls on Saturday and to Monday when on Sunday. */
function observed(date: IsoDate): IsoDate {
  const weekday = dayOfWeek(date);
  if (weekday === 6) return addDays(date, -1);
  if (weekday === 0) return addDays(date, 1);
  return date;
}

const holidayCache = new Map<number, ReadonlyMap<IsoDate, string>>();

/** NYSE full-day holidays of a year (regular rules plus special closures). */
export function nyseHolidays(year: number): ReadonlyMap<IsoDate, string> {
  const cached = holidayCache.get(year);
  if (cached) return cached;
  const holidays = new Map<IsoDate, string>();
  // New Year's Day on a Saturday is not observed on the Friday before (NYSE Rule 7.2).
  const newYear = makeDate(year, 1, 1);
  if (dayOfWeek(newYear) !== 6) holidays.set(observed(newYear), "New Year's Day");
  if (year >= 1998) holidays.set(nthWeekday(year, 1, 1, 3), 'Martin Luther King Jr. Day');
  holidays.set(nthWeekday(year, 2, 1, 3), "Washington's Birthday");
  holidays.set(addDays(easterSunday(year), -2), 'Good Friday');
  holidays.set(nthWeekday(year, 5, 1, -1), 'Memorial Day');
  if (year >= 2022) holidays.set(observed(makeDate(year, 6, 19)), 'Juneteenth');
  holidays.set(observed(makeDate(year, 7, 4)), 'Independence Day');
  holidays.set(nthWeekday(year, 9, 1, 1), 'Labor Day');
  holidays.set(nthWeekday(year, 11, 4, 4), 'Thanksgiving Day');
  holidays.set(observed(makeDate(year, 12, 25)), 'Christmas Day');
  for (const [date, reason] of SPECIAL_CLOSURES) {
    if (date.startsWith(`${year}-`)) holidays.set(date, reason);
  }
  holidayCache.set(year, holidays);
  return holidays;
}

export function holidayName(date: IsoDate): string | null {
  return nyseHolidays(Number(date.slice(0, 4))).get(date) ?? null;
}

export function isTradingDay(date: IsoDate): boolean {
  const weekday = dayOfWeek(date);
  return weekday !== 0 && weekday !== 6 && holidayName(date) === null;
}

/** Minutes after midnight (New York) when the session closes: 16:00, or 13:00 on early-close days. */
export function closeMinutes(date: IsoDate): number {
  const month = date.slice(5, 7);
  const day = Number(date.slice(8, 10));
  const weekday = dayOfWeek(date);
  // July 3 closes early when Independence Day is a weekday holiday the next day (Tuesday to Friday).
  if (month === '07' && day === 3 && weekday >= 1 && weekday <= 4) return EARLY_CLOSE_MINUTES;
  if (month === '11' && date === addDays(nthWeekday(Number(date.slice(0, 4)), 11, 4, 4), 1)) {
    return EARLY_CLOSE_MINUTES;
  }
  // Christmas Eve closes early on Monday to Thursday; on a Friday it is the observed Christmas holiday.
  if (month === '12' && day === 24 && weekday >= 1 && weekday <= 4) return EARLY_CLOSE_MINUTES;
  return REGULAR_CLOSE_MINUTES;
}

export function nextTradingDay(date: IsoDate): IsoDate {
  let next = addDays(date, 1);
  while (!isTradingDay(next)) next = addDays(next, 1);
  return next;
}

export function previousTradingDay(date: IsoDate): IsoDate {
  let previous = addDays(date, -1);
  while (!isTradingDay(previous)) previous = addDays(previous, -1);
  return previous;
}

export function tradingDayOnOrBefore(date: IsoDate): IsoDate {
  return isTradingDay(date) ? date : previousTradingDay(date);
}

/** Trading days from `from` to `to`, both inclusive. */
export function tradingDays(from: IsoDate, to: IsoDate): IsoDate[] {
  const days: IsoDate[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) {
    if (isTradingDay(date)) days.push(date);
  }
  return days;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Whether the runtime knows an IANA time zone name such as America/New_York. */
export function isTimeZone(name: string): boolean {
  try {
    formatterFor(name);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock date and minutes after midnight of an instant in a time zone. */
export function zonedClock(instant: Date, timeZone: string): { date: IsoDate; minutes: number } {
  const parts = Object.fromEntries(
    formatterFor(timeZone)
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    minutes: Number(parts.hour) * 60 + Number(parts.minute) + Number(parts.second) / 60,
  };
}

/**
 * The instant at which wall-clock time in a zone reads `minutes` after midnight on `date`. A time that
 * a daylight-saving jump skips resolves to the same offset as the moment before the jump.
 */
export function zonedInstant(date: IsoDate, minutes: number, timeZone: string): Date {
  const wallAsUtc = toUtcMs(date) + minutes * 60_000;
  let instant = wallAsUtc;
  // Two rounds settle the offset, also across a daylight-saving change.
  for (let round = 0; round < 2; round++) {
    const seen = zonedClock(new Date(instant), timeZone);
    const seenAsUtc = toUtcMs(seen.date) + Math.round(seen.minutes * 60_000);
    instant += wallAsUtc - seenAsUtc;
  }
  return new Date(instant);
}

/** The New York wall-clock date and minutes after midnight of an instant. */
export function exchangeClock(instant: Date): { date: IsoDate; minutes: number } {
  return zonedClock(instant, EXCHANGE_TIME_ZONE);
}

export function exchangeDateOf(instant: Date): IsoDate {
  return exchangeClock(instant).date;
}

/** The instant at which New York wall-clock time reads `minutes` after midnight on `date`. */
export function exchangeInstant(date: IsoDate, minutes: number): Date {
  return zonedInstant(date, minutes, EXCHANGE_TIME_ZONE);
}

export interface MarketStatus {
  readonly isOpen: boolean;
  /** The latest session whose close has passed: its daily bar is final. */
  readonly lastClosedSession: IsoDate;
  /** The next regular open (now, if a session is under way, the one after it). */
  readonly nextOpen: Date;
  /** The close of the session under way, when one is. */
  readonly currentClose: Date | null;
}

export function marketStatus(now: Date): MarketStatus {
  const { date, minutes } = exchangeClock(now);
  const tradingToday = isTradingDay(date);
  const isOpen = tradingToday && minutes >= REGULAR_OPEN_MINUTES && minutes < closeMinutes(date);
  const closedToday = tradingToday && minutes >= closeMinutes(date);
  const lastClosedSession = closedToday ? date : previousTradingDay(date);
  const nextOpenDate = tradingToday && minutes < REGULAR_OPEN_MINUTES ? date : nextTradingDay(date);
  return {
    isOpen,
    lastClosedSession,
    nextOpen: exchangeInstant(nextOpenDate, REGULAR_OPEN_MINUTES),
    currentClose: isOpen ? exchangeInstant(date, closeMinutes(date)) : null,
  };
}
