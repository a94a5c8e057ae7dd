import { z } from 'zod';
import { TapewatchError } from './errors.ts';
import {
  addDays,
  dayOfWeek,
  EXCHANGE_TIME_ZONE,
  isTimeZone,
  isTradingDay,
  zonedClock,
  zonedInstant,
} from './market/calendar.ts';
import type { IsoDate } from './market/types.ts';
import { UserDatabaseTable } from './store/user-database.ts';
import { REQUEST_NAMES, type RequestName } from '../commands/index.ts';

/**
 * Scheduled channel posts. Every report is a market report, so a slot only exists on a NYSE trading
 * day (by the date in the schedule's own time zone); weekends and exchange holidays never post.
 */
export const DEFAULT_SCHEDULE_TIME_ZONE = EXCHANGE_TIME_ZONE;
/** A slot missed by up to this long (the bot was down) is posted late with a note; later, it is skipped. */
export const LATE_LIMIT_MS = 60 * 60_000;
/** Ticks run every 30 seconds, so a post up to this late is on time and carries no note. */
export const ON_TIME_MS = 2 * 60_000;
export const MAX_SCHEDULES_PER_SERVER = 25;

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;

export interface Schedule {
  readonly id: number;
  readonly guildId: string;
  readonly channelId: string;
  readonly report: RequestName;
  /** HH:MM wall-clock time in timeZone. */
  readonly time: string;
  /** 'weekdays' or a comma list such as 'mon,wed,fri'. */
  readonly days: string;
  readonly timeZone: string;
  readonly createdBy: string;
  readonly createdAt: Date;
  /** The date of the latest slot claimed (posted or deliberately skipped), in timeZone. */
  readonly lastSlot: IsoDate | null;
  readonly lastOutcome: string | null;
  /** When lastSlot was claimed (its latest attempt), and how many attempts it has had. */
  readonly claimedAt: Date | null;
  readonly attempts: number;
  /** The latest attempt failed for a reason that may pass (a timeout, a 5xx): try it again. */
  readonly retryPending: boolean;
  /** Set when the bot could no longer post in the channel; the schedule then stays off. */
  readonly disabledReason: string | null;
}

/** Attempts at one slot's post before it is given up and listed as not posted. */
export const MAX_POST_ATTEMPTS = 3;
/**
 * A claim still "posting" after this long was left by a process that stopped mid-post (a crash, a
 * kill): the slot is tried again rather than lost.
 */
export const STALE_CLAIM_MS = 10 * 60_000;

export type NewSchedule = Pick<
  Schedule,
  'guildId' | 'channelId' | 'report' | 'time' | 'days' | 'timeZone' | 'createdBy'
>;

const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/** Checks what a user typed for a schedule; each problem is one line naming the option. */
export function parseScheduleInput(input: {
  readonly time: string;
  readonly days?: string | null;
  readonly timeZone?: string | null;
}): { time: string; days: string; timeZone: string } {
  const time = TIME.exec(input.time.trim());
  if (!time) {
    throw new TapewatchError(
      'bad_input',
      `Option \`time\`: "${input.time.slice(0, 20)}" is not a time in the form HH:MM (24-hour), such as 16:15.`,
    );
  }
  const days = (input.days ?? 'weekdays').trim().toLowerCase().replace(/\s+/g, '');
  if (days !== 'weekdays') {
    const list = days.split(',');
    const weekend = list.find((d) => d === 'sat' || d === 'sun');
    if (weekend) {
      throw new TapewatchError(
        'bad_input',
        `Option \`days\`: markets are closed on ${weekend}; use weekdays or mon..fri.`,
      );
    }
    const unknown = list.find((d) => !(WEEKDAYS as readonly string[]).includes(d));
    if (unknown !== undefined || list.length === 0) {
      throw new TapewatchError(
        'bad_input',
        `Option \`days\`: "${(unknown ?? days).slice(0, 20)}" is not a day; use weekdays or a list such as mon,wed,fri.`,
      );
    }
  }
  const timeZone = (input.timeZone ?? DEFAULT_SCHEDULE_TIME_ZONE).trim();
  if (!isTimeZone(timeZone) || !timeZone.includes('/')) {
    throw new TapewatchError(
      'bad_input',
      `Option \`timezone\`: "${timeZone.slice(0, 40)}" is not a time zone; use a name such as America/New_York or Europe/London.`,
    );
  }
  return {
    time: `${time[1]?.padStart(2, '0') ?? '00'}:${time[2] ?? '00'}`,
    days: days === 'weekdays' ? days : WEEKDAYS.filter((d) => days.split(',').includes(d)).join(','),
    timeZone,
  };
}

