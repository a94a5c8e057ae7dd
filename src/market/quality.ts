import { allocateBars, type DailyBars, type IsoDate } from './types.ts';

/**
 * The default size of a bad tick: a one-day move to at least 3× or at most a third of the day before.
 * Over the 611 real price files in ../shared/data (2.5 million rows) no such move is undone the next
 * day; the largest undone move is TRMB's 2.0× on 2007-02-23, an adjusted close left unadjusted for one
 * day around its split. Yields (^-symbols such as ^IRX) are not prices and are not judged: a bill rate
 * near zero went from 0.01 to 0.05 and back in December 2008. BAD_TICK_FACTOR sets another size.
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

/**
 * The gate every member's bars pass before they enter a panel, whatever the source. Parsers already
 * refuse what they can name by file and line (a bad date, an unreadable number, a second row for a day);
 * this checks what any source can get wrong:
 *
 * - dates in order, none after `notAfter` (the report's last day, or today for `tapewatch check`);
 * - every price present is positive and finite (a yield, a ^-symbol, may be zero or negative), and
 *   volume is not negative: otherwise the member is left out, with the day;
 * - a day's high and low contain its open and close: where they do not, that day's open, high and low
 *   are n/a and a note says so. The close stays: returns come from closes, which the bad-tick rule
 *   guards, and no report makes a number from a day's open, high or low;
 * - no bad tick in a price (see findBadTick): otherwise the member is left out.
 *
 * Over the 611 real price files in ../shared/data (`tapewatch check`), one file is left out (PCLN: two
 * different rows for one day) and one has a day put right (TEVA's last bar, an open above its high).
 */
export type GateResult =
  | { readonly ok: true; readonly bars: DailyBars; readonly notes: readonly string[] }
  | { readonly ok: false; readonly reason: string };

export interface GateOptions {
  readonly badTickFactor: number;
  /** No bar may be dated after this day. */
  readonly notAfter: IsoDate;
}

/** Rounding in price files (four decimals) must not read as a high below the close. */
const RANGE_TOLERANCE = 1e-6;

