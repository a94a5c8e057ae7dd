import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { TapewatchError } from '../errors.ts';

/**
 * A folder's table of market caps (see CsvMarketData), not a price file: no symbol starts with "_".
 */
export const CAP_TABLE_FILE = '_market_caps.csv';

/** Symbol names map to file names as they are; Yahoo's own symbols (^IRX, BRK-B) are valid file names. */
function symbolOfFile(fileName: string): string | null {
  if (fileName.startsWith('_')) return null;
  return fileName.toLowerCase().endsWith('.csv') ? fileName.slice(0, -4).toUpperCase() : null;
}

/** Lists the symbols that have a price file in a folder; a missing or empty folder is an error. */
export function listCsvSymbols(dir: string): Map<string, string> {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new TapewatchError('bad_input', `"${dir}" is not a folder.`);
    entries = readdirSync(dir);
  } catch (error) {
    if (error instanceof TapewatchError) throw error;
    throw new TapewatchError('bad_input', `Data folder "${dir}" does not exist or cannot be read.`, {
      cause: error,
    });
  }
  const files = new Map<string, string>();
  for (const entry of entries.sort()) {
    const symbol = symbolOfFile(entry);
    if (symbol !== null) files.set(symbol, path.join(dir, entry));
  }
  if (files.size === 0)
    throw new TapewatchError('bad_input', `Data folder "${dir}" has no .csv price files.`);
  return files;
}
