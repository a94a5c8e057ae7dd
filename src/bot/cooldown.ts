/**
 * One report request per user per window: enough for anyone reading, too slow to flood the bot.
 * Old entries are forgotten lazily so the map stays the size of the recently active users.
 */
export class Cooldown {
  readonly #windowMs: number;
  readonly #now: () => Date;
  readonly #lastRun = new Map<string, number>();

  constructor(seconds: number, now: () => Date) {
    this.#windowMs = seconds * 1000;
    this.#now = now;
  }

  /** Gives back a request that got the user nothing (its interaction expired before it was acknowledged). */
  refund(userId: string): void {
    this.#lastRun.delete(userId);
  }

  /** Records the request and returns 0, or the seconds the user still has to wait (nothing recorded). */
  take(userId: string): number {
    if (this.#windowMs === 0) return 0;
    const now = this.#now().getTime();
    const last = this.#lastRun.get(userId);
    if (last !== undefined && now - last < this.#windowMs) {
      return Math.ceil((this.#windowMs - (now - last)) / 1000);
    }
    if (this.#lastRun.size > 10_000) {
      for (const [user, at] of this.#lastRun) if (now - at >= this.#windowMs) this.#lastRun.delete(user);
    }
    this.#lastRun.set(userId, now);
    return 0;
  }
}
