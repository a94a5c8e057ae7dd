import { UnknownSymbolError } from '../../src/errors.ts';
import {
  closeMinutes,
  exchangeDateOf,
  exchangeInstant,
  isTradingDay,
  marketStatus,
} from '../../src/market/calendar.ts';
import { CsvMarketData } from '../../src/market/csv.ts';
import { barRows, type Bar, type DailyBars, type IsoDate } from '../../src/market/types.ts';

/** Minutes after midnight, New York time, of the regular open. */
const OPEN_MINUTES = 9 * 60 + 30;

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/** Session opens in epoch seconds by date, shared by every symbol: time-zone arithmetic is slow. */
const opens = new Map<IsoDate, number>();
function openSeconds(date: IsoDate): number {
  let open = opens.get(date);
  if (open === undefined) {
    open = seconds(exchangeInstant(date, OPEN_MINUTES));
    opens.set(date, open);
  }
  return open;
}

/**
 * Yahoo's market as the fake serves it: daily price files rendered in Yahoo's wire formats, as Yahoo
 * would answer on the fake clock's day. Chart answers hold the days up to that clock (the session under
 * way included, as Yahoo sends it); quote answers carry the day so far of that session, or the last
 * close. The file's row for a session under way stands for its bar so far.
 *
 * Payload faults for one symbol: a quote without its price (`unpriced`), or any chart answer a test
 * builds from `chart()` and changes (queued through FakeYahoo.inject as a `{ json }` fault).
 */
export class YahooMarket {
  readonly #files: CsvMarketData;
  readonly #now: () => Date;
  readonly unpriced = new Set<string>();

  constructor(dirs: readonly string[], now: () => Date) {
    this.#files = new CsvMarketData(dirs);
    this.#now = now;
  }

  /** The rows Yahoo has by now: every closed session, and the one under way once it has opened. */
  async #rows(symbol: string): Promise<Bar[] | null> {
    let bars: DailyBars;
    try {
      bars = await this.#files.getDailyBars(symbol, { from: '1900-01-01', to: this.#lastDay() });
    } catch (error) {
      if (error instanceof UnknownSymbolError) return null;
      throw error;
    }
    return barRows(bars);
  }

  #lastDay(): IsoDate {
    const now = this.#now();
    const status = marketStatus(now);
    return status.isOpen ? exchangeDateOf(now) : status.lastClosedSession;
  }

  /** The chart payload for period1 <= session open < period2 (epoch seconds), or null: Yahoo's 404. */
  async chart(symbol: string, period1: number, period2: number): Promise<unknown> {
    const rows = await this.#rows(symbol);
    if (rows === null) return null;
    const within = rows.filter((bar) => {
      const open = openSeconds(bar.date);
      return open >= period1 && open < period2;
    });
    const last = rows.at(-1);
    return {
      chart: {
        result: [
          {
            meta: {
              currency: 'USD',
              symbol,
              exchangeName: 'NYQ',
              instrumentType: 'EQUITY',
              regularMarketTime: seconds(this.#now()),
              gmtoffset: -18000,
              timezone: 'EST',
              exchangeTimezoneName: 'America/New_York',
              regularMarketPrice: last?.close ?? null,
              priceHint: 2,
              dataGranularity: '1d',
              range: '',
            },
            timestamp: within.map((bar) => openSeconds(bar.date)),
            indicators: {
              quote: [
                {
                  open: within.map((bar) => bar.open),
                  high: within.map((bar) => bar.high),
                  low: within.map((bar) => bar.low),
                  close: within.map((bar) => bar.close),
                  volume: within.map((bar) => bar.volume),
                },
              ],
              adjclose: [{ adjclose: within.map((bar) => bar.adjClose) }],
            },
          },
        ],
        error: null,
      },
    };
  }

  /** The quote endpoint's answer: symbols Yahoo does not know are left out, as Yahoo does. */
  async quotes(symbols: readonly string[]): Promise<unknown> {
    const now = this.#now();
    const status = marketStatus(now);
    const result: unknown[] = [];
    for (const symbol of symbols) {
      const rows = await this.#rows(symbol);
      const bar = rows?.at(-1);
      if (rows === null || bar === undefined) continue;
      const previous = rows.at(-2);
      const time = status.isOpen
        ? now
        : exchangeInstant(bar.date, isTradingDay(bar.date) ? closeMinutes(bar.date) : 16 * 60);
      result.push({
        symbol,
        shortName: `${symbol} Inc.`,
        currency: 'USD',
        marketState: status.isOpen ? 'REGULAR' : 'CLOSED',
        exchangeTimezoneName: 'America/New_York',
        ...(this.unpriced.has(symbol) ? {} : { regularMarketPrice: bar.close }),
        regularMarketPreviousClose: previous?.close ?? null,
        regularMarketChangePercent: previous ? (bar.close / previous.close - 1) * 100 : null,
        regularMarketTime: seconds(time),
        regularMarketOpen: bar.open,
        regularMarketDayHigh: bar.high,
        regularMarketDayLow: bar.low,
        regularMarketVolume: bar.volume,
      });
    }
    return { quoteResponse: { result, error: null } };
  }
}
