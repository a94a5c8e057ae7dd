import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { TapewatchError, describeError } from '../errors.ts';

/**
 * The user database: what server owners and users made (schedules; budgets and cooldowns in use) and
 * cannot be fetched again. It is kept apart from the bar store, which is a disposable cache: advice to
 * move a broken cache away must never cost anyone their schedules.
 *
 * Its schema has a version (SQLite's user_version) and moves forward by the migrations below, each run
 * once, in order, in one transaction with the version it brings. A file from a newer tapewatch is refused
 * rather than half-understood, and a corrupt one is refused and left exactly as it is.
 */
const MIGRATIONS: readonly string[] = [
  // 1: schedules as the first release kept them.
  `CREATE TABLE schedules (
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
   CREATE INDEX schedules_by_guild ON schedules (guild_id);`,
  // 2: what a post attempt left behind, so a failed post is retried and a stale claim taken over.
  `ALTER TABLE schedules ADD COLUMN claimed_at TEXT;
   ALTER TABLE schedules ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE schedules ADD COLUMN retry_pending INTEGER NOT NULL DEFAULT 0;`,
  // 3: LLM calls counted per New York day and scope (user, server, all), and each user's last report
  // request, so budgets and cooldowns survive a restart.
  `CREATE TABLE llm_usage (
     day TEXT NOT NULL,
     scope TEXT NOT NULL,
     key TEXT NOT NULL,
     calls INTEGER NOT NULL,
     PRIMARY KEY (day, scope, key)
   ) WITHOUT ROWID;
   CREATE TABLE cooldowns (
     user_id TEXT PRIMARY KEY,
     last_request_ms INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  // 4: watchlists, each a user's own (scope 'user'), a server's ('server') or the terminal's ('local').
  `CREATE TABLE watchlists (
     scope TEXT NOT NULL,
     owner_id TEXT NOT NULL,
     name TEXT NOT NULL,
     symbols TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (scope, owner_id, name)
   ) WITHOUT ROWID;`,
  // 5: alerts, a server's (posted in channel_id) or a user's (sent to user_id by DM), with the state that
  // makes each episode fire once: armed/clear_run as stepAlert keeps them, the last session read, the
  // last session fired on (the claim a second process cannot take twice) and the session an intraday
  // reading already posted about (so the close does not post it again).
  `CREATE TABLE alerts (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     scope TEXT NOT NULL,
     guild_id TEXT,
     channel_id TEXT,
     user_id TEXT,
     condition TEXT NOT NULL,
     threshold REAL,
     universe TEXT NOT NULL,
     created_by TEXT NOT NULL,
     created_at TEXT NOT NULL,
     armed INTEGER,
     clear_run INTEGER NOT NULL DEFAULT 0,
     evaluated_through TEXT,
     last_fired TEXT,
     intraday_fired TEXT,
     last_outcome TEXT,
     disabled_reason TEXT
   );
   CREATE INDEX alerts_by_guild ON alerts (guild_id);
   CREATE INDEX alerts_by_user ON alerts (user_id);`,
];

export const USER_SCHEMA_VERSION = MIGRATIONS.length;

/** The schedule columns an older version kept in the bar store, carried over when this database is new. */
const LEGACY_SCHEDULE_COLUMNS = [
  'id',
  'guild_id',
  'channel_id',
  'report',
  'time',
  'days',
  'time_zone',
  'created_by',
  'created_at',
  'last_slot',
  'last_outcome',
  'disabled_reason',
] as const;

export interface OpenedUserDatabase {
  readonly db: DatabaseSync;
  /** Schedules carried over from the bar store of an older version on this open (0 usually). */
  readonly importedSchedules: number;
}

/** A store of one kind of user data (schedules, watchlists, alerts) on the open user database. */
export abstract class UserDatabaseTable {
  protected readonly db: DatabaseSync;
  readonly #file: string;

  constructor(db: DatabaseSync, file: string) {
    this.db = db;
    this.#file = file;
  }

  /** Runs work on the database; a failure becomes one line naming the file (locked, corrupt, …). */
  protected run<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw userDatabaseError(this.#file, error);
    }
  }
}

export function userDatabaseError(file: string, error: unknown): TapewatchError {
  if (error instanceof TapewatchError) return error;
  const detail = describeError(error);
  if (/locked|busy/i.test(detail)) {
    return new TapewatchError(
      'store',
      `The user database "${file}" is locked by another process; stop it or set TAPEWATCH_DB_PATH to another file.`,
      { cause: error },
    );
  }
  if (/not a database|malformed|corrupt/i.test(detail)) {
    return new TapewatchError(
      'store',
      `The user database "${file}" is corrupt (${detail}); it holds schedules, so tapewatch leaves it untouched: restore a backup (tapewatch schedules import) or move it away to start empty.`,
      { cause: error },
    );
  }
  return new TapewatchError('store', `The user database "${file}" cannot be used (${detail}).`, {
    cause: error,
  });
}

function versionOf(db: DatabaseSync): number {
  return (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
}

function tablesOf(db: DatabaseSync): string[] {
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
      name: string;
    }[]
  ).map((row) => row.name);
}

/**
 * Opens the user database at `file`, made or brought forward to the current schema. When it is new and
 * the bar store of an older version (`legacyStore`) holds schedules, they move here, keeping their ids.
 */
export function openUserDatabase(file: string, legacyStore: string | null): OpenedUserDatabase {
  let db: DatabaseSync | null = null;
  try {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    db = new DatabaseSync(file, { timeout: 2_000 });
    const check = db.prepare('PRAGMA quick_check').get() as { quick_check?: string } | undefined;
    if (check?.quick_check !== 'ok') {
      throw new Error(`corrupt: integrity check says ${check?.quick_check ?? 'nothing'}`);
    }
    const version = versionOf(db);
    if (version === 0 && tablesOf(db).length > 0) {
      throw new TapewatchError(
        'store',
        `The user database "${file}" was not made by tapewatch (it holds tables but no tapewatch schema version); set TAPEWATCH_DB_PATH to a file of its own.`,
      );
    }
    if (version > USER_SCHEMA_VERSION) {
      throw new TapewatchError(
        'store',
        `The user database "${file}" was written by a newer tapewatch (schema ${version}; this one knows up to ${USER_SCHEMA_VERSION}); run the newer version or restore a backup.`,
      );
    }
    // WAL with NORMAL sync: a commit (a cooldown, a budget count) costs no fsync on the event loop; a
    // crash of the process loses nothing, a power cut at most the last moments.
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    if (version === USER_SCHEMA_VERSION) return { db, importedSchedules: 0 };
    const legacy = version === 0 && legacyStore !== null && existsSync(legacyStore) ? legacyStore : null;
    const importedSchedules = migrate(db, version, legacy);
    return { db, importedSchedules };
  } catch (error) {
    db?.close();
    throw userDatabaseError(file, error);
  }
}

/**
 * Runs the migrations after `from` and, for a new database, carries over an older version's schedules,
 * all in one transaction: a failure leaves the file as it was, and the next start tries again.
 */
function migrate(db: DatabaseSync, from: number, legacyStore: string | null): number {
  if (legacyStore !== null) attachLegacy(db, legacyStore);
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      for (let next = from; next < USER_SCHEMA_VERSION; next++) db.exec(MIGRATIONS[next] ?? '');
      db.exec(`PRAGMA user_version = ${USER_SCHEMA_VERSION}`);
      const imported = legacyStore === null ? 0 : moveLegacySchedules(db, legacyStore);
      db.exec('COMMIT');
      return imported;
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  } finally {
    if (legacyStore !== null) db.exec('DETACH DATABASE legacy');
  }
}

function attachLegacy(db: DatabaseSync, legacyStore: string): void {
  try {
    db.exec(`ATTACH DATABASE '${legacyStore.replaceAll("'", "''")}' AS legacy`);
  } catch (error) {
    throw legacyError(legacyStore, error);
  }
}

