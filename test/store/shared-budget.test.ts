import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sleep } from '../../src/lib/abort.ts';
import { openRedis } from '../../src/store/redis.ts';
import { SharedRequestBudget } from '../../src/store/shared-budget.ts';
import { redisForSuite, SKIP_WITHOUT_REDIS, startRedis } from '../helpers/redis.ts';

describe('a request budget shared through Redis', { skip: SKIP_WITHOUT_REDIS, timeout: 30_000 }, () => {
  const redis = redisForSuite();
  /** One bot process's view of the budget `name`, with its own connection. */
  const process = async (name: string, perMinute: number, burst: number, errors: string[] = []) => {
    const shared = await redis.connect();
    return new SharedRequestBudget(shared.client, name, perMinute, {
      sleep,
      burst,
      onError: (message) => {
        errors.push(message);
      },
    });
  };

  it('caps two processes together at the one rate', async () => {
    // 20 a second with a burst of 5: 30 requests need at least (30 - 5) / 20 = 1.25 s between the two
    // processes; a bucket each would let each through its 15 in (15 - 5) / 20 = 0.5 s.
    const one = await process('rate', 1200, 5);
    const two = await process('rate', 1200, 5);
    const started = performance.now();
    await Promise.all([
      ...Array.from({ length: 15 }, () => one.take()),
      ...Array.from({ length: 15 }, () => two.take()),
    ]);
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds >= 1.15, `30 tokens took ${seconds.toFixed(2)} s`);
    assert.ok(seconds < 3, `and not much more: ${seconds.toFixed(2)} s`);
  });

  it('pauses every process when one of them is told 429', async () => {
    const one = await process('pause', 6000, 100);
    const two = await process('pause', 6000, 100);
    await two.take();
    one.pauseFor(600);
    await sleep(20);
    const started = performance.now();
    await two.take();
    const waited = performance.now() - started;
    assert.ok(waited >= 500, `the other process waited ${waited.toFixed(0)} ms`);
  });

  it('goes on with a bucket of its own while Redis cannot be reached, and says so', async () => {
    const own = await startRedis();
    const shared = openRedis(own.url, () => undefined);
    await shared.ready;
    const errors: string[] = [];
    const budget = new SharedRequestBudget(shared.client, 'gone', 6000, {
      sleep,
      burst: 10,
      onError: (message) => {
        errors.push(message);
      },
    });
    await budget.take();
    await own.stop();
    await budget.take();
    assert.match(errors[0] ?? '', /^shared budget unavailable, using this process's own/);
    shared.client.disconnect();
  });
});
