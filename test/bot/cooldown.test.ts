import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DatabaseCooldown, RedisCooldown } from '../../src/bot/cooldown.ts';
import { openUserDatabase } from '../../src/store/user-database.ts';
import { FakeClock } from '../helpers/clock.ts';
import { redisForSuite, SKIP_WITHOUT_REDIS } from '../helpers/redis.ts';

describe('cooldown', () => {
  it('cools a user down for the configured seconds, each user on their own', async () => {
    const clock = new FakeClock('2024-07-11T20:00:00Z');
    const { db } = openUserDatabase(':memory:', null);
    const cooldown = new DatabaseCooldown(db, 10, clock.now);
    assert.equal(await cooldown.take('a'), 0);
    assert.equal(await cooldown.take('b'), 0);
    clock.advanceSeconds(3);
    assert.equal(await cooldown.take('a'), 7);
    clock.advanceSeconds(7);
    assert.equal(await cooldown.take('a'), 0);
    assert.equal(await new DatabaseCooldown(db, 0, clock.now).take('a'), 0);
    await cooldown.refund('a');
    assert.equal(await cooldown.take('a'), 0, 'a refunded request does not count');
    db.close();
  });

  it('holds across a restart, and in a second process sharing the file', async () => {
    const clock = new FakeClock('2024-07-11T20:00:00Z');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tapewatch-cooldown-')), 'tapewatch.sqlite');
    const first = openUserDatabase(file, null).db;
    assert.equal(await new DatabaseCooldown(first, 10, clock.now).take('a'), 0);
    const second = openUserDatabase(file, null).db;
    clock.advanceSeconds(4);
    assert.equal(
      await new DatabaseCooldown(second, 10, clock.now).take('a'),
      6,
      'the other connection sees it',
    );
    first.close();
    second.close();
    const restarted = openUserDatabase(file, null).db;
    assert.equal(
      await new DatabaseCooldown(restarted, 10, clock.now).take('a'),
      6,
      'and so does a restarted bot',
    );
    restarted.close();
  });
});

describe('cooldown shared in Redis', { skip: SKIP_WITHOUT_REDIS, timeout: 30_000 }, () => {
  const redis = redisForSuite();
  /** A bot process's own connection to the shared Redis. */
  const process = async (seconds: number) => new RedisCooldown((await redis.connect()).client, seconds);

  it('a cooldown taken in one process holds in the other, and a refund in either lifts it', async () => {
    const one = await process(30);
    const two = await process(30);
    assert.equal(await one.take('u1'), 0);
    const wait = await two.take('u1');
    assert.ok(wait >= 29 && wait <= 30, `the other process makes u1 wait ${wait} s`);
    assert.equal(await two.take('u2'), 0, 'each user on their own');
    await two.refund('u1');
    assert.equal(await one.take('u1'), 0, 'refunded in the other process');
    assert.equal(await (await process(0)).take('u1'), 0, '0 seconds is off');
  });

  it('forgets the request when the window has passed', async () => {
    const one = await process(1);
    assert.equal(await one.take('short'), 0);
    assert.equal(await one.take('short'), 1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    assert.equal(await one.take('short'), 0);
  });
});
