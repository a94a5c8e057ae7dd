import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/index.ts';
import { TapewatchError } from '../../src/errors.ts';

describe('configuration', () => {
  it('has working defaults for an empty environment', () => {
    const config = parseConfig({ HOME: '/home/someone' });
    assert.equal(config.marketDataSource, 'yahoo');
    assert.deepEqual(config.marketDataDirs, []);
    assert.equal(config.yahoo.timeoutMs, 5000);
    assert.equal(config.yahoo.retries, 2);
    assert.equal(config.storePath, path.join(config.homeDir, 'bars.sqlite'));
    assert.equal(config.userDbPath, path.join(config.homeDir, 'tapewatch.sqlite'));
    assert.ok(Object.isFrozen(config));
  });

  it('treats blank values as unset and splits folder lists', () => {
    const config = parseConfig({
      MARKET_DATA_SOURCE: ' ',
      YAHOO_RETRIES: '',
      MARKET_DATA_DIRS: ' a , b,,',
      TAPEWATCH_HOME: '/tmp/tw',
    });
    assert.equal(config.marketDataSource, 'yahoo');
    assert.equal(config.yahoo.retries, 2);
    assert.deepEqual(config.marketDataDirs, ['a', 'b']);
    assert.equal(config.storePath, '/tmp/tw/bars.sqlite');
    assert.equal(config.userDbPath, '/tmp/tw/tapewatch.sqlite');
    assert.equal(config.csvCacheDir, '/tmp/tw/cache/csv');
  });

  it('puts the parsed-CSV cache where CSV_CACHE_DIR says, or nowhere for "off"', () => {
    assert.equal(parseConfig({ CSV_CACHE_DIR: '/var/cache/tw' }).csvCacheDir, '/var/cache/tw');
    assert.equal(parseConfig({ CSV_CACHE_DIR: 'OFF' }).csvCacheDir, null);
  });

  it('reads the universes to prewarm: sp500 by default, a comma list, or none', () => {
    assert.deepEqual(parseConfig({}).discord.prewarmUniverses, ['sp500']);
    assert.deepEqual(parseConfig({ PREWARM_UNIVERSES: ' ' }).discord.prewarmUniverses, ['sp500']);
    assert.deepEqual(parseConfig({ PREWARM_UNIVERSES: 'sp500, mag7,' }).discord.prewarmUniverses, [
      'sp500',
      'mag7',
    ]);
    assert.deepEqual(parseConfig({ PREWARM_UNIVERSES: 'None' }).discord.prewarmUniverses, []);
  });

  it('names every bad variable in one error', () => {
    assert.throws(
      () => parseConfig({ MARKET_DATA_SOURCE: 'bloomberg', YAHOO_TIMEOUT_MS: 'soon', YAHOO_RETRIES: '9' }),
      (error: unknown) =>
        error instanceof TapewatchError &&
        error.code === 'bad_config' &&
        error.message.includes('MARKET_DATA_SOURCE="bloomberg"') &&
        error.message.includes('YAHOO_TIMEOUT_MS="soon"') &&
        error.message.includes('YAHOO_RETRIES="9"'),
    );
  });
});

