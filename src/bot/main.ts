import { loadDotEnv, processEnvironment } from '../config/index.ts';
import { describeError, isTapewatchError } from '../errors.ts';
import { openBot, type RunningBot } from './app.ts';
import { describeStartFailure } from './bot.ts';
import { installCrashGuard } from './crash-guard.ts';

/** `npm start`: runs the bot until SIGINT or SIGTERM, then shuts down gracefully. */
let running: RunningBot;
try {
  loadDotEnv();
  running = openBot({ env: processEnvironment(), fetch: globalThis.fetch, now: () => new Date() });
} catch (error) {
  process.stderr.write(`tapewatch: ${isTapewatchError(error) ? error.message : describeError(error)}\n`);
  process.exit(1);
}
const { logger } = running;
let closing = false;
function shutDown(exitCode: number): void {
  if (closing) return;
  closing = true;
  running.close().then(
    () => process.exit(exitCode),
    (error: unknown) => {
      logger.error({ err: describeError(error) }, 'shutdown failed');
      process.exit(1);
    },
  );
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'shutting down');
    shutDown(0);
  });
}
installCrashGuard(process, {
  logger,
  now: () => Date.now(),
  onFatal: (reason) => {
    logger.fatal(
      { reason },
      'too many unexpected failures; shutting down so the supervisor restarts the bot',
    );
    shutDown(1);
  },
});
try {
  await running.health;
  await running.shared;
} catch (error) {
  process.stderr.write(`tapewatch: ${describeError(error)}\n`);
  await running.close().catch(() => undefined);
  process.exit(1);
}
try {
  await running.bot.start();
} catch (error) {
  // Never the token itself: what Discord refused, and where to fix it.
  logger.fatal({ err: describeError(error) }, 'could not connect to Discord');
  process.stderr.write(`tapewatch: ${describeStartFailure(error)}\n`);
  await running.close().catch(() => undefined);
  process.exit(1);
}
