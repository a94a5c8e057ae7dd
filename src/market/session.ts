import { exchangeDateOf, marketStatus } from './calendar.ts';
import type { IsoDate, MarketData } from './types.ts';

/**
 * The session under way at a live source, or null when the market is closed or the source is offline
 * files. While a session is under way its bars are partial: reports take them from batched quotes (see
 * loadPanel) and the store keeps only sessions that have closed.
 */
export function liveSession(source: MarketData['source'], now: Date): IsoDate | null {
  return source === 'yahoo' && marketStatus(now).isOpen ? exchangeDateOf(now) : null;
}
