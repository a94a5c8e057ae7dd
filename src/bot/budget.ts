import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Redis } from 'ioredis';
import { exchangeDateOf } from '../market/calendar.ts';
import { REDIS_PREFIX } from '../store/redis.ts';

export interface LlmLimits {
  readonly perUser: number;
  readonly perServer: number;
  /** Calls the whole bot may make in a day, whoever asks (LLM_DAILY_GLOBAL_BUDGET): the bill's ceiling. */
  readonly global: number;
}

/**
 * Daily budgets of LLM calls per user, per server and for the whole bot, reset at midnight New York
 * time. A call is allowed only when the user, the server (if any) and the bot are all under their
 * limits, and then counts against each, in one step: two processes cannot both take the last call.
 */
export interface LlmBudget {
  take(userId: string, serverId: string | null): Promise<boolean>;
}

type Scope = [scope: string, key: string, limit: number];

function scopesOf(limits: LlmLimits, userId: string, serverId: string | null): Scope[] {
  return [
    ['user', userId, limits.perUser],
    ...(serverId === null ? [] : [['server', serverId, limits.perServer] as Scope]),
    ['all', '', limits.global],
  ];
}

/**
 * The budgets in the user database, so a restart (or a crash loop) does not hand out a fresh day's
 * budget, and processes sharing the file share the budget.
 */
export class DatabaseLlmBudget implements LlmBudget {
  readonly #db: DatabaseSync;
  readonly #limits: LlmLimits;
  readonly #now: () => Date;
  readonly #used: StatementSync;
  readonly #count: StatementSync;
  #lastDay = '';

  constructor(db: DatabaseSync, limits: LlmLimits, now: () => Date) {
    this.#db = db;
    this.#limits = limits;
    this.#now = now;
    this.#used = db.prepare('SELECT calls FROM llm_usage WHERE day = ? AND scope = ? AND key = ?');
    this.#count = db.prepare(
      `INSERT INTO llm_usage (day, scope, key, calls) VALUES (?, ?, ?, 1)
       ON CONFLICT (day, scope, key) DO UPDATE SET calls = calls + 1`,
    );
  }

  take(userId: string, serverId: string | null): Promise<boolean> {
    return Promise.resolve(this.#take(userId, serverId));
  }

  #take(userId: string, serverId: string | null): boolean {
    const day = exchangeDateOf(this.#now());
    const scopes = scopesOf(this.#limits, userId, serverId);
    // Checked and counted in one write transaction: two processes cannot both take the last call.
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      if (day !== this.#lastDay) {
        this.#db.prepare('DELETE FROM llm_usage WHERE day < ?').run(day);
        this.#lastDay = day;
      }
      const allowed = scopes.every(([scope, key, limit]) => {
        const row = this.#used.get(day, scope, key) as { calls: number } | undefined;
        return (row?.calls ?? 0) < limit;
      });
      if (allowed) for (const [scope, key] of scopes) this.#count.run(day, scope, key);
      this.#db.exec('COMMIT');
      return allowed;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }
}

/** Checks every counter against its limit, then counts against all of them, or none. */
const TAKE_SCRIPT = `
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[i]) then return 0 end
end
for i, key in ipairs(KEYS) do
  redis.call('INCR', key)
  redis.call('EXPIRE', key, ARGV[#KEYS + 1])
end
return 1`;

/** Counters outlive their New York day by a day at most, then Redis forgets them. */
const DAY_KEY_SECONDS = 2 * 24 * 3600;

/**
 * The budgets of several bot processes: counters in the shared Redis, one per day and scope. The day's
 * keys share a hash tag, so the check-and-count script also runs on a Redis Cluster.
 */
export class RedisLlmBudget implements LlmBudget {
  readonly #redis: Redis;
  readonly #limits: LlmLimits;
  readonly #now: () => Date;

  constructor(redis: Redis, limits: LlmLimits, now: () => Date) {
    this.#redis = redis;
    this.#limits = limits;
    this.#now = now;
  }

  async take(userId: string, serverId: string | null): Promise<boolean> {
    const day = exchangeDateOf(this.#now());
    const scopes = scopesOf(this.#limits, userId, serverId);
    const keys = scopes.map(([scope, key]) => `${REDIS_PREFIX}{llm:${day}}:${scope}:${key}`);
    const allowed = await this.#redis.eval(
      TAKE_SCRIPT,
      keys.length,
      ...keys,
      ...scopes.map(([, , limit]) => limit),
      DAY_KEY_SECONDS,
    );
    return Number(allowed) === 1;
  }
}
