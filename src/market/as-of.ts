import { reasonOf, TapewatchError, UnknownSymbolError } from '../errors.ts';
import type { Cancellable } from '../lib/abort.ts';
import { addDays, isIsoDate, isTradingDay, tradingDayOnOrBefore } from './calendar.ts';
import { quoteFromBars } from './quotes.ts';
import {
  allocateBars,
  type DailyBars,
  type DateRange,
  type IsoDate,
  type MarketData,
  type MissingSymbol,
  type Quote,
  type QuoteBatch,
} from './types.ts';

/**
 * A view of a source as it stood at one day's close: no request can see a later bar, and quotes are the
 * close of that day. This is how --as-of guarantees there is no look-ahead anywhere downstream.
 */
export class AsOfMarketData implements MarketData {
  readonly source: MarketData['source'];
  readonly label: string;
  readonly asOf: IsoDate;
  private readonly inner: MarketData;

  constructor(inner: MarketData, asOf: IsoDate) {
    this.inner = inner;
    this.asOf = asOf;
    this.source = inner.source;
    this.label = inner.label;
  }

  getDailyBars(symbol: string, range: DateRange, options?: Cancellable): Promise<DailyBars> {
    if (range.from > this.asOf) return Promise.resolve(allocateBars(symbol, []));
    return this.inner.getDailyBars(
      symbol,
      { from: range.from, to: range.to < this.asOf ? range.to : this.asOf },
      options,
    );
  }

  async getQuotes(symbols: readonly string[], options?: Cancellable): Promise<QuoteBatch> {
    const quotes: Quote[] = [];
    const missing: MissingSymbol[] = [];
    // Ten calendar days always hold the two sessions a quote needs, even across a long holiday weekend.
    const range = { from: addDays(this.asOf, -10), to: this.asOf };
    for (const symbol of symbols) {
      try {
        const quote = quoteFromBars(await this.getDailyBars(symbol, range, options), null);
        if (quote) quotes.push(quote);
        else missing.push({ symbol, reason: `no bar on or before ${this.asOf}` });
      } catch (error) {
        if (!(error instanceof UnknownSymbolError)) throw error;
        missing.push({ symbol, reason: reasonOf(error) });
      }
    }
    return { quotes, missing };
  }
}

export interface ResolvedAsOf {
  readonly date: IsoDate;
  /** Set when the requested day was not a session and the previous one is used instead. */
  readonly note: string | null;
}

/** Daily prices in Yahoo's history and in the price files begin after this day. */
const EARLIEST_AS_OF = '1962-01-02';

/** Validates --as-of: a real date, not in the future; a non-trading day falls back to the previous session. */
export function resolveAsOf(raw: string, today: IsoDate, name = '--as-of'): ResolvedAsOf {
  if (!isIsoDate(raw))
    throw new TapewatchError(
      'bad_input',
      `${name} "${raw.slice(0, 40)}" is not a date in the form YYYY-MM-DD.`,
    );
  if (raw > today)
    throw new TapewatchError('bad_input', `${name} ${raw} is in the future (today is ${today}).`);
  if (raw < EARLIEST_AS_OF)
    throw new TapewatchError(
      'bad_input',
      `${name} ${raw} is before the data starts: no source tapewatch reads has prices before ${EARLIEST_AS_OF}.`,
    );
  if (isTradingDay(raw)) return { date: raw, note: null };
  const session = tradingDayOnOrBefore(raw);
  return { date: session, note: `${raw} was not a trading day; using the previous session, ${session}.` };
}
