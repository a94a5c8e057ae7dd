import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openRedis, redisAddress } from '../../src/store/redis.ts';
import { SKIP_WITHOUT_REDIS, startRedis, type TestRedis } from '../helpers/redis.ts';

describe('the shared Redis', { skip: SKIP_WITHOUT_REDIS, timeout: 30_000 }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });

  it('connects, and says where it failed in one line without the password in the URL', async () => {
    const shared = openRedis(redis.url, () => undefined);
    await shared.ready;
    assert.equal(await shared.client.ping(), 'PONG');
    await shared.close();

    const stopped = await startRedis();
    await stopped.stop();
    const url = `redis://:hunter2@127.0.0.1:${stopped.port}`;
    const refused = openRedis(url, () => undefined);
    await assert.rejects(refused.ready, (error: Error) => {
      assert.equal(
        error.message,
        `REDIS_URL (127.0.0.1:${stopped.port}) cannot be reached: connect ECONNREFUSED 127.0.0.1:${stopped.port}.`,
      );
      assert.ok(!error.message.includes('hunter2'));
      return true;
    });
    await refused.close();
    assert.equal(redisAddress('rediss://user:pw@cache.example:6380/2'), 'cache.example:6380');
    assert.equal(redisAddress('redis://cache.example'), 'cache.example:6379');
  });

  it('rides out a Redis restart once connected: commands wait for the new connection', async () => {
    const own = await startRedis();
    const troubles: string[] = [];
    const shared = openRedis(own.url, (message) => {
      troubles.push(message);
    });
    let again: TestRedis | null = null;
    try {
      await shared.ready;
      await shared.client.set('k', '1');
      await own.stop();
      again = await startRedis(own.port);
      assert.equal(await shared.client.set('k', '2'), 'OK', 'the command went through after the restart');
      assert.ok(troubles.includes('connection lost; reconnecting'), troubles.join('; '));
    } finally {
      await shared.close();
      await again?.stop();
    }
  });
});
