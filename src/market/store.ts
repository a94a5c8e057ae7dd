import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { UnknownSymbolError } from '../errors.ts';
import type { Cancellable } from '../lib/abort.ts';
import { storeError } from '../store/database.ts';
import { addDays, exchangeDateOf, marketStatus, tradingDays } from './calendar.ts';
import { dateOfDay, dayNumber } from './days.ts';
import {
  allocateBars,
  lowerBound,
  mergeBars,
  sliceBars,
  type DailyBars,
  type DateRange,
  type IsoDate,
  type MarketData,
  type QuoteBatch,
} from './types.ts';

interface HistoryRow {
  first_date: string;
  last_date: string;
  days: Uint8Array;
  columns: Uint8Array;
}

/** A symbol's stored daily bars and the range they are known to be complete for. */
export interface StoredHistory {
  readonly bars: DailyBars;
  readonly coverage: DateRange;
}

const COLUMN_COUNT = 6;

/**
 * Daily bars by symbol. Each symbol's history is one row: its days as yyyymmdd Int32s and its six price
 * columns as Float64s, back to back, in two blobs. A cold S&P 500 load wrote 2.2 million rows and read
 * them back (40% of its CPU); a blob is written and read in one step, lands in memory as the columns
 * reports use, and keeps a price the source did not send as NaN. The store is a cache of the source's
 * answers: a history that does not decode is dropped and fetched again.
 */
export class BarStore {
  private readonly statements: {
    history: StatementSync;
    save: StatementSync;
    drop: StatementSync;
    unknown: StatementSync;
    rememberUnknown: StatementSync;
  };

  private readonly file: string;

  constructor(db: DatabaseSync, file: string) {
    this.file = file;
    this.statements = {
      history: db.prepare('SELECT first_date, last_date, days, columns FROM histories WHERE symbol = ?'),
      save: db.prepare(
        'INSERT OR REPLACE INTO histories (symbol, first_date, last_date, fetched_at, days, columns) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      drop: db.prepare('DELETE FROM histories WHERE symbol = ?'),
      unknown: db.prepare('SELECT reason FROM unknown_symbols WHERE symbol = ? AND checked_at > ?'),
      rememberUnknown: db.prepare(
        'INSERT OR REPLACE INTO unknown_symbols (symbol, reason, checked_at) VALUES (?, ?, ?)',
      ),
    };
  }

  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw storeError(this.file, error);
    }
  }

  history(symbol: string): StoredHistory | null {
    return this.guard(() => {
      const row = this.statements.history.get(symbol) as HistoryRow | undefined;
      if (row === undefined) return null;
      const bars = decodeHistory(symbol, row);
      if (bars === null) {
        this.statements.drop.run(symbol);
        return null;
      }
      return { bars, coverage: { from: row.first_date, to: row.last_date } };
    });
  }

  /** Replaces the symbol's history and coverage in one statement: a crash never leaves a hole marked as filled. */
  save(bars: DailyBars, coverage: DateRange, fetchedAt: Date): StoredHistory {
    const n = bars.dates.length;
    const days = new Int32Array(n);
    bars.dates.forEach((date, i) => {
      days[i] = dayNumber(date);
    });
    const columns = new Float64Array(COLUMN_COUNT * n);
    COLUMNS.forEach((column, c) => {
      columns.set(bars[column], c * n);
    });
    this.guard(() =>
      this.statements.save.run(
        bars.symbol,
        coverage.from,
        coverage.to,
        fetchedAt.toISOString(),
        new Uint8Array(days.buffer),
        new Uint8Array(columns.buffer),
      ),
    );
    return { bars, coverage };
  }

  /** Why the source did not know the symbol, when it said so after `since`; null otherwise. */
  unknownSince(symbol: string, since: Date): string | null {
    return this.guard(() => {
      const row = this.statements.unknown.get(symbol, since.toISOString()) as { reason: string } | undefined;
      return row?.reason ?? null;
    });
  }

  rememberUnknown(symbol: string, reason: string, at: Date): void {
    this.guard(() => this.statements.rememberUnknown.run(symbol, reason, at.toISOString()));
  }
}

const COLUMNS = ['open', 'high', 'low', 'close', 'adjClose', 'volume'] as const;

/** The stored blobs as bars in shared memory (see allocateBars), or null when they do not fit together. */
function decodeHistory(symbol: string, row: HistoryRow): DailyBars | null {
  const n = row.days.byteLength / Int32Array.BYTES_PER_ELEMENT;
  if (!Number.isInteger(n) || row.columns.byteLength !== COLUMN_COUNT * n * Float64Array.BYTES_PER_ELEMENT)
    return null;
  // A blob's bytes need not sit on a 4-byte boundary; copying them into a fresh buffer puts them on one.
  const days = new Int32Array(row.days.slice().buffer);
  const dates = Array.from(days, dateOfDay);
  for (let i = 1; i < n; i++) if ((dates[i - 1] ?? '') >= (dates[i] ?? '')) return null;
  const bars = allocateBars(symbol, dates);
  // allocateBars lays the six columns out back to back in one block, as they are stored.
  new Uint8Array(bars.open.buffer).set(row.columns);
  return bars;
}

const minDate = (a: IsoDate, b: IsoDate): IsoDate => (a < b ? a : b);
const maxDate = (a: IsoDate, b: IsoDate): IsoDate => (a > b ? a : b);

/**
 * Whether a newer answer contradicts stored days: a close or adjusted close that differs beyond rounding
 * means a dividend or split rebased the history (or the store holds a wrong answer), so all of it is
 * fetched again. A day stored without a value the newer answer has is no contradiction: merging repairs it.
 */
