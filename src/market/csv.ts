import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { TapewatchError, UnknownSymbolError } from '../errors.ts';
import { quoteFromBars } from './quotes.ts';
import type { DailyBars, DateRange, MarketData, MissingSymbol, Quote, QuoteBatch } from './types.ts';
import { sliceBars } from './types.ts';

/**
 * Per-symbol daily price files in Yahoo's CSV export layout:
 *
 *     Date,Open,High,Low,Close,Adj Close,Volume
 *
 * Yahoo's export never quotes a field, so the reader splits on commas: on the 504-stock reference set
 * it reads 2 million rows five times faster than a general CSV parser, which keeps the whole-history
 * momentum series under its two-second budget. Any row that is not seven well-formed fields is an error
 * naming the file and line, except Yahoo's all-"null" rows (days with no trade), which are skipped.
 */
const EXPECTED_HEADER = ['date', 'open', 'high', 'low', 'close', 'adj close', 'volume'];
const DATE_SHAPE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export interface ParsedCsv {
  readonly bars: DailyBars;
  readonly skippedNullRows: number;
}

function fail(file: string, line: number, problem: string): never {
  throw new TapewatchError('data_file', `${file}:${line}: ${problem}`);
}

export function parseYahooCsv(symbol: string, text: string, file: string): ParsedCsv {
  const lines = text.split('\n');
  const header = (lines[0] ?? '')
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .split(',');
  if (header.length !== 7 || header.some((name, i) => name.trim() !== EXPECTED_HEADER[i])) {
    fail(file, 1, `expected the header "Date,Open,High,Low,Close,Adj Close,Volume"`);
  }
  const capacity = lines.length;
  const dates: string[] = [];
  const columns = Array.from({ length: 6 }, () => new Float64Array(capacity));
  let skippedNullRows = 0;
  let previousDate = '';
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    const fields = line.split(',');
    if (fields.length !== 7) fail(file, i + 1, `expected 7 fields, found ${fields.length}`);
    const date = fields[0] ?? '';
    if (!DATE_SHAPE.test(date)) fail(file, i + 1, `"${date}" is not a YYYY-MM-DD date`);
    if (date <= previousDate) fail(file, i + 1, `date ${date} is not after ${previousDate}`);
    previousDate = date;
    if (fields[1] === 'null' && fields[4] === 'null') {
      skippedNullRows++;
      continue;
    }
    const row = dates.length;
    for (let c = 0; c < 6; c++) {
      const raw = fields[c + 1] ?? '';
      const value = raw === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(value) || value < 0) {
        fail(file, i + 1, `${EXPECTED_HEADER[c + 1] ?? 'value'} "${raw}" is not a non-negative number`);
      }
      (columns[c] as Float64Array)[row] = value;
    }
    dates.push(date);
  }
  const n = dates.length;
  const [open, high, low, close, adjClose, volume] = columns.map((column) => column.slice(0, n)) as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  return { bars: { symbol, dates, open, high, low, close, adjClose, volume }, skippedNullRows };
}

/** Symbol names map to file names as they are; Yahoo's own symbols (^IRX, BRK-B) are valid file names. */
function symbolOfFile(fileName: string): string | null {
  return fileName.toLowerCase().endsWith('.csv') ? fileName.slice(0, -4).toUpperCase() : null;
}

/** Lists the symbols that have a price file in a folder; a missing or empty folder is an error. */
export function listCsvSymbols(dir: string): Map<string, string> {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new TapewatchError('data_file', `"${dir}" is not a folder.`);
    entries = readdirSync(dir);
  } catch (error) {
    if (error instanceof TapewatchError) throw error;
    throw new TapewatchError('data_file', `Data folder "${dir}" does not exist or cannot be read.`, {
      cause: error,
    });
  }
  const files = new Map<string, string>();
  for (const entry of entries.sort()) {
    const symbol = symbolOfFile(entry);
    if (symbol !== null) files.set(symbol, path.join(dir, entry));
  }
  if (files.size === 0)
    throw new TapewatchError('data_file', `Data folder "${dir}" has no .csv price files.`);
  return files;
}

export class CsvMarketData implements MarketData {
  readonly source = 'csv' as const;
  readonly label: string;
  private readonly files = new Map<string, string>();
  private readonly loaded = new Map<string, ParsedCsv>();

  /** Earlier folders win when two hold the same symbol. */
  constructor(dirs: readonly string[]) {
    if (dirs.length === 0) {
      throw new TapewatchError(
        'bad_config',
        'The csv source needs at least one data folder: pass --data-dir DIR or set MARKET_DATA_DIRS.',
      );
    }
    for (const dir of dirs) {
      for (const [symbol, file] of listCsvSymbols(dir)) {
        if (!this.files.has(symbol)) this.files.set(symbol, file);
      }
    }
    this.label = `CSV files (${dirs.join(', ')})`;
  }

  symbols(): string[] {
    return [...this.files.keys()];
  }

  /** Parses a file once per process; later requests slice the same arrays. */
  load(symbol: string): ParsedCsv {
    const key = symbol.toUpperCase();
    const cached = this.loaded.get(key);
    if (cached) return cached;
    const file = this.files.get(key);
    if (file === undefined) throw new UnknownSymbolError(symbol, 'no price file for it in the data folders');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new TapewatchError('data_file', `Cannot read "${file}".`, { cause: error });
    }
    const parsed = parseYahooCsv(key, text, file);
    this.loaded.set(key, parsed);
    return parsed;
  }

  getDailyBars(symbol: string, range: DateRange): Promise<DailyBars> {
    return Promise.resolve().then(() => sliceBars(this.load(symbol).bars, range));
  }

  getQuotes(symbols: readonly string[]): Promise<QuoteBatch> {
    const quotes: Quote[] = [];
    const missing: MissingSymbol[] = [];
    for (const symbol of symbols) {
      try {
        const quote = quoteFromBars(this.load(symbol).bars, null);
        if (quote) quotes.push(quote);
        else missing.push({ symbol, reason: 'the price file has no rows' });
      } catch (error) {
        if (!(error instanceof UnknownSymbolError)) throw error;
        missing.push({ symbol, reason: 'no price file for it in the data folders' });
      }
    }
    return Promise.resolve({ quotes, missing });
  }
}
