import type { SourceName } from '../config/index.ts';
import type { Cancellable } from '../lib/abort.ts';

/** An exchange date (America/New_York) as YYYY-MM-DD; string order is date order. */
export type IsoDate = string;

/** Inclusive range of exchange dates. */
export interface DateRange {
  readonly from: IsoDate;
  readonly to: IsoDate;
}

/**
 * Daily bars for one symbol in columns, ascending by date. Prices are split-adjusted; `adjClose` is also
 * dividend-adjusted and is the one to use for returns.
 */
export interface DailyBars {
  readonly symbol: string;
  readonly dates: readonly IsoDate[];
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly adjClose: Float64Array;
  readonly volume: Float64Array;
  /** What the source noticed in these bars and put right (identical duplicate rows dropped), for reports. */
  readonly notes?: readonly string[];
}

export interface Bar {
  readonly date: IsoDate;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly adjClose: number;
  readonly volume: number;
}

/** A latest-price snapshot. Offline sources build it from the last two daily bars. */
export interface Quote {
  readonly symbol: string;
  readonly name: string | null;
  readonly price: number;
  readonly previousClose: number | null;
  /** Change as a fraction of the previous close (0.01 is +1%). */
  readonly changeFraction: number | null;
  readonly marketCap: number | null;
  readonly currency: string;
  /** When the price was set: an ISO timestamp for live quotes, the bar's date for offline ones. */
  readonly asOf: string;
  /**
   * The bar so far of the session the price belongs to (live quotes), with the price as its close and
   * adjusted close: how a report gets the session under way for a whole universe from a few batched
   * quote requests instead of one chart request per member.
   */
  readonly sessionBar?: Bar;
}

export interface MissingSymbol {
  readonly symbol: string;
  readonly reason: string;
}

export interface QuoteBatch {
  readonly quotes: readonly Quote[];
  readonly missing: readonly MissingSymbol[];
}

export interface MarketData {
  readonly source: SourceName;
  /** Human-readable provenance for report footers, e.g. "Yahoo Finance" or "DEMO DATA". */
  readonly label: string;
  /**
   * Bars within the range; throws UnknownSymbolError for a symbol the source does not have. A request
   * whose signal aborts stops its network requests and rejects with the signal's reason.
   */
  getDailyBars(symbol: string, range: DateRange, options?: Cancellable): Promise<DailyBars>;
  /** Latest snapshot for many symbols; unknown symbols are listed in `missing`, never thrown. */
  getQuotes(symbols: readonly string[], options?: Cancellable): Promise<QuoteBatch>;
}

export function barAt(bars: DailyBars, index: number): Bar {
  const date = bars.dates[index];
  if (date === undefined) throw new RangeError(`No bar ${index} for ${bars.symbol}`);
  return {
    date,
    open: bars.open[index] ?? Number.NaN,
    high: bars.high[index] ?? Number.NaN,
    low: bars.low[index] ?? Number.NaN,
    close: bars.close[index] ?? Number.NaN,
    adjClose: bars.adjClose[index] ?? Number.NaN,
    volume: bars.volume[index] ?? Number.NaN,
  };
}

export function barRows(bars: DailyBars): Bar[] {
  return bars.dates.map((_, i) => barAt(bars, i));
}

/**
 * Bars with the given dates and zero-filled columns, for a producer to fill in. The six columns live in
 * one shared memory block, so the bot's report workers read them in place instead of copying every
 * member's history for every request (see remote.ts).
 */
export function allocateBars(symbol: string, dates: readonly IsoDate[]): DailyBars {
  const [open, high, low, close, adjClose, volume] = sharedColumns(6, dates.length);
  return { symbol, dates, open, high, low, close, adjClose, volume } as DailyBars;
}

export type BarsAllocator = (symbol: string, dates: readonly IsoDate[]) => DailyBars;

const ARENA_BLOCK_BYTES = 32 * 1024 * 1024;

/**
 * Columns for bars that stay loaded for the life of the process (a folder of price files), carved one
 * after another out of large shared blocks. 500 shared buffers of 200 KB each cost 180 ms of zero-filling
 * on the calling thread; a large block is mapped untouched, and its pages are filled by whatever writes
 * them first (a file read on libuv's thread pool). Not for bars that come and go: one live history keeps
 * its whole block alive.
 */
export class BarsArena {
  #block: SharedArrayBuffer | null = null;
  #used = 0;

