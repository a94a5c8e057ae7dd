import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { TapewatchError } from '../errors.ts';

/**
 * Configuration is read from the environment once, here and nowhere else, and validated by one schema.
 * Empty strings count as unset, so a blank line in .env falls back to the default instead of failing.
 */
export const SOURCE_NAMES = ['yahoo', 'csv', 'demo'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/** Discord's REST base without the version; discord.js appends /v10 itself (its REST `api` option). */
export const DEFAULT_DISCORD_API_URL = 'https://discord.com/api';

/** The official API; any OpenAI-compatible server (Ollama, vLLM, llama.cpp, a proxy) works through OPENAI_BASE_URL. */
export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** Variables whose values must never be echoed, not even in a configuration error. */
// REDIS_URL may carry a password (redis://:secret@host).
const SECRET_VARIABLES = new Set(['DISCORD_TOKEN', 'OPENAI_API_KEY', 'REDIS_URL']);

const blankToUndefined = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const optionalString = z.preprocess(blankToUndefined, z.string().trim().optional());
const integerInRange = (min: number, max: number, fallback: number) =>
  z.preprocess(blankToUndefined, z.coerce.number().int().min(min).max(max).default(fallback));

const envSchema = z.object({
  MARKET_DATA_SOURCE: z.preprocess(blankToUndefined, z.enum(SOURCE_NAMES).default('yahoo')),
  MARKET_DATA_DIRS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform((dirs) =>
        dirs
          .split(',')
          .map((dir) => dir.trim())
          .filter((dir) => dir !== ''),
      )
      .default([]),
  ),
  TAPEWATCH_HOME: optionalString,
  TAPEWATCH_STORE_PATH: optionalString,
  TAPEWATCH_DB_PATH: optionalString,
  CACHE_MAX_MB: integerInRange(16, 65_536, 512),
  CSV_CACHE_DIR: optionalString,
  DEMO_SEED: integerInRange(0, 2 ** 31 - 1, 20240711),
  BAD_TICK_FACTOR: z.preprocess(blankToUndefined, z.coerce.number().min(1.5).max(1_000_000).default(3)),
  YAHOO_TIMEOUT_MS: integerInRange(500, 60_000, 5_000),
  YAHOO_RETRIES: integerInRange(0, 5, 2),
  YAHOO_CONCURRENCY: integerInRange(1, 16, 4),
  YAHOO_MAX_RETRY_AFTER_SECONDS: integerInRange(0, 600, 60),
  YAHOO_REQUESTS_PER_MINUTE: integerInRange(1, 6_000, 60),
  YAHOO_RATE_LIMIT_WAIT_SECONDS: integerInRange(0, 3_600, 300),
  DISCORD_TOKEN: optionalString,
  HEALTH_PORT: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).max(65_535).optional()),
  HEALTH_HOST: z.preprocess(blankToUndefined, z.string().trim().min(1).default('127.0.0.1')),
  DISCORD_GUILD_ID: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .regex(
        /^\d{17,20}$/,
        'expected a server id (17 to 20 digits; Developer Mode, right-click the server, Copy ID)',
      )
      .optional(),
  ),
  DISCORD_API_URL: z.preprocess(
    blankToUndefined,
    z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://discord.com/api' })
      .transform((url) => url.replace(/\/+$/, ''))
      .default(DEFAULT_DISCORD_API_URL),
  ),
  BOT_COOLDOWN_SECONDS: integerInRange(0, 600, 10),
  BOT_REPORT_CONCURRENCY: integerInRange(1, 16, 2),
  BOT_MAX_WAIT_SECONDS: integerInRange(5, 600, 60),
  ALERT_INTRADAY_MINUTES: integerInRange(0, 390, 30),
  SHARD_COUNT: z.preprocess(
    blankToUndefined,
    z
      .union([z.literal('auto'), z.coerce.number().int().min(1).max(1024)], {
        error: 'expected auto or a number of shards from 1 to 1024',
      })
      .optional(),
  ),
  SHARD_SPAWN_DELAY_MS: integerInRange(0, 60_000, 5_500),
  DISCORD_PUBLIC_KEY: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .regex(
        /^[0-9a-f]{64}$/i,
        "expected the application's public key: 64 hex digits from the developer portal",
      )
      .optional(),
  ),
  INTERACTIONS_PORT: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).max(65_535).optional()),
  INTERACTIONS_HOST: z.preprocess(blankToUndefined, z.string().trim().min(1).default('127.0.0.1')),
  DISCORD_GATEWAY: z.preprocess(blankToUndefined, z.enum(['on', 'off']).default('on')),
  // Set by discord.js's ShardingManager for the processes it starts: which shards this one runs.
  SHARDS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform((text, ctx) => {
        try {
          // One id ("1") for a shard process, a JSON list ("[0,1]") for a process running several.
          const parsed: unknown = JSON.parse(text);
          const ids: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
          if (ids.length > 0 && ids.every((id) => Number.isInteger(id) && (id as number) >= 0)) {
            return ids as number[];
          }
        } catch {
          // reported below
        }
        ctx.addIssue({ code: 'custom', message: 'expected a shard id or a JSON list of them, such as [0]' });
        return z.NEVER;
      })
      .optional(),
  ),
  PREWARM_UNIVERSES: z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform((list) =>
        list.trim().toLowerCase() === 'none'
          ? []
          : list
              .split(',')
              .map((name) => name.trim())
              .filter((name) => name !== ''),
      )
      .default(['sp500']),
  ),
  OPENAI_API_KEY: optionalString,
  REDIS_URL: z.preprocess(
    blankToUndefined,
    z.url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' }).optional(),
  ),
  OPENAI_BASE_URL: z.preprocess(
    blankToUndefined,
    z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as http://localhost:11434/v1' })
      .transform((url) => url.replace(/\/+$/, ''))
      .default(DEFAULT_OPENAI_BASE_URL),
  ),
  OPENAI_MODEL: z.preprocess(blankToUndefined, z.string().trim().min(1).default('gpt-4o-mini')),
  OPENAI_TIMEOUT_MS: integerInRange(1_000, 120_000, 20_000),
  OPENAI_MAX_RETRIES: integerInRange(0, 5, 1),
  LLM_DAILY_USER_BUDGET: integerInRange(0, 10_000, 20),
  LLM_DAILY_SERVER_BUDGET: integerInRange(0, 100_000, 200),
  LLM_DAILY_GLOBAL_BUDGET: integerInRange(0, 1_000_000, 1000),
  LOG_LEVEL: z.preprocess(
    blankToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
});

