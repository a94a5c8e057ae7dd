import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openBot, type RunningBot } from '../../../src/bot/app.ts';
import { tradingDays } from '../../../src/market/calendar.ts';
import {
  answerTo,
  CHANNEL_ID,
  DM_CHANNEL_ID,
  FakeDiscord,
  MANAGE_GUILD,
  type RecordedCall,
} from '../../fakes/discord.ts';
import { FakeClock } from '../../helpers/clock.ts';
import { SKIP_WITHOUT_SHARED_DATA, sharedPath } from '../../helpers/shared-data.ts';

const OWNER = '600000000000000001';
const MEMBER = '600000000000000002';
const LOST_CHANNEL = '888888888888888888';

interface Body {
  content?: string;
  embeds?: { title?: string }[];
  data?: { content?: string };
}

/** Alert posts (not announcements) in a channel, in order. */
function alertPosts(discord: FakeDiscord, channelId: string): RecordedCall[] {
  return discord.calls.filter(
    (c) =>
      c.method === 'POST' &&
      c.path === `/api/v10/channels/${channelId}/messages` &&
      ((c.body as Body | null)?.content ?? '').startsWith('🔔'),
  );
}

/**
 * The data folders as they stood after the close of `to`: the real S&P 500 member and ETF files cut at
 * that day (written beside the test's home, never into the repository), and a made-up TAPE whose closes
 * are chosen to cross 105 in a worked pattern.
 */
function writeData(root: string, to: string): void {
  for (const folder of ['sp500', 'etf']) {
    const target = path.join(root, folder);
    mkdirSync(target, { recursive: true });
    for (const file of readdirSync(sharedPath('prices', folder))) {
      const lines = readFileSync(sharedPath('prices', folder, file), 'utf8')
        .trimEnd()
        .split('\n');
      const kept = [lines[0], ...lines.slice(1).filter((line) => line.slice(0, 10) <= to)];
      writeFileSync(path.join(target, file), `${kept.join('\n')}\n`);
    }
  }
}

/**
 * TAPE closes 100 until 2020-11-06, then 106, 104, 107, 102, 106. Against "TAPE above 105" (band 2%:
 * clear at 102.9 or less): clear → fires on 11-09 → 104 is inside the band and 107 still holds, so no
 * re-arm and no second post → 102 is clear again, re-armed → fires on 11-13.
 */
const TAPE_LATE = {
  '2020-11-09': 106,
  '2020-11-10': 104,
  '2020-11-11': 107,
  '2020-11-12': 102,
  '2020-11-13': 106,
};

function writeTape(root: string): void {
  const folder = path.join(root, 'own');
  mkdirSync(folder, { recursive: true });
  const rows = tradingDays('2019-11-01', '2020-11-13').map((date) => {
    const close = (TAPE_LATE as Record<string, number>)[date] ?? 100;
    return `${date},${close},${close},${close},${close},${close},1000000`;
  });
  writeFileSync(
    path.join(folder, 'TAPE.csv'),
    ['Date,Open,High,Low,Close,Adj Close,Volume', ...rows].join('\n'),
  );
}

const sub = (name: string, options: Record<string, unknown>[]) => [{ name, type: 1, options }];
const text = (name: string, value: string) => ({ name, type: 3, value });
const channel = (id: string) => ({ name: 'channel', type: 7, value: id });
const resolvedChannel = (id: string) => ({
  channels: { [id]: { id, type: 0, name: 'markets', permissions: '0' } },
});

