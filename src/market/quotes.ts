import type { DailyBars, Quote } from './types.ts';

/**
 * A quote made from daily bars, as offline sources and --as-of need: the last close, and the change from
 * the previous session measured on adjusted closes, so an ex-dividend day does not read as a loss.
 */
export function quoteFromBars(
  bars: DailyBars,
  marketCap: number | null,
  name: string | null = null,
): Quote | null {
  const last = bars.dates.length - 1;
  const date = bars.dates[last];
  const price = bars.close[last];
  if (date === undefined || price === undefined) return null;
  const previousClose = last > 0 ? (bars.close[last - 1] ?? null) : null;
  const adjNow = bars.adjClose[last];
  const adjBefore = last > 0 ? bars.adjClose[last - 1] : undefined;
  const changeFraction =
    adjNow !== undefined && adjBefore !== undefined && adjBefore > 0 ? adjNow / adjBefore - 1 : null;
  return {
    symbol: bars.symbol,
    name,
    price,
    previousClose,
    changeFraction,
    marketCap,
    currency: 'USD',
    asOf: date,
  };
}
