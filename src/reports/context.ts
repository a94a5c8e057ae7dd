import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import { reasonOf, SymbolDataError, TapewatchError, UnknownSymbolError } from '../errors.ts';
import { addDays, exchangeClock } from '../market/calendar.ts';
import { DEFAULT_BAD_TICK_FACTOR, gateBars } from '../market/quality.ts';
import type { DailyBars, DateRange, IsoDate, MarketData, MissingSymbol } from '../market/types.ts';
import {
  alignBars,
  appendSession,
  type AlignedPanel,
  type Panel,
  type SessionValues,
} from '../indicators/panel.ts';

/** What every report needs from outside, built once by the surface (CLI, bot) and passed in. */
export interface ReportContext {
  readonly marketData: MarketData;
  /** The last session a report may use: the as-of date, or today. */
  readonly endDate: IsoDate;
  /** Called as symbols load, for progress bars and Discord progress edits. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Load history from this day when it is earlier than the usual HISTORY_YEARS (series export with --from). */
  readonly historyFrom?: IsoDate;
  /** Aligned panels kept between reports of a long-lived process (the bot); absent, every report aligns afresh. */
  readonly panels?: PanelCache;
  /** The size of a bad tick (BAD_TICK_FACTOR); DEFAULT_BAD_TICK_FACTOR when absent. */
  readonly badTickFactor?: number;
  /**
   * The session under way at a live source (see liveSession). When it is the end date, history is
   * loaded up to the session before, from the store, and the session's bars come from batched quotes:
   * a warm S&P 500 report makes six requests instead of one chart request per member.
   */
  readonly session?: IsoDate | null;
  /** Aborts the report's outstanding requests: the CLI on Ctrl-C, the bot when a report is abandoned. */
  readonly signal?: AbortSignal;
}

/**
 * Keeps the last aligned panels, reused while the source hands back the very same bar columns. Sources
 * never change a column after returning it (a refresh returns new arrays), so identical columns mean
 * identical data and the cached alignment is exact; anything else is aligned again.
 */
export class PanelCache {
  readonly #entries = new Map<string, { bars: readonly DailyBars[]; aligned: AlignedPanel }>();
  readonly #capacity: number;

  constructor(capacity = 8) {
    this.#capacity = capacity;
  }

  align(key: string, bars: readonly DailyBars[]): AlignedPanel {
    const cached = this.#entries.get(key);
    if (cached && sameColumns(cached.bars, bars)) return cached.aligned;
    const aligned = alignBars(bars);
    this.#entries.delete(key);
    this.#entries.set(key, { bars, aligned });
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return aligned;
  }
}

function sameView(a: Float64Array, b: Float64Array): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.length === b.length;
}

function sameColumns(a: readonly DailyBars[], b: readonly DailyBars[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i];
    return (
      y !== undefined &&
      x.symbol === y.symbol &&
      sameView(x.adjClose, y.adjClose) &&
      sameView(x.close, y.close) &&
      x.dates[0] === y.dates[0] &&
      x.dates.at(-1) === y.dates.at(-1)
    );
  });
}

/**
 * Years of history every report loads: enough for 12-month rankings, 200-day averages, a year of
 * z-score warm-up and an event study reaching back through 2008 and 2020 where the source has them.
 */
export const HISTORY_YEARS = 20;
const LOAD_CONCURRENCY = 8;

export interface LoadedPanel {
  readonly panel: Panel;
  readonly missing: readonly MissingSymbol[];
  readonly notes: readonly string[];
}

export function historyRange(context: Pick<ReportContext, 'endDate' | 'historyFrom'>): DateRange {
  const usual = addDays(context.endDate, -Math.round(HISTORY_YEARS * 365.25));
  const from = context.historyFrom !== undefined && context.historyFrom < usual ? context.historyFrom : usual;
  return { from, to: context.endDate };
}

/**
 * The range each member's bars are asked for, and the session joined from quotes: history to the end
 * date, or to the day before a session under way. The bot's prewarm asks for the very same ranges, so a
 * report finds them in the cache.
 */
