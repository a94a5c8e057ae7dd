import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sleep, type Cancellable } from '../lib/abort.ts';
import { fromSharedJson, toSharedJson } from '../lib/shared-text.ts';
import { describeError, UnknownSymbolError } from '../errors.ts';
import { REDIS_PREFIX } from '../store/redis.ts';
import { cacheTtlSeconds, DEFAULT_CACHE_POLICY, type CachePolicy } from './cache.ts';
import type { DailyBars, DateRange, MarketData, MissingSymbol, Quote, QuoteBatch } from './types.ts';

/**
 * The market cache several bot processes share, in Redis, between each process's in-memory cache and
 * its source: what one process fetched, the others read instead of asking Yahoo again. A fetch is
 * claimed with a lock that expires (one process fetches, the others wait for its result); a holder that
 * dies mid-fetch leaves the lock to expire, and a waiter then takes it over. While Redis cannot be
 * reached, requests go straight to the source (each process on its own, as without Redis).
 */
export interface SharedCacheOptions {
  /** How long a fetch may hold its lock before another process may take over. */
  readonly lockMs: number;
  /** How often a waiting process looks for the result. */
  readonly pollMs: number;
  /** How long "this symbol does not exist" is remembered, so the others do not ask again at once. */
  readonly missingTtlSeconds: number;
  readonly policy: CachePolicy;
}

export const DEFAULT_SHARED_CACHE: SharedCacheOptions = {
  lockMs: 30_000,
  pollMs: 100,
  missingTtlSeconds: 60,
  policy: DEFAULT_CACHE_POLICY,
};

const COLUMNS = ['open', 'high', 'low', 'close', 'adjClose', 'volume'] as const;

/** Bars as bytes: a JSON header (symbol, dates, notes) and the columns as float64, NaN kept as NaN. */
export function encodeBars(bars: DailyBars): Buffer {
  const header = Buffer.from(
    JSON.stringify({ symbol: bars.symbol, dates: bars.dates, notes: bars.notes ?? null }),
    'utf8',
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  const columns = COLUMNS.map((name) => {
    const column = bars[name];
    return Buffer.from(column.buffer, column.byteOffset, column.byteLength);
  });
  return Buffer.concat([length, header, ...columns]);
}

export function decodeBars(bytes: Buffer): DailyBars {
  const headerLength = bytes.readUInt32LE(0);
  const header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8')) as {
    symbol: string;
    dates: string[];
    notes: string[] | null;
  };
  const count = header.dates.length;
  let offset = 4 + headerLength;
  const column = () => {
    // A copy, aligned for Float64Array whatever the offset in the buffer.
    const values = new Float64Array(count);
    Buffer.from(values.buffer).set(bytes.subarray(offset, offset + count * 8));
    offset += count * 8;
    return values;
  };
  const [open, high, low, close, adjClose, volume] = COLUMNS.map(column);
  return {
    symbol: header.symbol,
    dates: header.dates,
    open: open ?? new Float64Array(0),
    high: high ?? new Float64Array(0),
    low: low ?? new Float64Array(0),
    close: close ?? new Float64Array(0),
    adjClose: adjClose ?? new Float64Array(0),
    volume: volume ?? new Float64Array(0),
    ...(header.notes === null ? {} : { notes: header.notes }),
  };
}

/** Deletes the lock only if it is still ours: a holder whose lock expired must not free the next one's. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** What a fetch left in Redis: the value, or the word that the symbol does not exist. */
type Found<T> = { readonly value: T } | { readonly missing: string } | null;

export class SharedMarketData implements MarketData {
  readonly source: MarketData['source'];
  readonly label: string;
  readonly #inner: MarketData;
  readonly #redis: Redis;
  readonly #now: () => Date;
  readonly #options: SharedCacheOptions;
  readonly #onError: (message: string) => void;

  constructor(
    inner: MarketData,
    redis: Redis,
    deps: {
      readonly now: () => Date;
      readonly onError: (message: string) => void;
      readonly options?: Partial<SharedCacheOptions>;
    },
  ) {
    this.#inner = inner;
    this.#redis = redis;
    this.#now = deps.now;
    this.#onError = deps.onError;
    this.#options = { ...DEFAULT_SHARED_CACHE, ...deps.options };
    this.source = inner.source;
    this.label = inner.label;
  }

