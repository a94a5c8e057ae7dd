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
} from '../src/schedules.ts';
import { Scheduler } from '../src/bot/scheduler.ts';
import { TapewatchError } from '../src/errors.ts';
import { silentLogger } from '../src/log.ts';
import { openUserDatabase } from '../src/store/user-database.ts';

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
    claimedAt: null,
    attempts: 0,
    retryPending: false,
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
      let db = openUserDatabase(file, null).db;
      let store = new ScheduleStore(db, file);
      const now = new Date('2024-07-11T12:00:00Z');
      const added = store.add({ ...base, guildId: 'g1' }, now);
      store.add({ ...base, guildId: 'g2', report: 'breadth' }, now);
      assert.deepEqual(
        store.list('g1').map((s) => [s.id, s.report, s.createdAt.toISOString()]),
        [[added.id, 'market', '2024-07-11T12:00:00.000Z']],
      );
      assert.equal(store.claim(added.id, '2024-07-11', 'posting', now), true);
      assert.equal(store.claim(added.id, '2024-07-11', 'posting', now), false, 'the same slot twice');
      db.close();

      db = openUserDatabase(file, null).db;
      store = new ScheduleStore(db, file);
      assert.equal(
        store.claim(added.id, '2024-07-11', 'posting', now),
        false,
        'the same slot after a restart',
      );
      assert.equal(store.claim(added.id, '2024-07-12', 'posting', now), true);
      assert.equal(store.remove('g2', added.id), false, 'another server cannot remove it');
      store.disable(added.id, 'disabled: the channel no longer exists');
      assert.equal(
        store.claim(added.id, '2024-07-15', 'posting', now),
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

  it('retries a claimed slot whose post failed or was cut off, within the hour and three attempts', () => {
    const claimed = {
      ...base,
      lastSlot: '2024-07-12',
      attempts: 1,
      claimedAt: new Date('2024-07-12T20:15:05Z'),
    };
    const at = (iso: string, schedule: Schedule) => decideSlot(schedule, new Date(iso)).action;
    assert.equal(
      at('2024-07-12T20:16:00Z', { ...claimed, lastOutcome: 'posting 2024-07-12' }),
      'wait',
      'still posting',
    );
    assert.equal(at('2024-07-12T20:16:00Z', { ...claimed, retryPending: true }), 'retry');
    assert.equal(at('2024-07-12T20:16:00Z', { ...claimed, retryPending: true, attempts: 3 }), 'abandon');
    assert.equal(
      at('2024-07-12T21:20:00Z', { ...claimed, retryPending: true }),
      'abandon',
      'over an hour late',
    );
    assert.equal(
      at('2024-07-12T20:30:00Z', { ...claimed, lastOutcome: 'posting 2024-07-12' }),
      'retry',
      'a claim left "posting" for 15 minutes was cut off by a stopped process',
    );
    assert.equal(at('2024-07-12T20:30:00Z', { ...claimed, lastOutcome: 'posted 2024-07-12 16:15' }), 'wait');
  });

  it('waits while market history is still loading, then posts the slot', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tapewatch-scheduler-'));
    const file = path.join(dir, 'store.sqlite');
    const db = openUserDatabase(file, null).db;
    try {
      const store = new ScheduleStore(db, file);
      store.add({ ...base, guildId: 'g' }, new Date('2024-07-01T00:00:00Z'));
      let warming = true;
      let runs = 0;
      const scheduler = new Scheduler({
        store,
        runner: {
          prepare: () => ({}) as never,
          run: () => {
            runs++;
            return Promise.resolve({ message: { content: '', embeds: [], attachment: null }, reports: [] });
          },
        },
        post: () => Promise.resolve(),
        now: () => new Date('2024-07-12T20:16:00Z'),
        logger: silentLogger,
        warmingUp: () => warming,
      });
      await scheduler.tick();
      assert.equal(runs, 0, 'no attempt is spent on a "still loading" answer');
      assert.equal(store.list('g')[0]?.lastOutcome ?? null, null);
      warming = false;
      await scheduler.tick();
      assert.equal(runs, 1);
      assert.match(store.list('g')[0]?.lastOutcome ?? '', /^posted 2024-07-12 16:15$/);
    } finally {
      db.close();
    }
  });

  it('posts a slot again after a passing failure and after a crash mid-post, and lists one it gave up', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tapewatch-scheduler-'));
    const file = path.join(dir, 'store.sqlite');
    const db = openUserDatabase(file, null).db;
    try {
      const store = new ScheduleStore(db, file);
      let now = new Date('2024-07-12T20:15:00Z');
      const schedule = store.add({ ...base, guildId: 'g' }, new Date('2024-07-01T00:00:00Z'));
      const posts: string[] = [];
      let failures = 1;
      const message = { content: '', embeds: [], attachment: null };
      const scheduler = new Scheduler({
        store,
        runner: {
          prepare: () => ({}) as never,
          run: () => Promise.resolve({ message, reports: [] }),
        },
        post: (channelId) => {
          if (failures > 0) {
            failures--;
            return Promise.reject(new Error('HTTP 503 from Discord'));
          }
          posts.push(channelId);
          return Promise.resolve();
        },
        now: () => now,
        logger: silentLogger,
      });
      const outcome = () => store.list('g')[0]?.lastOutcome ?? '';
      await scheduler.tick();
      assert.match(outcome(), /^failed 2024-07-12 \(attempt 1 of 3\): HTTP 503 from Discord; trying again$/);
      await scheduler.tick();
      assert.deepEqual(posts, ['c']);
      assert.match(outcome(), /^posted 2024-07-12 16:15$/);
      await scheduler.tick();
      assert.equal(posts.length, 1, 'posted once');

      // A process that claimed Monday's slot and died before posting leaves it "posting".
      now = new Date('2024-07-15T20:15:00Z');
      assert.equal(store.claim(schedule.id, '2024-07-15', 'posting 2024-07-15', now), true);
      now = new Date('2024-07-15T20:20:00Z');
      await scheduler.tick();
      assert.equal(posts.length, 1, 'not yet: the claim may still be posting');
      now = new Date('2024-07-15T20:30:00Z');
      await scheduler.tick();
      assert.equal(posts.length, 2, 'the cut-off post is made');
      assert.match(outcome(), /^posted 2024-07-15 16:15 \(15 min late\)$/);

      // Three failures in a row: given up, and /schedule list says so.
      now = new Date('2024-07-16T20:15:00Z');
      failures = 3;
      for (let pass = 0; pass < 4; pass++) await scheduler.tick();
      assert.equal(posts.length, 2);
      assert.match(outcome(), /^not posted 2024-07-16: failed 2024-07-16 \(attempt 3 of 3\)/);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
