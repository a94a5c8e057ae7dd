import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  AlertStore,
  parseAlertCondition,
  type AlertCondition,
  type ConditionHistory,
  type DayReading,
} from '../../src/alerts.ts';
import { AlertEvaluator, DATA_RETRY_MS, lastClosedSession } from '../../src/bot/alert-evaluator.ts';
import { ChannelUnavailableError } from '../../src/bot/scheduler.ts';
import { createLogger } from '../../src/log.ts';
import type { RenderedMessage } from '../../src/render/discord.ts';
import { openUserDatabase } from '../../src/store/user-database.ts';
import { FakeClock } from '../helpers/clock.ts';

describe('the session an after-close evaluation reads', () => {
  it('is today from 15 minutes after the close, else the session before; early closes and holidays count', () => {
    // March 2024 is before the switch to daylight time: New York is UTC-5.
    assert.equal(lastClosedSession(new Date('2024-03-05T21:14:00Z')), '2024-03-04');
    assert.equal(lastClosedSession(new Date('2024-03-05T21:15:00Z')), '2024-03-05');
    assert.equal(lastClosedSession(new Date('2024-03-09T18:00:00Z')), '2024-03-08', 'Saturday: Friday');
    // 2024-07-03 closed at 13:00 (New York is UTC-4 in July); 2024-07-04 was a holiday.
    assert.equal(lastClosedSession(new Date('2024-07-03T17:15:00Z')), '2024-07-03');
    assert.equal(lastClosedSession(new Date('2024-07-04T23:00:00Z')), '2024-07-03');
  });
});

const DATES = ['2024-03-01', '2024-03-04', '2024-03-05'];

function history(readings: readonly DayReading[], dates: readonly string[] = DATES): ConditionHistory {
  return {
    dates: dates.slice(0, readings.length),
    readings,
    values: readings.map((reading) => (reading === 'holds' ? -4 : 0)),
    valueLabel: 'z',
    fraction: false,
    gap: 1,
  };
}

/** An evaluator on a real user database, with a reader, a report runner and a Discord that the test plays. */
function setUp(clockAt: string, options: { intradayMinutes?: number } = {}) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tapewatch-evaluator-')), 'user.sqlite');
  const store = new AlertStore(openUserDatabase(file, null).db, file);
  const clock = new FakeClock(clockAt);
  const reads: { condition: string; endDate: string }[] = [];
  const posts: { to: string; content: string }[] = [];
  let serve: (condition: AlertCondition, endDate: string) => ConditionHistory = () => history([]);
  let failPost: Error | null = null;
  const evaluator = new AlertEvaluator({
    store,
    read: (condition, _universe, endDate) => {
      reads.push({ condition: JSON.stringify(condition), endDate });
      return Promise.resolve(serve(condition, endDate));
    },
    runner: {
      prepare: (name, _options, asOf) => ({ name, asOf }) as never,
      run: (request) =>
        Promise.resolve({
          message: {
            content: '',
            embeds: [{ title: `${(request as unknown as { name: string }).name} report` }],
          } as unknown as RenderedMessage,
          reports: [],
        }),
    },
    post: (target, message) => {
      if (failPost !== null) return Promise.reject(failPost);
      posts.push({
        to: target.scope === 'server' ? target.channelId : `dm:${target.userId}`,
        content: message.content,
      });
      return Promise.resolve();
    },
    now: clock.now,
    logger: createLogger('silent'),
    intradayMinutes: options.intradayMinutes ?? null,
  });
  const add = (text: string, channelId = '20', universe = 'sp500') =>
    store.add(
      {
        target: { scope: 'server', guildId: '10', channelId },
        condition: parseAlertCondition(text),
        universe,
        createdBy: 'x',
      },
      clock.now(),
    );
  return {
    store,
    clock,
    reads,
    posts,
    evaluator,
    add,
    serve: (fn: typeof serve) => {
      serve = fn;
    },
    failPostsWith: (error: Error | null) => {
      failPost = error;
    },
  };
}