  readonly allocate: BarsAllocator = (symbol, dates) => {
    const columnBytes = dates.length * Float64Array.BYTES_PER_ELEMENT;
    const bytes = 6 * columnBytes;
    if (bytes > ARENA_BLOCK_BYTES / 4) return allocateBars(symbol, dates);
    if (this.#block === null || this.#used + bytes > ARENA_BLOCK_BYTES) {
      this.#block = new SharedArrayBuffer(ARENA_BLOCK_BYTES);
      this.#used = 0;
    }
    const block = this.#block;
    const start = this.#used;
    this.#used += bytes;
    const [open, high, low, close, adjClose, volume] = Array.from(
      { length: 6 },
      (_, k) => new Float64Array(block, start + k * columnBytes, dates.length),
    );
    return { symbol, dates, open, high, low, close, adjClose, volume } as DailyBars;
  };
}

export function sharedColumn(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}

/** `count` zero-filled columns of `length` numbers in one SharedArrayBuffer. */
export function sharedColumns(count: number, length: number): Float64Array[] {
  const buffer = new SharedArrayBuffer(count * length * Float64Array.BYTES_PER_ELEMENT);
  return Array.from(
    { length: count },
    (_, k) => new Float64Array(buffer, k * length * Float64Array.BYTES_PER_ELEMENT, length),
  );
}

export function barsFromRows(symbol: string, rows: readonly Bar[]): DailyBars {
  const bars = allocateBars(
    symbol,
    rows.map((row) => row.date),
  );
  rows.forEach((row, i) => {
    bars.open[i] = row.open;
    bars.high[i] = row.high;
    bars.low[i] = row.low;
    bars.close[i] = row.close;
    bars.adjClose[i] = row.adjClose;
    bars.volume[i] = row.volume;
  });
  return bars;
}

/** The bars whose dates fall within the range (binary search; the input is sorted by date). */
export function sliceBars(bars: DailyBars, range: DateRange): DailyBars {
  const start = lowerBound(bars.dates, range.from);
  const end = upperBound(bars.dates, range.to);
  if (start === 0 && end === bars.dates.length) return bars;
  return {
    symbol: bars.symbol,
    ...(bars.notes === undefined ? {} : { notes: bars.notes }),
    dates: bars.dates.slice(start, end),
    open: bars.open.subarray(start, end),
    high: bars.high.subarray(start, end),
    low: bars.low.subarray(start, end),
    close: bars.close.subarray(start, end),
    adjClose: bars.adjClose.subarray(start, end),
    volume: bars.volume.subarray(start, end),
  };
}

/** First index whose date is >= date. */
export function lowerBound(dates: readonly IsoDate[], date: IsoDate): number {
  let lo = 0;
  let hi = dates.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((dates[mid] ?? '') < date) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose date is > date. */
export function upperBound(dates: readonly IsoDate[], date: IsoDate): number {
  let lo = 0;
  let hi = dates.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((dates[mid] ?? '') <= date) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const COLUMNS = ['open', 'high', 'low', 'close', 'adjClose', 'volume'] as const;

/**
 * The union of two histories by date. Where both have a day, the newer answer's values win, except
 * those it left out (NaN): a later answer repairs a missing adjusted close, and never erases one.
 */
export function mergeBars(older: DailyBars, newer: DailyBars): DailyBars {
  const dates: IsoDate[] = [];
  const from: [source: DailyBars | null, i: number, other: DailyBars | null, j: number][] = [];
  let i = 0;
  let j = 0;
  while (i < older.dates.length || j < newer.dates.length) {
    const a = older.dates[i];
    const b = newer.dates[j];
    if (b === undefined || (a !== undefined && a < b)) {
      dates.push(a ?? '');
      from.push([older, i++, null, -1]);
    } else if (a === undefined || b < a) {
      dates.push(b);
      from.push([newer, j++, null, -1]);
    } else {
      dates.push(b);
      from.push([newer, j++, older, i++]);
    }
  }
  const merged = allocateBars(newer.symbol, dates);
  from.forEach(([source, k, fallback, f], row) => {
    for (const column of COLUMNS) {
      const value = source?.[column][k] ?? Number.NaN;
      merged[column][row] =
        Number.isNaN(value) && fallback !== null ? (fallback[column][f] ?? Number.NaN) : value;
    }
  });
  return merged;
}
