import { existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { TapewatchError, describeError } from '../errors.ts';

/**
 * The bar store: an embedded SQLite cache of the daily histories Yahoo sent, so a restart does not fetch
 * them again. Everything in it can be fetched again, so a corrupt store is moved aside and rebuilt; what
 * users made lives in the user database (user-database.ts). Opening checks the file at once, so a locked
 * store or another program's file is a clear error at start-up rather than a wrong answer later.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS histories (
  symbol TEXT PRIMARY KEY,
  first_date TEXT NOT NULL,
  last_date TEXT NOT NULL,
  fetched_at TEXT NOT NULL,
  days BLOB NOT NULL,
  columns BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS unknown_symbols (
  symbol TEXT PRIMARY KEY,
  reason TEXT NOT NULL,
  checked_at TEXT NOT NULL
);
`;

/**
 * The tables a store of any version has had, with the columns every version gave them (schedules lived
 * here before the user database; openUserDatabase carries them over).
 */
const OWN_TABLES: Readonly<Record<string, readonly string[]>> = {
  histories: ['symbol', 'first_date', 'last_date', 'fetched_at', 'days', 'columns'],
  unknown_symbols: ['symbol', 'reason', 'checked_at'],
  schedules: ['id', 'guild_id', 'channel_id', 'report', 'time', 'days', 'time_zone'],
  bars: ['symbol', 'date', 'close'],
  coverage: ['symbol', 'first_date', 'last_date'],
};

/**
 * Refuses a SQLite file that another program made (TAPEWATCH_STORE_PATH pointed at the wrong file):
 * tapewatch must neither write its tables into someone else's database nor fail later on a column
 * that is not there.
 */
function checkOwnSchema(db: DatabaseSync): void {
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
      name: string;
    }[]
  ).map((row) => row.name);
  const foreign = tables.filter((name) => !(name in OWN_TABLES));
  if (foreign.length > 0) {
    throw new ForeignStoreError(`it holds tables tapewatch never makes (${foreign.slice(0, 3).join(', ')})`);
  }
  for (const table of tables) {
    const columns = new Set(
      (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name),
    );
    const absent = (OWN_TABLES[table] ?? []).find((column) => !columns.has(column));
    if (absent !== undefined) throw new ForeignStoreError(`its table ${table} has no column ${absent}`);
  }
}

class ForeignStoreError extends Error {
  override readonly name = 'ForeignStoreError';
}

/**
 * Bars stored before version 3 were one row per day (before version 2 with a raw close where Yahoo sent
 * no adjusted close). They are a cache of Yahoo's answers, so the old tables are dropped and histories
 * fetched again on first use; schedules are kept (for the user database to carry over).
 */
const BARS_VERSION = 3;

function refreshOldBars(db: DatabaseSync): void {
  const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  if (version >= BARS_VERSION) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('DROP TABLE IF EXISTS bars; DROP TABLE IF EXISTS coverage;');
    db.exec(`PRAGMA user_version = ${BARS_VERSION}`);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

export function storeError(file: string, error: unknown): TapewatchError {
  const detail = describeError(error);
  if (error instanceof ForeignStoreError) {
    return new TapewatchError(
      'store',
      `The store "${file}" was not made by tapewatch (${detail}); set TAPEWATCH_STORE_PATH to a file of its own.`,
      { cause: error },
    );
  }
  if (/locked|busy/i.test(detail)) {
    return new TapewatchError(
      'store',
      `The store "${file}" is locked by another process; stop it or set TAPEWATCH_STORE_PATH to another file.`,
      { cause: error },
    );
  }
  return new TapewatchError('store', `The store "${file}" cannot be used (${detail}).`, { cause: error });
}

const CORRUPT = /not a database|malformed|corrupt/i;

/**
 * Opens the bar store, made if absent. A corrupt one is moved aside to "<file>.corrupt" (with its WAL)
 * and a new one started, with `onRebuilt` told why: it is a cache, and a report should not fail for it.
 */
export function openDatabase(
  file: string,
  onRebuilt: (note: string) => void = () => undefined,
): DatabaseSync {
  try {
    return openChecked(file);
  } catch (error) {
    if (file === ':memory:' || !CORRUPT.test(describeError(error))) throw storeError(file, error);
    const aside = `${file}.corrupt`;
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
    }
    onRebuilt(
      `The bar store "${file}" was corrupt (${describeError(error)}); it is now "${aside}" and a new store is filled as histories are fetched again.`,
    );
    try {
      return openChecked(file);
    } catch (again) {
      throw storeError(file, again);
    }
  }
}

function openChecked(file: string): DatabaseSync {
  let db: DatabaseSync | null = null;
  try {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    db = new DatabaseSync(file, { timeout: 2_000 });
    // A symbol's history is one ~240 KB blob: on 64 KB pages saving 505 of them takes 0.44 s instead of
    // 0.77 s on the default 4 KB. The size only takes effect on a new file; older stores keep theirs.
    db.exec('PRAGMA page_size = 65536;');
    // Before anything is written: not even the journal mode of another program's database changes.
    checkOwnSchema(db);
    db.exec('PRAGMA journal_mode = WAL;');
    const check = db.prepare('PRAGMA quick_check').get() as { quick_check?: string } | undefined;
    if (check?.quick_check !== 'ok') {
      throw new Error(`corrupt: integrity check says ${check?.quick_check ?? 'nothing'}`);
    }
    db.exec(SCHEMA);
    refreshOldBars(db);
    return db;
  } catch (error) {
    db?.close();
    throw error;
  }
}
