import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { ScheduleStore } from '../../src/schedules.ts';
import { openUserDatabase, USER_SCHEMA_VERSION } from '../../src/store/user-database.ts';

const folder = () => mkdtempSync(path.join(tmpdir(), 'tapewatch-userdb-'));
const versionOf = (db: DatabaseSync) =>
  (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
const tableNames = (db: DatabaseSync) =>
  (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  )
    .map((row) => row.name)
    .filter((name) => !name.startsWith('sqlite_'));

/** The user database as schema 1 left it, written by hand (not by the code under test): one schedule. */
function schemaOneFile(file: string): void {
  const db = new DatabaseSync(file);
  db.exec(`
    CREATE TABLE schedules (id INTEGER PRIMARY KEY AUTOINCREMENT, guild_id TEXT NOT NULL,
      channel_id TEXT NOT NULL, report TEXT NOT NULL, time TEXT NOT NULL, days TEXT NOT NULL,
      time_zone TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL, last_slot TEXT,
      last_outcome TEXT, disabled_reason TEXT);
    CREATE INDEX schedules_by_guild ON schedules (guild_id);
    INSERT INTO schedules (id, guild_id, channel_id, report, time, days, time_zone, created_by, created_at,
      last_slot, last_outcome)
      VALUES (7, '1', '2', 'breadth', '16:15', 'weekdays', 'America/New_York', '3', '2026-01-01T00:00:00.000Z',
      '2026-03-02', 'posted');
    PRAGMA user_version = 1;
  `);
  db.close();
}

/** A bar store as the versions before the user database made it: bars and two schedules in one file. */
function legacyBarStore(file: string): void {
  const db = new DatabaseSync(file);
  db.exec(`
    CREATE TABLE histories (symbol TEXT PRIMARY KEY, first_date TEXT NOT NULL, last_date TEXT NOT NULL,
      fetched_at TEXT NOT NULL, days BLOB NOT NULL, columns BLOB NOT NULL);
    CREATE TABLE unknown_symbols (symbol TEXT PRIMARY KEY, reason TEXT NOT NULL, checked_at TEXT NOT NULL);
    CREATE TABLE schedules (id INTEGER PRIMARY KEY AUTOINCREMENT, guild_id TEXT NOT NULL,
      channel_id TEXT NOT NULL, report TEXT NOT NULL, time TEXT NOT NULL, days TEXT NOT NULL,
      time_zone TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL, last_slot TEXT,
      last_outcome TEXT, disabled_reason TEXT, claimed_at TEXT, attempts INTEGER NOT NULL DEFAULT 0,
      retry_pending INTEGER NOT NULL DEFAULT 0);
    INSERT INTO schedules (id, guild_id, channel_id, report, time, days, time_zone, created_by, created_at,
      attempts)
      VALUES (3, '10', '20', 'market', '09:00', 'mon,wed', 'Europe/London', '30', '2026-02-01T00:00:00.000Z', 1),
             (5, '11', '21', 'momentum', '16:30', 'weekdays', 'America/New_York', '31',
              '2026-02-02T00:00:00.000Z', 0);
    PRAGMA user_version = 3;
  `);
  db.close();
}

describe('the user database', () => {
  it('is made at the current schema with its tables', () => {
    const file = path.join(folder(), 'tapewatch.sqlite');
    const { db, importedSchedules } = openUserDatabase(file, null);
    assert.equal(versionOf(db), 5);
    assert.equal(USER_SCHEMA_VERSION, 5);
    assert.deepEqual(tableNames(db), ['alerts', 'cooldowns', 'llm_usage', 'schedules', 'watchlists']);
    assert.equal(importedSchedules, 0);
    db.close();
  });

  it('moves a schema-1 file forward through every migration, keeping its schedule and giving the new columns their defaults', () => {
    const file = path.join(folder(), 'tapewatch.sqlite');
    schemaOneFile(file);
    const { db } = openUserDatabase(file, null);
    assert.equal(versionOf(db), 5);
    const [schedule] = new ScheduleStore(db, file).list('1');
    assert.equal(schedule?.id, 7);
    assert.equal(schedule.report, 'breadth');
    assert.equal(schedule.lastSlot, '2026-03-02');
    assert.equal(schedule.attempts, 0);
    assert.equal(schedule.retryPending, false);
    assert.ok(['llm_usage', 'watchlists', 'alerts'].every((table) => tableNames(db).includes(table)));
    db.close();
    // Opening again runs nothing twice (a second ALTER TABLE ADD COLUMN would fail).
    const again = openUserDatabase(file, null);
    assert.equal(new ScheduleStore(again.db, file).list('1').length, 1);
    again.db.close();
  });

  it("carries an older version's schedules over from the bar store once, with their ids, and takes them out of it", () => {
    const dir = folder();
    const bars = path.join(dir, 'bars.sqlite');
    const file = path.join(dir, 'tapewatch.sqlite');
    legacyBarStore(bars);
    const opened = openUserDatabase(file, bars);
    assert.equal(opened.importedSchedules, 2);
    const store = new ScheduleStore(opened.db, file);
    assert.deepEqual(
      [...store.list('10'), ...store.list('11')].map((s) => [s.id, s.report, s.timeZone, s.attempts]),
      [
        [3, 'market', 'Europe/London', 1],
        [5, 'momentum', 'America/New_York', 0],
      ],
    );
    const next = store.add(
      {
        guildId: '12',
        channelId: '22',
        report: 'rotation',
        time: '10:00',
        days: 'weekdays',
        timeZone: 'UTC',
        createdBy: '32',
      },
      new Date('2026-03-01T00:00:00Z'),
    );
    assert.equal(next.id, 6, 'new ids continue after the carried-over ones');
    opened.db.close();
    const cache = new DatabaseSync(bars);
    assert.deepEqual(
      tableNames(cache),
      ['histories', 'unknown_symbols'],
      'the bar store keeps only its cache',
    );
    cache.close();
    // Moving the user database away starts it empty: the schedules are not brought back a second time.
    renameSync(file, `${file}.moved`);
    const fresh = openUserDatabase(file, bars);
    assert.equal(fresh.importedSchedules, 0);
    assert.deepEqual(new ScheduleStore(fresh.db, file).enabled(), []);
    fresh.db.close();
  });

  it('leaves everything as it was when the old schedules cannot be carried over, and tries again next time', () => {
    const dir = folder();
    const bars = path.join(dir, 'bars.sqlite');
    const file = path.join(dir, 'tapewatch.sqlite');
    writeFileSync(bars, 'this is not a SQLite file, but it is long enough to be read as one'.repeat(20));
    assert.throws(
      () => openUserDatabase(file, bars),
      /^TapewatchError: The schedules an older tapewatch kept in ".*bars\.sqlite" could not be carried over \(.*\); that file is left as it is\.$/,
    );
    const untouched = new DatabaseSync(file);
    assert.equal(versionOf(untouched), 0, 'no migration was committed');
    untouched.close();
    legacyBarStore(`${bars}.good`);
    renameSync(`${bars}.good`, bars);
    const opened = openUserDatabase(file, bars);
    assert.equal(opened.importedSchedules, 2);
    opened.db.close();
  });

  it('refuses a corrupt file in one line and leaves its bytes alone', () => {
    const file = path.join(folder(), 'tapewatch.sqlite');
    const { db } = openUserDatabase(file, null);
    db.close();
    const bytes = readFileSync(file);
    // Scribble over the schema page: SQLite then calls the file malformed.
    bytes.fill(0x41, 100, 4000);
    writeFileSync(file, bytes);
    assert.throws(
      () => openUserDatabase(file, null),
      /^TapewatchError: The user database ".*tapewatch\.sqlite" is corrupt \(.*\); it holds schedules, so tapewatch leaves it untouched/,
    );
    assert.deepEqual(readFileSync(file), bytes);
    assert.ok(!existsSync(`${file}.corrupt`), 'not moved aside as the cache would be');
  });

  it("refuses another program's database and one from a newer tapewatch", () => {
    const dir = folder();
    const foreign = path.join(dir, 'other.sqlite');
    const other = new DatabaseSync(foreign);
    other.exec('CREATE TABLE users (name TEXT)');
    other.close();
    assert.throws(() => openUserDatabase(foreign, null), /was not made by tapewatch/);
    const newer = path.join(dir, 'newer.sqlite');
    const future = new DatabaseSync(newer);
    future.exec('CREATE TABLE schedules (id INTEGER); PRAGMA user_version = 99;');
    future.close();
    assert.throws(
      () => openUserDatabase(newer, null),
      /was written by a newer tapewatch \(schema 99; this one knows up to 5\)/,
    );
  });
});
