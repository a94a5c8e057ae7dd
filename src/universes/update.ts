import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { describeError, TapewatchError } from '../errors.ts';
import type { FetchFn } from '../lib/http.ts';
import { loadSp500, normalizeSymbol, SP500_UPDATE_URL, sp500RefreshFile, type Sp500List } from './index.ts';
import { GICS_SECTORS, type GicsSector } from './sectors.ts';

export interface Sp500UpdateResult {
  readonly file: string;
  readonly source: string;
  readonly count: number;
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

const constituentRowSchema = z.object({
  Symbol: z.string().min(1),
  Security: z.string(),
  'GICS Sector': z.enum(GICS_SECTORS),
});

/** Refreshes the S&P 500 list from its public source into the home folder, replacing the file atomically. */
export async function updateSp500(fetch: FetchFn, homeDir: string, now: Date): Promise<Sp500UpdateResult> {
  let text: string;
  try {
    const response = await fetch(SP500_UPDATE_URL);
    text = await response.text();
  } catch (error) {
    throw new TapewatchError(
      'source_unreachable',
      `Could not download the S&P 500 list from ${SP500_UPDATE_URL} (${describeError(error)}); the current list stays in use.`,
    );
  }
  let rows: unknown[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true });
  } catch (error) {
    throw new TapewatchError(
      'source_error',
      `The S&P 500 list from ${SP500_UPDATE_URL} is not CSV (${describeError(error)}); the current list stays in use.`,
    );
  }
  const members: [string, GicsSector, string][] = [];
  for (const row of rows) {
    const parsed = constituentRowSchema.safeParse(row);
    if (parsed.success)
      members.push([normalizeSymbol(parsed.data.Symbol), parsed.data['GICS Sector'], parsed.data.Security]);
  }
  if (members.length < 400) {
    throw new TapewatchError(
      'source_error',
      `The S&P 500 list from ${SP500_UPDATE_URL} has only ${members.length} readable members; the current list stays in use.`,
    );
  }
  const previous = new Set(loadSp500(homeDir).members.map(([symbol]) => symbol));
  const next = new Set(members.map(([symbol]) => symbol));
  const file = sp500RefreshFile(homeDir);
  mkdirSync(path.dirname(file), { recursive: true });
  const payload: Sp500List = { asOf: now.toISOString().slice(0, 10), source: SP500_UPDATE_URL, members };
  writeFileSync(`${file}.tmp`, JSON.stringify(payload, null, 1));
  renameSync(`${file}.tmp`, file);
  return {
    file,
    source: SP500_UPDATE_URL,
    count: members.length,
    added: [...next].filter((symbol) => !previous.has(symbol)).sort(),
    removed: [...previous].filter((symbol) => !next.has(symbol)).sort(),
  };
}
