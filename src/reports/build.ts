import type { Panel } from '../indicators/panel.ts';
import type { IsoDate } from '../market/types.ts';
import type { Universe } from '../universes/index.ts';
import { finite, type ReportSeries, type Unit } from './types.ts';

/** Sessions of each series a report carries for its chart (about a year); `series` exports the whole history. */
export const REPORT_SERIES_SESSIONS = 252;

/** The index from which a report's series start, so that they end at `last` and span REPORT_SERIES_SESSIONS. */
export function seriesStart(last: number): number {
  return Math.max(0, last + 1 - REPORT_SERIES_SESSIONS);
}

/** The part of a series from index `from` on, with n/a as null. */
export function seriesTail(
  id: string,
  label: string,
  unit: Unit,
  dates: readonly IsoDate[],
  values: ArrayLike<number>,
  from: number,
): ReportSeries {
  const tailValues: (number | null)[] = [];
  for (let t = from; t < dates.length; t++) tailValues.push(finite(values[t]));
  return { id, label, unit, dates: dates.slice(from), values: tailValues };
}

/** Return from the close of session `from` to the close of session `to`; n/a if either is missing. */
export function trailingReturn(prices: ArrayLike<number>, from: number, to: number): number {
  if (from < 0 || to < 0) return Number.NaN;
  return (prices[to] ?? Number.NaN) / (prices[from] ?? Number.NaN) - 1;
}

/** Today's member list applied to the past leaves out the stocks that dropped out: say so. */
export function survivorshipNote(universe: Universe): string | null {
  if (universe.name !== 'sp500') return null;
  return `Members are the ${universe.asOf ?? 'current'} S&P 500 list applied to all history, so earlier years leave out stocks that later left the index (survivorship bias).`;
}

/**
 * The last session on which at least half of the given symbols have a price: a folder of stock files that
 * ends in 2021 beside ETF files running to today reports on 2021, not on days with no members.
 */
export function lastCoveredSession(panel: Panel, symbols: readonly number[]): number {
  for (let t = panel.dates.length - 1; t >= 0; t--) {
    let priced = 0;
    for (const s of symbols) if (!Number.isNaN(panel.adjClose[s]?.[t] ?? Number.NaN)) priced++;
    if (priced > 0 && priced >= 0.5 * symbols.length) return t;
  }
  return -1;
}

/**
 * When the report's day is earlier than the data's last session because too few members have a price
 * on the later ones (a folder of stocks that ends before its ETFs, a session under way with few quotes),
 * the note that says so; null when the report is on the last session.
 */
export function coverageNote(panel: Panel, last: number, what = 'members'): string | null {
  const latest = panel.dates.length - 1;
  if (last < 0 || last >= latest) return null;
  return `Fewer than half the ${what} have a price on ${panel.dates[latest] ?? ''}, so the report is on ${panel.dates[last] ?? ''}, the last session most of them have.`;
}
