import pLimit, { type LimitFunction } from 'p-limit';
import YahooFinance from 'yahoo-finance2';
import { ExtendedCookieJar } from 'yahoo-finance2/lib/cookieJar';
import { getCrumbClear } from 'yahoo-finance2/lib/getCrumb';
import { z } from 'zod';
import type { YahooSettings } from '../config/index.ts';
import { SymbolDataError, TapewatchError, UnknownSymbolError, describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { addDays, exchangeDateOf, isTimeZone } from './calendar.ts';
import { sleep as realSleep, type Cancellable } from '../lib/abort.ts';
import {
  createRetryingFetch,
  HttpFailure,
  RequestBudget,
  type RequestGate,
  type FetchFn,
  type HttpEvent,
  type SleepFn,
} from '../lib/http.ts';
import {
  allocateBars,
  type DailyBars,
  type DateRange,
  type MarketData,
  type MissingSymbol,
  type Quote,
  type QuoteBatch,
} from './types.ts';

/** Yahoo's quote endpoint takes at most this many symbols per request. */
export const QUOTE_BATCH_SIZE = 100;

const SUGGESTION = 'Try again later, or run offline with --source demo or --source csv --data-dir DIR.';

/** Epoch seconds as Yahoo sends them, or a Date where yahoo-finance2 already coerced the field. */
const instant = z
  .union([z.number(), z.date()])
  .transform((value) => (value instanceof Date ? value : new Date(value * 1000)));
/**
 * Columns of thousands of values are checked where they are read (see toDailyBars), not element by
 * element through zod: the schema walk of 505 charts took ~0.5 s of a cold S&P 500 load's CPU.
 */
const column = z.array(z.unknown());

/** Only the fields we use; everything else Yahoo sends is ignored. */
const chartSchema = z.object({
  meta: z.object({
    symbol: z.string(),
    currency: z.string().nullish(),
    // A zone Intl does not know would fail every date; such a chart is unreadable, like any drifted field.
    exchangeTimezoneName: z.string().refine(isTimeZone),
  }),
  timestamp: column.optional(),
  indicators: z.object({
    quote: z.array(
      z.object({
        open: column.optional(),
        high: column.optional(),
        low: column.optional(),
        close: column.optional(),
        volume: column.optional(),
      }),
    ),
    adjclose: z.array(z.object({ adjclose: column.optional() })).optional(),
  }),
});

/** The chart endpoint's envelope: one result, or none with an error. */
const chartResponseSchema = z.object({
  chart: z.object({
    result: z.array(chartSchema).nullish(),
    error: z.object({ code: z.string().nullish() }).nullish(),
  }),
});

/** Where yahoo-finance2 sends its queries too. */
const CHART_HOST = 'query2.finance.yahoo.com';

const UNKNOWN_TO_YAHOO = 'Yahoo has no data for it; it may be misspelt or delisted';

/** Midnight UTC of the day, as Yahoo's period1/period2 take it. */
function epochSeconds(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000;
}

const quoteSchema = z.object({
  symbol: z.string(),
  shortName: z.string().nullish(),
  longName: z.string().nullish(),
  currency: z.string().nullish(),
  regularMarketPrice: z.number().positive().nullish(),
  regularMarketPreviousClose: z.number().nullish(),
  regularMarketChangePercent: z.number().nullish(),
  regularMarketTime: instant.nullish(),
  regularMarketOpen: z.number().nullish(),
  regularMarketDayHigh: z.number().nullish(),
  regularMarketDayLow: z.number().nullish(),
  regularMarketVolume: z.number().nullish(),
  marketCap: z.number().nullish(),
});

/**
 * Exchange dates of bar timestamps. Every symbol's bars open at the same instants, and formatting a date
 * in a time zone is slow (12% of a cold S&P 500 load's CPU), so each instant is formatted once.
 */
class ExchangeDates {
  readonly #formatter: Intl.DateTimeFormat;
  readonly #dates = new Map<number, string>();

  constructor(timeZone: string) {
    this.#formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  }

  /** The date of a chart timestamp (epoch seconds, or a Date where the library coerced it); null if it is not one. */
  ofSeconds(time: unknown): string | null {
    const ms = time instanceof Date ? time.getTime() : typeof time === 'number' ? time * 1000 : Number.NaN;
    return Number.isFinite(ms) ? this.#of(ms) : null;
  }

  #of(ms: number): string {
    let date = this.#dates.get(ms);
    if (date === undefined) {
      // Bounded: decades of daily opens are ~10,000 instants; odd timestamps must not grow it forever.
      if (this.#dates.size >= 50_000) this.#dates.clear();
      date = this.#formatter.format(ms);
      this.#dates.set(ms, date);
    }
    return date;
  }
}

const exchangeDates = new Map<string, ExchangeDates>();
function exchangeDatesIn(timeZone: string): ExchangeDates {
  let dates = exchangeDates.get(timeZone);
  if (dates === undefined) {
    dates = new ExchangeDates(timeZone);
    exchangeDates.set(timeZone, dates);
  }
  return dates;
}

export interface YahooDeps {
  readonly fetch: FetchFn;
  readonly logger: Logger;
  readonly sleep?: SleepFn;
  readonly random?: () => number;
  /** The clock the request budget refills by (milliseconds); Date.now when absent. */
  readonly now?: () => number;
  /** Told of every HTTP attempt, retry, 429 and final outcome (metrics, health). */
  readonly observe?: (event: HttpEvent) => void;
  /**
   * The request budget, when it is shared beyond this process (a Redis bucket for several bot
   * processes); a bucket of this process's own at YAHOO_REQUESTS_PER_MINUTE when absent.
   */
  readonly budget?: RequestGate;
}

export class YahooMarketData implements MarketData {
  readonly source = 'yahoo' as const;
  readonly label = 'Yahoo Finance';
  private readonly client: InstanceType<typeof YahooFinance>;
  readonly #fetch: FetchFn;
  readonly #timeoutMs: number;
  /** At most YAHOO_CONCURRENCY chart requests at once, as the library's queue does for quotes. */
  readonly #charts: LimitFunction;
  private readonly cookieJar = new ExtendedCookieJar();
  private readonly logger: Logger;
  /** Counts session renewals, so requests refused together renew the session once (see #renewed). */
  #session = 0;
  #renewal: Promise<void> | null = null;

  constructor(settings: YahooSettings, deps: YahooDeps) {
    this.logger = deps.logger;
    const sleep = deps.sleep ?? realSleep;
    const fetch = createRetryingFetch(
      deps.fetch,
      {
        timeoutMs: settings.timeoutMs,
        retries: settings.retries,
        baseDelayMs: 250,
        maxDelayMs: 4_000,
        maxRetryAfterMs: settings.maxRetryAfterSeconds * 1000,
        maxRateLimitWaitMs: settings.maxRateLimitWaitSeconds * 1000,
      },
      {
        sleep,
        random: deps.random ?? Math.random,
        logger: deps.logger,
        budget:
          deps.budget ??
          new RequestBudget(settings.requestsPerMinute, settings.requestsPerMinute, {
            now: deps.now ?? Date.now,
            sleep,
          }),
        ...(deps.observe === undefined ? {} : { observe: deps.observe }),
      },
    );
    const log =
      (level: 'debug' | 'warn' | 'error') =>
      (...args: unknown[]) => {
        deps.logger[level]({ library: 'yahoo-finance2' }, args.map(String).join(' '));
      };
    this.#fetch = fetch;
    this.#charts = pLimit(settings.concurrency);
    this.#timeoutMs = settings.timeoutMs;
    this.client = new YahooFinance({
      fetch,
      // Our own jar: the library's default one is shared by every instance in the process.
      cookieJar: this.cookieJar,
      queue: { concurrency: settings.concurrency },
      // The version check and the survey notice would reach the network or the console on their own.
      versionCheck: false,
      suppressNotices: ['yahooSurvey'],
      validation: { logErrors: false, logOptionsErrors: false },
      logger: {
        info: log('debug'),
        debug: log('debug'),
        dir: log('debug'),
        warn: log('warn'),
        error: log('error'),
      },
    });
  }

  /**
   * Daily bars from Yahoo's chart endpoint, asked for directly rather than through the library's
   * `chart()`: the library walks every value of every result through its own schema even with
   * validation off (~1.3 s of CPU for a cold S&P 500 load, a fifth of it), and our schema and
   * toDailyBars check what we use anyway. The request goes through the same retrying fetch, request
   * budget and cookie jar; the endpoint needs no crumb.
   */
  async getDailyBars(symbol: string, range: DateRange, options: Cancellable = {}): Promise<DailyBars> {
    const url = new URL(`https://${CHART_HOST}/v8/finance/chart/${encodeURIComponent(symbol)}`);
    url.search = new URLSearchParams({
      period1: String(epochSeconds(range.from)),
      period2: String(epochSeconds(addDays(range.to, 1))),
      interval: '1d',
      events: 'div|split',
    }).toString();
    let raw: unknown;
    try {
      raw = await this.#charts(async () => {
        const cookie = await this.cookieJar.getCookieString(url.href);
        const response = await this.#fetchFor(options.signal)(url, {
          headers: cookie === '' ? {} : { cookie },
        });
        const text = await response.text();
        try {
          return JSON.parse(text) as unknown;
        } catch (error) {
          throw new SymbolDataError(symbol, `Yahoo sent daily bars for "${symbol}" that we could not read.`, {
            cause: error,
          });
        }
      });
    } catch (error) {
      throw this.translate(error, symbol, options.signal);
    }
    const parsed = chartResponseSchema.safeParse(raw);
    const result = parsed.success ? parsed.data.chart.result?.[0] : undefined;
    if (result === undefined) {
      const notFound = parsed.success && /not ?found|delisted/i.test(parsed.data.chart.error?.code ?? '');
      if (notFound) throw new UnknownSymbolError(symbol.toUpperCase(), UNKNOWN_TO_YAHOO);
      this.logger.error(
        { symbol, issues: parsed.success ? 'no result' : parsed.error.issues.slice(0, 5) },
        'unexpected chart payload',
      );
      throw unreadableChart(symbol);
    }
    return toDailyBars(symbol.toUpperCase(), result, range);
  }

  async getQuotes(symbols: readonly string[], options: Cancellable = {}): Promise<QuoteBatch> {
    const quotes: Quote[] = [];
    const unpriced = new Map<string, string>();
    const fetch = this.#fetchFor(options.signal);
    for (let start = 0; start < symbols.length; start += QUOTE_BATCH_SIZE) {
      const batch = symbols.slice(start, start + QUOTE_BATCH_SIZE);
      let raw: unknown;
      try {
        raw = await this.#renewed(() =>
          this.client.quote([...batch], { return: 'array' }, { validateResult: false, fetch }),
        );
      } catch (error) {
        throw this.translate(error, null, options.signal);
      }
      for (const item of Array.isArray(raw) ? raw : []) {
        const parsed = quoteSchema.safeParse(item);
        if (!parsed.success) {
          this.logger.warn({ issues: parsed.error.issues.slice(0, 3) }, 'skipping unreadable quote');
          continue;
        }
        const q = parsed.data;
        const price = q.regularMarketPrice ?? null;
        if (price === null) {
          unpriced.set(q.symbol.toUpperCase(), 'Yahoo sent its quote without a price');
          continue;
        }
        const time = q.regularMarketTime ?? null;
        quotes.push({
          symbol: q.symbol.toUpperCase(),
          name: q.longName ?? q.shortName ?? null,
          price,
          previousClose: q.regularMarketPreviousClose ?? null,
          changeFraction: q.regularMarketChangePercent == null ? null : q.regularMarketChangePercent / 100,
          marketCap: q.marketCap ?? null,
          currency: q.currency ?? 'USD',
          asOf: (time ?? new Date()).toISOString(),
          ...(time === null
            ? {}
            : {
                sessionBar: {
                  date: exchangeDateOf(time),
                  open: q.regularMarketOpen ?? Number.NaN,
                  high: q.regularMarketDayHigh ?? Number.NaN,
                  low: q.regularMarketDayLow ?? Number.NaN,
                  close: price,
                  adjClose: price,
                  volume: q.regularMarketVolume ?? Number.NaN,
                },
              }),
        });
      }
    }
    const found = new Set(quotes.map((q) => q.symbol));
    const missing: MissingSymbol[] = symbols
      .filter((symbol) => !found.has(symbol.toUpperCase()))
      .map((symbol) => ({
        symbol,
        reason:
          unpriced.get(symbol.toUpperCase()) ?? 'Yahoo has no quote for it; it may be misspelt or delisted',
      }));
    return { quotes, missing };
  }

  /** The client's fetch, with the caller's signal on every request it makes (the crumb's included). */
  #fetchFor(signal: AbortSignal | undefined): FetchFn {
    if (signal === undefined) return this.#fetch;
    return (input, init) =>
      this.#fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
  }

  /**
   * Yahoo's session (a cookie and the "crumb" sent with each request) expires, typically daily, and
   * then every request is refused with 401 "Invalid Crumb". The call is made again once on a fresh
   * session; requests refused together share one renewal, and one refused after a renewal it did not
   * start simply tries again.
   */
  async #renewed<T>(call: () => Promise<T>): Promise<T> {
    const session = this.#session;
    try {
      return await call();
    } catch (error) {
      if (findHttpFailure(error)?.status !== 401) throw error;
      if (this.#session === session) {
        this.#session++;
        this.logger.warn('Yahoo refused the session (401); renewing the cookie and crumb');
        this.#renewal = getCrumbClear(this.cookieJar);
      }
      await this.#renewal;
      return call();
    }
  }

  /** Maps whatever the fetch or the library threw to one of our user-facing errors. */
  private translate(error: unknown, symbol: string | null, signal?: AbortSignal): Error {
    if (error instanceof TapewatchError) return error;
    // An abandoned request is not Yahoo's failure: the caller gets its own reason back.
    if (signal?.aborted === true) return signal.reason as Error;
    const failure = findHttpFailure(error);
    if (failure) {
      this.logger.warn(
        {
          symbol,
          kind: failure.kind,
          status: failure.status,
          attempts: failure.attempts,
          detail: failure.message,
          body: failure.bodySnippet,
        },
        'yahoo request failed',
      );
      switch (failure.kind) {
        case 'client_error':
          if (
            symbol !== null &&
            (failure.status === 404 || failure.status === 400 || failure.status === 422)
          ) {
            return new UnknownSymbolError(symbol, UNKNOWN_TO_YAHOO);
          }
          return new TapewatchError(
            'source_error',
            `Yahoo Finance refused the request (HTTP ${failure.status ?? '?'}).`,
          );
        case 'rate_limited':
          if (failure.retryAfterMs !== null) {
            const seconds = Math.max(1, Math.ceil(failure.retryAfterMs / 1000));
            return new TapewatchError(
              'rate_limited',
              `Yahoo Finance is rate-limiting us and asks us to wait ${seconds} s; try again in ${seconds} s. ${SUGGESTION}`,
            );
          }
          return new TapewatchError(
            'rate_limited',
            `Yahoo Finance is rate-limiting us (HTTP 429 after ${failure.attempts} attempts). ${SUGGESTION}`,
          );
        case 'server_error':
          return new TapewatchError(
            'source_unreachable',
            `Yahoo Finance is failing (HTTP ${failure.status ?? '?'} after ${failure.attempts} attempts). ${SUGGESTION}`,
          );
        // The address stays in the log: a user who asked for SPY would not know what the library's
        // session request for .../quote/AAPL was.
        case 'timeout':
          return new TapewatchError(
            'source_unreachable',
            `Yahoo Finance is unreachable (no answer within ${this.#timeoutMs} ms, ${failure.attempts} attempts). ${SUGGESTION}`,
          );
        case 'network':
          return new TapewatchError(
            'source_unreachable',
            `Yahoo Finance is unreachable (no connection after ${failure.attempts} attempts). ${SUGGESTION}`,
          );
      }
    }
    const message = describeError(error);
    // yahoo-finance2 raises its own errors for payloads it cannot read, e.g. "Not Found" for a bad symbol.
    if (symbol !== null && /not ?found|no data found|delisted/i.test(message)) {
      return new UnknownSymbolError(symbol, UNKNOWN_TO_YAHOO);
    }
    // The details go to the log; a user reads what happened, never the library's exception text.
    this.logger.error({ symbol, error: message }, 'unexpected yahoo failure');
    if (symbol !== null) return unreadableChart(symbol, error);
    return new TapewatchError('source_error', 'Yahoo Finance sent quotes we could not read.', {
      cause: error,
    });
  }
}