  getDailyBars(symbol: string, range: DateRange, options?: Cancellable): Promise<DailyBars> {
    const name = symbol.toUpperCase();
    const key = `${REDIS_PREFIX}bars:${name}:${range.from}:${range.to}`;
    return this.#shared(
      key,
      async () => {
        const bytes = await this.#redis.getBuffer(key);
        if (bytes === null) return null;
        if (bytes.subarray(0, 8).toString('utf8') === 'missing:') {
          return { missing: bytes.subarray(8).toString('utf8') };
        }
        return { value: decodeBars(bytes) };
      },
      async (signal) => {
        try {
          const bars = await this.#inner.getDailyBars(symbol, range, { signal });
          await this.#redis.set(key, encodeBars(bars), 'EX', this.#ttl('bars'));
          return { value: bars };
        } catch (error) {
          if (!(error instanceof UnknownSymbolError)) throw error;
          await this.#redis.set(key, `missing:${error.detail}`, 'EX', this.#options.missingTtlSeconds);
          return { missing: error.detail };
        }
      },
      () => this.#inner.getDailyBars(symbol, range, options),
      options?.signal,
    ).then((found) => {
      if ('missing' in found) throw new UnknownSymbolError(name, found.missing);
      return found.value;
    });
  }

  async getQuotes(symbols: readonly string[], options?: Cancellable): Promise<QuoteBatch> {
    const wanted = [...new Set(symbols.map((s) => s.toUpperCase()))];
    const keys = wanted.map((symbol) => `${REDIS_PREFIX}quote:${symbol}`);
    const batchKey = `${REDIS_PREFIX}quotes:${createHash('sha256')
      .update([...wanted].sort().join(','))
      .digest('hex')}`;
    const read = async (): Promise<Found<QuoteBatch>> => {
      const texts = await this.#redis.mget(...keys);
      if (texts.some((text) => text === null)) return null;
      const quotes: Quote[] = [];
      const missing: MissingSymbol[] = [];
      texts.forEach((text, i) => {
        const entry = fromSharedJson(text ?? '{}') as { quote?: Quote; missing?: string };
        if (entry.quote) quotes.push(entry.quote);
        else missing.push({ symbol: wanted[i] ?? '', reason: entry.missing ?? 'no quote' });
      });
      return { value: { quotes, missing } };
    };
    const found = await this.#shared(
      batchKey,
      read,
      async (signal) => {
        const batch = await this.#inner.getQuotes(wanted, { signal });
        const pipeline = this.#redis.multi();
        for (const quote of batch.quotes) {
          pipeline.set(
            `${REDIS_PREFIX}quote:${quote.symbol}`,
            toSharedJson({ quote }),
            'EX',
            this.#ttl('quote'),
          );
        }
        for (const gap of batch.missing) {
          pipeline.set(
            `${REDIS_PREFIX}quote:${gap.symbol.toUpperCase()}`,
            toSharedJson({ missing: gap.reason }),
            'EX',
            this.#options.missingTtlSeconds,
          );
        }
        await pipeline.exec();
        return { value: batch };
      },
      () => this.#inner.getQuotes(symbols, options),
      options?.signal,
    );
    if ('missing' in found) return { quotes: [], missing: [] };
    return found.value;
  }

  #ttl(kind: 'bars' | 'quote'): number {
    return cacheTtlSeconds(this.#now(), this.#options.policy, kind);
  }

  /**
   * The cached value, or the fetch of the one process holding `key`'s lock. A process that cannot
   * take the lock waits for the holder's result, and takes the lock over when it is free again (the
   * holder failed, or died and its lock expired). Redis trouble: straight to the source.
   */
  async #shared<T>(
    key: string,
    read: () => Promise<Found<T>>,
    fetch: (signal?: AbortSignal) => Promise<{ value: T } | { missing: string }>,
    direct: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<{ value: T } | { missing: string }> {
    const lock = `${key}:lock`;
    const token = randomUUID();
    try {
      for (;;) {
        signal?.throwIfAborted();
        const found = await read();
        if (found !== null) return found;
        const taken = await this.#redis.set(lock, token, 'PX', this.#options.lockMs, 'NX');
        if (taken === 'OK') break;
        await sleep(this.#options.pollMs, signal);
      }
    } catch (error) {
      if (signal?.aborted) throw error;
      this.#onError(`shared cache unavailable, asking the source directly: ${describeError(error)}`);
      return { value: await direct() };
    }
    try {
      // The holder before us may have stored its result and let go between our look and our claim.
      const stored = await read().catch(() => null);
      if (stored !== null) return stored;
      return await fetch(signal);
    } finally {
      await this.#redis.eval(RELEASE_SCRIPT, 1, lock, token).catch(() => undefined);
    }
  }
}
