import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SingleFlight } from '../lib/single-flight.ts';
import { SymbolDataError, TapewatchError, UnknownSymbolError } from '../errors.ts';
import { quoteFromBars } from './quotes.ts';
import type { DailyBars, DateRange, MarketData, MissingSymbol, Quote, QuoteBatch } from './types.ts';
import { allocateBars, sliceBars } from './types.ts';
import { CAP_TABLE_FILE, listCsvSymbols } from '../universes/price-files.ts';

/**
 * Per-symbol daily price files in Yahoo's CSV export layout:
 *
 *     Date,Open,High,Low,Close,Adj Close,Volume
 *
 * Yahoo's export never quotes a field, so the reader scans the text itself and reads plain decimals
 * from character codes: on the 504-stock reference set that is several times faster than a general
 * CSV parser, which keeps the whole-history momentum series under its two-second budget. Any row that is not seven well-formed fields is an error
 * naming the file and line, except Yahoo's all-"null" rows (days with no trade), which are skipped.
 */
const EXPECTED_HEADER = ['date', 'open', 'high', 'low', 'close', 'adj close', 'volume'];
const DATE_SHAPE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export interface ParsedCsv {
  readonly bars: DailyBars;
  readonly skippedNullRows: number;
  /** Rows repeated word for word (seen in real exports), dropped. */
  readonly duplicateRows: number;
}

/**
 * Above any real price: split-adjusted history of a fund with many reverse splits reaches 1e7 (SQQQ in
 * 2010); a field of 1e308 is a corrupt file, not a price.
 */
const MAX_PRICE = 1e12;

function fail(symbol: string, file: string, line: number, problem: string): never {
  throw new SymbolDataError(symbol, `${file}:${line}: ${problem}`);
}

/** A YYYY-MM-DD that names a real day (2024-02-30 does not). */
function isCalendarDate(date: string): boolean {
  const [year = 0, month = 0, day = 0] = date.split('-').map(Number);
  const parsed = new Date(Date.UTC(year, month - 1, day));
  return parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === day;
}

const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_DOT = 46;
const CHAR_COMMA = 44;
const CHAR_CR = 13;
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * A plain non-negative decimal ("123.4567") read straight from the character codes, with no substring.
 * Digits gathered into an integer below 2^53, divided once by an exact power of ten, round exactly as
 * Number() would; anything else (exponents, signs, very long numbers) returns NaN for the caller to
 * hand to Number().
 */
function parsePlainDecimal(text: string, start: number, end: number): number {
  let mantissa = 0;
  let scale = -1;
  if (start >= end) return Number.NaN;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= CHAR_0 && code <= CHAR_9) {
      mantissa = mantissa * 10 + (code - CHAR_0);
      if (scale >= 0) scale++;
    } else if (code === CHAR_DOT && scale < 0) {
      scale = 0;
    } else {
      return Number.NaN;
    }
  }
  if (mantissa > Number.MAX_SAFE_INTEGER || scale > 22 || scale === 0) return Number.NaN;
  return scale > 0 ? mantissa / (POWERS_OF_TEN[scale] ?? Number.NaN) : mantissa;
}

function parseField(text: string, start: number, end: number): number {
  const fast = parsePlainDecimal(text, start, end);
  if (!Number.isNaN(fast)) return fast;
  const raw = text.slice(start, end).trim();
  return raw === '' ? Number.NaN : Number(raw);
}

/**
 * Every file repeats the same few thousand dates: keeping one string per date lets aligning hundreds of
 * symbols compare dates by identity, and a date seen before needs no validation.
 */
const knownDates = new Map<string, string>();

