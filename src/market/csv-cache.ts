import { createHash, randomBytes } from 'node:crypto';
import fs, { type BigIntStats } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import type { Logger } from '../log.ts';
import { intrinsicFacts, rememberIntrinsicFacts } from './quality.ts';
import type { BarsAllocator, DailyBars } from './types.ts';

/**
 * What parsing a price file gives, kept in binary next to nothing else: a fresh process that exports a
 * series over 504 files otherwise spends most of its second parsing CSV text it parsed last time.
 *
 * One cache file per price file, named by a hash of the price file's absolute path and symbol:
 *
 *     header  72 bytes: magic, format version, rows, the price file's identity, skipped and repeated
 *             rows, and how many days the data-quality gate's option-free checks flag
 *     dates   rows × int32 YYYYMMDD, padded to a multiple of 8 bytes
 *     columns rows × 6 float64 (open, high, low, close, adj close, volume), read straight into the
 *             shared memory reports use
 *     flagged uint32 day indices: days with an impossible value, then days outside their high-low range
 *
 * Keeping the gate's findings means a cached load touches only the columns a report reads: the first
 * read of fresh memory is most of what it costs.
 *
 * The identity is the price file's size, inode, device, and modification and change times in
 * nanoseconds, as fstat gives them for the open file being read. Any write to the file changes its
 * change time (which no user tool can set back), so an edited, replaced or restored file never meets its
 * old entry. An entry that does not match in every field, is short, or holds dates out of order is
 * ignored and rewritten. Files that fail to parse are not cached: their error is found again each time.
 * Entries are written to a temporary name and renamed, so a reader never sees half of one.
 */
const MAGIC = 'TWCSVBIN';
/** Raised whenever the parser's output for the same bytes could change. */
export const CSV_CACHE_VERSION = 1;
const HEADER_BYTES = 72;
const COLUMNS = 6;

export interface ParsedCsv {
  readonly bars: DailyBars;
  readonly skippedNullRows: number;
  /** Rows repeated word for word (seen in real exports), dropped. */
  readonly duplicateRows: number;
}

export class CsvCache {
  readonly #dir: string;
  readonly #logger: Logger;
  #made: Promise<unknown> | null = null;

  constructor(dir: string, logger: Logger) {
    this.#dir = dir;
    this.#logger = logger;
  }

  #entryFile(file: string, symbol: string): string {
    const hash = createHash('sha256')
      .update(`${path.resolve(file)}\0${symbol}`)
      .digest('hex');
    return path.join(this.#dir, `${hash.slice(0, 32)}.bin`);
  }

