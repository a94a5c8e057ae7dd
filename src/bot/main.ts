import { loadDotEnv, parseConfig, processEnvironment, requireDiscordToken } from '../config/index.ts';
import { describeError, isTapewatchError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { openBot, type RunningBot } from './app.ts';
import { describeStartFailure } from './bot.ts';
import { installCrashGuard } from './crash-guard.ts';
import { runShards } from './shards.ts';

/**
 * `npm start`: runs the bot until SIGINT or SIGTERM, then shuts down gracefully. With SHARD_COUNT this
 * process only starts and watches one process per shard, each of which runs this file as a bot.
 */
function fail(error: unknown): never {
  process.stderr.write(`tapewatch: ${isTapewatchError(error) ? error.message : describeError(error)}\n`);
  process.exit(1);
}

let running: RunningBot;
try {
  loadDotEnv();
  const config = parseConfig(processEnvironment());
  if (config.discord.shardCount !== null && config.discord.shardIds === null) {
    const token = requireDiscordToken(config);
    const logger = createLogger(config.logLevel);
    const shards = await runShards(config, token, logger).catch(fail);
    logger.info({ shards: shards.count }, 'all shards started');
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        logger.info({ signal }, 'stopping the shards');
        shards.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      });
    }
    await new Promise<never>(() => undefined);
  }
  running = openBot({ env: processEnvironment(), fetch: globalThis.fetch, now: () => new Date() });
} catch (error) {
  fail(error);
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
  await running.interactions;
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
