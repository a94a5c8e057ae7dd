import type { Redis } from 'ioredis';
import { untilAborted } from '../lib/abort.ts';
import { RequestBudget, type RequestGate, type SleepFn } from '../lib/http.ts';
import { REDIS_PREFIX } from './redis.ts';

/**
 * One step of the shared token bucket, on Redis's own clock so every process agrees on the time: a
 * token taken (0), or the milliseconds to wait (a pause after a 429, or the next token's refill).
 */
const ACQUIRE_SCRIPT = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local perMs = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'paused')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
local paused = tonumber(state[3]) or 0
tokens = math.min(burst, tokens + math.max(0, now - at) * perMs)
local wait = 0
if paused > now then
  wait = paused - now
elseif tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / perMs)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now), 'paused', tostring(paused))
redis.call('PEXPIRE', KEYS[1], 3600000)
return wait`;

const PAUSE_SCRIPT = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused') or '0')
redis.call('HSET', KEYS[1], 'paused', tostring(math.max(paused, now + tonumber(ARGV[1]))))
redis.call('PEXPIRE', KEYS[1], 3600000)
return 0`;

/**
 * A request budget shared by every bot process through Redis: at most `perMinute` requests a minute to
 * the server between all of them, and a 429 seen by one pauses all. Within the process, tokens are
 * handed out in the order asked, as RequestBudget does. While Redis cannot be reached, the process
 * falls back to a bucket of its own at the same rate, so requests go on (the cap is then per process).
 */
export class SharedRequestBudget implements RequestGate {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #perMs: number;
  readonly #burst: number;
  readonly #sleep: SleepFn;
  readonly #fallback: RequestBudget;
  readonly #onError: (message: string) => void;
  #line: Promise<void> = Promise.resolve();

  constructor(
    redis: Redis,
    name: string,
    perMinute: number,
    deps: {
      readonly sleep: SleepFn;
      readonly onError: (message: string) => void;
      /** Requests allowed at once after a quiet spell; a minute's worth when absent, as RequestBudget. */
      readonly burst?: number;
    },
  ) {
    this.#redis = redis;
    this.#key = `${REDIS_PREFIX}budget:${name}`;
    this.#perMs = perMinute / 60_000;
    this.#burst = deps.burst ?? perMinute;
    this.#sleep = deps.sleep;
    this.#onError = deps.onError;
    this.#fallback = new RequestBudget(perMinute, this.#burst, { now: Date.now, sleep: deps.sleep });
  }

  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#line.then(() => this.#acquire(signal));
    this.#line = turn.catch(() => undefined);
    return untilAborted(turn, signal);
  }

  pauseFor(ms: number): void {
    this.#fallback.pauseFor(ms);
    this.#redis.eval(PAUSE_SCRIPT, 1, this.#key, Math.ceil(ms)).catch((error: unknown) => {
      this.#onError(`could not share a pause: ${String(error)}`);
    });
  }

  async #acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      let wait: number;
      try {
        wait = Number(await this.#redis.eval(ACQUIRE_SCRIPT, 1, this.#key, this.#perMs, this.#burst));
      } catch (error) {
        this.#onError(`shared budget unavailable, using this process's own: ${String(error)}`);
        await this.#fallback.take(signal);
        return;
      }
      if (wait <= 0) return;
      await this.#sleep(wait, signal);
    }
  }
}