export interface YahooSettings {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly concurrency: number;
  /** The longest Yahoo's Retry-After is waited in full; a longer one fails at once with "try again in N s". */
  readonly maxRetryAfterSeconds: number;
  /** The request budget: requests a minute on average, a minute's worth in a burst. */
  readonly requestsPerMinute: number;
  /** How long one request waits out 429s in all before the report fails as rate-limited. */
  readonly maxRateLimitWaitSeconds: number;
}

export interface DiscordSettings {
  /** Null when unset: the CLI never needs it, and the bot says plainly that it is missing. */
  readonly token: string | null;
  /** Slash commands go to this one server (instant) when set, globally otherwise. */
  readonly guildId: string | null;
  readonly apiUrl: string;
  /** Seconds one user waits between two report requests; 0 turns the cooldown off. */
  readonly cooldownSeconds: number;
  /** Worker threads computing reports, one report each at a time; the rest wait their turn. */
  readonly reportConcurrency: number;
  /** A request that would wait longer for its turn is told "busy" at once. */
  readonly maxWaitSeconds: number;
  /**
   * Universes whose history the bot loads at start-up and after each close with the live source, on top
   * of the symbols every report needs (PREWARM_UNIVERSES; "none" turns prewarming off).
   */
  readonly prewarmUniverses: readonly string[];
  /**
   * With the live source, minutes between intraday readings of the alerts during a session; null (0)
   * reads them after the close only.
   */
  readonly alertIntradayMinutes: number | null;
  /**
   * Gateway shards to run as processes of their own (SHARD_COUNT: a number, or auto for Discord's
   * recommendation); null runs one process with one connection, as a bot in fewer than 2,500 servers needs.
   */
  readonly shardCount: number | 'auto' | null;
  /** Milliseconds between starting two shards (Discord lets a bot identify once every 5 seconds). */
  readonly shardSpawnDelayMs: number;
  /** The shards this process runs when a ShardingManager started it; null otherwise. */
  readonly shardIds: readonly number[] | null;
  /**
   * Discord's Interactions Endpoint URL served here (INTERACTIONS_PORT, INTERACTIONS_HOST), checked with
   * the application's public key (DISCORD_PUBLIC_KEY); null when INTERACTIONS_PORT is unset.
   */
  readonly interactions: { readonly host: string; readonly port: number; readonly publicKey: string } | null;
  /**
   * Whether this process connects to the gateway (DISCORD_GATEWAY, on by default). Off, it is a stateless
   * worker answering the HTTP interactions endpoint only: no DMs, no schedules or alerts (the gateway
   * process keeps those).
   */
  readonly gateway: boolean;
  /** Where /healthz and /metrics are served (HEALTH_PORT, HEALTH_HOST); null when HEALTH_PORT is unset. */
  readonly health: { readonly host: string; readonly port: number } | null;
}

