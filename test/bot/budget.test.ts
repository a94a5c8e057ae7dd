import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LlmBudget } from '../../src/bot/budget.ts';
import { FakeClock } from '../helpers/clock.ts';

describe('LLM budget', () => {
  it('budgets LLM calls per user and per server each New York day', () => {
    const clock = new FakeClock('2024-07-11T20:00:00Z');
    const budget = new LlmBudget({ perUser: 2, perServer: 3 }, clock.now);
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
  });
});
