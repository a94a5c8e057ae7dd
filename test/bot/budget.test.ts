import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LlmBudget } from '../../src/bot/budget.ts';
import { openUserDatabase } from '../../src/store/user-database.ts';
import { FakeClock } from '../helpers/clock.ts';

const userDatabase = () =>
  path.join(mkdtempSync(path.join(tmpdir(), 'tapewatch-budget-')), 'tapewatch.sqlite');

describe('LLM budget', () => {
  it('budgets LLM calls per user and per server each New York day', () => {
    const clock = new FakeClock('2024-07-11T20:00:00Z');
    const { db } = openUserDatabase(':memory:', null);
    const budget = new LlmBudget(db, { perUser: 2, perServer: 3, global: 100 }, clock.now);
    assert.deepEqual(
      [budget.take('a', 's'), budget.take('a', 's'), budget.take('a', 's')],
      [true, true, false],
      'the user has two',
    );
    assert.deepEqual([budget.take('b', 's'), budget.take('b', 's')], [true, false], 'the server has three');
    assert.equal(budget.take('b', null), true, 'in DMs only the user counts');
    clock.set('2024-07-12T03:59:00Z'); // 23:59 in New York: still the same day
    assert.equal(budget.take('c', 's'), false);
    clock.set('2024-07-12T04:01:00Z');
    assert.equal(budget.take('a', 's'), true, 'a new day in New York');
    db.close();
  });

  it('caps the whole bot a day, whoever asks (LLM_DAILY_GLOBAL_BUDGET)', () => {
    const clock = new FakeClock('2024-07-11T20:00:00Z');
    const { db } = openUserDatabase(':memory:', null);
    const budget = new LlmBudget(db, { perUser: 10, perServer: 10, global: 3 }, clock.now);
    const taken = ['a', 'b', 'c', 'd', 'e'].map((user, i) => budget.take(user, i % 2 === 0 ? 's1' : null));
    assert.deepEqual(taken, [true, true, true, false, false]);
    db.close();
  });

  it('survives a restart: the day spent stays spent; a refused call counts nowhere', () => {
    const clock = new FakeClock('2024-07-11T20:00:00Z');
    const file = userDatabase();
    const limits = { perUser: 2, perServer: 5, global: 100 };
    let opened = openUserDatabase(file, null);
    let budget = new LlmBudget(opened.db, limits, clock.now);
    assert.deepEqual(
      [budget.take('a', 's'), budget.take('a', 's'), budget.take('a', 's')],
      [true, true, false],
    );
    opened.db.close();
    opened = openUserDatabase(file, null);
    budget = new LlmBudget(opened.db, limits, clock.now);
    assert.equal(budget.take('a', 's'), false, 'the user is still out after the restart');
    assert.deepEqual(
      [budget.take('b', 's'), budget.take('b', 's'), budget.take('c', 's')],
      [true, true, true],
      'the server counted two calls of a, not the refused ones',
    );
    assert.equal(budget.take('c', 's'), false, 'the server has spent its five');
    opened.db.close();
  });
});
