import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { UnknownSymbolError } from '../errors.ts';
import { storeError } from '../store/database.ts';
import { addDays, marketStatus, tradingDays } from './calendar.ts';
import {
  barRows,
  barsFromRows,
  type Bar,
  type DailyBars,
  type DateRange,
  type IsoDate,
  type MarketData,
  type QuoteBatch,
} from './types.ts';

interface CoverageRow {
  first_date: string;
  last_date: string;
}

interface BarRow {
  date: string;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  adj_close: number | null;
  volume: number | null;
}

/** Daily bars by symbol, with the date range each symbol is known to be complete for. */
export class BarStore {
  private readonly statements: {
    coverage: StatementSync;
    setCoverage: StatementSync;
    read: StatementSync;
    lastBar: StatementSync;
    upsert: StatementSync;
    deleteSymbol: StatementSync;
    unknown: StatementSync;
    rememberUnknown: StatementSync;
  };

  private readonly db: DatabaseSync;
  private readonly file: string;

  constructor(db: DatabaseSync, file: string) {
    this.db = db;
    this.file = file;
    this.statements = {
      coverage: db.prepare('SELECT first_date, last_date FROM coverage WHERE symbol = ?'),
      setCoverage: db.prepare(
        'INSERT INTO coverage (symbol, first_date, last_date, fetched_at) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT(symbol) DO UPDATE SET first_date = excluded.first_date, last_date = excluded.last_date, fetched_at = excluded.fetched_at',
      ),
      read: db.prepare(
        'SELECT date, open, high, low, close, adj_close, volume FROM bars WHERE symbol = ? AND date BETWEEN ? AND ? ORDER BY date',
      ),
      lastBar: db.prepare(
        'SELECT date, open, high, low, close, adj_close, volume FROM bars WHERE symbol = ? ORDER BY date DESC LIMIT 1',
      ),
      upsert: db.prepare(
        'INSERT OR REPLACE INTO bars (symbol, date, open, high, low, close, adj_close, volume) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      deleteSymbol: db.prepare('DELETE FROM bars WHERE symbol = ?'),
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

  coverage(symbol: string): DateRange | null {
    return this.guard(() => {
      const row = this.statements.coverage.get(symbol) as CoverageRow | undefined;
      return row ? { from: row.first_date, to: row.last_date } : null;
    });
  }

  read(symbol: string, range: DateRange): Bar[] {
    return this.guard(() =>
      (this.statements.read.all(symbol, range.from, range.to) as unknown as BarRow[]).map(toBar),
    );
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

  lastBar(symbol: string): Bar | null {
    return this.guard(() => {
      const row = this.statements.lastBar.get(symbol) as BarRow | undefined;
      return row ? toBar(row) : null;
    });
  }

  /** Writes bars and the new coverage in one transaction, so a crash never leaves a hole marked as filled. */
  write(
    symbol: string,
    bars: readonly Bar[],
    coverage: DateRange,
    fetchedAt: Date,
    replaceAll = false,
  ): void {
    this.guard(() => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        if (replaceAll) this.statements.deleteSymbol.run(symbol);
        for (const bar of bars) {
          this.statements.upsert.run(
            symbol,
            bar.date,
            bar.open,
            bar.high,
            bar.low,
            bar.close,
            bar.adjClose,
            bar.volume,
          );
        }
        this.statements.setCoverage.run(symbol, coverage.from, coverage.to, fetchedAt.toISOString());
        this.db.exec('COMMIT');
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
    });
  }
}

/** SQLite keeps a NaN (a value the source did not send) as NULL; it comes back as NaN, never as 0. */
function toBar(row: BarRow): Bar {
  const value = (stored: number | null) => stored ?? Number.NaN;
  return {
    date: row.date,
    open: value(row.open),
    high: value(row.high),
    low: value(row.low),
    close: value(row.close),
    adjClose: value(row.adj_close),
    volume: value(row.volume),
  };
}

const minDate = (a: IsoDate, b: IsoDate): IsoDate => (a < b ? a : b);
const maxDate = (a: IsoDate, b: IsoDate): IsoDate => (a > b ? a : b);

/** Adjusted prices match when they agree to rounding; anything more means a dividend or split rebased history. */
function sameAdjustment(stored: Bar, fresh: Bar): boolean {
  const agree = (a: number, b: number) =>
    (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(b - a) <= 1e-6 * Math.max(1, Math.abs(a));
  return agree(stored.close, fresh.close) && agree(stored.adjClose, fresh.adjClose);
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

  async getDailyBars(symbol: string, range: DateRange): Promise<DailyBars> {
    const key = symbol.toUpperCase();
    const fetchedAt = this.now();
    const unknown = this.store.unknownSince(key, new Date(fetchedAt.getTime() - UNKNOWN_FOR_MS));
    if (unknown !== null) throw new UnknownSymbolError(key, unknown);
    try {
      return await this.#bars(key, range, fetchedAt);
    } catch (error) {
      if (error instanceof UnknownSymbolError) this.store.rememberUnknown(key, error.detail, fetchedAt);
      throw error;
    }
  }

  async #bars(key: string, range: DateRange, fetchedAt: Date): Promise<DailyBars> {
    const status = marketStatus(fetchedAt);
    const lastClosed = status.lastClosedSession;
    const storableTo = minDate(range.to, lastClosed);
    if (range.from > storableTo) return this.inner.getDailyBars(key, range);

    const coverage = this.store.coverage(key);
    let live: Bar[] = [];
    if (coverage === null) {
      const fresh = barRows(await this.inner.getDailyBars(key, range));
      this.store.write(
        key,
        fresh.filter((bar) => bar.date <= storableTo),
        { from: range.from, to: storableTo },
        fetchedAt,
      );
      live = fresh.filter((bar) => bar.date > storableTo);
    } else {
      let covered = coverage;
      if (range.from < covered.from) {
        const front = barRows(
          await this.inner.getDailyBars(key, { from: range.from, to: addDays(covered.from, -1) }),
        );
        covered = { from: range.from, to: covered.to };
        this.store.write(key, front, covered, fetchedAt);
      }
      // Only a session the store lacks, or the one under way, is worth a request: a range that ends on a
      // weekend, a holiday or before the open asked Yahoo for every symbol again and got nothing new.
      const missingSessions = tradingDays(addDays(covered.to, 1), storableTo).length > 0;
      const underWay = status.isOpen && range.to > lastClosed;
      if (missingSessions || underWay) {
        // Refetch from the last stored bar: if that bar changed, history was rebased and is fetched anew.
        const anchor = this.store.lastBar(key);
        const backFrom = anchor && anchor.date <= covered.to ? anchor.date : addDays(covered.to, 1);
        const back = barRows(await this.inner.getDailyBars(key, { from: backFrom, to: range.to }));
        const overlap = anchor ? back.find((bar) => bar.date === anchor.date) : undefined;
        if (anchor && overlap && !sameAdjustment(anchor, overlap)) {
          const whole = { from: minDate(covered.from, range.from), to: range.to };
          const all = barRows(await this.inner.getDailyBars(key, whole));
          this.store.write(
            key,
            all.filter((bar) => bar.date <= storableTo),
            { from: whole.from, to: storableTo },
            fetchedAt,
            true,
          );
          live = all.filter((bar) => bar.date > storableTo);
        } else {
          const newTo = maxDate(covered.to, storableTo);
          this.store.write(
            key,
            back.filter((bar) => bar.date <= storableTo),
            { from: covered.from, to: newTo },
            fetchedAt,
          );
          live = back.filter((bar) => bar.date > storableTo);
        }
      }
    }
    return barsFromRows(key, [...this.store.read(key, { from: range.from, to: storableTo }), ...live]);
  }

  getQuotes(symbols: readonly string[]): Promise<QuoteBatch> {
    return this.inner.getQuotes(symbols);
  }
}
