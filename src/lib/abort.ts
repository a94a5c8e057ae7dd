import { setTimeout as delay } from 'node:timers/promises';

/** What a caller may pass to work it can abandon: once the signal aborts, the work stops at its next step. */
export interface Cancellable {
  readonly signal?: AbortSignal | undefined;
}

/**
 * The promise, or a rejection with the signal's reason as soon as it aborts: the caller stops waiting at
 * once even where the work itself cannot be interrupted.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise
      .finally(() => {
        signal.removeEventListener('abort', onAbort);
      })
      .then(resolve, reject);
  });
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts: no timer outlives its caller. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal === undefined ? {} : { signal }).catch((error: unknown) => {
    throw signal?.aborted === true ? (signal.reason as Error) : error;
  });
}