type Verdict =
  | { readonly ok: true; readonly corrected: DailyBars | null; readonly notes: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/**
 * Verdicts by the memory the bars live in. Sources never change a column they returned, so the same
 * columns get the same verdict: a warm report's 500 members are not checked again (that took ~55 ms
 * a report).
 */
const verdicts = new WeakMap<ArrayBufferLike, Map<string, Verdict>>();

export function gateBars(bars: DailyBars, options: GateOptions): GateResult {
  const key = [
    bars.symbol,
    bars.close.byteOffset,
    bars.close.length,
    bars.dates[0] ?? '',
    bars.dates.at(-1) ?? '',
    options.notAfter,
    options.badTickFactor,
  ].join('|');
  let known = verdicts.get(bars.close.buffer);
  let verdict = known?.get(key);
  if (verdict === undefined) {
    verdict = judge(bars, options);
    if (known === undefined) {
      known = new Map();
      verdicts.set(bars.close.buffer, known);
    }
    known.set(key, verdict);
  }
  if (!verdict.ok) return verdict;
  return { ok: true, bars: verdict.corrected ?? bars, notes: verdict.notes };
}

function judge(bars: DailyBars, options: GateOptions): Verdict {
  const signed = bars.symbol.startsWith('^');
  const { dates } = bars;
  for (let t = 1; t < dates.length; t++) {
    if ((dates[t] ?? '') <= (dates[t - 1] ?? '')) {
      return { ok: false, reason: `its dates go back from ${dates[t - 1] ?? ''} to ${dates[t] ?? ''}` };
    }
  }
  const last = dates.at(-1);
  if (last !== undefined && last > options.notAfter) {
    return { ok: false, reason: `it has a bar dated ${last}, after ${options.notAfter}` };
  }
  const known = knownIntrinsicFacts(bars);
  const impossible =
    known !== null && known.impossibleDays.length === 0 ? null : findImpossibleValue(bars, signed);
  if (impossible !== null) return { ok: false, reason: impossible };
  const tick = signed ? null : findBadTick(bars, options.badTickFactor);
  if (tick !== null) return { ok: false, reason: describeBadTick(tick) };
  const outside = known?.outsideRangeDays ?? daysOutsideRange(bars);
  if (outside.length === 0) return { ok: true, corrected: null, notes: [] };
  return {
    ok: true,
    corrected: withoutRanges(bars, outside),
    notes: [describeOutsideRange(bars, outside)],
  };
}

const PRICE_COLUMNS = ['open', 'high', 'low', 'close', 'adjClose'] as const;

/**
 * What the gate finds in bars whatever the options, as day indices: days with an impossible value, and
 * days whose high and low do not contain the open and close.
 */
export interface IntrinsicFacts {
  readonly impossibleDays: readonly number[];
  readonly outsideRangeDays: readonly number[];
}

export function intrinsicFacts(bars: DailyBars): IntrinsicFacts {
  const signed = bars.symbol.startsWith('^');
  const impossibleDays: number[] = [];
  for (let t = 0; t < bars.dates.length; t++) {
    const possible =
      PRICE_COLUMNS.every((column) => isPossiblePrice(bars[column][t] ?? Number.NaN, signed)) &&
      isPossibleVolume(bars.volume[t] ?? Number.NaN);
    if (!possible) impossibleDays.push(t);
  }
  return { impossibleDays, outsideRangeDays: daysOutsideRange(bars) };
}

/**
 * Facts a source already knows about the columns it returned (the CSV cache keeps them with each file),
 * by the memory the close column lives in: a fresh process then reads no open, high, low or volume it
 * does not use, and first reads of memory are what a cached load mostly costs.
 */
const factsByBuffer = new WeakMap<
  ArrayBufferLike,
  { start: number; length: number; facts: IntrinsicFacts }[]
>();

export function rememberIntrinsicFacts(bars: DailyBars, facts: IntrinsicFacts): void {
  const entries = factsByBuffer.get(bars.close.buffer) ?? [];
  entries.push({ start: bars.close.byteOffset / 8, length: bars.close.length, facts });
  factsByBuffer.set(bars.close.buffer, entries);
}

/** The remembered facts of bars or of a range of them (sliceBars keeps the memory), by their own indices. */
function knownIntrinsicFacts(bars: DailyBars): IntrinsicFacts | null {
  const start = bars.close.byteOffset / 8;
  const end = start + bars.close.length;
  const entry = factsByBuffer
    .get(bars.close.buffer)
    ?.find((known) => start >= known.start && end <= known.start + known.length);
  if (entry === undefined) return null;
  const shift = start - entry.start;
  const inRange = (days: readonly number[]) =>
    days.filter((t) => t >= shift && t < shift + bars.close.length).map((t) => t - shift);
  return {
    impossibleDays: inRange(entry.facts.impossibleDays),
    outsideRangeDays: inRange(entry.facts.outsideRangeDays),
  };
}

// NaN is a value the source did not send: n/a, not wrong.
function isPossiblePrice(value: number, signed: boolean): boolean {
  return Number.isNaN(value) || (Number.isFinite(value) && (signed || value > 0));
}

function isPossibleVolume(volume: number): boolean {
  return !(volume < 0) && volume !== Number.POSITIVE_INFINITY;
}

function findImpossibleValue(bars: DailyBars, signed: boolean): string | null {
  for (const column of PRICE_COLUMNS) {
    const values = bars[column];
    for (let t = 0; t < values.length; t++) {
      const value = values[t] ?? Number.NaN;
      if (isPossiblePrice(value, signed)) continue;
      return `its ${columnName(column)} of ${value} on ${bars.dates[t] ?? ''} is not a possible price`;
    }
  }
  for (let t = 0; t < bars.volume.length; t++) {
    const volume = bars.volume[t] ?? Number.NaN;
    if (isPossibleVolume(volume)) continue;
    return `its volume of ${volume} on ${bars.dates[t] ?? ''} is not possible`;
  }
  return null;
}

function columnName(column: (typeof PRICE_COLUMNS)[number]): string {
  return column === 'adjClose' ? 'adjusted close' : column;
}

/** Days whose high and low, where given, do not contain the open and close. */
function daysOutsideRange(bars: DailyBars): number[] {
  const days: number[] = [];
  for (let t = 0; t < bars.dates.length; t++) {
    const high = bars.high[t] ?? Number.NaN;
    const low = bars.low[t] ?? Number.NaN;
    const open = bars.open[t] ?? Number.NaN;
    const close = bars.close[t] ?? Number.NaN;
    const tolerance = RANGE_TOLERANCE * Math.max(1, Math.abs(high));
    // Comparisons with NaN are false: a missing field breaks no rule.
    if (
      low > high + tolerance ||
      open > high + tolerance ||
      close > high + tolerance ||
      open < low - tolerance ||
      close < low - tolerance
    ) {
      days.push(t);
    }
  }
  return days;
}

function withoutRanges(bars: DailyBars, days: readonly number[]): DailyBars {
  const copy = allocateBars(bars.symbol, bars.dates);
  for (const column of [...PRICE_COLUMNS, 'volume'] as const) copy[column].set(bars[column]);
  for (const t of days) {
    copy.open[t] = Number.NaN;
    copy.high[t] = Number.NaN;
    copy.low[t] = Number.NaN;
  }
  return bars.notes === undefined ? copy : { ...copy, notes: bars.notes };
}

function describeOutsideRange(bars: DailyBars, days: readonly number[]): string {
  const t = days[0] ?? 0;
  const show = (value: number | undefined) => String(Number((value ?? Number.NaN).toFixed(6)));
  const first =
    `${bars.dates[t] ?? ''} (open ${show(bars.open[t])}, high ${show(bars.high[t])}, ` +
    `low ${show(bars.low[t])}, close ${show(bars.close[t])})`;
  const which = days.length === 1 ? `1 day, ${first},` : `${days.length} days, the first ${first},`;
  return `${bars.symbol}: ${which} with a high and low that do not contain the open and close; the open, high and low of such days are n/a.`;
}
