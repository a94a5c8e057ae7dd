import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DatabaseLlmBudget, RedisLlmBudget, type LlmLimits } from '../../src/bot/budget.ts';
import { openUserDatabase } from '../../src/store/user-database.ts';
import { FakeClock } from '../helpers/clock.ts';
import { redisForSuite, SKIP_WITHOUT_REDIS } from '../helpers/redis.ts';

const userDatabase = () =>
  path.join(mkdtempSync(path.join(tmpdir(), 'tapewatch-budget-')), 'tapewatch.sqlite');

describe('LLM budget', () => {
  it('budgets LLM calls per user and per server each New York day', async () => {
    const clock = new FakeClock('2024-07-11T20:00:00Z');
    const { db } = openUserDatabase(':memory:', null);
    const budget = new DatabaseLlmBudget(db, { perUser: 2, perServer: 3, global: 100 }, clock.now);
    assert.deepEqual(
      [await budget.take('a', 's'), await budget.take('a', 's'), await budget.take('a', 's')],
      [true, true, false],
      'the user has two',
    );
    assert.deepEqual(
      [await budget.take('b', 's'), await budget.take('b', 's')],
      [true, false],
      'the server has three',
    );
    assert.equal(await budget.take('b', null), true, 'in DMs only the user counts');
    clock.set('2024-07-12T03:59:00Z'); // 23:59 in New York: still the same day
    assert.equal(await budget.take('c', 's'), false);
    clock.set('2024-07-12T04:01:00Z');
    assert.equal(await budget.take('a', 's'), true, 'a new day in New York');
    db.close();
  });

  it('caps the whole bot a day, whoever asks (LLM_DAILY_GLOBAL_BUDGET)', async () => {
    const clock = new FakeClock('2024-07-11T20:00:00Z');
    const { db } = openUserDatabase(':memory:', null);
    const budget = new DatabaseLlmBudget(db, { perUser: 10, perServer: 10, global: 3 }, clock.now);
    const taken: boolean[] = [];
    for (const [i, user] of ['a', 'b', 'c', 'd', 'e'].entries()) {
      taken.push(await budget.take(user, i % 2 === 0 ? 's1' : null));
    }
    assert.deepEqual(taken, [true, true, true, false, false]);
    db.close();
  });

  it('survives a restart: the day spent stays spent; a refused call counts nowhere', async () => {
    const clock = new FakeClock('2024-07-11T20:00:00Z');
    const file = userDatabase();
    const limits = { perUser: 2, perServer: 5, global: 100 };
    let opened = openUserDatabase(file, null);
    let budget = new DatabaseLlmBudget(opened.db, limits, clock.now);
    assert.deepEqual(
      [await budget.take('a', 's'), await budget.take('a', 's'), await budget.take('a', 's')],
      [true, true, false],
    );
    opened.db.close();
    opened = openUserDatabase(file, null);
    budget = new DatabaseLlmBudget(opened.db, limits, clock.now);
    assert.equal(await budget.take('a', 's'), false, 'the user is still out after the restart');
    assert.deepEqual(
      [await budget.take('b', 's'), await budget.take('b', 's'), await budget.take('c', 's')],
      [true, true, true],
      'the server counted two calls of a, not the refused ones',
    );
    assert.equal(await budget.take('c', 's'), false, 'the server has spent its five');
    opened.db.close();
  });
});

describe('LLM budget shared in Redis', { skip: SKIP_WITHOUT_REDIS, timeout: 30_000 }, () => {
  const redis = redisForSuite();
  const process = async (limits: LlmLimits, clock: FakeClock) =>
    new RedisLlmBudget((await redis.connect()).client, limits, clock.now);

  it('counts calls of both processes against one budget per user, server and day', async () => {
    const clock = new FakeClock('2024-07-11T20:00:00Z');
    const limits = { perUser: 2, perServer: 3, global: 100 };
    const one = await process(limits, clock);
    const two = await process(limits, clock);
    assert.deepEqual(
      [await one.take('a', 's'), await two.take('a', 's'), await one.take('a', 's')],
      [true, true, false],
      'the user has two, wherever they ask',
    );
    assert.deepEqual(
      [await two.take('b', 's'), await one.take('b', 's')],
      [true, false],
      'the server has three',
    );
    assert.equal(await two.take('b', null), true, 'in DMs only the user counts');
    clock.set('2024-07-12T04:01:00Z');
    assert.equal(await one.take('a', 's'), true, 'a new day in New York');
  });

  it('lets exactly the global budget through when 40 calls race from two processes', async () => {
    const clock = new FakeClock('2024-08-01T15:00:00Z');
    const limits = { perUser: 100, perServer: 100, global: 7 };
    const one = await process(limits, clock);
    const two = await process(limits, clock);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? one : two).take(`user${i}`, 'race')),
    );
    assert.equal(results.filter(Boolean).length, 7);
  });
});
