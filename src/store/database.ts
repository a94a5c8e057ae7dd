import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { TapewatchError, describeError } from '../errors.ts';

/**
 * The embedded SQLite file where tapewatch keeps what must survive a restart (daily bars, schedules).
 * Opening checks the file at once, so a corrupt or locked store is a clear error at start-up rather
 * than a wrong answer later.
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
CREATE TABLE IF NOT EXISTS schedules (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  guild_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  report TEXT NOT NULL,
  time TEXT NOT NULL,
  days TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_slot TEXT,
  last_outcome TEXT,
  disabled_reason TEXT
);
CREATE INDEX IF NOT EXISTS schedules_by_guild ON schedules (guild_id);
`;

/**
 * Columns added after the first release, added in place to a store made by an older version (SQLite
 * has no ADD COLUMN IF NOT EXISTS): what a post attempt left behind, so a failed post is retried.
 */
const ADDED_COLUMNS: readonly [table: string, column: string, definition: string][] = [
  ['schedules', 'claimed_at', 'TEXT'],
  ['schedules', 'attempts', 'INTEGER NOT NULL DEFAULT 0'],
  ['schedules', 'retry_pending', 'INTEGER NOT NULL DEFAULT 0'],
];

function addMissingColumns(db: DatabaseSync): void {
  for (const [table, column, definition] of ADDED_COLUMNS) {
    const columns = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
    if (!columns.some((c) => c.name === column))
      db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
  }
}

/**
 * Bars stored before version 3 were one row per day (before version 2 with a raw close where Yahoo sent
 * no adjusted close). They are a cache of Yahoo's answers, so the old tables are dropped and histories
 * fetched again on first use; schedules are kept.
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
  if (/locked|busy/i.test(detail)) {
    return new TapewatchError(
      'store',
      `The store "${file}" is locked by another process; stop it or set TAPEWATCH_STORE_PATH to another file.`,
      { cause: error },
    );
  }
  if (/not a database|malformed|corrupt/i.test(detail)) {
    return new TapewatchError(
      'store',
      `The store "${file}" is corrupt (${detail}); move it away (it is rebuilt on the next run) or set TAPEWATCH_STORE_PATH.`,
      { cause: error },
    );
  }
  return new TapewatchError('store', `The store "${file}" cannot be used (${detail}).`, { cause: error });
}

export function openDatabase(file: string): DatabaseSync {
  try {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    const db = new DatabaseSync(file, { timeout: 2_000 });
    // A symbol's history is one ~240 KB blob: on 64 KB pages saving 505 of them takes 0.44 s instead of
    // 0.77 s on the default 4 KB. The size only takes effect on a new file; older stores keep theirs.
    db.exec('PRAGMA page_size = 65536;');
    db.exec('PRAGMA journal_mode = WAL;');
    const check = db.prepare('PRAGMA quick_check').get() as { quick_check?: string } | undefined;
    if (check?.quick_check !== 'ok') {
      db.close();
      throw new Error(`corrupt: integrity check says ${check?.quick_check ?? 'nothing'}`);
    }
    db.exec(SCHEMA);
    addMissingColumns(db);
    refreshOldBars(db);
    return db;
  } catch (error) {
    throw storeError(file, error);
  }
}
