import type { Logger } from 'pino';

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

export interface RetryDeps {
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly logger: Logger;
}

export const realSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

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
  return async (input, init) => {
    const target = redactUrl(input);
    const attempts = policy.retries + 1;
    let lastFailure: HttpFailure | null = null;
    for (let attempt = 1; attempt <= attempts; attempt++) {
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
            attempts: attempt,
            bodySnippet: snippet,
          });
        }
        waitHintMs = retryAfterMs(response, Date.now());
        lastFailure = new HttpFailure(
          response.status === 429 ? 'rate_limited' : 'server_error',
          `HTTP ${response.status} from ${target}`,
          { status: response.status, attempts: attempt, bodySnippet: snippet, retryAfterMs: waitHintMs },
        );
      } catch (error) {
        if (error instanceof HttpFailure) throw error;
        if (init?.signal?.aborted) throw error;
        const timedOut = timeout.aborted;
        lastFailure = new HttpFailure(
          timedOut ? 'timeout' : 'network',
          timedOut ? `No answer from ${target} within ${policy.timeoutMs} ms` : `Could not reach ${target}`,
          { attempts: attempt, cause: error },
        );
      }
      if (attempt < attempts) {
        // Asking again before the server's own time only earns another refusal, and a longer ban.
        if (waitHintMs !== null && waitHintMs > policy.maxRetryAfterMs) throw lastFailure;
        const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
        const delay = waitHintMs ?? deps.random() * ceiling;
        deps.logger.debug(
          { target, attempt, delayMs: Math.round(delay), failure: lastFailure.kind },
          'retrying',
        );
        await deps.sleep(delay);
      }
    }
    throw lastFailure ?? new HttpFailure('network', `Could not reach ${target}`, { attempts });
  };
}
