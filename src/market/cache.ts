import NodeCache from 'node-cache';
import { marketStatus } from './calendar.ts';
import type { DailyBars, DateRange, MarketData, Quote, QuoteBatch } from './types.ts';
import type { Cancellable } from '../lib/abort.ts';
import type { Metrics } from '../lib/metrics.ts';
import { SingleFlight } from '../lib/single-flight.ts';

/**
 * An in-memory cache in front of a live source, so a busy server never asks Yahoo twice for the same
 * thing: while the market is open entries live briefly (prices move), while it is closed they live until
 * the next open (nothing changes). Concurrent identical requests share one fetch (single-flight), and a
 * failed fetch leaves nothing behind: the next request tries again.
 */
export interface CachePolicy {
  /** How long bars and quotes stay fresh while the market is open. */
  readonly openQuoteTtlSeconds: number;
  readonly openBarsTtlSeconds: number;
  /** Ceiling for entries made while the market is closed (a long weekend is still refreshed daily). */
  readonly closedMaxTtlSeconds: number;
  /**
   * The most memory the entries may hold (CACHE_MAX_MB): users can ask for any symbol list, so past it
   * the least recently used entries go first; the bar store behind still has them.
   */
  readonly maxBytes: number;
}

export const DEFAULT_CACHE_POLICY: CachePolicy = {
  openQuoteTtlSeconds: 60,
  openBarsTtlSeconds: 300,
  closedMaxTtlSeconds: 24 * 3600,
  maxBytes: 512 * 1024 * 1024,
};

/** What an entry holds in memory, roughly: its columns, plus a pointer and a little for each date. */
function sizeOf(value: unknown): number {
  if (typeof value !== 'object' || value === null || !('dates' in value)) return 512;
  const bars = value as DailyBars;
  const columns = [bars.open, bars.high, bars.low, bars.close, bars.adjClose, bars.volume];
  return 256 + bars.dates.length * 16 + columns.reduce((sum, column) => sum + column.byteLength, 0);
}

/**
 * Seconds an entry made at `now` stays fresh: briefly while the market is open (prices move), until the
 * next open while it is closed, at most closedMaxTtlSeconds.
 */
export function cacheTtlSeconds(now: Date, policy: CachePolicy, kind: 'bars' | 'quote'): number {
  const status = marketStatus(now);
  if (status.isOpen) return kind === 'bars' ? policy.openBarsTtlSeconds : policy.openQuoteTtlSeconds;
  const untilOpen = Math.ceil((status.nextOpen.getTime() - now.getTime()) / 1000);
  return Math.max(1, Math.min(untilOpen, policy.closedMaxTtlSeconds));
}

export class CachedMarketData implements MarketData {
  readonly source: MarketData['source'];
  readonly label: string;
  private readonly cache = new NodeCache({ useClones: false, checkperiod: 120 });
  private readonly flights = new SingleFlight();
  /** Each entry's size, least recently used first (a Map keeps the order keys were set in). */
  readonly #sizes = new Map<string, number>();
  #bytes = 0;

  private readonly inner: MarketData;
  private readonly now: () => Date;
  private readonly policy: CachePolicy;

  readonly #metrics: Metrics | undefined;

  constructor(
    inner: MarketData,
    now: () => Date,
    policy: CachePolicy = DEFAULT_CACHE_POLICY,
    metrics?: Metrics,
  ) {
    this.#metrics = metrics;
    this.inner = inner;
    this.now = now;
    this.policy = policy;
    this.source = inner.source;
    this.label = inner.label;
    // node-cache drops expired entries on its own timer: the accounting follows every deletion.
    this.cache.on('del', (key: string) => {
      this.#forget(key);
    });
  }

  /** Bytes the entries hold now. */
  get bytes(): number {
    return this.#bytes;
  }

  #forget(key: string): void {
    const size = this.#sizes.get(key);
    if (size === undefined) return;
    this.#sizes.delete(key);
    this.#bytes -= size;
  }

  /** Seconds an entry made now stays fresh. */
  ttlSeconds(kind: 'bars' | 'quote'): number {
    return cacheTtlSeconds(this.now(), this.policy, kind);
  }

  /**
   * Entries carry their expiry on the injected clock as well as node-cache's timer, so what counts as
   * fresh follows the same clock as the market's hours (a quote cached before the open is not served
   * after it, whatever the process's own clock says).
   */
  #get(key: string): unknown {
    const entry = this.cache.get<{ value: unknown; expires: number }>(key);
    if (entry === undefined) return undefined;
    if (this.now().getTime() < entry.expires) {
      const size = this.#sizes.get(key);
      if (size !== undefined) {
        this.#sizes.delete(key);
        this.#sizes.set(key, size);
      }
      return entry.value;
    }
    this.cache.del(key);
    return undefined;
  }

  #set(key: string, value: unknown, kind: 'bars' | 'quote'): void {
    const size = sizeOf(value);
    if (size > this.policy.maxBytes) return;
    const ttl = this.ttlSeconds(kind);
    this.#forget(key);
    this.cache.set(key, { value, expires: this.now().getTime() + ttl * 1000 }, ttl);
    this.#sizes.set(key, size);
    this.#bytes += size;
    for (const oldest of this.#sizes.keys()) {
      if (this.#bytes <= this.policy.maxBytes) break;
      this.cache.del(oldest);
    }
  }

  getDailyBars(symbol: string, range: DateRange, options?: Cancellable): Promise<DailyBars> {
    const key = `bars:${symbol.toUpperCase()}:${range.from}:${range.to}`;
    const hit = this.#get(key) as DailyBars | undefined;
    this.#metrics?.cacheLookup('bars', hit !== undefined);
    if (hit) return Promise.resolve(hit);
    return this.flights.run(
      key,
      async (signal) => {
        const bars = await this.inner.getDailyBars(symbol, range, { signal });
        this.#set(key, bars, 'bars');
        return bars;
      },
      options?.signal,
    );
  }

  async getQuotes(symbols: readonly string[], options?: Cancellable): Promise<QuoteBatch> {
    const wanted = [...new Set(symbols.map((s) => s.toUpperCase()))];
    const cached = new Map<string, Quote>();
    for (const symbol of wanted) {
      const hit = this.#get(`quote:${symbol}`) as Quote | undefined;
      this.#metrics?.cacheLookup('quote', hit !== undefined);
      if (hit) cached.set(symbol, hit);
    }
    const toFetch = wanted.filter((symbol) => !cached.has(symbol));
    let fetched: QuoteBatch = { quotes: [], missing: [] };
    if (toFetch.length > 0) {
      fetched = await this.flights.run(
        `quotes:${[...toFetch].sort().join(',')}`,
        async (signal) => {
          const batch = await this.inner.getQuotes(toFetch, { signal });
          // Only quotes are cached: a symbol missing now may be a hiccup, and must be asked again.
          for (const quote of batch.quotes) this.#set(`quote:${quote.symbol}`, quote, 'quote');
          return batch;
        },
        options?.signal,
      );
    }
    const bySymbol = new Map([...cached, ...fetched.quotes.map((q) => [q.symbol, q] as const)]);
    return {
      quotes: wanted.flatMap((symbol) => {
        const quote = bySymbol.get(symbol);
        return quote ? [quote] : [];
      }),
      missing: fetched.missing,
    };
  }

  close(): void {
    this.cache.close();
  }
}