  /**
   * The cached parse of `file` as it is now (`stat` of the path), or null when there is none that
   * matches it. `datesOf` turns the YYYYMMDD keys back into the parser's date strings, or null when a
   * key is not a date or the keys are out of order; `allocate` gives the bars to read the columns into.
   */
  async read(
    file: string,
    symbol: string,
    stat: BigIntStats,
    {
      datesOf,
      allocate,
    }: { datesOf: (keys: Int32Array) => readonly string[] | null; allocate: BarsAllocator },
  ): Promise<ParsedCsv | null> {
    let fd: number;
    try {
      fd = await openFile(this.#entryFile(file, symbol), 'r');
    } catch {
      return null;
    }
    try {
      const header = Buffer.alloc(HEADER_BYTES);
      if ((await readInto(fd, header, 0)) !== HEADER_BYTES) return null;
      if (header.toString('latin1', 0, 8) !== MAGIC || header.readUInt32LE(8) !== CSV_CACHE_VERSION) {
        return null;
      }
      if (!identityMatches(header, stat)) return null;
      const rows = header.readUInt32LE(12);
      const keys = new Int32Array(rows);
      const keyBytes = new Uint8Array(keys.buffer);
      if ((await readInto(fd, keyBytes, HEADER_BYTES)) !== keyBytes.length) return null;
      const dates = datesOf(keys);
      if (dates === null) return null;
      const bars = allocate(symbol, dates);
      // Allocators lay the six columns end to end, in the order written.
      const columns = new Uint8Array(bars.open.buffer, bars.open.byteOffset, rows * COLUMNS * 8);
      if ((await readInto(fd, columns, columnsOffset(rows))) !== columns.length) return null;
      const impossible = header.readUInt32LE(64);
      const outside = header.readUInt32LE(68);
      const flagged = new Uint32Array(impossible + outside);
      if (flagged.length > 0) {
        const flaggedBytes = new Uint8Array(flagged.buffer);
        const at = columnsOffset(rows) + columns.length;
        if ((await readInto(fd, flaggedBytes, at)) !== flaggedBytes.length) return null;
        if (flagged.some((day) => day >= rows)) return null;
      }
      rememberIntrinsicFacts(bars, {
        impossibleDays: [...flagged.subarray(0, impossible)],
        outsideRangeDays: [...flagged.subarray(impossible)],
      });
      return {
        bars,
        skippedNullRows: header.readUInt32LE(56),
        duplicateRows: header.readUInt32LE(60),
      };
    } catch (error) {
      this.#logger.debug({ err: error, file }, 'csv cache entry unreadable; parsing the file');
      return null;
    } finally {
      await closeFile(fd).catch(() => undefined);
    }
  }

  /** Keeps a parse for next time; a cache that cannot be written is only a slower next run. */
  async write(
    file: string,
    stat: BigIntStats,
    parsed: ParsedCsv,
    dateKeyOf: (date: string) => number,
  ): Promise<void> {
    const { bars } = parsed;
    const rows = bars.dates.length;
    const header = Buffer.alloc(HEADER_BYTES);
    header.write(MAGIC, 0, 'latin1');
    header.writeUInt32LE(CSV_CACHE_VERSION, 8);
    header.writeUInt32LE(rows, 12);
    writeIdentity(header, stat);
    header.writeUInt32LE(parsed.skippedNullRows, 56);
    header.writeUInt32LE(parsed.duplicateRows, 60);
    const facts = intrinsicFacts(bars);
    rememberIntrinsicFacts(bars, facts);
    header.writeUInt32LE(facts.impossibleDays.length, 64);
    header.writeUInt32LE(facts.outsideRangeDays.length, 68);
    const flagged = Uint32Array.from([...facts.impossibleDays, ...facts.outsideRangeDays]);
    const columns = [bars.open, bars.high, bars.low, bars.close, bars.adjClose, bars.volume].map(
      (column) => new Uint8Array(column.buffer, column.byteOffset, rows * 8),
    );
    const dates = new Int32Array(rows);
    bars.dates.forEach((date, i) => (dates[i] = dateKeyOf(date)));
    const entry = this.#entryFile(file, bars.symbol);
    const temporary = `${entry}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      this.#made ??= mkdir(this.#dir, { recursive: true });
      await this.#made;
      const handle = await open(temporary, 'wx');
      try {
        const padding = new Uint8Array(columnsOffset(rows) - HEADER_BYTES - rows * 4);
        await handle.writev([
          header,
          new Uint8Array(dates.buffer),
          padding,
          ...columns,
          new Uint8Array(flagged.buffer),
        ]);
      } finally {
        await handle.close();
      }
      await rename(temporary, entry);
    } catch (error) {
      this.#logger.debug({ err: error, file }, 'csv cache entry not written');
      await rm(temporary, { force: true }).catch(() => undefined);
    }
  }
}

function columnsOffset(rows: number): number {
  return HEADER_BYTES + Math.ceil((rows * 4) / 8) * 8;
}

// The callback API, promisified: FileHandle's bookkeeping cost more than the reads for 500 small files.
const openFile = promisify(fs.open);
const closeFile = promisify(fs.close);
const readFrom = promisify(fs.read);

async function readInto(fd: number, target: Uint8Array, position: number): Promise<number> {
  const { bytesRead } = await readFrom(fd, target, 0, target.length, position);
  return bytesRead;
}

// Bytes 16 to 55 of the header: the price file as fstat saw it.
const IDENTITY_FIELDS = ['size', 'ino', 'dev', 'mtimeNs', 'ctimeNs'] as const;

function writeIdentity(header: Buffer, stat: BigIntStats): void {
  IDENTITY_FIELDS.forEach((field, i) => header.writeBigUInt64LE(BigInt.asUintN(64, stat[field]), 16 + i * 8));
}

function identityMatches(header: Buffer, stat: BigIntStats): boolean {
  return IDENTITY_FIELDS.every(
    (field, i) => header.readBigUInt64LE(16 + i * 8) === BigInt.asUintN(64, stat[field]),
  );
}
