import { UnknownSymbolError } from '../../src/errors.ts';
import { tradingDays } from '../../src/market/calendar.ts';
import {
  barsFromRows,
  type Bar,
  type DailyBars,
  type DateRange,
  type MarketData,
  type QuoteBatch,
} from '../../src/market/types.ts';

/**
 * A live-like source for cache and store tests: each symbol has one bar per NYSE session; the close is
 * 100 plus the session's number counted from 2026-01-02 as 1, it records every request, and it can be told to fail or to rebase
 * its adjusted closes (as Yahoo does after a dividend).
 */
export class RecordingSource implements MarketData {
  readonly source = 'yahoo' as const;
  readonly label = 'recording fake';
  readonly barRequests: { symbol: string; range: DateRange }[] = [];
  readonly quoteRequests: string[][] = [];
  failNext = 0;
  adjustmentFactor = 1;
  /** Days sent without an adjusted close, as Yahoo sometimes does. */
  readonly withoutAdjClose = new Set<string>();
  /** Resolves pending requests only when released, to test concurrent callers. */
  gate: Promise<void> | null = null;
  readonly known = new Set(['AAA', 'BBB', 'CCC']);

  async getDailyBars(symbol: string, range: DateRange): Promise<DailyBars> {
    this.barRequests.push({ symbol, range });
    if (this.gate) await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('upstream failure');
    }
    if (!this.known.has(symbol)) throw new UnknownSymbolError(symbol);
    const rows: Bar[] = tradingDays(range.from, range.to).map((date) => {
      const close = 100 + tradingDays('2026-01-01', date).length;
      return {
        date,
        open: close,
        high: close,
        low: close,
        close,
        adjClose: this.withoutAdjClose.has(date) ? Number.NaN : close * this.adjustmentFactor,
        volume: 1,
      };
    });
    return barsFromRows(symbol, rows);
  }

  async getQuotes(symbols: readonly string[]): Promise<QuoteBatch> {
    this.quoteRequests.push([...symbols]);
    if (this.gate) await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('upstream failure');
    }
    return {
      quotes: symbols
        .filter((s) => this.known.has(s))
        .map((symbol) => ({
          symbol,
          name: null,
          price: 1,
          previousClose: 1,
          changeFraction: 0,
          marketCap: null,
          currency: 'USD',
          asOf: '2026-01-01',
        })),
      missing: symbols.filter((s) => !this.known.has(s)).map((symbol) => ({ symbol, reason: 'unknown' })),
    };
  }
}