export function memberRange(context: Pick<ReportContext, 'endDate' | 'historyFrom' | 'session'>): {
  range: DateRange;
  session: IsoDate | null;
} {
  const wanted = historyRange(context);
  const session = context.session != null && context.session === wanted.to ? context.session : null;
  return { range: session === null ? wanted : { from: wanted.from, to: addDays(session, -1) }, session };
}

/**
 * Loads daily bars for the symbols and aligns them. A symbol the source does not have, or has no bars
 * for in the range, is listed as missing with the reason; any other failure (source down) fails the load.
 */
export async function loadPanel(context: ReportContext, symbols: readonly string[]): Promise<LoadedPanel> {
  const { range, session } = memberRange(context);
  const limit = pLimit(LOAD_CONCURRENCY);
  // The first failure of the source fails the report: the members still loading or waiting are stopped
  // with it, so no request outlives the report (the CLI exits at once, the bot frees the source).
  const failed = new AbortController();
  const signal = context.signal ? AbortSignal.any([context.signal, failed.signal]) : failed.signal;
  setMaxListeners(LOAD_CONCURRENCY * 4, signal);
  let done = 0;
  const results = await Promise.all(
    symbols.map((symbol) =>
      limit(async (): Promise<DailyBars | MissingSymbol> => {
        signal.throwIfAborted();
        try {
          const bars = await context.marketData.getDailyBars(symbol, range, { signal });
          return bars.dates.length > 0
            ? bars
            : { symbol, reason: `no bars from ${range.from} to ${range.to}` };
        } catch (error) {
          if (error instanceof UnknownSymbolError) return { symbol, reason: 'not in the data source' };
          // One member's unusable data (a broken file) leaves that member out, never the report.
          if (error instanceof SymbolDataError) return { symbol, reason: reasonOf(error) };
          failed.abort(error);
          throw error;
        } finally {
          done++;
          context.onProgress?.(done, symbols.length);
        }
      }),
    ),
  );
  const loaded: DailyBars[] = [];
  const missing: MissingSymbol[] = [];
  const gateNotes: string[] = [];
  const gate = { badTickFactor: context.badTickFactor ?? DEFAULT_BAD_TICK_FACTOR, notAfter: range.to };
  for (const result of results) {
    if (!('dates' in result)) {
      missing.push(result);
      continue;
    }
    // A misprint of 190× in one member would make every statistic it enters a wrong number.
    const checked = gateBars(result, gate);
    if (!checked.ok) {
      missing.push({ symbol: result.symbol, reason: checked.reason });
      continue;
    }
    loaded.push(checked.bars);
    gateNotes.push(...checked.notes);
  }
  const key = `${range.from}|${range.to}|${loaded.map((b) => b.symbol).join(',')}`;
  const { panel: history, offCalendarRows } = context.panels
    ? context.panels.align(key, loaded)
    : alignBars(loaded);
  const joined =
    session === null ? null : await joinSession(context.marketData, history, session, context.signal);
  const panel = joined?.panel ?? history;
  const notes = [
    ...loaded.flatMap((bars) => bars.notes ?? []),
    ...gateNotes,
    ...loaded.flatMap((bars) => missingAdjustments(bars) ?? []),
    ...(offCalendarRows > 0
      ? [`${offCalendarRows} price rows dated on days the NYSE was closed were ignored.`]
      : []),
    ...(joined?.notes ?? []),
  ];
  return { panel, missing, notes };
}

/**
 * The session under way joined to closed history from one batched quote request per 100 members. A
 * quote's price continues the member's adjusted series from its last close (the adjustment factor of
 * that close carries over, as no dividend can be paid between it and the price), so returns, averages
 * and highs read it like a close. Members without a quote for the session are n/a on it; quotes that
 * cannot be had leave the session out, with the reason, and the report stands on the last close.
 */
