import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { BarStore } from '../../src/market/store.ts';
import { barsFromRows } from '../../src/market/types.ts';
import { openDatabase } from '../../src/store/database.ts';

/** A store as version 1 made it: bars whose columns could not hold "not sent", and one schedule. */
function versionOneStore(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tapewatch-db-')), 'store.sqlite');
  const db = new DatabaseSync(file);
  db.exec(`
    CREATE TABLE bars (symbol TEXT NOT NULL, date TEXT NOT NULL, open REAL NOT NULL, high REAL NOT NULL,
      low REAL NOT NULL, close REAL NOT NULL, adj_close REAL NOT NULL, volume REAL NOT NULL,
      PRIMARY KEY (symbol, date)) WITHOUT ROWID;
    CREATE TABLE coverage (symbol TEXT PRIMARY KEY, first_date TEXT NOT NULL, last_date TEXT NOT NULL,
      fetched_at TEXT NOT NULL);
    CREATE TABLE schedules (id INTEGER PRIMARY KEY AUTOINCREMENT, guild_id TEXT NOT NULL,
      channel_id TEXT NOT NULL, report TEXT NOT NULL, time TEXT NOT NULL, days TEXT NOT NULL,
      time_zone TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL, last_slot TEXT,
      last_outcome TEXT, disabled_reason TEXT);
    INSERT INTO bars VALUES ('KO', '2015-08-26', 38.5, 38.9, 38.1, 38.73, 38.73, 1000);
    INSERT INTO coverage VALUES ('KO', '2015-08-26', '2015-08-26', '2026-01-01T00:00:00Z');
    INSERT INTO schedules (guild_id, channel_id, report, time, days, time_zone, created_by, created_at)
      VALUES ('1', '2', 'breadth', '16:15', 'weekdays', 'America/New_York', '3', '2026-01-01');
  `);
  db.close();
  return file;
}

const count = (db: DatabaseSync, table: string) =>
  (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
const hasTable = (db: DatabaseSync, table: string) =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;

describe('the store file', () => {
  it('makes a new store with 64 KB pages for its large blobs, and opens an old one with its own', () => {
    const pageSize = (db: DatabaseSync) =>
      (db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size;
    const fresh = openDatabase(path.join(mkdtempSync(path.join(tmpdir(), 'tapewatch-db-')), 'new.sqlite'));
    assert.equal(pageSize(fresh), 65536);
    fresh.close();
    const old = openDatabase(versionOneStore());
    assert.equal(pageSize(old), 4096, 'an existing file keeps its pages (and its schedules)');
    assert.equal(count(old, 'schedules'), 1);
    old.close();
  });

  it('drops the bars an older version stored (a row a day, raw closes for missing adjusted ones), keeps schedules, once', () => {
    const file = versionOneStore();
    let db = openDatabase(file);
    assert.ok(!hasTable(db, 'bars'), 'the old bars are fetched again on first use');
    assert.ok(!hasTable(db, 'coverage'), 'and nothing claims they are still there');
    assert.equal(count(db, 'histories'), 0);
    assert.equal(count(db, 'schedules'), 1, 'schedules are not a cache');
    new BarStore(db, file).save(
      barsFromRows('KO', [
        { date: '2015-08-26', open: 38.5, high: 38.9, low: 38.1, close: 38.73, adjClose: 32.08, volume: 1 },
      ]),
      { from: '2015-08-26', to: '2015-08-26' },
      new Date('2026-01-01T00:00:00Z'),
    );
    db.close();

    db = openDatabase(file);
    assert.equal(count(db, 'histories'), 1, 'histories stored by this version are kept on the next open');
    assert.equal(new BarStore(db, file).history('KO')?.bars.adjClose[0], 32.08);
    db.close();
  });
});

describe('the bar store, a cache', () => {
  it('moves a corrupt store aside with a note and starts a new one', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tapewatch-db-')), 'bars.sqlite');
    writeFileSync(file, 'not a database at all; long enough to look like a header '.repeat(30));
    const notes: string[] = [];
    const db = openDatabase(file, (note) => notes.push(note));
    assert.ok(hasTable(db, 'histories') && hasTable(db, 'unknown_symbols'));
    db.close();
    assert.equal(notes.length, 1);
    assert.match(
      notes[0] ?? '',
      /^The bar store ".*bars\.sqlite" was corrupt \(.*\); it is now ".*bars\.sqlite\.corrupt"/,
    );
    assert.match(readFileSync(`${file}.corrupt`, 'utf8'), /^not a database at all/);
  });
});
