import type { DatabaseSync } from 'node:sqlite';
import type { Config, SourceName } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { openDatabase } from '../store/database.ts';
import { CachedMarketData } from './cache.ts';
import { CsvMarketData } from './csv.ts';
import { DemoMarketData, type DemoGenerator } from './demo.ts';
import type { FetchFn } from '../lib/http.ts';
import { BarStore, StoredMarketData } from './store.ts';
import type { MarketData } from './types.ts';
import { YahooMarketData } from './yahoo.ts';

export interface MarketDataChoice {
  readonly source: SourceName;
  readonly dataDirs: readonly string[];
}

export interface MarketDataDeps {
  readonly fetch: FetchFn;
  readonly now: () => Date;
  readonly logger: Logger;
  /**
   * The store already open in this process (the bot keeps schedules in it too), so the file is opened
   * once; its owner closes it. Without it, live data opens the store itself and closes it with the source.
   */
  readonly database?: DatabaseSync;
  /** Where the demo market is generated; in this thread when absent (the bot uses its report workers). */
  readonly generateDemo?: DemoGenerator;
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
      return { marketData: new CsvMarketData(choice.dataDirs), close: () => undefined };
    case 'yahoo': {
      const owned = deps.database === undefined;
      const db = deps.database ?? openDatabase(config.storePath);
      const yahoo = new YahooMarketData(config.yahoo, {
        fetch: deps.fetch,
        logger: deps.logger.child({ component: 'yahoo' }),
      });
      const cached = new CachedMarketData(
        new StoredMarketData(yahoo, new BarStore(db, config.storePath), deps.now),
        deps.now,
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
