import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cooldown } from '../../src/bot/cooldown.ts';
import { FakeClock } from '../helpers/clock.ts';

describe('cooldown', () => {
  it('cools a user down for the configured seconds, each user on their own', () => {
    const clock = new FakeClock('2024-07-11T20:00:00Z');
    const cooldown = new Cooldown(10, clock.now);
    assert.equal(cooldown.take('a'), 0);
    assert.equal(cooldown.take('b'), 0);
    clock.advanceSeconds(3);
    assert.equal(cooldown.take('a'), 7);
    clock.advanceSeconds(7);
    assert.equal(cooldown.take('a'), 0);
    assert.equal(new Cooldown(0, clock.now).take('a'), 0);
  });
});
