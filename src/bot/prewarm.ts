import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import { TapewatchError, describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { memberRange } from '../reports/context.ts';
import type { Cancellable } from '../lib/abort.ts';
import {
  closeMinutes,
  exchangeClock,
  exchangeInstant,
  isTradingDay,
  nextTradingDay,
} from '../market/calendar.ts';
import { liveSession } from '../market/session.ts';
import type { DailyBars, DateRange, MarketData, QuoteBatch } from '../market/types.ts';

/**
 * The bot's market history, loaded before anyone asks. At start-up the live source's store is filled for
 * the symbols the reports need (the reports' own ETFs first, then the configured universes), so no user
 * waits on a cold load of 500 charts; after each close the same symbols are asked again once, for the
 * day's bar, so the first report of the evening is warm too. Each load asks for exactly the ranges a
 * report would (see memberRange), so a report finds them in the cache as well as in the store.
 */
export interface PrewarmDeps {
  /** The source reports use, cache and store included. */
  readonly marketData: MarketData;
  /** The symbols to keep warm, in the order to load them; asked again before every load. */
  readonly symbols: () => readonly string[];
  readonly now: () => Date;
  readonly logger: Logger;
  /** Requests at once; the source's request budget paces them in any case. */
  readonly concurrency?: number;
  /** Minutes after a close before its day is loaded: Yahoo's daily bar settles after the bell. */
  readonly afterCloseMinutes?: number;
  /** After a load that failed (the source down), how long before trying again. */
  readonly retryMinutes?: number;
}

export interface WarmUpProgress {
  readonly done: number;
  readonly total: number;
  /** Seconds the rest is likely to take at the pace so far; null before the pace is known. */
  readonly remainingSeconds: number | null;
}

const DEFAULT_CONCURRENCY = 4;
const LOG_EVERY_PERCENT = 10;

export class Prewarmer {
  readonly #deps: PrewarmDeps;
  readonly #stopped = new AbortController();
  /** Symbols of the first load not yet done; null once it has ended (however it ended). */
  #pending: Set<string> | null = null;
  #firstTotal = 0;
  #firstStartedAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(deps: PrewarmDeps) {
    this.#deps = deps;
  }

  /** Starts the first load in the background and the refresh after every close. */
  start(): void {
    const symbols = [...new Set(this.#deps.symbols().map((s) => s.toUpperCase()))];
    this.#pending = new Set(symbols);
    this.#firstTotal = symbols.length;
    this.#firstStartedAt = this.#deps.now().getTime();
    this.#running = this.#load(symbols, 'start-up').finally(() => {
      this.#pending = null;
    });
  }

  /** Waits for the load under way, if any: for tests and for a shutdown that lets it finish. */
  settled(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  /** Stops the load under way (its requests are aborted) and the refresh timer. */
  stop(): void {
    this.#stopped.abort(new Error('the bot is shutting down'));
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** How far the first load is, while it runs; null once it has ended. */
  progress(): WarmUpProgress | null {
    if (this.#pending === null) return null;
    const total = this.#firstTotal;
    const done = total - this.#pending.size;
    const elapsed = (this.#deps.now().getTime() - this.#firstStartedAt) / 1000;
    const remainingSeconds = done === 0 || elapsed <= 0 ? null : ((total - done) * elapsed) / done;
    return { done, total, remainingSeconds };
  }

  /** True while the first load has still to load this symbol. */
  isLoading(symbol: string): boolean {
    return this.#pending?.has(symbol.toUpperCase()) ?? false;
  }

  async #load(symbols: readonly string[], why: string): Promise<void> {
    const { marketData, logger, now } = this.#deps;
    // A failure of the source ends the load: the members still waiting are not asked for.
    const failed = new AbortController();
    const signal = AbortSignal.any([this.#stopped.signal, failed.signal]);
    setMaxListeners(0, signal);
    const started = performance.now();
    const { range } = memberRange({
      endDate: exchangeClock(now()).date,
      session: liveSession(marketData.source, now()),
    });
    const limit = pLimit(this.#deps.concurrency ?? DEFAULT_CONCURRENCY);
    let done = 0;
    let missing = 0;
    let nextLog = LOG_EVERY_PERCENT;
    logger.info({ why, symbols: symbols.length, from: range.from, to: range.to }, 'loading market history');
    try {
      await Promise.all(
        symbols.map((symbol) =>
          limit(async () => {
            signal.throwIfAborted();
            try {
              await marketData.getDailyBars(symbol, range, { signal });
            } catch (error) {
              // One member's trouble is that member's: the store remembers what it can, the rest goes on.
              if (!(error instanceof TapewatchError) || !isSymbolTrouble(error)) {
                failed.abort(error);
                throw error;
              }
              missing++;
            }
            done++;
            this.#pending?.delete(symbol);
            const percent = (100 * done) / symbols.length;
            if (percent >= nextLog) {
              logger.info(
                { why, done, total: symbols.length, percent: Math.floor(percent) },
                'loading market history',
              );
              nextLog = Math.floor(percent / LOG_EVERY_PERCENT) * LOG_EVERY_PERCENT + LOG_EVERY_PERCENT;
            }
          }),
        ),
      );
      logger.info(
        { why, done, missing, seconds: Math.round((performance.now() - started) / 100) / 10 },
        'market history loaded',
      );
      this.#schedule(this.#nextRefresh());
    } catch (error) {
      if (this.#stopped.signal.aborted) return;
      const retryMinutes = this.#deps.retryMinutes ?? 10;
      logger.warn(
        { why, done, total: symbols.length, err: describeError(error), retryMinutes },
        'loading market history failed; reports load what they need meanwhile',
      );
      this.#schedule(new Date(now().getTime() + retryMinutes * 60_000));
    }
  }

  /** The close of the next session (today's, if it is still to come), plus the settling time. */
  #nextRefresh(): Date {
    const now = this.#deps.now();
    const { date, minutes } = exchangeClock(now);
    const day = isTradingDay(date) && minutes < closeMinutes(date) ? date : nextTradingDay(date);
    const settle = this.#deps.afterCloseMinutes ?? 30;
    return exchangeInstant(day, closeMinutes(day) + settle);
  }

  #schedule(at: Date): void {
    if (this.#stopped.signal.aborted) return;
    const delay = Math.max(0, at.getTime() - this.#deps.now().getTime());
    this.#timer = setTimeout(() => {
      this.#running = this.#load(
        [...new Set(this.#deps.symbols().map((s) => s.toUpperCase()))],
        'after the close',
      );
    }, delay);
    this.#timer.unref();
  }
}

/** Failures that are one symbol's (unknown, unreadable), not the source's. */
function isSymbolTrouble(error: TapewatchError): boolean {
  return error.code === 'unknown_symbol' || error.code === 'data_file' || error.code === 'no_data';
}

/**
 * The source as reports see it while the first load runs: a symbol still to be loaded is answered with
 * how far the load is, at once, instead of a report that would queue 500 requests behind it. Symbols
 * loaded, and symbols outside the warmed set (a user's own list), are served as usual.
 */
export class WarmingMarketData implements MarketData {
  readonly source: MarketData['source'];
  readonly label: string;
  readonly #inner: MarketData;
  readonly #prewarmer: Prewarmer;

  constructor(inner: MarketData, prewarmer: Prewarmer) {
    this.#inner = inner;
    this.#prewarmer = prewarmer;
    this.source = inner.source;
    this.label = inner.label;
  }

  getDailyBars(symbol: string, range: DateRange, options?: Cancellable): Promise<DailyBars> {
    const progress = this.#prewarmer.progress();
    if (progress !== null && this.#prewarmer.isLoading(symbol)) {
      return Promise.reject(new TapewatchError('warming_up', warmingMessage(progress)));
    }
    return this.#inner.getDailyBars(symbol, range, options);
  }

  getQuotes(symbols: readonly string[], options?: Cancellable): Promise<QuoteBatch> {
    return this.#inner.getQuotes(symbols, options);
  }
}

export function warmingMessage(progress: WarmUpProgress): string {
  const percent = Math.floor((100 * progress.done) / Math.max(1, progress.total));
  const wait =
    progress.remainingSeconds === null
      ? 'in a few minutes'
      : progress.remainingSeconds < 90
        ? 'in a minute'
        : `in about ${Math.ceil(progress.remainingSeconds / 60)} minutes`;
  return `I am loading market history after a restart: ${percent}% done (${progress.done} of ${progress.total} symbols). Please ask again ${wait}.`;
}
