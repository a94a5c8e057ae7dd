import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { REST, Routes, ShardingManager } from 'discord.js';
import type { Config } from '../config/index.ts';
import { describeError, TapewatchError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** The bot's entry point, which each shard process runs (discord.js tells it its shards through SHARDS). */
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** The shard count Discord recommends for this bot, asked of the configured API (DISCORD_API_URL). */
async function recommendedShardCount(token: string, apiUrl: string): Promise<number> {
  const rest = new REST({ api: apiUrl }).setToken(token);
  try {
    const gateway = (await rest.get(Routes.gatewayBot())) as { shards?: unknown };
    if (typeof gateway.shards === 'number' && gateway.shards >= 1) return gateway.shards;
    throw new Error(`Discord's answer had no shard count (${JSON.stringify(gateway).slice(0, 80)})`);
  } catch (error) {
    throw new TapewatchError(
      'bad_config',
      `SHARD_COUNT=auto: could not ask Discord how many shards the bot needs (${describeError(error)}); set SHARD_COUNT to a number.`,
      { cause: error },
    );
  }
}

export interface RunningShards {
  readonly count: number;
  /** Stops every shard process (each shuts down gracefully on SIGTERM) and waits for them to exit. */
  stop(): Promise<void>;
}

/**
 * SHARD_COUNT: one process per gateway shard, started by discord.js's ShardingManager one after another
 * (SHARD_SPAWN_DELAY_MS apart, as Discord's identify limit wants) and restarted if one dies. Each shard
 * answers its own servers' interactions; shard 0 also gets the DMs and runs schedules and alerts.
 */
export async function runShards(config: Config, token: string, logger: Logger): Promise<RunningShards> {
  const wanted = config.discord.shardCount;
  const count =
    wanted === 'auto' || wanted === null ? await recommendedShardCount(token, config.discord.apiUrl) : wanted;
  const manager = new ShardingManager(MAIN, { token, totalShards: count, mode: 'process', respawn: true });
  manager.on('shardCreate', (shard) => {
    logger.info({ shard: shard.id, of: count }, 'shard process started');
    shard.on('death', () => {
      logger.warn({ shard: shard.id }, 'shard process died; starting it again');
    });
  });
  await manager.spawn({ amount: count, delay: config.discord.shardSpawnDelayMs, timeout: 60_000 });
  return {
    count,
    async stop() {
      await Promise.all(
        [...manager.shards.values()].map(async (shard) => {
          const child = shard.process;
          if (child === null || child.exitCode !== null) return;
          const exited = once(child, 'exit');
          shard.kill();
          await exited;
        }),
      );
    },
  };
}