function legacyError(legacyStore: string, error: unknown): TapewatchError {
  return new TapewatchError(
    'store',
    `The schedules an older tapewatch kept in "${legacyStore}" could not be carried over (${describeError(error)}); that file is left as it is.`,
    { cause: error },
  );
}

/**
 * Schedules an older version kept in the bar store: copied with their ids, then dropped from the store,
 * so moving the user database away later starts it empty instead of bringing them back.
 */
function moveLegacySchedules(db: DatabaseSync, legacyStore: string): number {
  try {
    const hasSchedules =
      db.prepare("SELECT 1 FROM legacy.sqlite_master WHERE type = 'table' AND name = 'schedules'").get() !==
      undefined;
    if (!hasSchedules) return 0;
    const legacyColumns = new Set(
      (db.prepare('PRAGMA legacy.table_info(schedules)').all() as { name: string }[]).map((c) => c.name),
    );
    const added = ['claimed_at', 'attempts', 'retry_pending'].filter((c) => legacyColumns.has(c));
    const columns = [...LEGACY_SCHEDULE_COLUMNS, ...added].join(', ');
    const copied = db
      .prepare(`INSERT INTO main.schedules (${columns}) SELECT ${columns} FROM legacy.schedules`)
      .run().changes;
    db.exec('DROP TABLE legacy.schedules');
    return Number(copied);
  } catch (error) {
    throw legacyError(legacyStore, error);
  }
}