export interface LlmSettings {
  /** Null when unset: the LLM layer is off and summaries come from the deterministic template. */
  readonly apiKey: string | null;
  readonly baseUrl: string;
  readonly model: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  /** LLM calls one user, and one server, may cause per New York calendar day; 0 means none. */
  readonly dailyUserBudget: number;
  readonly dailyServerBudget: number;
  /** LLM calls the whole bot may make per New York day, across all servers and DMs. */
  readonly dailyGlobalBudget: number;
}

export interface Config {
  readonly marketDataSource: SourceName;
  readonly marketDataDirs: readonly string[];
  /** Where tapewatch keeps what it writes: the bar store and refreshed universe lists. */
  readonly homeDir: string;
  /** The bar store: a disposable cache of fetched daily histories. */
  readonly storePath: string;
  /** The user database: schedules, watchlists, LLM budgets and cooldowns, which cannot be fetched again. */
  readonly userDbPath: string;
  /**
   * Where parsed CSV price files are kept in binary between runs (CSV_CACHE_DIR, default
   * $TAPEWATCH_HOME/cache/csv); null when CSV_CACHE_DIR is "off".
   */
  readonly csvCacheDir: string | null;
  /** The most memory the in-memory cache of live quotes and bars may hold, in bytes. */
  readonly cacheMaxBytes: number;
  readonly demoSeed: number;
  /** A one-day move of this factor, up or down, undone the next day is a bad tick (see market/quality.ts). */
  readonly badTickFactor: number;
  readonly yahoo: YahooSettings;
  readonly discord: DiscordSettings;
  readonly llm: LlmSettings;
  /**
   * Redis shared by every bot process (cooldowns, LLM budgets, …); null (REDIS_URL unset) keeps all of
   * it in this process and the user database, as a single bot needs.
   */
  readonly redisUrl: string | null;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** Parses configuration from an environment map; throws one error naming every bad variable. */
export function parseConfig(env: Environment): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.');
      const shown = SECRET_VARIABLES.has(key) ? '[redacted]' : JSON.stringify(env[key] ?? '');
      return `${key}=${shown}: ${issue.message}`;
    });
    throw new TapewatchError('bad_config', `Invalid configuration: ${problems.join('; ')}.`);
  }
  const values = parsed.data;
  if (values.DISCORD_GATEWAY === 'off' && values.INTERACTIONS_PORT === undefined) {
    throw new TapewatchError(
      'bad_config',
      'DISCORD_GATEWAY=off leaves the bot nothing to answer: set INTERACTIONS_PORT (and DISCORD_PUBLIC_KEY) to serve interactions over HTTP, or turn the gateway on.',
    );
  }
  const homeDir = path.resolve(values.TAPEWATCH_HOME ?? path.join(homedir(), '.tapewatch'));
  return Object.freeze({
    marketDataSource: values.MARKET_DATA_SOURCE,
    redisUrl: values.REDIS_URL ?? null,
    marketDataDirs: Object.freeze(values.MARKET_DATA_DIRS),
    homeDir,
    storePath: path.resolve(values.TAPEWATCH_STORE_PATH ?? path.join(homeDir, 'bars.sqlite')),
    userDbPath: path.resolve(values.TAPEWATCH_DB_PATH ?? path.join(homeDir, 'tapewatch.sqlite')),
    csvCacheDir:
      values.CSV_CACHE_DIR?.toLowerCase() === 'off'
        ? null
        : path.resolve(values.CSV_CACHE_DIR ?? path.join(homeDir, 'cache', 'csv')),
    cacheMaxBytes: values.CACHE_MAX_MB * 1024 * 1024,
    demoSeed: values.DEMO_SEED,
    badTickFactor: values.BAD_TICK_FACTOR,
    yahoo: Object.freeze({
      timeoutMs: values.YAHOO_TIMEOUT_MS,
      retries: values.YAHOO_RETRIES,
      concurrency: values.YAHOO_CONCURRENCY,
      maxRetryAfterSeconds: values.YAHOO_MAX_RETRY_AFTER_SECONDS,
      requestsPerMinute: values.YAHOO_REQUESTS_PER_MINUTE,
      maxRateLimitWaitSeconds: values.YAHOO_RATE_LIMIT_WAIT_SECONDS,
    }),
    discord: Object.freeze({
      token: values.DISCORD_TOKEN ?? null,
      guildId: values.DISCORD_GUILD_ID ?? null,
      apiUrl: values.DISCORD_API_URL,
      cooldownSeconds: values.BOT_COOLDOWN_SECONDS,
      reportConcurrency: values.BOT_REPORT_CONCURRENCY,
      maxWaitSeconds: values.BOT_MAX_WAIT_SECONDS,
      prewarmUniverses: Object.freeze(values.PREWARM_UNIVERSES),
      alertIntradayMinutes: values.ALERT_INTRADAY_MINUTES === 0 ? null : values.ALERT_INTRADAY_MINUTES,
      shardCount: values.SHARD_COUNT ?? null,
      shardSpawnDelayMs: values.SHARD_SPAWN_DELAY_MS,
      shardIds: values.SHARDS === undefined ? null : Object.freeze(values.SHARDS),
      gateway: values.DISCORD_GATEWAY === 'on',
      interactions:
        values.INTERACTIONS_PORT === undefined
          ? null
          : Object.freeze({
              host: values.INTERACTIONS_HOST,
              port: values.INTERACTIONS_PORT,
              publicKey: requirePublicKey(values.DISCORD_PUBLIC_KEY),
            }),
      health:
        values.HEALTH_PORT === undefined
          ? null
          : Object.freeze({ host: values.HEALTH_HOST, port: values.HEALTH_PORT }),
    }),
    llm: Object.freeze({
      apiKey: values.OPENAI_API_KEY ?? null,
      baseUrl: values.OPENAI_BASE_URL,
      model: values.OPENAI_MODEL,
      timeoutMs: values.OPENAI_TIMEOUT_MS,
      maxRetries: values.OPENAI_MAX_RETRIES,
      dailyUserBudget: values.LLM_DAILY_USER_BUDGET,
      dailyServerBudget: values.LLM_DAILY_SERVER_BUDGET,
      dailyGlobalBudget: values.LLM_DAILY_GLOBAL_BUDGET,
    }),
    logLevel: values.LOG_LEVEL,
  });
}

