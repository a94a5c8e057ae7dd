import { isTradingDay } from '../market/calendar.ts';
import { lowerBound, upperBound, type DailyBars, type IsoDate } from '../market/types.ts';

/**
 * Daily bars of many symbols on one shared calendar (symbols × days), the input of every cross-sectional
 * indicator. A symbol without a bar on a day has NaN there; nothing is carried forward or filled in.
 */
export interface Panel {
  readonly dates: readonly IsoDate[];
  readonly symbols: readonly string[];
  /** Dividend- and split-adjusted closes, for returns. */
  readonly adjClose: readonly Float64Array[];
  /** Split-adjusted closes, for price levels (moving averages, highs and lows, advances and declines). */
  readonly close: readonly Float64Array[];
  /** Shares traded (NaN where none were reported), for sizing members by dollar volume. */
  readonly volume: readonly Float64Array[];
}

export interface AlignedPanel {
  readonly panel: Panel;
  /** Bars dated on days the exchange was closed, which no calendar should be built from. */
  readonly offCalendarRows: number;
}

/**
 * Aligns bars on the union of their dates, keeping only NYSE sessions: one file with a stray holiday row
 * must not put a gap into every other symbol.
 */
export function alignBars(barsList: readonly DailyBars[]): AlignedPanel {
  const dates = unionCalendar(barsList);
  let offCalendarRows = 0;
  const place = (column: 'adjClose' | 'close' | 'volume') =>
    barsList.map((bars) => {
      const out = new Float64Array(dates.length).fill(Number.NaN);
      const at = contiguousRun(dates, bars.dates);
      if (at >= 0) out.set(bars[column], at);
      else {
        const left = placeRows(dates, bars.dates, bars[column], out);
        if (column === 'adjClose') offCalendarRows += left;
      }
      // A zero or negative price is a data error, not a price: keep it out of every ratio. A day with no
      // reported volume is left out of volume averages the same way.
      const [start, end] = at >= 0 ? [at, at + bars.dates.length] : [0, out.length];
      for (let t = start; t < end; t++) if (!((out[t] ?? 0) > 0)) out[t] = Number.NaN;
      return out;
    });
  const adjClose = place('adjClose');
  let close: Float64Array[] | null = null;
  let volume: Float64Array[] | null = null;
  return {
    panel: {
      dates,
      symbols: barsList.map((b) => b.symbol),
      adjClose,
      // Only breadth reads price levels and volumes, so those columns are placed on first use.
      get close() {
        close ??= place('close');
        return close;
      },
      get volume() {
        volume ??= place('volume');
        return volume;
      },
    },
    offCalendarRows,
  };
}

/** One member's values on a session appended to a panel. */
export interface SessionValues {
  readonly adjClose: number;
  readonly close: number;
  readonly volume: number;
}

/**
 * The panel with one more session at its end, valued per member in the panel's symbol order (NaN where a
 * member has nothing): how the session under way, taken from quotes, joins closed history that stays
 * aligned and cached. Columns are extended only when read, as alignBars places them.
 */
export function appendSession(
  panel: Panel,
  date: IsoDate,
  values: readonly (SessionValues | undefined)[],
): Panel {
  const extend = (columns: readonly Float64Array[], column: keyof SessionValues) =>
    columns.map((history, s) => {
      const out = new Float64Array(history.length + 1);
      out.set(history);
      const value = values[s]?.[column] ?? Number.NaN;
      out[history.length] = value > 0 ? value : Number.NaN;
      return out;
    });
  let close: Float64Array[] | null = null;
  let volume: Float64Array[] | null = null;
  return {
    dates: [...panel.dates, date],
    symbols: panel.symbols,
    adjClose: extend(panel.adjClose, 'adjClose'),
    get close() {
      close ??= extend(panel.close, 'close');
      return close;
    },
    get volume() {
      volume ??= extend(panel.volume, 'volume');
      return volume;
    },
  };
}

/** Where `run` sits in `calendar` as one unbroken stretch (the common case), or -1. */
function contiguousRun(calendar: readonly IsoDate[], run: readonly IsoDate[]): number {
  if (run.length === 0) return -1;
  const start = lowerBound(calendar, run[0] ?? '');
  if (start + run.length > calendar.length) return -1;
  for (let k = 0; k < run.length; k++) if (calendar[start + k] !== run[k]) return -1;
  return start;
}

/** Places each row on its calendar day by walking both sorted lists; returns the rows left off it. */
function placeRows(
  calendar: readonly IsoDate[],
  dates: readonly IsoDate[],
  values: Float64Array,
  out: Float64Array,
): number {
  let offCalendar = 0;
  let j = 0;
  for (let i = 0; i < dates.length; i++) {
    const date = dates[i] ?? '';
    while (j < calendar.length && (calendar[j] ?? '') < date) j++;
    if (calendar[j] !== date) {
      offCalendar++;
      continue;
    }
    out[j] = values[i] ?? Number.NaN;
    j++;
  }
  return offCalendar;
}

/**
 * The sorted union of the bars' dates that are NYSE sessions. Files mostly share one calendar, so it
 * starts from the longest and only looks up dates that it lacks (hashing two million dates took 90 ms).
 */
function unionCalendar(barsList: readonly DailyBars[]): IsoDate[] {
  const longest = barsList.reduce<DailyBars | undefined>(
    (best, bars) => (best === undefined || bars.dates.length > best.dates.length ? bars : best),
    undefined,
  );
  const base = (longest?.dates ?? []).filter((date) => isTradingDay(date));
  const extra = new Set<IsoDate>();
  for (const bars of barsList) {
    let j = 0;
    for (const date of bars.dates) {
      if (base[j] === date) {
        j++;
        continue;
      }
      while (j < base.length && (base[j] ?? '') < date) j++;
      if (base[j] === date) j++;
      else extra.add(date);
    }
  }
  const sessions = [...extra].filter((date) => isTradingDay(date));
  return sessions.length === 0 ? base : [...base, ...sessions].sort();
}

/** Sessions a stock may go without a price (a halt) and still have its return measured across the gap. */
export const MAX_PRICE_GAP = 5;

/**
 * Daily returns from adjusted closes for sessions from..to, written to out[0..to-from]. Across a short
 * gap (a halted day) the return is taken from the last valid close, so the move is not lost; a gap longer
 * than MAX_PRICE_GAP sessions starts afresh. Writing into the caller's buffer spares the thousands of
 * small allocations a factor backtest would otherwise make.
 */
export function returnsInto(prices: Float64Array, from: number, to: number, out: Float64Array): void {
  out.fill(Number.NaN, 0, to - from + 1);
  let last = Number.NaN;
  let lastAt = -1;
  for (let t = Math.max(0, from - MAX_PRICE_GAP); t <= to; t++) {
    const p = prices[t] ?? Number.NaN;
    if (Number.isNaN(p)) continue;
    if (t >= from && !Number.isNaN(last) && t - lastAt <= MAX_PRICE_GAP) out[t - from] = p / last - 1;
    last = p;
    lastAt = t;
  }
}

export function dailyReturns(prices: Float64Array): Float64Array {
  const out = new Float64Array(prices.length);
  returnsInto(prices, 0, prices.length - 1, out);
  return out;
}

/** Index of the last session of the previous calendar year, the base of year-to-date returns; -1 if none. */
export function yearStartBase(dates: readonly IsoDate[], t: number): number {
  const year = (dates[t] ?? '').slice(0, 4);
  return upperBound(dates, `${year}-01-00`) - 1;
}
