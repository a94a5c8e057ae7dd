import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Redis } from 'ioredis';
import { REDIS_PREFIX } from '../store/redis.ts';

/** One report request per user per window, wherever the last request is kept. */
export interface Cooldown {
  /** Records the request and returns 0, or the seconds the user still has to wait (nothing recorded). */
  take(userId: string): Promise<number>;
  /** Gives back a request that got the user nothing (its interaction expired before it was acknowledged). */
  refund(userId: string): Promise<void>;
}

/**
 * One report request per user per window: enough for anyone reading, too slow to flood the bot. The
 * last request of each user is in the user database, so restarting the bot does not lift a cooldown;
 * rows older than the window are forgotten now and then so the table stays the size of the recently
 * active users.
 */
export class DatabaseCooldown implements Cooldown {
  readonly #db: DatabaseSync;
  readonly #windowMs: number;
  readonly #now: () => Date;
  readonly #last: StatementSync;
  readonly #record: StatementSync;
  readonly #refund: StatementSync;
  #takesSincePrune = 0;

  constructor(db: DatabaseSync, seconds: number, now: () => Date) {
    this.#db = db;
    this.#windowMs = seconds * 1000;
    this.#now = now;
    this.#last = db.prepare('SELECT last_request_ms FROM cooldowns WHERE user_id = ?');
    this.#record = db.prepare(
      `INSERT INTO cooldowns (user_id, last_request_ms) VALUES (?, ?)
       ON CONFLICT (user_id) DO UPDATE SET last_request_ms = excluded.last_request_ms`,
    );
    this.#refund = db.prepare('DELETE FROM cooldowns WHERE user_id = ?');
  }

  refund(userId: string): Promise<void> {
    this.#refund.run(userId);
    return Promise.resolve();
  }

  take(userId: string): Promise<number> {
    return Promise.resolve(this.#take(userId));
  }

  #take(userId: string): number {
    if (this.#windowMs === 0) return 0;
    const now = this.#now().getTime();
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const row = this.#last.get(userId) as { last_request_ms: number } | undefined;
      if (row !== undefined && now - row.last_request_ms < this.#windowMs) {
        this.#db.exec('COMMIT');
        return Math.ceil((this.#windowMs - (now - row.last_request_ms)) / 1000);
      }
      if (++this.#takesSincePrune >= 1000) {
        this.#takesSincePrune = 0;
        this.#db.prepare('DELETE FROM cooldowns WHERE last_request_ms < ?').run(now - this.#windowMs);
      }
      this.#record.run(userId, now);
      this.#db.exec('COMMIT');
      return 0;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }
}

/**
 * Records the request unless one is already there, in one step: 0, or the milliseconds left of the
 * window. Redis keeps the window (the key expires with it), so every process sees the same cooldown.
 */
const TAKE_SCRIPT = `
if redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return 0 end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
  return 0
end
return left`;

/** The cooldown of several bot processes: one key per user in the shared Redis, expiring with the window. */
export class RedisCooldown implements Cooldown {
  readonly #redis: Redis;
  readonly #windowMs: number;

  constructor(redis: Redis, seconds: number) {
    this.#redis = redis;
    this.#windowMs = seconds * 1000;
  }

  #key(userId: string): string {
    return `${REDIS_PREFIX}cooldown:${userId}`;
  }

  async take(userId: string): Promise<number> {
    if (this.#windowMs === 0) return 0;
    const left = Number(await this.#redis.eval(TAKE_SCRIPT, 1, this.#key(userId), this.#windowMs));
    return left === 0 ? 0 : Math.ceil(left / 1000);
  }

  async refund(userId: string): Promise<void> {
    await this.#redis.del(this.#key(userId));
  }
}