describe(
  '/alert on the fake Discord with real prices: posted once per episode, by channel or DM',
  { skip: SKIP_WITHOUT_SHARED_DATA, timeout: 300_000 },
  () => {
    let discord: FakeDiscord;
    let running: RunningBot;
    let home: string;
    let data: string;
    // Friday 2020-11-06, 17:00 in New York: that session has closed and settled.
    const clock = new FakeClock('2020-11-06T22:00:00Z');

    const ask = (
      options: Record<string, unknown>[],
      extra: { permissions?: bigint; userId?: string; resolved?: unknown } = {},
    ) => answerTo(discord, discord.slashCommand('alert', options, { userId: OWNER, ...extra }), 60_000);

    /** A bot on the test's home and data: the CSV source reads each file once, so new rows need a start. */
    const startBot = async () => {
      running = openBot({
        env: {
          DISCORD_TOKEN: 'ODg4.fake-token.do-not-log-me',
          DISCORD_API_URL: discord.apiUrl,
          MARKET_DATA_SOURCE: 'csv',
          MARKET_DATA_DIRS: ['sp500', 'etf', 'own'].map((f) => path.join(data, f)).join(','),
          TAPEWATCH_HOME: home,
          BOT_COOLDOWN_SECONDS: '0',
          LOG_LEVEL: process.env.TEST_LOG ?? 'silent',
        },
        fetch: () => Promise.reject(new TypeError('fetch failed: no network in tests')),
        now: clock.now,
        schedulerIntervalMs: 3_600_000,
      });
      await running.bot.start();
    };

    /** The data after the close of `day`, read by a restarted bot at 17:00 New York that day. */
    const closeOf = async (day: string) => {
      await running.close();
      writeData(data, day);
      clock.set(`${day}T22:00:00Z`);
      await startBot();
      await running.bot.alerts.tick();
    };

    before(async () => {
      discord = await FakeDiscord.start();
      home = mkdtempSync(path.join(tmpdir(), 'tapewatch-alert-'));
      data = path.join(home, 'data');
      writeData(data, '2020-11-06');
      writeTape(data);
      await startBot();
    });

    after(async () => {
      await running.close();
      await discord.close();
      rmSync(home, { recursive: true, force: true });
    });

    it('adds a channel alert for Manage Server only, with how often it would have fired', async () => {
      const refused = await ask(sub('add', [text('condition', 'momentum_crash'), channel(CHANNEL_ID)]), {
        userId: MEMBER,
        resolved: resolvedChannel(CHANNEL_ID),
      });
      assert.match(refused, /^Only members with the Manage Server permission can add channel alerts/);
      const added = await ask(sub('add', [text('condition', 'momentum_crash'), channel(CHANNEL_ID)]), {
        permissions: MANAGE_GUILD,
        resolved: resolvedChannel(CHANNEL_ID),
      });
      assert.match(
        added,
        /^Alert #1: momentum_crash \(\|z\| ≥ 3\) on sp500, posted in <#333333333333333333>\. In the 5 years to 2020-11-06 it would have fired \d+ times, last on 20\d\d-\d\d-\d\d\. At the latest close \(2020-11-06\) it does not hold \(z -?\d+\.\d\d\)\.$/,
      );
      const bad = await ask(sub('add', [text('condition', 'momentum crashes')]));
      assert.match(bad, /^Condition "momentum crashes": not a condition this bot reads; e\.g\. /);
    });

    it('adds a DM alert for any member, and one on a channel that later refuses the bot', async () => {
      const dm = await ask(sub('add', [text('condition', 'TAPE above 105')]), { userId: MEMBER });
      assert.match(
        dm,
        /^Alert #2: TAPE above 105, sent to you by DM\. .*At the latest close \(2020-11-06\) it does not hold \(TAPE close 100\)\.$/,
      );
      const opened = await discord.waitForCall(
        (c) => c.method === 'POST' && c.path === '/api/v10/users/@me/channels',
      );
      assert.deepEqual(opened.body, { recipient_id: MEMBER });
      const lost = await ask(sub('add', [text('condition', 'TAPE moves 3%'), channel(LOST_CHANNEL)]), {
        permissions: MANAGE_GUILD,
        resolved: resolvedChannel(LOST_CHANNEL),
      });
      assert.match(lost, /^Alert #3: TAPE moves 3%, posted in <#888888888888888888>\./);
      await running.bot.alerts.tick();
      assert.equal(alertPosts(discord, CHANNEL_ID).length + alertPosts(discord, DM_CHANNEL_ID).length, 0);
    });

    it('posts the momentum crash once when the data reaches 2020-11-09, not again on 11-10 (each a restart); the DM alert fires; a lost channel disables its alert', async () => {
      discord.failingChannels.set(LOST_CHANNEL, { status: 403, code: 50013, message: 'Missing Permissions' });
      await closeOf('2020-11-09');
      const [crash, ...more] = alertPosts(discord, CHANNEL_ID);
      assert.deepEqual(
        more.map((c) => (c.body as Body).content),
        [],
      );
      const body = crash?.body as Body;
      assert.match(
        body.content ?? '',
        /^🔔 \*\*Alert #1: momentum_crash \(\|z\| ≥ 3\) on sp500\*\* fired on 2020-11-09: z -9\.\d\d\.\nSince \d{4}-\d\d-\d\d it would have fired on \d+ of [\d,]+ sessions \(about \d\.\d a year\), last on 20\d\d-\d\d-\d\d\./,
      );
      assert.match(
        body.content ?? '',
        /\n-# Why you got this: alert #1, a server manager set it for this channel\..*\/alert remove id:1\.$/,
      );
      assert.match(body.embeds?.[0]?.title ?? '', /Momentum/);
      assert.ok(crash?.fileNames.includes('momentum-2020-11-09.png'), 'the report chart of the day');

      const [dm] = alertPosts(discord, DM_CHANNEL_ID);
      assert.match(
        (dm?.body as Body).content ?? '',
        /^🔔 \*\*Alert #2: TAPE above 105\*\* fired on 2020-11-09: TAPE close 106\.\nIt did not fire on any of the 257 sessions since 2019-11-01\./,
      );
      assert.match((dm?.body as Body).content ?? '', /you set it for yourself/);
      assert.ok(dm?.fileNames.includes('chart-2020-11-09.png'), "the symbol's chart");

      assert.equal(alertPosts(discord, LOST_CHANNEL).length, 1, 'one attempt, refused with 50013');
      const list = await ask(sub('list', []), { permissions: MANAGE_GUILD });
      assert.match(
        list,
        /\*\*#3\*\* TAPE moves 3%, in <#888888888888888888> · disabled: the bot may no longer post there/,
      );
      assert.match(
        list,
        /\*\*#1\*\* momentum_crash \(\|z\| ≥ 3\) on sp500, in <#333333333333333333> · last fired 2020-11-09 · read through 2020-11-09 · last: posted 2020-11-09/,
      );
      assert.doesNotMatch(list, /#2/, "another member's DM alert is theirs alone");

      await closeOf('2020-11-10');
      await running.bot.alerts.tick();
      assert.equal(alertPosts(discord, CHANNEL_ID).length, 1, 'one post for the episode, not two');
      assert.equal(alertPosts(discord, DM_CHANNEL_ID).length, 1, '104 is inside the band: no re-arm');
      assert.equal(alertPosts(discord, LOST_CHANNEL).length, 1, 'a disabled alert is not tried again');
    });

    it('fires the threshold alert again only after the value was clearly back below: 107 holds, 102 re-arms, 106 fires', async () => {
      for (const day of ['2020-11-11', '2020-11-12']) {
        clock.set(`${day}T22:00:00Z`);
        await running.bot.alerts.tick();
      }
      assert.equal(alertPosts(discord, DM_CHANNEL_ID).length, 1);
      clock.set('2020-11-13T22:00:00Z');
      await running.bot.alerts.tick();
      const posts = alertPosts(discord, DM_CHANNEL_ID);
      assert.equal(posts.length, 2);
      assert.match((posts[1]?.body as Body).content ?? '', /fired on 2020-11-13: TAPE close 106\./);
      assert.equal(alertPosts(discord, CHANNEL_ID).length, 1, 'the data still ends 11-10: nothing new');
    });

    it("tests an alert for its owner, and keeps others' hands off it", async () => {
      const test = await ask(sub('test', [{ name: 'id', type: 4, value: 2 }]), { userId: MEMBER });
      assert.match(
        test,
        /^Test of alert #2: it would fire on 2020-11-13; this is the post\.|^Test of alert #2: it would not fire on 2020-11-13\./,
      );
      const notYours = await ask(sub('remove', [{ name: 'id', type: 4, value: 2 }]));
      assert.equal(notYours, "There is no alert #2 of yours or this server's; see /alert list.");
      const notManager = await ask(sub('remove', [{ name: 'id', type: 4, value: 1 }]), { userId: MEMBER });
      assert.match(notManager, /^Only members with the Manage Server permission/);
      const removed = await ask(sub('remove', [{ name: 'id', type: 4, value: 2 }]), { userId: MEMBER });
      assert.equal(removed, 'Alert #2 removed.');
    });
  },
);