export function parseYahooCsv(symbol: string, text: string, file: string): ParsedCsv {
  // Yahoo's ^-symbols include yields (^IRX, the 13-week bill rate), which can go below zero.
  const signed = symbol.startsWith('^');
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const headerEnd = body.indexOf('\n');
  const header = (headerEnd < 0 ? body : body.slice(0, headerEnd)).trim().toLowerCase().split(',');
  if (header.length !== 7 || header.some((name, i) => name.trim() !== EXPECTED_HEADER[i])) {
    fail(symbol, file, 1, `expected the header "Date,Open,High,Low,Close,Adj Close,Volume"`);
  }
  // One row per line at most; the columns are trimmed to the rows actually read.
  let capacity = 0;
  for (let i = body.indexOf('\n'); i >= 0; i = body.indexOf('\n', i + 1)) capacity++;
  const dates: string[] = [];
  const columns = Array.from({ length: 6 }, () => new Float64Array(capacity + 1));
  let skippedNullRows = 0;
  let duplicateRows = 0;
  let previousDate = '';
  let previousLine = { number: 0, start: 0, end: 0 };
  let lineNumber = 1;
  let position = headerEnd < 0 ? body.length : headerEnd + 1;
  while (position < body.length) {
    lineNumber++;
    const newline = body.indexOf('\n', position);
    const lineStart = position;
    let lineEnd = newline < 0 ? body.length : newline;
    position = lineEnd + 1;
    while (
      lineEnd > lineStart &&
      (body.charCodeAt(lineEnd - 1) === CHAR_CR || body.charCodeAt(lineEnd - 1) === 32)
    )
      lineEnd--;
    if (lineEnd === lineStart) continue;
    const sliced = body.slice(lineStart, lineStart + 10);
    let date = knownDates.get(sliced);
    if (date === undefined && DATE_SHAPE.test(sliced)) {
      if (!isCalendarDate(sliced)) fail(symbol, file, lineNumber, `"${sliced}" is not a real calendar date`);
      date = sliced;
      knownDates.set(date, date);
    }
    if (body.charCodeAt(lineStart + 10) !== CHAR_COMMA || date === undefined) {
      const fields = body.slice(lineStart, lineEnd).split(',');
      if (fields.length !== 7) fail(symbol, file, lineNumber, `expected 7 fields, found ${fields.length}`);
      fail(symbol, file, lineNumber, `"${fields[0] ?? ''}" is not a YYYY-MM-DD date`);
    }
    if (date === previousDate) {
      // A row repeated word for word says nothing new; two different rows for one day leave no way to
      // know which is right.
      const previous = body.slice(previousLine.start, previousLine.end);
      if (lineEnd - lineStart === previous.length && body.startsWith(previous, lineStart)) {
        duplicateRows++;
        continue;
      }
      fail(
        symbol,
        file,
        lineNumber,
        `a second, different row for ${date} (the first is line ${previousLine.number})`,
      );
    }
    if (date < previousDate) fail(symbol, file, lineNumber, `date ${date} is not after ${previousDate}`);
    previousDate = date;
    previousLine = { number: lineNumber, start: lineStart, end: lineEnd };
    if (body.startsWith('null,', lineStart + 11)) {
      skippedNullRows++;
      continue;
    }
    const row = dates.length;
    let fieldStart = lineStart + 11;
    for (let c = 0; c < 6; c++) {
      let fieldEnd = body.indexOf(',', fieldStart);
      if (c < 5 ? fieldEnd < 0 || fieldEnd >= lineEnd : fieldEnd >= 0 && fieldEnd < lineEnd) {
        fail(
          symbol,
          file,
          lineNumber,
          `expected 7 fields, found ${body.slice(lineStart, lineEnd).split(',').length}`,
        );
      }
      if (c === 5) fieldEnd = lineEnd;
      const value = parseField(body, fieldStart, fieldEnd);
      if (!Number.isFinite(value) || (value < 0 && !signed)) {
        const raw = body.slice(fieldStart, fieldEnd);
        const wanted = signed ? 'a number' : 'a non-negative number';
        fail(symbol, file, lineNumber, `${EXPECTED_HEADER[c + 1] ?? 'value'} "${raw}" is not ${wanted}`);
      }
      // Prices (every column but volume) of a security are positive and finite in size.
      if (c < 5 && !signed && (value === 0 || value > MAX_PRICE)) {
        const raw = body.slice(fieldStart, fieldEnd);
        fail(
          symbol,
          file,
          lineNumber,
          `${EXPECTED_HEADER[c + 1] ?? 'value'} "${raw}" is not a possible price`,
        );
      }
      (columns[c] as Float64Array)[row] = value;
      fieldStart = fieldEnd + 1;
    }
    dates.push(date);
  }
  const n = dates.length;
  const bars = allocateBars(symbol, dates);
  [bars.open, bars.high, bars.low, bars.close, bars.adjClose, bars.volume].forEach((column, c) => {
    column.set((columns[c] as Float64Array).subarray(0, n));
  });
  const notes =
    duplicateRows === 0
      ? []
      : [`${symbol}: ${duplicateRows} repeated row${duplicateRows === 1 ? '' : 's'} in ${file} dropped.`];
  return { bars: notes.length === 0 ? bars : { ...bars, notes }, skippedNullRows, duplicateRows };
}

export class CsvMarketData implements MarketData {
  readonly source = 'csv' as const;
  readonly label: string;
  readonly #files = new Map<string, string>();
  readonly #loaded = new Map<string, ParsedCsv>();
  readonly #reads = new SingleFlight();
  /** Market caps from the folders' cap tables, at each file's last close. */
  readonly #caps = new Map<string, number>();

