import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  decideSlot,
  latestSlot,
  MAX_SCHEDULES_PER_SERVER,
  nextSlot,
  parseScheduleInput,
  ScheduleStore,
  type Schedule,
} from '../../src/bot/schedules.ts';
import { TapewatchError } from '../../src/errors.ts';
import { openDatabase } from '../../src/store/database.ts';

describe('schedules', () => {
  const base: Schedule = {
    id: 1,
    guildId: 'g',
    channelId: 'c',
    report: 'market',
    time: '16:15',
    days: 'weekdays',
    timeZone: 'America/New_York',
    createdBy: 'u',
    createdAt: new Date('2024-01-01T00:00:00Z'),
    lastSlot: null,
    lastOutcome: null,
    disabledReason: null,
  };

  it('parses times, days and time zones, and names the option that is wrong', () => {
    assert.deepEqual(parseScheduleInput({ time: '9:05' }), {
      time: '09:05',
      days: 'weekdays',
      timeZone: 'America/New_York',
    });
    assert.deepEqual(parseScheduleInput({ time: '16:15', days: 'Fri, mon', timeZone: 'Europe/London' }), {
      time: '16:15',
      days: 'mon,fri',
      timeZone: 'Europe/London',
    });
    for (const [input, message] of [
      [{ time: '24:00' }, /`time`: "24:00" is not a time/],
      [{ time: '4:15pm' }, /`time`/],
      [{ time: '16:15', days: 'sat' }, /`days`: markets are closed on sat/],
      [{ time: '16:15', days: 'mon,funday' }, /`days`: "funday" is not a day/],
      [{ time: '16:15', timeZone: 'Mars/Olympus' }, /`timezone`: "Mars\/Olympus" is not a time zone/],
      [{ time: '16:15', timeZone: 'UTC' }, /`timezone`/],
    ] as const) {
      assert.throws(
        () => parseScheduleInput(input),
        (e: unknown) => e instanceof TapewatchError && e.code === 'bad_input' && message.test(e.message),
      );
    }
  });

  it('finds slots in New York time across daylight saving, skipping weekends and NYSE holidays', () => {
    // Winter: 16:15 EST is 21:15 UTC.
    assert.equal(
      latestSlot(base, new Date('2024-01-05T21:20:00Z'))?.at.toISOString(),
      '2024-01-05T21:15:00.000Z',
    );
    // Summer: 16:15 EDT is 20:15 UTC.
    assert.equal(
      latestSlot(base, new Date('2024-07-12T20:15:00Z'))?.at.toISOString(),
      '2024-07-12T20:15:00.000Z',
    );
    // Saturday 2024-07-13: the latest slot is Friday's.
    assert.equal(latestSlot(base, new Date('2024-07-13T18:00:00Z'))?.date, '2024-07-12');
    // Independence Day, a Thursday: the latest slot is Wednesday's, the next Friday's.
    const july4 = new Date('2024-07-04T21:00:00Z');
    assert.equal(latestSlot(base, july4)?.date, '2024-07-03');
    assert.equal(nextSlot(base, july4)?.date, '2024-07-05');
    // Good Friday 2024-03-29 and Thanksgiving 2025-11-27 are closed.
    assert.equal(nextSlot(base, new Date('2024-03-28T21:00:00Z'))?.date, '2024-04-01');
    assert.equal(nextSlot(base, new Date('2025-11-26T22:00:00Z'))?.date, '2025-11-28');
    // Only Mondays and Wednesdays.
    const monWed = { ...base, days: 'mon,wed' };
    assert.equal(nextSlot(monWed, new Date('2024-07-11T12:00:00Z'))?.date, '2024-07-15');
    // London: 08:00 BST is 07:00 UTC.
    const london = { ...base, time: '08:00', timeZone: 'Europe/London' };
    assert.equal(
      nextSlot(london, new Date('2024-07-11T12:00:00Z'))?.at.toISOString(),
      '2024-07-12T07:00:00.000Z',
    );
  });

  it('posts on time, late within the hour, skips later, and never a slot from before the schedule existed', () => {
    const at = (iso: string, schedule: Schedule = base) => decideSlot(schedule, new Date(iso));
    assert.equal(at('2024-07-12T20:00:00Z').action, 'skip', "before Friday's slot, Thursday's is a day old");
    const onTime = at('2024-07-12T20:15:10Z');
    assert.equal(onTime.action, 'post');
    assert.equal(onTime.lateMs, 10_000);
    assert.equal(at('2024-07-12T21:15:00Z').action, 'post', 'exactly one hour late still posts');
    assert.equal(at('2024-07-12T21:16:00Z').action, 'skip');
    assert.equal(at('2024-07-12T20:16:00Z', { ...base, lastSlot: '2024-07-12' }).action, 'wait');
    assert.equal(
      at('2024-07-12T20:16:00Z', { ...base, createdAt: new Date('2024-07-12T20:15:30Z') }).action,
      'wait',
      'created after the slot',
    );
    assert.equal(at('2024-07-12T20:16:00Z', { ...base, disabledReason: 'gone' }).action, 'wait');
  });

  it('stores schedules per server, claims each slot once, also after reopening the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tapewatch-schedules-'));
    const file = path.join(dir, 'store.sqlite');
    try {
      let db = openDatabase(file);
      let store = new ScheduleStore(db, file);
      const now = new Date('2024-07-11T12:00:00Z');
      const added = store.add({ ...base, guildId: 'g1' }, now);
      store.add({ ...base, guildId: 'g2', report: 'breadth' }, now);
      assert.deepEqual(
        store.list('g1').map((s) => [s.id, s.report, s.createdAt.toISOString()]),
        [[added.id, 'market', '2024-07-11T12:00:00.000Z']],
      );
      assert.equal(store.claim(added.id, '2024-07-11', 'posting'), true);
      assert.equal(store.claim(added.id, '2024-07-11', 'posting'), false, 'the same slot twice');
      db.close();

      db = openDatabase(file);
      store = new ScheduleStore(db, file);
      assert.equal(store.claim(added.id, '2024-07-11', 'posting'), false, 'the same slot after a restart');
      assert.equal(store.claim(added.id, '2024-07-12', 'posting'), true);
      assert.equal(store.remove('g2', added.id), false, 'another server cannot remove it');
      store.disable(added.id, 'disabled: the channel no longer exists');
      assert.equal(
        store.claim(added.id, '2024-07-15', 'posting'),
        false,
        'a disabled schedule claims nothing',
      );
      assert.deepEqual(
        store.enabled().map((s) => s.guildId),
        ['g2'],
      );
      assert.equal(store.list('g1')[0]?.disabledReason, 'disabled: the channel no longer exists');
      assert.equal(store.remove('g1', added.id), true);
      for (let i = 1; i < MAX_SCHEDULES_PER_SERVER; i++) store.add({ ...base, guildId: 'g2' }, now);
      assert.throws(() => store.add({ ...base, guildId: 'g2' }, now), /already has 25 schedules/);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
