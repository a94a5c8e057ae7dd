import { UnknownSymbolError } from '../../src/errors.ts';
import { tradingDays } from '../../src/market/calendar.ts';
import {
  barsFromRows,
  type DailyBars,
  type DateRange,
  type MarketData,
  type QuoteBatch,
} from '../../src/market/types.ts';

/** A symbol's daily return on session `t` (counted from 0 at the first session) of date `date`. */
export type ReturnRule = (t: number, date: string) => number;

/**
 * A market whose every daily return is given by a rule, so a report's numbers can be worked out by hand:
 * each symbol starts at 100 on the first session and compounds its rule's returns; closes and adjusted
 * closes are equal. It has no quotes, as offline sources have no market caps.
 */
export class SyntheticMarket implements MarketData {
  readonly source = 'csv' as const;
  readonly label = 'synthetic test market';
  readonly dates: readonly string[];
  readonly #prices = new Map<string, number[]>();

  constructor(rules: Readonly<Record<string, ReturnRule>>, from: string, to: string) {
    this.dates = tradingDays(from, to);
    for (const [symbol, rule] of Object.entries(rules)) {
      const prices = [100];
      for (let t = 1; t < this.dates.length; t++) {
        prices.push((prices[t - 1] ?? Number.NaN) * (1 + rule(t, this.dates[t] ?? '')));
      }
      this.#prices.set(symbol, prices);
    }
  }

  getDailyBars(symbol: string, range: DateRange): Promise<DailyBars> {
    const prices = this.#prices.get(symbol);
    if (prices === undefined) return Promise.reject(new UnknownSymbolError(symbol));
    const rows = this.dates.flatMap((date, t) => {
      const close = prices[t] ?? Number.NaN;
      return date < range.from || date > range.to
        ? []
        : [{ date, open: close, high: close, low: close, close, adjClose: close, volume: 1_000 }];
    });
    return Promise.resolve(barsFromRows(symbol, rows));
  }

  getQuotes(symbols: readonly string[]): Promise<QuoteBatch> {
    return Promise.resolve({
      quotes: [],
      missing: symbols.map((symbol) => ({ symbol, reason: 'no quotes in the synthetic market' })),
    });
  }
}
