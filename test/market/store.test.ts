import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UnknownSymbolError } from '../../src/errors.ts';
import { BarStore, StoredMarketData } from '../../src/market/store.ts';
import { barsFromRows } from '../../src/market/types.ts';
import { openDatabase } from '../../src/store/database.ts';
import { FakeClock } from '../helpers/clock.ts';
import { RecordingSource } from '../fakes/recording-source.ts';

function tempStore(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'tapewatch-store-')), 'bars.sqlite');
}

function open(
  file: string,
  source: RecordingSource,
  clock: FakeClock,
): { data: StoredMarketData; close: () => void } {
  const db = openDatabase(file);
  return {
    data: new StoredMarketData(source, new BarStore(db, file), clock.now),
    close: () => {
      db.close();
    },
  };
}

describe('persistent bar store', () => {
  it('after a restart fetches only the days it does not have', async () => {
    const file = tempStore();
    const clock = new FakeClock('2026-01-10T12:00:00Z'); // Saturday: 2026-01-09 is the last closed session
    const first = new RecordingSource();
    const run1 = open(file, first, clock);
    const before = await run1.data.getDailyBars('AAA', { from: '2026-01-02', to: '2026-01-09' });
    run1.close();
    assert.equal(before.dates.length, 6);

    clock.set('2026-01-17T12:00:00Z');
    const second = new RecordingSource();
    const run2 = open(file, second, clock);
    const after = await run2.data.getDailyBars('AAA', { from: '2026-01-02', to: '2026-01-16' });
    run2.close();
    assert.deepEqual(
      second.barRequests,
      [{ symbol: 'AAA', range: { from: '2026-01-09', to: '2026-01-16' } }],
      'only the gap, from the last stored bar',
    );
    assert.equal(after.dates.length, 11);
    assert.equal(after.close[10], 100 + 11, 'the close of the 11th session of 2026');
  });

  it('fetches the front gap when an earlier start is asked for', async () => {
    const file = tempStore();
    const clock = new FakeClock('2026-01-17T12:00:00Z');
    const source = new RecordingSource();
    const run = open(file, source, clock);
    await run.data.getDailyBars('AAA', { from: '2026-01-12', to: '2026-01-16' });
    await run.data.getDailyBars('AAA', { from: '2026-01-05', to: '2026-01-16' });
    await run.data.getDailyBars('AAA', { from: '2026-01-05', to: '2026-01-16' });
    run.close();
    assert.deepEqual(
      source.barRequests.map((r) => r.range),
      [
        { from: '2026-01-12', to: '2026-01-16' },
        { from: '2026-01-05', to: '2026-01-11' },
      ],
    );
  });

  it('serves but never stores the bar of a session still under way', async () => {
    const file = tempStore();
    const clock = new FakeClock('2026-01-16T16:00:00Z'); // Friday 11:00 New York, market open
    const source = new RecordingSource();
    const run = open(file, source, clock);
    const bars = await run.data.getDailyBars('AAA', { from: '2026-01-12', to: '2026-01-16' });
    assert.equal(bars.dates[bars.dates.length - 1], '2026-01-16');
    await run.data.getDailyBars('AAA', { from: '2026-01-12', to: '2026-01-16' });
    run.close();
    assert.deepEqual(
      source.barRequests[1]?.range,
      { from: '2026-01-15', to: '2026-01-16' },
      'the open session is fetched again',
    );
  });

  it('asks nothing again on a weekend or before the open once the last session is stored', async () => {
    const file = tempStore();
    const clock = new FakeClock('2026-01-17T12:00:00Z'); // Saturday
    const source = new RecordingSource();
    const run = open(file, source, clock);
    await run.data.getDailyBars('AAA', { from: '2026-01-05', to: '2026-01-17' });
    assert.equal(source.barRequests.length, 1);
    await run.data.getDailyBars('AAA', { from: '2026-01-05', to: '2026-01-17' });
    clock.set('2026-01-18T12:00:00Z'); // Sunday
    await run.data.getDailyBars('AAA', { from: '2026-01-05', to: '2026-01-18' });
    clock.set('2026-01-20T13:00:00Z'); // Tuesday 08:00 New York, after the Monday holiday, before the open
    const bars = await run.data.getDailyBars('AAA', { from: '2026-01-05', to: '2026-01-20' });
    assert.equal(source.barRequests.length, 1, 'no session was missing, and none was under way');
    assert.equal(bars.dates.at(-1), '2026-01-16');
    clock.set('2026-01-20T22:00:00Z'); // Tuesday after the close: one request for the new session
    const after = await run.data.getDailyBars('AAA', { from: '2026-01-05', to: '2026-01-20' });
    run.close();
    assert.equal(source.barRequests.length, 2);
    assert.equal(after.dates.at(-1), '2026-01-20');
  });

  it('refetches the whole history when adjusted closes were rebased by a dividend', async () => {
    const file = tempStore();
    const clock = new FakeClock('2026-01-10T12:00:00Z');
    const source = new RecordingSource();
    const run = open(file, source, clock);
    await run.data.getDailyBars('AAA', { from: '2026-01-02', to: '2026-01-09' });
    source.adjustmentFactor = 0.98;
    clock.set('2026-01-17T12:00:00Z');
    const bars = await run.data.getDailyBars('AAA', { from: '2026-01-02', to: '2026-01-16' });
    run.close();
    assert.deepEqual(
      source.barRequests.map((r) => r.range),
      [
        { from: '2026-01-02', to: '2026-01-09' },
        { from: '2026-01-09', to: '2026-01-16' },
        { from: '2026-01-02', to: '2026-01-16' },
      ],
    );
    assert.ok(Math.abs((bars.adjClose[0] ?? 0) - 101 * 0.98) < 1e-9, 'old days carry the new adjustment');
  });

  it('repairs a day stored without its adjusted close once a later answer has it', async () => {
    const file = tempStore();
    const clock = new FakeClock('2026-01-10T12:00:00Z');
    const source = new RecordingSource();
    source.withoutAdjClose.add('2026-01-07');
    const run = open(file, source, clock);
    const before = await run.data.getDailyBars('AAA', { from: '2026-01-02', to: '2026-01-09' });
    assert.ok(Number.isNaN(before.adjClose[3]), 'not made up from the raw close');
    source.withoutAdjClose.clear();
    clock.set('2026-01-13T22:00:00Z');
    const after = await run.data.getDailyBars('AAA', { from: '2026-01-02', to: '2026-01-13' });
    run.close();
    assert.deepEqual(source.barRequests[1]?.range, { from: '2026-01-07', to: '2026-01-13' });
    assert.equal(after.adjClose[3], 100 + 4, 'the stored day is repaired');
    assert.equal(after.dates.length, 8);
  });

  it('keeps what the source did not send as not sent, across a restart', () => {
    const file = tempStore();
    let db = openDatabase(file);
    const bar = { date: '2015-08-26', open: Number.NaN, high: Number.NaN, low: Number.NaN, close: 38.73 };
    new BarStore(db, file).save(
      barsFromRows('KO', [{ ...bar, adjClose: Number.NaN, volume: Number.NaN }]),
      { from: '2015-08-26', to: '2015-08-26' },
      new Date('2026-01-01T00:00:00Z'),
    );
    db.close();
    db = openDatabase(file);
    const read = new BarStore(db, file).history('KO');
    db.close();
    assert.deepEqual(read?.coverage, { from: '2015-08-26', to: '2015-08-26' });
    assert.deepEqual(read.bars.dates, ['2015-08-26']);
    assert.equal(read.bars.close[0], 38.73);
    for (const field of ['open', 'high', 'low', 'adjClose', 'volume'] as const) {
      assert.ok(Number.isNaN(read.bars[field][0]), `${field} is ${read.bars[field][0]}, not NaN`);
    }
  });

  it('drops a stored history that does not decode and fetches it again', async () => {
    const file = tempStore();
    const clock = new FakeClock('2026-01-10T12:00:00Z');
    const source = new RecordingSource();
    const run = open(file, source, clock);
    await run.data.getDailyBars('AAA', { from: '2026-01-05', to: '2026-01-09' });
    run.close();
    const db = openDatabase(file);
    db.prepare("UPDATE histories SET columns = x'0102' WHERE symbol = 'AAA'").run();
    db.close();
    const again = open(file, source, clock);
    const bars = await again.data.getDailyBars('AAA', { from: '2026-01-05', to: '2026-01-09' });
    again.close();
    assert.equal(source.barRequests.length, 2, 'asked again');
    assert.equal(bars.close[4], 100 + 6);
  });

  it('remembers for a day, across a restart, that the source does not know a symbol; then asks again', async () => {
    const file = tempStore();
    const clock = new FakeClock('2026-01-17T12:00:00Z');
    const source = new RecordingSource();
    const range = { from: '2026-01-05', to: '2026-01-09' };
    let run = open(file, source, clock);
    await assert.rejects(run.data.getDailyBars('ZZZ', range), /Unknown symbol "ZZZ": no data found/);
    run.close();

    run = open(file, source, clock);
    source.known.add('ZZZ');
    clock.advanceSeconds(23 * 3600);
    await assert.rejects(
      run.data.getDailyBars('zzz', range),
      (error: unknown) =>
        error instanceof UnknownSymbolError &&
        error.symbol === 'ZZZ' &&
        error.message === 'Unknown symbol "ZZZ": no data found; it may be misspelt or delisted.',
    );
    assert.equal(source.barRequests.filter((r) => r.symbol === 'ZZZ').length, 1, 'not asked again');

    clock.advanceSeconds(2 * 3600);
    const bars = await run.data.getDailyBars('ZZZ', range);
    run.close();
    assert.equal(bars.dates.length, 5, 'a day later the source is asked, and now knows it');
    assert.equal(source.barRequests.filter((r) => r.symbol === 'ZZZ').length, 2);
  });

  it('starts afresh from a corrupt store file and stores again, saying so once', () => {
    const file = tempStore();
    writeFileSync(file, 'this is not a database '.repeat(200));
    const notes: string[] = [];
    const db = openDatabase(file, (note) => notes.push(note));
    const store = new BarStore(db, file);
    assert.equal(store.history('KO'), null, 'nothing survives from the broken file');
    store.save(
      barsFromRows('KO', [
        { date: '2015-08-26', open: 38.5, high: 38.9, low: 38.1, close: 38.73, adjClose: 32.08, volume: 1 },
      ]),
      { from: '2015-08-26', to: '2015-08-26' },
      new Date('2026-01-01T00:00:00Z'),
    );
    assert.equal(store.history('KO')?.bars.adjClose[0], 32.08);
    db.close();
    assert.equal(notes.length, 1);
    assert.ok(notes[0]?.includes(file));
  });
});