/** The bot's token, or a message that says what to do when it is missing. */
function requirePublicKey(key: string | undefined): string {
  if (key === undefined) {
    throw new TapewatchError(
      'bad_config',
      'INTERACTIONS_PORT is set but DISCORD_PUBLIC_KEY is not: copy the public key from the General Information page of your application in the Discord developer portal.',
    );
  }
  return key.toLowerCase();
}

export function requireDiscordToken(config: Config): string {
  if (config.discord.token === null) {
    throw new TapewatchError(
      'bad_config',
      'DISCORD_TOKEN is not set: create a bot in the Discord developer portal (see the README, "Running the bot"), then export DISCORD_TOKEN=<its token> or put it in .env.',
    );
  }
  // A bot token is three base64url parts joined by dots; anything else (a client secret, a quoted or
  // truncated paste) would only fail later, at Discord, with a vaguer message.
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(config.discord.token)) {
    throw new TapewatchError(
      'bad_config',
      'DISCORD_TOKEN does not look like a bot token (three parts joined by dots): copy it from the Bot page of your application in the Discord developer portal, not the client secret.',
    );
  }
  return config.discord.token;
}

/** Long-running entry points (bot, deploy-commands) also read a .env file in the working folder, if any. */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

/**
 * The process environment, for entry points to pass on to code that takes an Environment: this module
 * is the only one that reads process.env, and parseConfig checks what it holds.
 */
export function processEnvironment(): Environment {
  return process.env;
}