  /** Earlier folders win when two hold the same symbol, and for its market cap. */
  constructor(dirs: readonly string[]) {
    if (dirs.length === 0) {
      throw new TapewatchError(
        'bad_config',
        'The csv source needs at least one data folder: pass --data-dir DIR or set MARKET_DATA_DIRS.',
      );
    }
    for (const dir of dirs) {
      for (const [symbol, file] of listCsvSymbols(dir)) {
        if (!this.#files.has(symbol)) this.#files.set(symbol, file);
      }
      for (const [symbol, cap] of readCapTable(dir)) {
        if (!this.#caps.has(symbol)) this.#caps.set(symbol, cap);
      }
    }
    this.label = `CSV files (${dirs.join(', ')})`;
  }

  symbols(): string[] {
    return [...this.#files.keys()];
  }

  /**
   * Parses a file once per process; later requests slice the same arrays. The file is read
   * asynchronously and each one parsed in a single short step (a few milliseconds for twenty years of
   * one symbol), so loading 500 files leaves the event loop free between them for the bot's other
   * users; concurrent requests for one file share its read.
   */
  #load(symbol: string): Promise<ParsedCsv> {
    const key = symbol.toUpperCase();
    const cached = this.#loaded.get(key);
    if (cached) return Promise.resolve(cached);
    const file = this.#files.get(key);
    if (file === undefined) {
      return Promise.reject(new UnknownSymbolError(symbol, 'no price file for it in the data folders'));
    }
    return this.#reads.run(key, async () => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new SymbolDataError(key, `Cannot read "${file}".`, { cause: error });
      }
      const parsed = parseYahooCsv(key, text, file);
      this.#loaded.set(key, parsed);
      return parsed;
    });
  }

  async getDailyBars(symbol: string, range: DateRange): Promise<DailyBars> {
    return sliceBars((await this.#load(symbol)).bars, range);
  }

  async getQuotes(symbols: readonly string[]): Promise<QuoteBatch> {
    const quotes: Quote[] = [];
    const missing: MissingSymbol[] = [];
    for (const symbol of symbols) {
      try {
        const quote = quoteFromBars(
          (await this.#load(symbol)).bars,
          this.#caps.get(symbol.toUpperCase()) ?? null,
        );
        if (quote) quotes.push(quote);
        else missing.push({ symbol, reason: 'the price file has no rows' });
      } catch (error) {
        if (error instanceof SymbolDataError) missing.push({ symbol, reason: error.message });
        else if (error instanceof UnknownSymbolError)
          missing.push({ symbol, reason: 'no price file for it in the data folders' });
        else throw error;
      }
    }
    return { quotes, missing };
  }
}

/**
 * A folder's market caps, when it has a `_market_caps.csv`: a header naming a `Symbol` and a
 * `Market Cap` column (in dollars, other columns ignored), one row per symbol, each cap taken as of the
 * last close in that symbol's price file. Caps make the breadth report size its largest members by cap
 * instead of the dollar-volume proxy. A row that is not a symbol and a positive number is an error
 * naming the file and line: a wrong cap would make a wrong weight.
 */
function readCapTable(dir: string): Map<string, number> {
  const file = path.join(dir, CAP_TABLE_FILE);
  const caps = new Map<string, number>();
  if (!existsSync(file)) return caps;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TapewatchError('data_file', `Cannot read the cap table "${file}".`, { cause: error });
  }
  const [header = '', ...rows] = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const names = header.split(',').map((name) => name.trim().toLowerCase());
  const symbolAt = names.indexOf('symbol');
  const capAt = names.indexOf('market cap');
  if (symbolAt < 0 || capAt < 0) {
    throw new TapewatchError(
      'data_file',
      `${file}:1: expected a header with "Symbol" and "Market Cap" columns.`,
    );
  }
  rows.forEach((row, i) => {
    if (row.trim() === '') return;
    const fields = row.split(',');
    const symbol = (fields[symbolAt] ?? '').trim().toUpperCase();
    const cap = Number((fields[capAt] ?? '').trim());
    if (!/^[A-Z0-9.^=-]{1,15}$/.test(symbol) || !(cap > 0) || !Number.isFinite(cap)) {
      throw new TapewatchError(
        'data_file',
        `${file}:${i + 2}: expected a symbol and a positive market cap, found "${row.slice(0, 60)}".`,
      );
    }
    caps.set(symbol, cap);
  });
  return caps;
}
