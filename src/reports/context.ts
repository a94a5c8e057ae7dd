import pLimit from 'p-limit';
import { SymbolDataError, TapewatchError, UnknownSymbolError } from '../errors.ts';
import { addDays } from '../market/calendar.ts';
import { DEFAULT_BAD_TICK_FACTOR, describeBadTick, findBadTick } from '../market/quality.ts';
import type { DailyBars, IsoDate, MarketData, MissingSymbol } from '../market/types.ts';
import { alignBars, type AlignedPanel, type Panel } from '../indicators/panel.ts';

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

export function historyRange(context: ReportContext): { from: IsoDate; to: IsoDate } {
  const usual = addDays(context.endDate, -Math.round(HISTORY_YEARS * 365.25));
  const from = context.historyFrom !== undefined && context.historyFrom < usual ? context.historyFrom : usual;
  return { from, to: context.endDate };
}

/**
 * Loads daily bars for the symbols and aligns them. A symbol the source does not have, or has no bars
 * for in the range, is listed as missing with the reason; any other failure (source down) fails the load.
 */
export async function loadPanel(context: ReportContext, symbols: readonly string[]): Promise<LoadedPanel> {
  const range = historyRange(context);
  const limit = pLimit(LOAD_CONCURRENCY);
  let done = 0;
  const results = await Promise.all(
    symbols.map((symbol) =>
      limit(async (): Promise<DailyBars | MissingSymbol> => {
        try {
          const bars = await context.marketData.getDailyBars(symbol, range);
          return bars.dates.length > 0
            ? bars
            : { symbol, reason: `no bars from ${range.from} to ${range.to}` };
        } catch (error) {
          if (error instanceof UnknownSymbolError) return { symbol, reason: 'not in the data source' };
          // One member's unusable data (a broken file) leaves that member out, never the report.
          if (error instanceof SymbolDataError) return { symbol, reason: error.message };
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
  const factor = context.badTickFactor ?? DEFAULT_BAD_TICK_FACTOR;
  for (const result of results) {
    if (!('dates' in result)) {
      missing.push(result);
      continue;
    }
    // A misprint of 190× in one member would make every statistic it enters a wrong number.
    const tick = findBadTick(result, factor);
    if (tick === null) loaded.push(result);
    else missing.push({ symbol: result.symbol, reason: describeBadTick(tick) });
  }
  const key = `${range.from}|${range.to}|${loaded.map((b) => b.symbol).join(',')}`;
  const { panel, offCalendarRows } = context.panels ? context.panels.align(key, loaded) : alignBars(loaded);
  const notes = [
    ...loaded.flatMap((bars) => bars.notes ?? []),
    ...loaded.flatMap((bars) => missingAdjustments(bars) ?? []),
    ...(offCalendarRows > 0
      ? [`${offCalendarRows} price rows dated on days the NYSE was closed were ignored.`]
      : []),
  ];
  return { panel, missing, notes };
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