describe('Discord settings', () => {
  it('reads the Discord settings, with a clear message for each bad one and the token never echoed', () => {
    const config = parseConfig({ DISCORD_TOKEN: 'secret', DISCORD_API_URL: 'http://127.0.0.1:9/api/' });
    assert.equal(config.discord.apiUrl, 'http://127.0.0.1:9/api');
    assert.equal(config.discord.cooldownSeconds, 10);
    assert.equal(config.discord.reportConcurrency, 2);
    assert.equal(config.discord.maxWaitSeconds, 60);
    const tuned = parseConfig({ BOT_REPORT_CONCURRENCY: '4', BOT_MAX_WAIT_SECONDS: '120' }).discord;
    assert.deepEqual([tuned.reportConcurrency, tuned.maxWaitSeconds], [4, 120]);
    assert.equal(parseConfig({}).discord.apiUrl, 'https://discord.com/api');
    assert.equal(parseConfig({}).discord.token, null);
    assert.throws(
      () =>
        parseConfig({
          DISCORD_API_URL: 'ftp://x',
          DISCORD_GUILD_ID: '12',
          BOT_COOLDOWN_SECONDS: '-1',
          BOT_REPORT_CONCURRENCY: '0',
          BOT_MAX_WAIT_SECONDS: 'soon',
        }),
      (e: unknown) =>
        e instanceof TapewatchError &&
        /DISCORD_API_URL="ftp:\/\/x"/.test(e.message) &&
        /DISCORD_GUILD_ID="12"/.test(e.message) &&
        /BOT_COOLDOWN_SECONDS/.test(e.message) &&
        /BOT_REPORT_CONCURRENCY/.test(e.message) &&
        /BOT_MAX_WAIT_SECONDS/.test(e.message),
    );
  });

  it('reads REDIS_URL and the intraday alert interval; a bad REDIS_URL is named without its password', () => {
    assert.equal(parseConfig({}).redisUrl, null);
    assert.equal(
      parseConfig({ REDIS_URL: 'redis://:pw@10.0.0.5:6380/1' }).redisUrl,
      'redis://:pw@10.0.0.5:6380/1',
    );
    assert.equal(parseConfig({ REDIS_URL: 'rediss://cache.example' }).redisUrl, 'rediss://cache.example');
    assert.equal(parseConfig({}).discord.alertIntradayMinutes, 30);
    assert.deepEqual(
      [parseConfig({}).discord.shardCount, parseConfig({}).discord.shardIds],
      [null, null],
      'one process unless SHARD_COUNT is set',
    );
    const shard = parseConfig({ SHARD_COUNT: 'auto', SHARDS: '1' }).discord;
    assert.deepEqual([shard.shardCount, shard.shardIds, shard.shardSpawnDelayMs], ['auto', [1], 5500]);
    assert.deepEqual(parseConfig({ SHARD_COUNT: '4', SHARDS: '[0,2]' }).discord.shardIds, [0, 2]);
    assert.throws(
      () => parseConfig({ SHARD_COUNT: 'many' }),
      /SHARD_COUNT="many": expected auto or a number of shards/,
    );

    assert.equal(parseConfig({}).discord.interactions, null);
    assert.equal(parseConfig({}).discord.gateway, true);
    const key = 'ab'.repeat(32);
    assert.deepEqual(
      parseConfig({ INTERACTIONS_PORT: '8080', DISCORD_PUBLIC_KEY: key.toUpperCase() }).discord.interactions,
      {
        host: '127.0.0.1',
        port: 8080,
        publicKey: key,
      },
    );
    assert.throws(
      () => parseConfig({ INTERACTIONS_PORT: '8080' }),
      /INTERACTIONS_PORT is set but DISCORD_PUBLIC_KEY is not/,
    );
    assert.throws(
      () => parseConfig({ DISCORD_PUBLIC_KEY: 'xyz' }),
      /DISCORD_PUBLIC_KEY="xyz": expected the application's public key/,
    );
    assert.throws(
      () => parseConfig({ DISCORD_GATEWAY: 'off' }),
      /DISCORD_GATEWAY=off leaves the bot nothing to answer/,
    );
    assert.equal(parseConfig({ ALERT_INTRADAY_MINUTES: '0' }).discord.alertIntradayMinutes, null);
    assert.throws(
      () => parseConfig({ REDIS_URL: 'http://:hunter2@cache.example', ALERT_INTRADAY_MINUTES: '500' }),
      (e: unknown) =>
        e instanceof TapewatchError &&
        /REDIS_URL=\[redacted\]: expected a redis:\/\/ or rediss:\/\/ URL/.test(e.message) &&
        /ALERT_INTRADAY_MINUTES/.test(e.message) &&
        !e.message.includes('hunter2'),
    );
  });

  it('reads the data settings: the bad-tick size and the longest Retry-After waited', () => {
    const defaults = parseConfig({});
    assert.deepEqual([defaults.badTickFactor, defaults.yahoo.maxRetryAfterSeconds], [3, 60]);
    const tuned = parseConfig({ BAD_TICK_FACTOR: '10', YAHOO_MAX_RETRY_AFTER_SECONDS: '120' });
    assert.deepEqual([tuned.badTickFactor, tuned.yahoo.maxRetryAfterSeconds], [10, 120]);
    assert.throws(
      () => parseConfig({ BAD_TICK_FACTOR: '1', YAHOO_MAX_RETRY_AFTER_SECONDS: '3600' }),
      (e: unknown) =>
        e instanceof TapewatchError &&
        /BAD_TICK_FACTOR="1"/.test(e.message) &&
        /YAHOO_MAX_RETRY_AFTER_SECONDS="3600"/.test(e.message),
    );
  });
});
