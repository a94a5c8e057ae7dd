import type { LogFn } from 'pino';
import { untilAborted } from './abort.ts';

/**
 * fetch with a timeout per attempt and retries for what is worth retrying: 429, 5xx and network
 * failures, with exponential backoff and full jitter. A non-retryable 4xx (a bad symbol) fails at once.
 * A final failure is thrown as HttpFailure rather than returned, so callers never parse an error page.
 */
export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface RetryPolicy {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly baseDelayMs: number;
  /** The longest backoff between attempts when the server says nothing about when to come back. */
  readonly maxDelayMs: number;
  /**
   * The longest a server's Retry-After is waited, in full; asked to wait longer, the request fails at
   * once with the wait on the failure (a caller says "try again in N s"), rather than ask again early.
   */
  readonly maxRetryAfterMs: number;
  /**
   * How long one request waits out 429s in all before it fails as rate-limited. 429s do not use up
   * `retries`: a storm slows a load down rather than failing it, as long as this allows.
   */
  readonly maxRateLimitWaitMs: number;
}

export type HttpFailureKind = 'timeout' | 'network' | 'rate_limited' | 'server_error' | 'client_error';

export class HttpFailure extends Error {
  override readonly name = 'HttpFailure';
  readonly kind: HttpFailureKind;
  readonly status: number | null;
  readonly attempts: number;
  /** The start of the response body, kept for the log when a status is not what we expected. */
  readonly bodySnippet: string;
  /** How long the server asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | null;

  constructor(
    kind: HttpFailureKind,
    message: string,
    details: {
      status?: number;
      attempts: number;
      bodySnippet?: string;
      retryAfterMs?: number | null;
      cause?: unknown;
    },
  ) {
    super(message, { cause: details.cause });
    this.kind = kind;
    this.status = details.status ?? null;
    this.attempts = details.attempts;
    this.bodySnippet = details.bodySnippet ?? '';
    this.retryAfterMs = details.retryAfterMs ?? null;
  }
}

/** Waits `ms`; a wait whose signal aborts ends at once, rejecting with the signal's reason. */
export type SleepFn = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryDeps {
  readonly sleep: SleepFn;
  readonly random: () => number;
  /** Any logger with a debug level (lib sits below log.ts). */
  readonly logger: { readonly debug: LogFn };
  /** Every attempt takes a token first; a 429 pauses it for every request. */
  readonly budget?: RequestGate;
  /** Told of each attempt, retry and 429, and whether each request got an answer in the end. */
  readonly observe?: (event: HttpEvent) => void;
}

/**
 * `answered`: the server sent a response worth keeping (a 404 for an unknown symbol is an answer);
 * `unanswered`: the request gave up (timeouts, refused connections, 5xx or 429 to the last attempt).
 */
export type HttpEvent = 'attempt' | 'retry' | 'rate_limited' | 'answered' | 'unanswered';

/** What every request to a server passes: a token to go, and a pause for all after a 429. */
export interface RequestGate {
  take(signal?: AbortSignal): Promise<void>;
  pauseFor(ms: number): void;
}

/**
 * A token bucket shared by every request to one server: at most `perMinute` requests a minute on
 * average, bursts up to `burst`. When the server answers 429 the bucket pauses for everyone, for its
 * Retry-After or the backoff: the requests under way wait together instead of each earning another
 * refusal. Tokens are handed out in the order they were asked for.
 */
export class RequestBudget implements RequestGate {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #sleep: SleepFn;
  #tokens: number;
  #at: number;
  #pausedUntil = 0;
  #line: Promise<void> = Promise.resolve();

  constructor(
    perMinute: number,
    burst: number,
    deps: { readonly now: () => number; readonly sleep: SleepFn },
  ) {
    this.#perMs = perMinute / 60_000;
    this.#burst = burst;
    this.#now = deps.now;
    this.#sleep = deps.sleep;
    this.#tokens = burst;
    this.#at = deps.now();
  }

  /**
   * Waits for a token; a request whose signal aborts leaves the line at once, and its turn passes to the
   * next without taking a token.
   */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#line.then(() => this.#acquire(signal));
    this.#line = turn.catch(() => undefined);
    return untilAborted(turn, signal);
  }

  pauseFor(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#now() + ms);
  }

