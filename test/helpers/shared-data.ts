import { existsSync } from 'node:fs';
import path from 'node:path';
import { CsvMarketData } from '../../src/market/csv.ts';
import type { ReportContext } from '../../src/reports/context.ts';
import { resolveUniverse } from '../../src/universes/index.ts';
import { testPolicy } from './reports.ts';

/**
 * The real market data the project tests against lives beside the repository, read-only, and is never
 * copied in. Tests that need it skip with this message when it is absent.
 */
export const SHARED_DATA = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data');
export const HAVE_SHARED_DATA = existsSync(path.join(SHARED_DATA, 'README.md'));
export const SKIP_WITHOUT_SHARED_DATA: string | false = HAVE_SHARED_DATA
  ? false
  : `real data not found at ${SHARED_DATA} (../shared/data beside the repository); skipping`;

export function sharedPath(...parts: string[]): string {
  return path.join(SHARED_DATA, ...parts);
}

/**
 * The S&P 500 member files beside the ETF files, as the real-history tests read them: the CSV source
 * opens on first use (so a suite skipped for want of data opens nothing), a context per as-of day, and
 * the folder as a universe.
 */
export function realHistory() {
  let source: CsvMarketData | null = null;
  const sp500Folder = sharedPath('prices', 'sp500');
  return {
    sp500Folder,
    context: (endDate: string): ReportContext => {
      source ??= new CsvMarketData([sp500Folder, sharedPath('prices', 'etf')]);
      return { marketData: source, endDate };
    },
    sp500Universe: () => resolveUniverse(sp500Folder, testPolicy().universes),
  };
}