function findHttpFailure(error: unknown): HttpFailure | null {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof HttpFailure) return current;
    current = current.cause;
  }
  return null;
}

/** A chart for one symbol that cannot be used (an empty result, a changed payload): that member is left out. */
function unreadableChart(symbol: string, cause?: unknown): SymbolDataError {
  return new SymbolDataError(symbol, `Yahoo sent daily bars for "${symbol}" that we could not read.`, {
    cause,
  });
}

/**
 * Bars from a chart payload. Nothing Yahoo left out is made up: a missing open, high, low or volume is
 * NaN, and so is a missing adjusted close, which leaves that day out of the member's returns (a raw
 * close in its place would be a fake jump of a dividend's size, twice). A chart with no adjusted closes
 * at all would hide every dividend, so the member is left out; so is a chart with a value that is not a
 * number or null, or a time that is not one. The columns are written directly, with no object per bar:
 * a cold S&P 500 load reads 2.5 million of them.
 */
function toDailyBars(symbol: string, chart: z.infer<typeof chartSchema>, range: DateRange): DailyBars {
  const timestamps = chart.timestamp ?? [];
  const quote = chart.indicators.quote[0] ?? {};
  const adjclose = chart.indicators.adjclose?.[0]?.adjclose;
  const closes = quote.close ?? [];
  if (adjclose === undefined && closes.some((close) => close != null)) {
    throw new SymbolDataError(
      symbol,
      `Yahoo sent no adjusted closes for "${symbol}", so its returns would leave out dividends.`,
    );
  }
  const exchange = exchangeDatesIn(chart.meta.exchangeTimezoneName);
  // Yahoo pads some days with nulls (halts, the session under way): a bar without a close is no bar.
  // A day sent twice keeps its later row, as an update of the same session.
  const dates: string[] = [];
  const rows: number[] = [];
  let ordered = true;
  for (let i = 0; i < timestamps.length; i++) {
    if (closes[i] == null) continue;
    const date = exchange.ofSeconds(timestamps[i]);
    if (date === null) throw unreadableChart(symbol);
    if (date < range.from || date > range.to) continue;
    const last = dates.length - 1;
    if (last >= 0 && date === dates[last]) {
      rows[last] = i;
      continue;
    }
    if (last >= 0 && date < (dates[last] ?? '')) ordered = false;
    dates.push(date);
    rows.push(i);
  }
  if (!ordered) sortByDate(dates, rows);
  const bars = allocateBars(symbol, dates);
  const fill = (target: Float64Array, values: readonly unknown[] | undefined) => {
    for (let k = 0; k < rows.length; k++) {
      const value = values?.[rows[k] ?? 0] ?? null;
      if (value !== null && typeof value !== 'number') throw unreadableChart(symbol);
      target[k] = value ?? Number.NaN;
    }
  };
  fill(bars.open, quote.open);
  fill(bars.high, quote.high);
  fill(bars.low, quote.low);
  fill(bars.close, closes);
  fill(bars.adjClose, adjclose);
  fill(bars.volume, quote.volume);
  return bars;
}

/** Dates (and their rows) in order, the later row kept for a day sent twice: for the rare shuffled chart. */
function sortByDate(dates: string[], rows: number[]): void {
  const byDate = new Map<string, number>();
  dates.forEach((date, k) => byDate.set(date, Math.max(byDate.get(date) ?? -1, rows[k] ?? 0)));
  const sorted = [...byDate.keys()].sort();
  dates.splice(0, dates.length, ...sorted);
  rows.splice(0, rows.length, ...sorted.map((date) => byDate.get(date) ?? 0));
}
