import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { exchangeDateOf } from '../market/calendar.ts';

export interface LlmLimits {
  readonly perUser: number;
  readonly perServer: number;
  /** Calls the whole bot may make in a day, whoever asks (LLM_DAILY_GLOBAL_BUDGET): the bill's ceiling. */
  readonly global: number;
}

/**
 * Daily budgets of LLM calls per user, per server and for the whole bot, reset at midnight New York
 * time. A call is allowed only when the user, the server (if any) and the bot are all under their
 * limits, and then counts against each. The counts are in the user database, so a restart (or a crash
 * loop) does not hand out a fresh day's budget, and processes sharing the file share the budget.
 */
export class LlmBudget {
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

  take(userId: string, serverId: string | null): boolean {
    const day = exchangeDateOf(this.#now());
    const scopes: [scope: string, key: string, limit: number][] = [
      ['user', userId, this.#limits.perUser],
      ...(serverId === null
        ? []
        : [['server', serverId, this.#limits.perServer] as [string, string, number]]),
      ['all', '', this.#limits.global],
    ];
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