  async #acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.#now();
      this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs);
      this.#at = now;
      const paused = this.#pausedUntil - now;
      if (paused <= 0 && this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await this.#sleep(paused > 0 ? paused : (1 - this.#tokens) / this.#perMs, signal);
    }
  }
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Seconds or an HTTP date, as Retry-After allows; null when absent or unreadable. */
function retryAfterMs(response: Response, now: number): number | null {
  const header = response.headers.get('retry-after');
  if (header === null) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function redactUrl(input: string | URL | Request): string {
  const url = new URL(input instanceof Request ? input.url : input.toString());
  // Crumbs and cookies are credentials of a sort; the path is enough to identify the call.
  return `${url.origin}${url.pathname}`;
}

export function createRetryingFetch(inner: FetchFn, policy: RetryPolicy, deps: RetryDeps): FetchFn {
  const observe = deps.observe ?? (() => undefined);
  const retrying = withRetries(inner, policy, deps, observe);
  return async (input, init) => {
    try {
      const response = await retrying(input, init);
      observe('answered');
      return response;
    } catch (error) {
      const answered = error instanceof HttpFailure && error.kind === 'client_error';
      // A request its caller abandoned says nothing about the server.
      if (!init?.signal?.aborted) observe(answered ? 'answered' : 'unanswered');
      throw error;
    }
  };
}

function withRetries(
  inner: FetchFn,
  policy: RetryPolicy,
  deps: RetryDeps,
  observe: (event: HttpEvent) => void,
): FetchFn {
  return async (input, init) => {
    const target = redactUrl(input);
    const attempts = policy.retries + 1;
    let lastFailure: HttpFailure | null = null;
    let attempt = 0;
    let rateLimitedMs = 0;
    let rateLimited = 0;
    while (attempt < attempts) {
      attempt++;
      await deps.budget?.take(init?.signal ?? undefined);
      observe('attempt');
      const timeout = AbortSignal.timeout(policy.timeoutMs);
      const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
      let waitHintMs: number | null = null;
      try {
        const response = await inner(input, { ...init, signal });
        if (response.ok || (response.status >= 300 && response.status < 400)) return response;
        const body = await response.text().catch(() => '');
        const snippet = body.slice(0, 300);
        if (!isRetryableStatus(response.status)) {
          throw new HttpFailure('client_error', `HTTP ${response.status} from ${target}`, {
            status: response.status,
            attempts: attempt + rateLimited,
            bodySnippet: snippet,
          });
        }
        waitHintMs = retryAfterMs(response, Date.now());
        lastFailure = new HttpFailure(
          response.status === 429 ? 'rate_limited' : 'server_error',
          `HTTP ${response.status} from ${target}`,
          {
            status: response.status,
            attempts: attempt + rateLimited,
            bodySnippet: snippet,
            retryAfterMs: waitHintMs,
          },
        );
      } catch (error) {
        if (error instanceof HttpFailure) throw error;
        if (init?.signal?.aborted) throw error;
        const timedOut = timeout.aborted;
        lastFailure = new HttpFailure(
          timedOut ? 'timeout' : 'network',
          timedOut ? `No answer from ${target} within ${policy.timeoutMs} ms` : `Could not reach ${target}`,
          { attempts: attempt + rateLimited, cause: error },
        );
      }
      // Asking again before the server's own time only earns another refusal, and a longer ban.
      if (waitHintMs !== null && waitHintMs > policy.maxRetryAfterMs) throw lastFailure;
      if (lastFailure.kind === 'rate_limited') {
        const delay =
          waitHintMs ??
          Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** rateLimited) * (0.5 + deps.random() / 2);
        rateLimitedMs += delay;
        if (rateLimitedMs > policy.maxRateLimitWaitMs) throw lastFailure;
        rateLimited++;
        attempt--;
        observe('rate_limited');
        deps.logger.debug({ target, delayMs: Math.round(delay), rateLimited }, 'rate-limited; waiting');
        if (deps.budget) deps.budget.pauseFor(delay);
        else await deps.sleep(delay, init?.signal ?? undefined);
        continue;
      }
      if (attempt < attempts) {
        const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
        const delay = waitHintMs ?? deps.random() * ceiling;
        deps.logger.debug(
          { target, attempt, delayMs: Math.round(delay), failure: lastFailure.kind },
          'retrying',
        );
        observe('retry');
        await deps.sleep(delay, init?.signal ?? undefined);
      }
    }
    throw lastFailure ?? new HttpFailure('network', `Could not reach ${target}`, { attempts });
  };
}
