import { exchangeDateOf } from '../market/calendar.ts';

/**
 * Daily budgets of LLM calls per user and per server, reset at midnight New York time. A call is
 * allowed only when both the user and the server (if any) are under their limits, and then counts
 * against both.
 */
export class LlmBudget {
  readonly #perUser: number;
  readonly #perServer: number;
  readonly #now: () => Date;
  #day = '';
  readonly #used = new Map<string, number>();

  constructor(limits: { readonly perUser: number; readonly perServer: number }, now: () => Date) {
    this.#perUser = limits.perUser;
    this.#perServer = limits.perServer;
    this.#now = now;
  }

  take(userId: string, serverId: string | null): boolean {
    const day = exchangeDateOf(this.#now());
    if (day !== this.#day) {
      this.#day = day;
      this.#used.clear();
    }
    const userKey = `user:${userId}`;
    const serverKey = serverId === null ? null : `server:${serverId}`;
    const user = this.#used.get(userKey) ?? 0;
    const server = serverKey === null ? 0 : (this.#used.get(serverKey) ?? 0);
    if (user >= this.#perUser || (serverKey !== null && server >= this.#perServer)) return false;
    this.#used.set(userKey, user + 1);
    if (serverKey !== null) this.#used.set(serverKey, server + 1);
    return true;
  }
}