async function joinSession(
  marketData: MarketData,
  history: Panel,
  session: IsoDate,
  signal: AbortSignal | undefined,
): Promise<{ panel: Panel; notes: string[] }> {
  if ((history.dates.at(-1) ?? '') >= session) return { panel: history, notes: [] };
  let quotes;
  try {
    quotes = (await marketData.getQuotes(history.symbols, { signal })).quotes;
  } catch (error) {
    if (!(error instanceof TapewatchError) || signal?.aborted === true) throw error;
    return {
      panel: history,
      notes: [`The session under way (${session}) is left out: ${error.message}`],
    };
  }
  const bySymbol = new Map(quotes.map((quote) => [quote.symbol, quote]));
  let latest = '';
  const values = history.symbols.map((symbol, s): SessionValues | undefined => {
    const quote = bySymbol.get(symbol.toUpperCase());
    const bar = quote?.sessionBar;
    if (quote === undefined || bar?.date !== session) return undefined;
    const factor = lastAdjustment(history.adjClose[s], history.close[s]);
    if (quote.asOf > latest) latest = quote.asOf;
    return { adjClose: bar.close * factor, close: bar.close, volume: bar.volume };
  });
  const priced = values.filter((v) => v !== undefined).length;
  if (priced === 0) return { panel: history, notes: [] };
  const { minutes } = exchangeClock(new Date(latest));
  const time = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  const notes = [
    `${session} is under way: its prices are quotes as of ${time} New York time, not closing prices.`,
  ];
  if (priced < history.symbols.length) {
    notes.push(
      `${history.symbols.length - priced} of ${history.symbols.length} symbols have no quote for ${session} yet and are n/a on it.`,
    );
  }
  return { panel: appendSession(history, session, values), notes };
}

/** adjusted / raw close on a member's last day with both: the factor that carries a price onto its history. */
function lastAdjustment(adjClose: Float64Array | undefined, close: Float64Array | undefined): number {
  for (let t = (adjClose?.length ?? 0) - 1; t >= 0; t--) {
    const adj = adjClose?.[t] ?? Number.NaN;
    const raw = close?.[t] ?? Number.NaN;
    if (adj > 0 && raw > 0) return adj / raw;
  }
  return Number.NaN;
}

/**
 * Days a source sent a close without an adjusted close: returns skip them (measured across the gap)
 * rather than mistake a raw close for an adjusted one, and the report says so.
 */
function missingAdjustments(bars: DailyBars): string | null {
  let count = 0;
  let first = '';
  for (let i = 0; i < bars.dates.length; i++) {
    if ((bars.close[i] ?? 0) > 0 && !((bars.adjClose[i] ?? 0) > 0)) {
      if (count === 0) first = bars.dates[i] ?? '';
      count++;
    }
  }
  if (count === 0) return null;
  const days = count === 1 ? `1 day (${first})` : `${count} days (the first ${first})`;
  return `${bars.symbol}: ${days} without an adjusted close, left out of its returns.`;
}

export function requireSessions(panel: Panel, needed: number, what: string): void {
  if (panel.dates.length >= needed) return;
  const span =
    panel.dates.length === 0 ? 'none' : `${panel.dates.length} (${panel.dates[0]} to ${panel.dates.at(-1)})`;
  throw new TapewatchError(
    'not_enough_data',
    `${what} needs at least ${needed} sessions of history; the data has ${span}.`,
  );
}

/** One line about missing members: the count and the first few, the full list stays in the report's JSON. */
export function describeMissing(missing: readonly MissingSymbol[], size: number): string | null {
  if (missing.length === 0) return null;
  const shown = missing.slice(0, 12).map((m) => m.symbol);
  const more = missing.length > shown.length ? ` and ${missing.length - shown.length} more` : '';
  const reasons = [...new Set(missing.map((m) => m.reason))].slice(0, 2).join('; ');
  return `${missing.length} of ${size} symbols have no data and are left out (${reasons}): ${shown.join(', ')}${more}.`;
}

const derived = new WeakMap<Panel, Map<string, unknown>>();

/**
 * Indicator series computed from a panel, kept as long as the panel itself. A cached panel is reused only
 * while its source data is unchanged (see PanelCache), so a result derived from it stays exact; a refresh
 * brings a new panel and a fresh computation.
 */
export function derivedFrom<T>(panel: Panel, key: string, compute: () => T): T {
  let entries = derived.get(panel);
  if (entries === undefined) {
    entries = new Map();
    derived.set(panel, entries);
  }
  if (entries.has(key)) return entries.get(key) as T;
  const value = compute();
  entries.set(key, value);
  return value;
}
