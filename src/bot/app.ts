import type { DestinationStream } from 'pino';
import { parseConfig, requireDiscordToken, type Environment } from '../config/index.ts';
import { createLogger, type Logger } from '../log.ts';
import type { FetchFn } from '../lib/http.ts';
import { generateDemoInWorker } from '../market/demo.ts';
import { openMarketData } from '../market/index.ts';
import { openDatabase } from '../store/database.ts';
import { QuestionRouter } from '../llm/ask.ts';
import { createLlmClient } from '../llm/client.ts';
import { Summarizer } from '../llm/summarizer.ts';
import { createBot, type Bot } from './bot.ts';
import { LlmBudget } from './budget.ts';
import { ReportPool } from './report-pool.ts';
import { ReportRunner } from './reports.ts';
import { ScheduleStore } from './schedules.ts';

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
  const logger = createLogger(config.logLevel, io.logDestination);
  const db = openDatabase(config.storePath);
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
    },
  );
  const runner = new ReportRunner({
    marketData: opened.marketData,
    homeDir: config.homeDir,
    now: io.now,
    pool,
    logger: logger.child({ component: 'reports' }),
    maxWaitSeconds: config.discord.maxWaitSeconds,
  });
  const llm = createLlmClient(config.llm, io.fetch);
  const summarizer = new Summarizer({ client: llm, model: config.llm.model, logger });
  const bot = createBot({
    token,
    apiUrl: config.discord.apiUrl,
    runner,
    schedules: new ScheduleStore(db, config.storePath),
    cooldownSeconds: config.discord.cooldownSeconds,
    summarizer,
    questions: llm === null ? null : new QuestionRouter({ client: llm, model: config.llm.model, logger }),
    llmBudget: new LlmBudget(
      { perUser: config.llm.dailyUserBudget, perServer: config.llm.dailyServerBudget },
      io.now,
    ),
    now: io.now,
    logger,
    ...(io.schedulerIntervalMs === undefined ? {} : { schedulerIntervalMs: io.schedulerIntervalMs }),
  });
  let closed: Promise<void> | null = null;
  return {
    bot,
    logger,
    close() {
      closed ??= bot.stop().finally(() =>
        pool.close().finally(() => {
          summarizer.close();
          opened.close();
          db.close();
        }),
      );
      return closed;
    },
  };
}