describe('the alert evaluator', () => {
  it('reads each distinct condition once per pass for every alert that watches it', async () => {
    const t = setUp('2024-03-05T22:00:00Z');
    t.add('momentum_crash', '20');
    t.add('momentum_crash', '21');
    t.add('momentum_crash', '22', 'mag7');
    t.add('washout', '23');
    t.serve(() => history(['clear', 'clear', 'holds']));
    await t.evaluator.tick();
    assert.equal(t.reads.length, 3, 'sp500 crash, mag7 crash, washout');
    assert.ok(t.reads.every((read) => read.endDate === '2024-03-05'));
    assert.deepEqual(t.posts.map((p) => p.to).sort(), ['20', '21', '22', '23']);
    assert.match(
      t.posts[0]?.content ?? '',
      /^🔔 \*\*Alert #1: momentum_crash \(\|z\| ≥ 3\) on sp500\*\* fired on 2024-03-05: z -4\./,
    );
    await t.evaluator.tick();
    assert.equal(t.reads.length, 3, 'everything has read 2024-03-05: nothing to do');
  });

  it('looks again for a session whose data has not arrived only after DATA_RETRY_MS', async () => {
    const t = setUp('2024-03-05T22:00:00Z');
    const alert = t.add('momentum_crash');
    t.serve(() => history(['clear', 'clear']));
    await t.evaluator.tick();
    assert.equal(t.store.get(alert.id)?.evaluatedThrough, '2024-03-04');
    t.clock.advanceSeconds(60);
    await t.evaluator.tick();
    assert.equal(t.reads.length, 1, 'the source lags: no new read a minute later');
    t.clock.advanceSeconds(DATA_RETRY_MS / 1000);
    t.serve(() => history(['clear', 'clear', 'holds']));
    await t.evaluator.tick();
    assert.equal(t.reads.length, 2);
    assert.equal(t.posts.length, 1);
    assert.equal(t.store.get(alert.id)?.lastFired, '2024-03-05');
  });

  it('after the bot was down for sessions, posts a firing only on the latest session and notes an older one', async () => {
    const t = setUp('2024-03-05T22:00:00Z');
    const alert = t.add('momentum_crash');
    t.store.advance(
      alert,
      { state: { armed: true, clearRun: 1 }, evaluatedThrough: '2024-03-01', fired: null },
      null,
    );
    t.serve(() => history(['clear', 'holds', 'clear']));
    await t.evaluator.tick();
    assert.equal(t.posts.length, 0);
    const saved = t.store.get(alert.id);
    assert.equal(saved?.lastOutcome, 'fired 2024-03-04 while the bot was not running; not posted');
    assert.deepEqual(saved.state, { armed: true, clearRun: 1 }, 'and it re-armed on 03-05');
  });

  it('records a post that failed for a passing reason, and disables the alert when the channel is gone', async () => {
    const t = setUp('2024-03-05T22:00:00Z');
    const flaky = t.add('momentum_crash', '20');
    t.serve(() => history(['clear', 'clear', 'holds']));
    t.failPostsWith(new Error('503 Service Unavailable'));
    await t.evaluator.tick();
    assert.equal(t.store.get(flaky.id)?.lastOutcome, 'fired 2024-03-05, not posted: 503 Service Unavailable');
    assert.equal(t.store.get(flaky.id)?.disabledReason, null);
    const t2 = setUp('2024-03-05T22:00:00Z');
    t2.add('momentum_crash');
    t2.serve(() => history(['clear', 'clear', 'holds']));
    t2.failPostsWith(new ChannelUnavailableError('the channel no longer exists'));
    await t2.evaluator.tick();
    assert.equal(t2.store.enabled().length, 0);
    assert.equal(t2.store.get(1)?.disabledReason, 'disabled: the channel no longer exists');
  });

  it('intraday: posts once a session, marked not final, leaves the state to the close, which does not post again', async () => {
    // Tuesday 2024-03-05, 10:00 in New York.
    const t = setUp('2024-03-05T15:00:00Z', { intradayMinutes: 30 });
    const alert = t.add('momentum_crash');
    t.serve((_, endDate) =>
      endDate === '2024-03-05' ? history(['clear', 'clear', 'holds']) : history(['clear', 'clear']),
    );
    await t.evaluator.tick();
    assert.equal(t.store.get(alert.id)?.evaluatedThrough, '2024-03-04', 'the close of 03-04 is read first');
    assert.equal(t.posts.length, 1);
    assert.match(
      t.posts[0]?.content ?? '',
      /fired during the session of 2024-03-05 \(intraday, not final\): z -4\./,
    );
    assert.deepEqual(
      t.store.get(alert.id)?.state,
      { armed: true, clearRun: 1 },
      'the state waits for the close',
    );

    const readsBefore = t.reads.length;
    t.clock.advanceSeconds(10 * 60);
    await t.evaluator.tick();
    assert.equal(t.reads.length, readsBefore, 'not again within 30 minutes');
    t.clock.advanceSeconds(30 * 60);
    await t.evaluator.tick();
    assert.equal(t.posts.length, 1, 'one intraday post per session');

    t.clock.set('2024-03-05T21:20:00Z');
    await t.evaluator.tick();
    assert.equal(t.posts.length, 1, 'the close confirms without a second post');
    const saved = t.store.get(alert.id);
    assert.equal(saved?.lastOutcome, 'fired 2024-03-05 (posted intraday, confirmed at the close)');
    assert.equal(saved.lastFired, '2024-03-05');
    assert.deepEqual(saved.state, { armed: false, clearRun: 0 });
  });
});