function runsOn(schedule: Pick<Schedule, 'days'>, date: IsoDate): boolean {
  if (!isTradingDay(date)) return false;
  if (schedule.days === 'weekdays') return true;
  const weekday = WEEKDAYS[dayOfWeek(date) - 1];
  return weekday !== undefined && schedule.days.split(',').includes(weekday);
}

export interface Slot {
  /** The date in the schedule's time zone. */
  readonly date: IsoDate;
  readonly at: Date;
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

/** The latest slot at or before now, looking back at most two weeks. */
export function latestSlot(schedule: Pick<Schedule, 'days' | 'time' | 'timeZone'>, now: Date): Slot | null {
  const minutes = minutesOf(schedule.time);
  const today = zonedClock(now, schedule.timeZone).date;
  for (let back = 0; back < 14; back++) {
    const date = addDays(today, -back);
    if (!runsOn(schedule, date)) continue;
    const at = zonedInstant(date, minutes, schedule.timeZone);
    if (at.getTime() <= now.getTime()) return { date, at };
  }
  return null;
}

/** The next slot after now, for /schedule list. */
export function nextSlot(schedule: Pick<Schedule, 'days' | 'time' | 'timeZone'>, now: Date): Slot | null {
  const minutes = minutesOf(schedule.time);
  const today = zonedClock(now, schedule.timeZone).date;
  for (let ahead = 0; ahead < 14; ahead++) {
    const date = addDays(today, ahead);
    if (!runsOn(schedule, date)) continue;
    const at = zonedInstant(date, minutes, schedule.timeZone);
    if (at.getTime() > now.getTime()) return { date, at };
  }
  return null;
}

export type SlotDecision =
  | { readonly action: 'wait' }
  | { readonly action: 'post'; readonly slot: Slot; readonly lateMs: number }
  | { readonly action: 'skip'; readonly slot: Slot; readonly lateMs: number }
  /** The slot was claimed but its post failed or was cut off: try again. */
  | { readonly action: 'retry'; readonly slot: Slot; readonly lateMs: number }
  /** The slot's post failed and can no longer be tried (too late, or out of attempts): list it. */
  | { readonly action: 'abandon'; readonly slot: Slot; readonly lateMs: number };

/** A claim whose post did not finish: it failed for a passing reason, or its process stopped mid-post. */
function unfinished(schedule: Schedule, now: Date): boolean {
  if (schedule.retryPending) return true;
  return (
    (schedule.lastOutcome ?? '').startsWith('posting') &&
    schedule.claimedAt !== null &&
    now.getTime() - schedule.claimedAt.getTime() > STALE_CLAIM_MS
  );
}

/**
 * Latest slots already worked out in one pass, by minute, time zone, time and days: schedules that share
 * them (most do) cost one time-zone computation between them, not one each.
 */
export type SlotMemo = Map<string, Slot | null>;

/**
 * What to do about a schedule now. A slot before the schedule existed, or one already claimed, waits;
 * one more than an hour late (the bot was down) is skipped so that stale news is never posted.
 */
export function decideSlot(
  schedule: Schedule,
  now: Date,
  slots: SlotMemo = new Map<string, Slot | null>(),
): SlotDecision {
  if (schedule.disabledReason !== null) return { action: 'wait' };
  // Slots fall on whole minutes, so within one minute the latest slot is the same.
  const key = `${Math.floor(now.getTime() / 60_000)}|${schedule.timeZone}|${schedule.time}|${schedule.days}`;
  let slot = slots.get(key);
  if (slot === undefined) {
    slot = latestSlot(schedule, now);
    slots.set(key, slot);
  }
  if (!slot || slot.at.getTime() < schedule.createdAt.getTime()) return { action: 'wait' };
  const lateMs = now.getTime() - slot.at.getTime();
  if (schedule.lastSlot !== null && slot.date <= schedule.lastSlot) {
    if (slot.date !== schedule.lastSlot || !unfinished(schedule, now)) return { action: 'wait' };
    return lateMs > LATE_LIMIT_MS || schedule.attempts >= MAX_POST_ATTEMPTS
      ? { action: 'abandon', slot, lateMs }
      : { action: 'retry', slot, lateMs };
  }
  return lateMs > LATE_LIMIT_MS ? { action: 'skip', slot, lateMs } : { action: 'post', slot, lateMs };
}

const rowSchema = z.object({
  id: z.number().int(),
  guild_id: z.string(),
  channel_id: z.string(),
  report: z.enum(REQUEST_NAMES),
  time: z.string(),
  days: z.string(),
  time_zone: z.string(),
  created_by: z.string(),
  created_at: z.string(),
  last_slot: z.string().nullable(),
  last_outcome: z.string().nullable(),
  disabled_reason: z.string().nullable(),
  claimed_at: z.string().nullable(),
  attempts: z.number().int(),
  retry_pending: z.number().int(),
});

function toSchedule(row: unknown): Schedule {
  const r = rowSchema.parse(row);
  return {
    id: r.id,
    guildId: r.guild_id,
    channelId: r.channel_id,
    report: r.report,
    time: r.time,
    days: r.days,
    timeZone: r.time_zone,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at),
    lastSlot: r.last_slot,
    lastOutcome: r.last_outcome,
    claimedAt: r.claimed_at === null ? null : new Date(r.claimed_at),
    attempts: r.attempts,
    retryPending: r.retry_pending === 1,
    disabledReason: r.disabled_reason,
  };
}

