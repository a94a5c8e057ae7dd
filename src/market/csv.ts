import { existsSync, readFileSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { SingleFlight } from '../lib/single-flight.ts';
import { reasonOf, SymbolDataError, TapewatchError, UnknownSymbolError } from '../errors.ts';
import type { CsvCache, ParsedCsv } from './csv-cache.ts';
import { quoteFromBars } from './quotes.ts';
import type { DailyBars, DateRange, MarketData, MissingSymbol, Quote, QuoteBatch } from './types.ts';
import { allocateBars, BarsArena, sliceBars, type BarsAllocator } from './types.ts';
import { CAP_TABLE_FILE, listCsvSymbols } from '../universes/price-files.ts';

export type { ParsedCsv } from './csv-cache.ts';

/**
 * Per-symbol daily price files in Yahoo's CSV export layout:
 *
 *     Date,Open,High,Low,Close,Adj Close,Volume
 *
 * Yahoo's export never quotes a field, so the reader scans the bytes itself and reads plain decimals
 * straight from them: on the 504-stock reference set that is several times faster than a general CSV
 * parser. Any row that is not seven well-formed fields is an error naming the file and line, except
 * Yahoo's all-"null" rows (days with no trade), which are skipped.
 */
const EXPECTED_HEADER = ['date', 'open', 'high', 'low', 'close', 'adj close', 'volume'];
const DATE_SHAPE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/**
 * Above any real price: split-adjusted history of a fund with many reverse splits reaches 1e7 (SQQQ in
 * 2010); a field of 1e308 is a corrupt file, not a price.
 */
const MAX_PRICE = 1e12;

/** Twenty years of one symbol is about 300 KB; a file a hundred times that is not a price history. */
const MAX_PRICE_FILE_BYTES = 50e6;

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
const CHAR_DASH = 45;
const CHAR_CR = 13;
const CHAR_LF = 10;
const CHAR_SPACE = 32;
const NULL_FIELD = [...Buffer.from('null,')];
const UTF8_BOM = [0xef, 0xbb, 0xbf];
/** Bytes in a row of a Yahoo export of a stock ("2021-04-21,133.80,134.15,...,84922400"): about 60. */
const TYPICAL_ROW_BYTES = 48;
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Where the last `readField` stopped: the comma after its field, or the end of the line. */
let fieldEnd = 0;

/**
 * The number in the field starting at `start`, read in one pass over the bytes until the next comma
 * (left in `fieldEnd`). A plain non-negative decimal ("123.4567") is read with no string at all: digits
 * gathered into an integer below 2^53 and divided once by an exact power of ten round exactly as
 * Number() would. Anything else (exponents, signs, spaces, very long numbers) is decoded and handed to
 * Number(); an empty field is NaN.
 */
function readField(bytes: Buffer, start: number, lineEnd: number): number {
  let mantissa = 0;
  let scale = -1;
  let plain = true;
  let i = start;
  for (; i < lineEnd; i++) {
    const code = bytes[i] as number;
    if (code === CHAR_COMMA) break;
    if (code >= CHAR_0 && code <= CHAR_9) {
      mantissa = mantissa * 10 + (code - CHAR_0);
      if (scale >= 0) scale++;
    } else if (code === CHAR_DOT && scale < 0) {
      scale = 0;
    } else {
      plain = false;
    }
  }
  fieldEnd = i;
  if (plain && i > start && mantissa <= Number.MAX_SAFE_INTEGER && scale !== 0 && scale <= 22) {
    return scale > 0 ? mantissa / (POWERS_OF_TEN[scale] as number) : mantissa;
  }
  const raw = bytes.toString('utf8', start, i).trim();
  return raw === '' ? Number.NaN : Number(raw);
}

/** Yahoo's all-"null" row (a day without a trade) has "null," where the open would be. */
function startsWithNull(bytes: Uint8Array, start: number, end: number): boolean {
  return end - start >= NULL_FIELD.length && NULL_FIELD.every((byte, i) => bytes[start + i] === byte);
}

/** YYYYMMDD of a "YYYY-MM-DD" at `start`, or -1 when the bytes do not have that shape. */
function dateKeyAt(bytes: Uint8Array, start: number): number {
  let key = 0;
  for (let i = 0; i < 10; i++) {
    const code = bytes[start + i];
    if (i === 4 || i === 7) {
      if (code !== CHAR_DASH) return -1;
    } else if (code !== undefined && code >= CHAR_0 && code <= CHAR_9) {
      key = key * 10 + (code - CHAR_0);
    } else {
      return -1;
    }
  }
  return key;
}

/**
 * Every file repeats the same few thousand dates: keeping one string per date lets aligning hundreds of
 * symbols compare dates by identity, and a date seen before needs no validation and no new string.
 */
const knownDates = new Map<number, string>();

/** The shared string of a YYYYMMDD key, or null when the key is not a real calendar day. */
function dateOfKey(key: number): string | null {
  const known = knownDates.get(key);
  if (known !== undefined) return known;
  if (!Number.isInteger(key) || key < 10000101 || key > 99991231) return null;
  const digits = String(key);
  const date = `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`;
  if (!DATE_SHAPE.test(date) || !isCalendarDate(date)) return null;
  knownDates.set(key, date);
  return date;
}

/**
 * Whole date lists by their keys: most files of a folder cover the same sessions, and one shared list
 * spares both the memory (16 MB for 500 files) and the work of comparing them date by date.
 */
const knownDateLists = new Map<string, { keys: Int32Array; dates: readonly string[] }[]>();

/** The dates of increasing YYYYMMDD keys, shared with any list of the same dates; null if not such keys. */
export function internDates(keys: Int32Array): readonly string[] | null {
  const id = `${keys.length}:${keys[0] ?? 0}:${keys.at(-1) ?? 0}`;
  const candidates = knownDateLists.get(id) ?? [];
  const same = candidates.find(({ keys: known }) => known.every((key, i) => key === keys[i]));
  if (same) return same.dates;
  const dates: string[] = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as number;
    const date = i === 0 || key > (keys[i - 1] as number) ? dateOfKey(key) : null;
    if (date === null) return null;
    dates[i] = date;
  }
  candidates.push({ keys: keys.slice(), dates });
  knownDateLists.set(id, candidates);
  return dates;
}

