import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Cooldown } from '../../src/bot/cooldown.ts';
import { openUserDatabase } from '../../src/store/user-database.ts';
import { FakeClock } from '../helpers/clock.ts';

describe('cooldown', () => {
  it('cools a user down for the configured seconds, each user on their own', () => {
    const clock = new FakeClock('2024-07-11T20:00:00Z');
    const { db } = openUserDatabase(':memory:', null);
    const cooldown = new Cooldown(db, 10, clock.now);
    assert.equal(cooldown.take('a'), 0);
    assert.equal(cooldown.take('b'), 0);
    clock.advanceSeconds(3);
    assert.equal(cooldown.take('a'), 7);
    clock.advanceSeconds(7);
    assert.equal(cooldown.take('a'), 0);
    assert.equal(new Cooldown(db, 0, clock.now).take('a'), 0);
    cooldown.refund('a');
    assert.equal(cooldown.take('a'), 0, 'a refunded request does not count');
    db.close();
  });

  it('holds across a restart, and in a second process sharing the file', () => {
    const clock = new FakeClock('2024-07-11T20:00:00Z');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tapewatch-cooldown-')), 'tapewatch.sqlite');
    const first = openUserDatabase(file, null).db;
    assert.equal(new Cooldown(first, 10, clock.now).take('a'), 0);
    const second = openUserDatabase(file, null).db;
    clock.advanceSeconds(4);
    assert.equal(new Cooldown(second, 10, clock.now).take('a'), 6, 'the other connection sees it');
    first.close();
    second.close();
    const restarted = openUserDatabase(file, null).db;
    assert.equal(new Cooldown(restarted, 10, clock.now).take('a'), 6, 'and so does a restarted bot');
    restarted.close();
  });
});
