import { createHash } from 'node:crypto';
import { describeError, isTapewatchError } from '../errors.ts';

/**
 * The one place errors become what a Discord user reads. Expected failures (bad input, unknown
 * symbols, no data) say what is wrong in one line; anything else is a short apology with a reference
 * id, and the details go to the log under the same id.
 */
export interface UserFacingError {
  readonly message: string;
  readonly reference: string;
  /** False for bugs and outages, which belong in the error log; true for the user's own mistakes. */
  readonly expected: boolean;
  readonly detail: string;
}

export function userFacingError(error: unknown, reference: string): UserFacingError {
  if (isTapewatchError(error)) {
    const expected = error.code !== 'store' && error.code !== 'bad_config';
    return {
      message: expected
        ? `${error.message} (ref ${reference})`
        : `The bot's storage is not working right now; the team has been told (ref ${reference}).`,
      reference,
      expected,
      detail: error.message,
    };
  }
  return {
    message: `Something went wrong on my side; please try again in a minute (ref ${reference}).`,
    reference,
    expected: false,
    detail: describeError(error),
  };
}

/** Logs name users by a stable hash, never by their Discord id. */
export function hashUserId(userId: string): string {
  return createHash('sha256').update(`tapewatch-user:${userId}`).digest('hex').slice(0, 12);
}

/** The queue of reports is full: an honest wait instead of a request that would time out unseen. */
export function busyMessage(seconds: number): string {
  return `I am busy working through many reports right now; please ask again in about ${seconds} s.`;
}

export function cooldownMessage(seconds: number): string {
  return `One report at a time, please: you can ask again in ${seconds} s.`;
}
