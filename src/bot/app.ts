import type { DestinationStream } from 'pino';
import { describeError, TapewatchError } from '../errors.ts';
import { parseConfig, requireDiscordToken, type Environment } from '../config/index.ts';
import { createLogger, type Logger } from '../log.ts';
import type { FetchFn } from '../lib/http.ts';
import { generateDemoInWorker } from '../market/demo.ts';
import { openMarketData } from '../market/index.ts';
import type { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../store/database.ts';
import { openUserDatabase } from '../store/user-database.ts';
import { openRedis, REDIS_PREFIX, redisAddress } from '../store/redis.ts';
import { SharedRequestBudget } from '../store/shared-budget.ts';
import { sleep } from '../lib/abort.ts';
import type { SharedText } from '../lib/shared-text.ts';
import { QuestionRouter } from '../llm/ask.ts';
import { createLlmClient } from '../llm/client.ts';
import { Summarizer } from '../llm/summarizer.ts';
import { createBot, type Bot } from './bot.ts';
import { DatabaseLlmBudget, RedisLlmBudget } from './budget.ts';
import { Health, startHealthServer, type HealthServer } from './health.ts';
import { startInteractionsEndpoint, type InteractionsEndpoint } from './interactions-endpoint.ts';
import { Metrics } from '../lib/metrics.ts';
import { DatabaseCooldown, RedisCooldown } from './cooldown.ts';
import { ReportPool } from './report-pool.ts';
import { ReportRunner } from './reports.ts';
import { ScheduleStore } from '../schedules.ts';
import { WatchlistStore } from '../watchlists.ts';
import { AlertStore } from '../alerts.ts';
import { Prewarmer, WarmingMarketData } from './prewarm.ts';
import { defaultReportSymbols } from '../../commands/index.ts';
import { resolveUniverse } from '../universes/index.ts';
import type { Config } from '../config/index.ts';
import type { MarketData } from '../market/types.ts';

/** What the bot takes from outside, so tests run the real bot against fakes without monkey-patching. */
export interface BotIo {
  readonly env: Environment;
  readonly fetch: FetchFn;
  readonly now: () => Date;
  /** Where logs go; stdout when absent. */
  readonly logDestination?: DestinationStream;
  readonly schedulerIntervalMs?: number;
}

export interface RunningBot {
  readonly bot: Bot;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The /healthz and /metrics endpoint once it listens; null when HEALTH_PORT is unset. */
  readonly health: Promise<HealthServer | null>;
  /** The HTTP interactions endpoint once it listens; null when INTERACTIONS_PORT is unset. */
  readonly interactions: Promise<InteractionsEndpoint | null>;
  /** Resolves once the shared Redis answers (at once without REDIS_URL); rejects in one line when it cannot. */
  readonly shared: Promise<void>;
  /** Graceful shutdown: replies under way finish, then Discord, the data source and the store close. */
  close(): Promise<void>;
}

/**
 * The bot's composition root: configuration is checked first (a missing token or a bad variable is one
 * clear line before anything opens), then every service is built once and passed in.
 */
export function openBot(io: BotIo): RunningBot {
  const config = parseConfig(io.env);
  const token = requireDiscordToken(config);
  const shardIds = config.discord.shardIds;
  const rootLogger = createLogger(config.logLevel, io.logDestination);
  // A shard's lines say which shard wrote them; its health endpoint is HEALTH_PORT + its first shard id.
  const logger = shardIds === null ? rootLogger : rootLogger.child({ shard: shardIds[0] ?? 0 });
  // The user database first: when it is new, it carries over the schedules an older version kept in the
  // bar store, before that store is opened as a cache.
  const user = openUserDatabase(config.userDbPath, config.storePath);
  if (user.importedSchedules > 0) {
    logger.info(
      { schedules: user.importedSchedules, from: config.storePath, to: config.userDbPath },
      'schedules moved from the bar store to the user database',
    );
  }
  let db: DatabaseSync;
  try {
    db = openDatabase(config.storePath, (note) => {
      logger.warn(note);
    });
  } catch (error) {
    user.db.close();
    throw error;
  }
  // Shared by every process when set; the address goes to the log, never the URL (it may hold a password).
  const redis =
    config.redisUrl === null
      ? null
      : openRedis(config.redisUrl, (message) => {
          logger.warn(
            { redis: redisAddress(config.redisUrl ?? ''), err: message },
            'redis connection trouble',
          );
        });
  const metrics = new Metrics({ bars: config.storePath, user: config.userDbPath });
  const health = new Health(io.now);
  const pool = new ReportPool({
    threads: config.discord.reportConcurrency,
    homeDir: config.homeDir,
    badTickFactor: config.badTickFactor,
    now: io.now,
  });
  const opened = openMarketData(
    config,
    { source: config.marketDataSource, dataDirs: config.marketDataDirs },
    {
      fetch: io.fetch,
      now: io.now,
      logger,
      database: db,
      generateDemo: generateDemoInWorker,
      metrics,
      ...(redis === null
        ? {}
        : {
            shared: {
              redis: redis.client,
              onError: (message: string) => {
                logger.warn({ component: 'shared-cache' }, message);
              },
            },
            yahooBudget: new SharedRequestBudget(redis.client, 'yahoo', config.yahoo.requestsPerMinute, {
              sleep,
              onError: (message) => {
                logger.warn({ component: 'yahoo' }, message);
              },
            }),
          }),
      observeHttp: (event) => {
        if (event === 'attempt' || event === 'retry' || event === 'rate_limited') metrics.yahoo(event);
        health.observeData(event);
      },
    },
  );
  const prewarmer = prewarmerFor(config, opened.marketData, io, logger);
  // Reports and summaries one process made, for the others to read instead of making them again.
  const sharedText: SharedText | null =
    redis === null
      ? null
      : {
          get: (key) => redis.client.get(`${REDIS_PREFIX}${key}`),
          set: async (key, value, ttlSeconds) => {
            await redis.client.set(`${REDIS_PREFIX}${key}`, value, 'EX', ttlSeconds);
          },
        };
  const runnerData =
    prewarmer === null ? opened.marketData : new WarmingMarketData(opened.marketData, prewarmer);
  const runner = new ReportRunner({
    marketData: runnerData,
    homeDir: config.homeDir,
    now: io.now,
    pool,
    logger: logger.child({ component: 'reports' }),
    maxWaitSeconds: config.discord.maxWaitSeconds,
    ...(sharedText === null ? {} : { shared: sharedText }),
  });
  const llm = createLlmClient(config.llm, io.fetch);
  const llmLimits = {
    perUser: config.llm.dailyUserBudget,
    perServer: config.llm.dailyServerBudget,
    global: config.llm.dailyGlobalBudget,
  };
  const summarizer = new Summarizer({
    client: llm,
    model: config.llm.model,
    logger,
    metrics,
    ...(sharedText === null ? {} : { shared: sharedText }),
  });
  const bot = createBot({
    token,
    apiUrl: config.discord.apiUrl,
    runner,
    schedules: new ScheduleStore(user.db, config.userDbPath),
    watchlists: new WatchlistStore(user.db, config.userDbPath),
    alerts: new AlertStore(user.db, config.userDbPath),
    readCondition: (condition, universe, endDate) => pool.history(condition, universe, endDate, runnerData),
    gateway: config.discord.gateway,
    // Schedules and alerts run in one shard (the one with the DMs), never in an HTTP-only worker; their
    // claims would hold anyway.
    runsTimers: config.discord.gateway && (shardIds === null || shardIds.includes(0)),
    alertIntradayMinutes: opened.marketData.source === 'yahoo' ? config.discord.alertIntradayMinutes : null,
    marketData: opened.marketData,
    cooldown:
      redis === null
        ? new DatabaseCooldown(user.db, config.discord.cooldownSeconds, io.now)
        : new RedisCooldown(redis.client, config.discord.cooldownSeconds),
    summarizer,
    questions: llm === null ? null : new QuestionRouter({ client: llm, model: config.llm.model, logger }),
    llmBudget:
      redis === null
        ? new DatabaseLlmBudget(user.db, llmLimits, io.now)
        : new RedisLlmBudget(redis.client, llmLimits, io.now),
    now: io.now,
    logger,
    metrics,
    health,
    ...(io.schedulerIntervalMs === undefined ? {} : { schedulerIntervalMs: io.schedulerIntervalMs }),
    ...(prewarmer === null ? {} : { warmingUp: () => prewarmer.progress() !== null }),
  });
  prewarmer?.start();
  const firstShard = shardIds?.[0] ?? 0;
  const where =
    config.discord.health === null || firstShard === 0 || config.discord.health.port === 0
      ? config.discord.health
      : { ...config.discord.health, port: config.discord.health.port + firstShard };
  const endpoint =
    where === null
      ? Promise.resolve(null)
      : startHealthServer(where, health, metrics, logger).catch((error: unknown) => {
          throw new TapewatchError(
            'bad_config',
            `HEALTH_PORT ${where.port} on ${where.host} cannot be used (${describeError(error)}).`,
            { cause: error },
          );
        });
  // Awaited by whoever starts the bot; until then a failure must not count as unhandled.
  endpoint.catch(() => undefined);
  const httpInteractions = config.discord.interactions;
  const interactions =
    httpInteractions === null
      ? Promise.resolve(null)
      : startInteractionsEndpoint(
          httpInteractions,
          httpInteractions.publicKey,
          (raw) => {
            bot.receiveInteraction(raw);
          },
          logger,
        ).catch((error: unknown) => {
          throw new TapewatchError(
            'bad_config',
            `INTERACTIONS_PORT ${httpInteractions.port} on ${httpInteractions.host} cannot be used (${describeError(error)}).`,
            { cause: error },
          );
        });
  interactions.catch(() => undefined);
  const shared = redis?.ready ?? Promise.resolve();
  shared.catch(() => undefined);
  let closed: Promise<void> | null = null;
  return {
    bot,
    logger,
    metrics,
    health: endpoint,
    interactions,
    shared,
    close() {
      prewarmer?.stop();
      closed ??= endpoint
        .catch(() => null)
        .then((server) => server?.close())
        .then(() => interactions.catch(() => null))
        .then((server) => server?.close())
        .then(() => bot.stop())
        .finally(() =>
          pool.close().finally(() => {
            summarizer.close();
            opened.close();
            db.close();
            user.db.close();
            return redis?.close();
          }),
        );
      return closed;
    },
  };
}

/**
 * Live data only: local files and the demo market load in seconds and have no request budget to spare.
 * The universes are resolved again before every load, so a refreshed S&P 500 list is warmed too.
 */
function prewarmerFor(config: Config, marketData: MarketData, io: BotIo, logger: Logger): Prewarmer | null {
  if (marketData.source !== 'yahoo' || config.discord.prewarmUniverses.length === 0) return null;
  return new Prewarmer({
    marketData,
    now: io.now,
    logger: logger.child({ component: 'prewarm' }),
    symbols: () => [
      ...defaultReportSymbols(),
      ...config.discord.prewarmUniverses.flatMap((name) => {
        try {
          return resolveUniverse(name, { homeDir: config.homeDir, cwd: config.homeDir }).symbols;
        } catch (error) {
          logger.warn(
            { universe: name, err: describeError(error) },
            'PREWARM_UNIVERSES names a universe that cannot be resolved',
          );
          return [];
        }
      }),
    ],
  });
}
