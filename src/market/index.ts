import type { DatabaseSync } from 'node:sqlite';
import type { Config, SourceName } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { openDatabase } from '../store/database.ts';
import { CachedMarketData, DEFAULT_CACHE_POLICY } from './cache.ts';
import { CsvMarketData } from './csv.ts';
import { CsvCache } from './csv-cache.ts';
import { DemoMarketData, type DemoGenerator } from './demo.ts';
import type { Redis } from 'ioredis';
import type { FetchFn, HttpEvent, RequestGate } from '../lib/http.ts';
import { SharedMarketData } from './shared.ts';
import type { Metrics } from '../lib/metrics.ts';
import { BarStore, StoredMarketData } from './store.ts';
import type { MarketData } from './types.ts';
import type { Cancellable } from '../lib/abort.ts';
import type { DailyBars, DateRange, QuoteBatch } from './types.ts';

export interface MarketDataChoice {
  readonly source: SourceName;
  readonly dataDirs: readonly string[];
}

export interface MarketDataDeps {
  readonly fetch: FetchFn;
  readonly now: () => Date;
  readonly logger: Logger;
  /**
   * The bar store already open in this process, so the file is opened once; its owner closes it.
   * Without it, live data opens the store itself and closes it with the source.
   */
  readonly database?: DatabaseSync;
  /** Told when a corrupt bar store was moved aside and rebuilt; logged as a warning when absent. */
  readonly notify?: (note: string) => void;
  /** Told of every Yahoo HTTP attempt, retry, 429 and outcome (the bot's metrics and health). */
  readonly observeHttp?: (event: HttpEvent) => void;
  /** Counts the in-memory cache's hits and misses. */
  readonly metrics?: Metrics;
  /** Where the demo market is generated; in this thread when absent (the bot uses its report workers). */
  readonly generateDemo?: DemoGenerator;
  /** Yahoo's request budget when several processes share it (see YahooDeps.budget). */
  readonly yahooBudget?: RequestGate;
  /**
   * The Redis several bot processes share: live data is then cached there too, between this process's
   * memory and its source, and each fetch is made by one process for all (see SharedMarketData).
   */
  readonly shared?: { readonly redis: Redis; readonly onError: (message: string) => void };
}

export interface OpenedMarketData {
  readonly marketData: MarketData;
  /** Releases the store and the cache timers; call once on shutdown. */
  close(): void;
}

/**
 * Builds the configured source. Live data goes through the persistent store (only missing days are
 * fetched) and then the in-memory cache; local files and the demo market need neither.
 */
export function openMarketData(
  config: Config,
  choice: MarketDataChoice,
  deps: MarketDataDeps,
): OpenedMarketData {
  switch (choice.source) {
    case 'demo':
      return {
        marketData: new DemoMarketData(config.demoSeed, deps.now, deps.generateDemo),
        close: () => undefined,
      };
    case 'csv':
      return {
        marketData: new CsvMarketData(choice.dataDirs, {
          cache:
            config.csvCacheDir === null
              ? null
              : new CsvCache(config.csvCacheDir, deps.logger.child({ component: 'csv-cache' })),
        }),
        close: () => undefined,
      };
    case 'yahoo': {
      const owned = deps.database === undefined;
      const db =
        deps.database ??
        openDatabase(
          config.storePath,
          deps.notify ??
            ((note) => {
              deps.logger.warn(note);
            }),
        );
      const yahoo = new LazyMarketData('yahoo', 'Yahoo Finance', async () => {
        const { YahooMarketData } = await import('./yahoo.ts');
        return new YahooMarketData(config.yahoo, {
          fetch: deps.fetch,
          logger: deps.logger.child({ component: 'yahoo' }),
          ...(deps.observeHttp === undefined ? {} : { observe: deps.observeHttp }),
          ...(deps.yahooBudget === undefined ? {} : { budget: deps.yahooBudget }),
        });
      });
      const stored = new StoredMarketData(yahoo, new BarStore(db, config.storePath), deps.now);
      const cached = new CachedMarketData(
        deps.shared === undefined
          ? stored
          : new SharedMarketData(stored, deps.shared.redis, { now: deps.now, onError: deps.shared.onError }),
        deps.now,
        { ...DEFAULT_CACHE_POLICY, maxBytes: config.cacheMaxBytes },
        deps.metrics,
      );
      return {
        marketData: cached,
        close: () => {
          cached.close();
          if (owned) db.close();
        },
      };
    }
  }
}

/**
 * A source built on its first request. The Yahoo client and its libraries take ~0.1 s to load, which
 * every CLI command paid even when it never asks Yahoo anything (a store hit, `universe list`).
 */
class LazyMarketData implements MarketData {
  readonly source: MarketData['source'];
  readonly label: string;
  readonly #open: () => Promise<MarketData>;
  #opened: Promise<MarketData> | null = null;

  constructor(source: MarketData['source'], label: string, open: () => Promise<MarketData>) {
    this.source = source;
    this.label = label;
    this.#open = open;
  }

  #inner(): Promise<MarketData> {
    this.#opened ??= this.#open();
    return this.#opened;
  }

  async getDailyBars(symbol: string, range: DateRange, options?: Cancellable): Promise<DailyBars> {
    return (await this.#inner()).getDailyBars(symbol, range, options);
  }

  async getQuotes(symbols: readonly string[], options?: Cancellable): Promise<QuoteBatch> {
    return (await this.#inner()).getQuotes(symbols, options);
  }
}
