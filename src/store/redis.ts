import { Redis } from 'ioredis';
import { describeError, TapewatchError } from '../errors.ts';

/** Every key tapewatch writes starts with this, so one Redis can serve other programs too. */
export const REDIS_PREFIX = 'tapewatch:';

/** Where REDIS_URL points, for messages and logs: host and port, never the password in it. */
export function redisAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port === '' ? '6379' : parsed.port}`;
}

export interface SharedRedis {
  readonly client: Redis;
  /** Resolves once connected; rejects with one line naming the address when it cannot connect. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * The Redis every bot process shares (REDIS_URL). The first connection must succeed, so a wrong URL
 * stops the start in one line; once connected, a lost connection is retried with a growing pause
 * (at most 2 s) and commands wait for it, as a Redis restart should not stop the bot.
 */
export function openRedis(url: string, onError: (message: string) => void): SharedRedis {
  let connected = false;
  let lastError: unknown = null;
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 3,
    retryStrategy: (attempt) => (connected ? Math.min(attempt * 200, 2_000) : null),
  });
  client.on('error', (error: unknown) => {
    lastError = error;
    if (connected) onError(describeError(error));
  });
  client.on('ready', () => {
    connected = true;
  });
  // A server that closes cleanly (a restart) sends no error: the reconnection is what says it.
  client.on('reconnecting', () => {
    onError('connection lost; reconnecting');
  });
  const ready = client.connect().catch((error: unknown) => {
    client.disconnect();
    throw new TapewatchError(
      'bad_config',
      `REDIS_URL (${redisAddress(url)}) cannot be reached: ${describeError(lastError ?? error)}.`,
      { cause: error },
    );
  });
  return {
    client,
    ready,
    async close() {
      if (client.status === 'end') return;
      await client.quit().catch(() => {
        client.disconnect();
      });
    },
  };
}
