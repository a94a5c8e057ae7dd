import { describeError, newReference } from '../errors.ts';
import type { Logger } from '../log.ts';

/** Where unhandled failures are reported: the process, or an emitter in tests. */
export interface FailureSource {
  on(event: 'uncaughtException' | 'unhandledRejection', listener: (error: unknown) => void): unknown;
  off(event: 'uncaughtException' | 'unhandledRejection', listener: (error: unknown) => void): unknown;
}

export interface CrashGuardOptions {
  readonly logger: Logger;
  readonly now: () => number;
  /** Called once when failures come too fast to trust the process any longer: shut down, exit non-zero. */
  readonly onFatal: (reason: string) => void;
  /** This many failures within `windowMs` make the state fatal. */
  readonly limit?: number;
  readonly windowMs?: number;
}

/**
 * One bad packet or one failed upload must not take every server's bot down with it. A rejection or
 * exception nobody handled is logged with a reference and the bot keeps serving; a burst of them (the
 * process is in a state nothing recovers from) shuts it down cleanly, so the supervisor restarts it.
 * Returns a function that removes the handlers.
 */
export function installCrashGuard(target: FailureSource, options: CrashGuardOptions): () => void {
  const limit = options.limit ?? 10;
  const windowMs = options.windowMs ?? 60_000;
  const recent: number[] = [];
  let fatal = false;
  const handle = (kind: 'uncaught exception' | 'unhandled rejection') => (error: unknown) => {
    const at = options.now();
    recent.push(at);
    while (recent.length > 0 && (recent[0] ?? at) <= at - windowMs) recent.shift();
    const reference = newReference();
    const stack = error instanceof Error ? error.stack : undefined;
    options.logger.error({ err: describeError(error), stack, reference, kind }, `${kind}; still serving`);
    if (recent.length >= limit && !fatal) {
      fatal = true;
      options.onFatal(`${recent.length} unexpected failures within ${Math.round(windowMs / 1000)} s`);
    }
  };
  const onException = handle('uncaught exception');
  const onRejection = handle('unhandled rejection');
  target.on('uncaughtException', onException);
  target.on('unhandledRejection', onRejection);
  return () => {
    target.off('uncaughtException', onException);
    target.off('unhandledRejection', onRejection);
  };
}