function contradicts(stored: DailyBars, fresh: DailyBars): boolean {
  const differ = (a: number, b: number) =>
    !Number.isNaN(a) && !Number.isNaN(b) && Math.abs(b - a) > 1e-6 * Math.max(1, Math.abs(a));
  let i = lowerBound(stored.dates, fresh.dates[0] ?? '');
  for (let j = 0; j < fresh.dates.length && i < stored.dates.length; j++) {
    while (i < stored.dates.length && (stored.dates[i] ?? '') < (fresh.dates[j] ?? '')) i++;
    if (stored.dates[i] !== fresh.dates[j]) continue;
    if (
      differ(stored.close[i] ?? Number.NaN, fresh.close[j] ?? Number.NaN) ||
      differ(stored.adjClose[i] ?? Number.NaN, fresh.adjClose[j] ?? Number.NaN)
    )
      return true;
  }
  return false;
}

/**
 * How far back the check after each close reaches for days the source sent without an adjusted close
 * (Yahoo's nulls), so a later answer that has them repairs the store: a quarter of sessions.
 */
const REPAIR_WINDOW_SESSIONS = 63;

/** Where the next request for a stored history starts: its last bar, or an earlier recent one missing its adjusted close. */
function recheckFrom(history: StoredHistory): IsoDate {
  const { bars, coverage } = history;
  const last = bars.dates.length - 1;
  if (last < 0) return addDays(coverage.to, 1);
  for (let i = Math.max(0, last - REPAIR_WINDOW_SESSIONS); i < last; i++) {
    if (Number.isNaN(bars.adjClose[i] ?? Number.NaN)) return bars.dates[i] ?? '';
  }
  return bars.dates[last] ?? '';
}

/**
 * How long a symbol the source said it does not know is believed: a misspelt or delisted symbol in a
 * universe is not asked for again on every report (96 requests a run in one test), and a new listing is
 * found the next day.
 */
const UNKNOWN_FOR_MS = 24 * 3600 * 1000;

/**
 * A live source behind the persistent store: only days the store does not have are fetched, and only
 * sessions that have closed are kept (a bar of the session under way is served but never stored).
 */
export class StoredMarketData implements MarketData {
  readonly source: MarketData['source'];
  readonly label: string;

  private readonly inner: MarketData;
  private readonly store: BarStore;
  private readonly now: () => Date;

  constructor(inner: MarketData, store: BarStore, now: () => Date) {
    this.inner = inner;
    this.store = store;
    this.now = now;
    this.source = inner.source;
    this.label = inner.label;
  }

  async getDailyBars(symbol: string, range: DateRange, options: Cancellable = {}): Promise<DailyBars> {
    const key = symbol.toUpperCase();
    const fetchedAt = this.now();
    const unknown = this.store.unknownSince(key, new Date(fetchedAt.getTime() - UNKNOWN_FOR_MS));
    if (unknown !== null) throw new UnknownSymbolError(key, unknown);
    try {
      return await this.#bars(key, range, fetchedAt, options);
    } catch (error) {
      if (error instanceof UnknownSymbolError) this.store.rememberUnknown(key, error.detail, fetchedAt);
      throw error;
    }
  }

  async #bars(key: string, range: DateRange, fetchedAt: Date, options: Cancellable): Promise<DailyBars> {
    const status = marketStatus(fetchedAt);
    const storableTo = minDate(range.to, status.lastClosedSession);
    if (range.from > storableTo) return this.inner.getDailyBars(key, range, options);

    const upTo = (bars: DailyBars) => sliceBars(bars, { from: '0000-01-01', to: storableTo });
    const save = (bars: DailyBars, coverage: DateRange) => this.store.save(upTo(bars), coverage, fetchedAt);
    let held = this.store.history(key);
    // Bars of the session under way: served, never stored.
    let live: DailyBars | null = null;
    if (held === null) {
      const fresh = await this.inner.getDailyBars(key, range, options);
      held = save(fresh, { from: range.from, to: storableTo });
      live = fresh;
    } else {
      if (range.from < held.coverage.from) {
        const front = await this.inner.getDailyBars(
          key,
          { from: range.from, to: addDays(held.coverage.from, -1) },
          options,
        );
        held = save(mergeBars(held.bars, front), { from: range.from, to: held.coverage.to });
      }
      // Only a session the store lacks, or the one under way, is worth a request: a range that ends on a
      // weekend, a holiday or before the open asked Yahoo for every symbol again and got nothing new.
      const missingSessions = tradingDays(addDays(held.coverage.to, 1), storableTo).length > 0;
      const underWay = status.isOpen && range.to >= exchangeDateOf(fetchedAt);
      if (missingSessions || underWay) {
        const back = await this.inner.getDailyBars(key, { from: recheckFrom(held), to: range.to }, options);
        if (contradicts(held.bars, back)) {
          const whole = { from: minDate(held.coverage.from, range.from), to: range.to };
          live = await this.inner.getDailyBars(key, whole, options);
          held = save(live, { from: whole.from, to: storableTo });
        } else {
          held = save(mergeBars(held.bars, back), {
            from: held.coverage.from,
            to: maxDate(held.coverage.to, storableTo),
          });
          live = back;
        }
      }
    }
    const stored = sliceBars(held.bars, { from: range.from, to: storableTo });
    const later = live === null ? null : sliceBars(live, { from: addDays(storableTo, 1), to: range.to });
    return later === null || later.dates.length === 0 ? stored : mergeBars(stored, later);
  }

  getQuotes(symbols: readonly string[], options?: Cancellable): Promise<QuoteBatch> {
    return this.inner.getQuotes(symbols, options);
  }
}
