import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Scheduler } from '../../src/bot/scheduler.ts';
import { createLogger } from '../../src/log.ts';
import type { RenderedMessage } from '../../src/render/discord.ts';
import { ScheduleStore } from '../../src/schedules.ts';
import { openUserDatabase } from '../../src/store/user-database.ts';
import { FakeClock } from '../helpers/clock.ts';

describe('the scheduler', () => {
  it('posts every due schedule of a pass longer than one page, once, each in its own time zone', async () => {
    const { db } = openUserDatabase(':memory:', null);
    const store = new ScheduleStore(db, ':memory:');
    const created = new Date('2024-07-10T00:00:00Z');
    // 1,200 schedules (more than two pages) at 16:15 in New York, and 100 at 16:15 in London.
    for (let i = 0; i < 1300; i++) {
      store.add(
        {
          guildId: `1${String(Math.floor(i / 25)).padStart(17, '0')}`,
          channelId: `2${String(i).padStart(17, '0')}`,
          report: 'market',
          time: '16:15',
          days: 'weekdays',
          timeZone: i < 1200 ? 'America/New_York' : 'Europe/London',
          createdBy: 'x',
        },
        created,
      );
    }
    // Thursday 16:15:20 in New York (21:15 in London: that slot is long past, and skipped).
    const clock = new FakeClock('2024-07-11T20:15:20Z');
    const posted: string[] = [];
    const scheduler = new Scheduler({
      store,
      runner: {
        prepare: () => null as never,
        run: () =>
          Promise.resolve({
            message: { content: '', embeds: [] } as unknown as RenderedMessage,
            reports: [],
          }),
      },
      post: (channelId) => {
        posted.push(channelId);
        return Promise.resolve();
      },
      now: clock.now,
      logger: createLogger('silent'),
    });
    await scheduler.tick();
    assert.equal(posted.length, 1200);
    assert.equal(new Set(posted).size, 1200, 'each once');
    assert.ok(
      posted.every((channel) => Number(channel.slice(1)) < 1200),
      'London was not due',
    );
    await scheduler.tick();
    assert.equal(posted.length, 1200, 'a second pass posts nothing again');
    db.close();
  });
});