/** YYYYMMDD of a YYYY-MM-DD date. */
export function dateKeyOf(date: string): number {
  return Number(date.slice(0, 4)) * 10000 + Number(date.slice(5, 7)) * 100 + Number(date.slice(8, 10));
}

/**
 * Reads the bytes of a file (a string is accepted for convenience and encoded first). The parser works
 * on bytes: decoding 100 MB of CSV into strings cost as much as parsing it.
 */
export function parseYahooCsv(
  symbol: string,
  input: Uint8Array | string,
  file: string,
  allocate: BarsAllocator = allocateBars,
): ParsedCsv {
  const bytes =
    typeof input === 'string'
      ? Buffer.from(input)
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  // Yahoo's ^-symbols include yields (^IRX, the 13-week bill rate), which can go below zero.
  const signed = symbol.startsWith('^');
  const bodyStart = UTF8_BOM.every((byte, i) => bytes[i] === byte) ? UTF8_BOM.length : 0;
  const length = bytes.length;
  const text = (start: number, end: number): string => bytes.toString('utf8', start, end);
  const headerEnd = bytes.indexOf(CHAR_LF, bodyStart);
  const header = text(bodyStart, headerEnd < 0 ? length : headerEnd)
    .trim()
    .toLowerCase()
    .split(',');
  if (header.length !== 7 || header.some((name, i) => name.trim() !== EXPECTED_HEADER[i])) {
    fail(symbol, file, 1, `expected the header "Date,Open,High,Low,Close,Adj Close,Volume"`);
  }
  // Sized for Yahoo's usual row length and doubled when a file's rows are shorter; trimmed at the end.
  let capacity = Math.ceil(length / TYPICAL_ROW_BYTES) + 16;
  const dates: string[] = [];
  let columns = Array.from({ length: 6 }, () => new Float64Array(capacity));
  let skippedNullRows = 0;
  let duplicateRows = 0;
  let previousDate = '';
  let previousLine = { number: 0, start: 0, end: 0 };
  let lineNumber = 1;
  let position = headerEnd < 0 ? length : headerEnd + 1;
  // Byte loops rather than Buffer.indexOf: two million native calls cost more than the scanning.
  while (position < length) {
    lineNumber++;
    const lineStart = position;
    let lineEnd = lineStart;
    while (lineEnd < length && bytes[lineEnd] !== CHAR_LF) lineEnd++;
    position = lineEnd + 1;
    while (lineEnd > lineStart && (bytes[lineEnd - 1] === CHAR_CR || bytes[lineEnd - 1] === CHAR_SPACE))
      lineEnd--;
    if (lineEnd === lineStart) continue;
    const key = lineEnd - lineStart >= 10 ? dateKeyAt(bytes, lineStart) : -1;
    const date = key < 0 ? undefined : (dateOfKey(key) ?? undefined);
    if (date === undefined && key >= 0) {
      const candidate = text(lineStart, lineStart + 10);
      if (DATE_SHAPE.test(candidate))
        fail(symbol, file, lineNumber, `"${candidate}" is not a real calendar date`);
    }
    if (bytes[lineStart + 10] !== CHAR_COMMA || date === undefined) {
      const fields = text(lineStart, lineEnd).split(',');
      if (fields.length !== 7) fail(symbol, file, lineNumber, `expected 7 fields, found ${fields.length}`);
      fail(symbol, file, lineNumber, `"${fields[0] ?? ''}" is not a YYYY-MM-DD date`);
    }
    if (date === previousDate) {
      // A row repeated word for word says nothing new; two different rows for one day leave no way to
      // know which is right.
      if (
        lineEnd - lineStart === previousLine.end - previousLine.start &&
        bytes.compare(bytes, previousLine.start, previousLine.end, lineStart, lineEnd) === 0
      ) {
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
    if (startsWithNull(bytes, lineStart + 11, lineEnd)) {
      skippedNullRows++;
      continue;
    }
    const row = dates.length;
    if (row === capacity) {
      capacity *= 2;
      columns = columns.map((column) => {
        const grown = new Float64Array(capacity);
        grown.set(column);
        return grown;
      });
    }
    let fieldStart = lineStart + 11;
    for (let c = 0; c < 6; c++) {
      const value = readField(bytes, fieldStart, lineEnd);
      if (c < 5 ? fieldEnd === lineEnd : fieldEnd < lineEnd) {
        fail(
          symbol,
          file,
          lineNumber,
          `expected 7 fields, found ${text(lineStart, lineEnd).split(',').length}`,
        );
      }
      if (!Number.isFinite(value) || (value < 0 && !signed)) {
        const wanted = signed ? 'a number' : 'a non-negative number';
        fail(
          symbol,
          file,
          lineNumber,
          `${EXPECTED_HEADER[c + 1] ?? 'value'} "${text(fieldStart, fieldEnd)}" is not ${wanted}`,
        );
      }
      // Prices (every column but volume) of a security are positive and finite in size.
      if (c < 5 && !signed && (value === 0 || value > MAX_PRICE)) {
        fail(
          symbol,
          file,
          lineNumber,
          `${EXPECTED_HEADER[c + 1] ?? 'value'} "${text(fieldStart, fieldEnd)}" is not a possible price`,
        );
      }
      (columns[c] as Float64Array)[row] = value;
      fieldStart = fieldEnd + 1;
    }
    dates.push(date);
  }
  const n = dates.length;
  const bars = allocate(symbol, dates);
  [bars.open, bars.high, bars.low, bars.close, bars.adjClose, bars.volume].forEach((column, c) => {
    column.set((columns[c] as Float64Array).subarray(0, n));
  });
  return withDuplicateNote({ bars, skippedNullRows, duplicateRows }, file);
}

function withDuplicateNote(parsed: ParsedCsv, file: string): ParsedCsv {
  const { bars, duplicateRows } = parsed;
  if (duplicateRows === 0) return parsed;
  const note = `${bars.symbol}: ${duplicateRows} repeated row${duplicateRows === 1 ? '' : 's'} in ${file} dropped.`;
  return { ...parsed, bars: { ...bars, notes: [note] } };
}

export class CsvMarketData implements MarketData {
  readonly source = 'csv' as const;
  readonly label: string;
  readonly #files = new Map<string, string>();
  readonly #loaded = new Map<string, ParsedCsv>();
  readonly #reads = new SingleFlight();
  /** Market caps from the folders' cap tables, at each file's last close. */
  readonly #caps = new Map<string, number>();

  readonly #cache: CsvCache | null;
  /** Parsed files are kept for the life of the source: their columns are packed into large blocks. */
  readonly #arena = new BarsArena();

  /**
   * Earlier folders win when two hold the same symbol, and for its market cap. With a cache, each
   * file's parse is kept in binary and reused while the file is unchanged (see csv-cache.ts).
   */
  constructor(dirs: readonly string[], options: { readonly cache?: CsvCache | null } = {}) {
    this.#cache = options.cache ?? null;
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
      const parsed = await this.#read(key, file);
      this.#loaded.set(key, parsed);
      return parsed;
    });
  }

  async #read(symbol: string, file: string): Promise<ParsedCsv> {
    const unreadable = (error: unknown) =>
      new SymbolDataError(symbol, `Cannot read "${file}"${whyUnreadable(error)}.`, { cause: error });
    // Looked at before opening: opening a named pipe would wait for a writer that never comes. The
    // same look is the file's identity for the cache.
    const found = await stat(file, { bigint: true }).catch((error: unknown) => {
      throw unreadable(error);
    });
    if (!found.isFile()) throw new SymbolDataError(symbol, `"${file}" is not a regular file.`);
    if (found.size > MAX_PRICE_FILE_BYTES) {
      throw new SymbolDataError(
        symbol,
        `"${file}" is ${(Number(found.size) / 1e6).toFixed(0)} MB; a daily price file is at most ${MAX_PRICE_FILE_BYTES / 1e6} MB.`,
      );
    }
    const cached = await this.#cache?.read(file, symbol, found, {
      datesOf: internDates,
      allocate: this.#arena.allocate,
    });
    if (cached) return withDuplicateNote(cached, file);
    const handle = await open(file, 'r').catch((error: unknown) => {
      throw unreadable(error);
    });
    try {
      // The identity of the bytes parsed, not of whatever the path names a moment later.
      const identity = await handle.stat({ bigint: true });
      const bytes = await handle.readFile().catch((error: unknown) => {
        throw unreadable(error);
      });
      const parsed = parseYahooCsv(symbol, bytes, file, this.#arena.allocate);
      await this.#cache?.write(file, identity, parsed, dateKeyOf);
      return parsed;
    } finally {
      await handle.close();
    }
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
        if (error instanceof SymbolDataError) missing.push({ symbol, reason: reasonOf(error) });
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
/** The plain words for the reasons a file cannot be read; anything rarer is left to --verbose. */
const READ_FAILURES: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'it no longer exists',
  EISDIR: 'it is a folder',
  EIO: 'the disk reported an error',
  ELOOP: 'a loop of symbolic links',
  EMFILE: 'too many files open',
  ENFILE: 'too many files open',
};

function whyUnreadable(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const words = typeof code === 'string' ? READ_FAILURES[code] : undefined;
  return words === undefined ? '' : ` (${words})`;
}

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