/**
 * The backup file of `tapewatch schedules export`, read back by `import`: what each schedule is and the
 * last slot it claimed (so a bot moved to a new machine does not post today's slot a second time).
 * Attempt bookkeeping stays behind; ids are the new database's own.
 */
const snowflake = z.string().regex(/^\d{1,20}$/, 'a Discord id (digits)');
const backupEntrySchema = z.strictObject({
  guildId: snowflake,
  channelId: snowflake,
  report: z.enum(REQUEST_NAMES),
  time: z.string(),
  days: z.string(),
  timeZone: z.string(),
  /** Who made it, as the bot stores it: a hash of their Discord id (see hashUserId), never the id. */
  createdBy: z.string().regex(/^[\w-]{1,64}$/, 'an id'),
  createdAt: z.iso.datetime(),
  lastSlot: z.iso.date().nullable(),
  disabledReason: z.string().max(500).nullable(),
});
export const scheduleBackupSchema = z.strictObject({
  format: z.literal('tapewatch-schedules'),
  version: z.literal(1),
  exportedAt: z.iso.datetime(),
  schedules: z.array(backupEntrySchema),
});
export type ScheduleBackup = z.infer<typeof scheduleBackupSchema>;

/** Schedules in the user database, so they survive restarts; claims make each slot post once. */
export class ScheduleStore extends UserDatabaseTable {
  add(schedule: NewSchedule, now: Date): Schedule {
    return this.run(() => {
      const count = this.db
        .prepare('SELECT COUNT(*) AS n FROM schedules WHERE guild_id = ?')
        .get(schedule.guildId) as { n: number };
      if (count.n >= MAX_SCHEDULES_PER_SERVER) {
        throw new TapewatchError(
          'bad_input',
          `This server already has ${MAX_SCHEDULES_PER_SERVER} schedules; remove one with /schedule remove first.`,
        );
      }
      const row = this.db
        .prepare(
          `INSERT INTO schedules (guild_id, channel_id, report, time, days, time_zone, created_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        )
        .get(
          schedule.guildId,
          schedule.channelId,
          schedule.report,
          schedule.time,
          schedule.days,
          schedule.timeZone,
          schedule.createdBy,
          now.toISOString(),
        );
      return toSchedule(row);
    });
  }

  /** Every schedule of every server, as the backup file holds them. */
  exportAll(now: Date): ScheduleBackup {
    const rows = this.run(() => this.db.prepare('SELECT * FROM schedules ORDER BY id').all().map(toSchedule));
    return {
      format: 'tapewatch-schedules',
      version: 1,
      exportedAt: now.toISOString(),
      schedules: rows.map((s) => ({
        guildId: s.guildId,
        channelId: s.channelId,
        report: s.report,
        time: s.time,
        days: s.days,
        timeZone: s.timeZone,
        createdBy: s.createdBy,
        createdAt: s.createdAt.toISOString(),
        lastSlot: s.lastSlot,
        disabledReason: s.disabledReason,
      })),
    };
  }

  /**
   * Adds a backup's schedules in one transaction: all or none. A schedule the database already holds
   * (same server, channel, report, time, days and time zone) is not added twice, so importing the same
   * file again changes nothing; a server pushed over its limit refuses the whole file.
   */
  importAll(backup: ScheduleBackup): { added: number; alreadyThere: number } {
    const entries = backup.schedules.map((entry, index) => {
      try {
        return { ...entry, ...parseScheduleInput(entry) };
      } catch (error) {
        const why = error instanceof Error ? error.message.replace(/^Option `\w+`: /, '') : String(error);
        throw new TapewatchError('bad_input', `Schedule ${index + 1} in the file: ${why}`);
      }
    });
    return this.run(() => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        let added = 0;
        const same = this.db.prepare(
          `SELECT 1 FROM schedules WHERE guild_id = ? AND channel_id = ? AND report = ? AND time = ? AND days = ?
             AND time_zone = ?`,
        );
        const insert = this.db.prepare(
          `INSERT INTO schedules (guild_id, channel_id, report, time, days, time_zone, created_by, created_at,
             last_slot, last_outcome, disabled_reason)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        for (const e of entries) {
          if (same.get(e.guildId, e.channelId, e.report, e.time, e.days, e.timeZone) !== undefined) continue;
          insert.run(
            e.guildId,
            e.channelId,
            e.report,
            e.time,
            e.days,
            e.timeZone,
            e.createdBy,
            e.createdAt,
            e.lastSlot,
            e.lastSlot === null ? null : 'imported',
            e.disabledReason,
          );
          added++;
        }
        const crowded = this.db
          .prepare('SELECT guild_id, COUNT(*) AS n FROM schedules GROUP BY guild_id HAVING n > ? LIMIT 1')
          .get(MAX_SCHEDULES_PER_SERVER) as { guild_id: string; n: number } | undefined;
        if (crowded !== undefined) {
          throw new TapewatchError(
            'bad_input',
            `Importing would give server ${crowded.guild_id} ${crowded.n} schedules, over its limit of ${MAX_SCHEDULES_PER_SERVER}; nothing was imported.`,
          );
        }
        this.db.exec('COMMIT');
        return { added, alreadyThere: entries.length - added };
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  list(guildId: string): Schedule[] {
    return this.run(() =>
      this.db.prepare('SELECT * FROM schedules WHERE guild_id = ? ORDER BY id').all(guildId).map(toSchedule),
    );
  }

  enabled(): Schedule[] {
    return this.enabledAfter(0, -1);
  }

  /** Up to `limit` enabled schedules with an id above `afterId` (-1: all), in id order: one page of a pass. */
  enabledAfter(afterId: number, limit: number): Schedule[] {
    return this.run(() =>
      this.db
        .prepare('SELECT * FROM schedules WHERE disabled_reason IS NULL AND id > ? ORDER BY id LIMIT ?')
        .all(afterId, limit)
        .map(toSchedule),
    );
  }

  /** Removes a schedule of this server; false when there is none with that id here. */
  remove(guildId: string, id: number): boolean {
    return this.run(
      () =>
        this.db.prepare('DELETE FROM schedules WHERE id = ? AND guild_id = ?').run(id, guildId).changes === 1,
    );
  }

  /**
   * Claims a slot before anything is posted: only one claim per slot can succeed, also across a
   * restart or a second process, so a slot is never posted twice (at most once, by design).
   */
  claim(id: number, slotDate: IsoDate, outcome: string, now: Date): boolean {
    return this.run(
      () =>
        this.db
          .prepare(
            `UPDATE schedules SET last_slot = ?, last_outcome = ?, claimed_at = ?, attempts = 1, retry_pending = 0
             WHERE id = ? AND disabled_reason IS NULL AND (last_slot IS NULL OR last_slot < ?)`,
          )
          .run(slotDate, outcome, now.toISOString(), id, slotDate).changes === 1,
    );
  }

  /**
   * Claims another attempt at a slot whose post did not finish; it succeeds only for the caller that
   * saw the attempt count as it still is, so two processes never retry the same post together.
   */
  reclaim(schedule: Schedule, outcome: string, now: Date): boolean {
    return this.run(
      () =>
        this.db
          .prepare(
            `UPDATE schedules SET last_outcome = ?, claimed_at = ?, attempts = attempts + 1, retry_pending = 0
             WHERE id = ? AND disabled_reason IS NULL AND last_slot = ? AND attempts = ?`,
          )
          .run(outcome, now.toISOString(), schedule.id, schedule.lastSlot, schedule.attempts).changes === 1,
    );
  }

  /** Records how the slot ended: posted, skipped, given up. */
  recordOutcome(id: number, outcome: string): void {
    this.run(() =>
      this.db
        .prepare('UPDATE schedules SET last_outcome = ?, retry_pending = 0 WHERE id = ?')
        .run(outcome, id),
    );
  }

  /** The attempt failed for a reason that may pass: the next pass tries again. */
  recordRetry(id: number, outcome: string): void {
    this.run(() =>
      this.db
        .prepare('UPDATE schedules SET last_outcome = ?, retry_pending = 1 WHERE id = ?')
        .run(outcome, id),
    );
  }

  disable(id: number, reason: string): void {
    this.run(() =>
      this.db
        .prepare('UPDATE schedules SET disabled_reason = ?, last_outcome = ? WHERE id = ?')
        .run(reason, reason, id),
    );
  }
}
