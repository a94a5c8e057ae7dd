import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openBot, type RunningBot } from '../../../src/bot/app.ts';
import { answerTo, FakeDiscord, MANAGE_GUILD, type RecordedCall } from '../../fakes/discord.ts';

const OWNER = '600000000000000001';
const MEMBER = '600000000000000002';

const sub = (name: string, options: Record<string, unknown>[]) => [{ name, type: 1, options }];
const text = (name: string, value: string) => ({ name, type: 3, value });
const flag = (name: string, value: boolean) => ({ name, type: 5, value });

describe('/watchlist, and watchlists as a universe', { timeout: 120_000 }, () => {
  let discord: FakeDiscord;
  let running: RunningBot;
  let home: string;

  before(async () => {
    discord = await FakeDiscord.start();
    home = mkdtempSync(path.join(tmpdir(), 'tapewatch-watchlist-'));
    running = openBot({
      env: {
        DISCORD_TOKEN: 'ODg4.fake-token.do-not-log-me',
        DISCORD_API_URL: discord.apiUrl,
        MARKET_DATA_SOURCE: 'demo',
        TAPEWATCH_HOME: home,
        BOT_COOLDOWN_SECONDS: '0',
        LOG_LEVEL: 'silent',
      },
      fetch: () => Promise.reject(new TypeError('fetch failed: no network in tests')),
      now: () => new Date('2024-07-11T20:30:00Z'),
      schedulerIntervalMs: 3_600_000,
    });
    await running.bot.start();
  });

  after(async () => {
    await running.close();
    await discord.close();
    rmSync(home, { recursive: true, force: true });
  });

  const ask = (
    name: string,
    options: Record<string, unknown>[],
    extra: { permissions?: bigint; userId?: string } = {},
  ) => answerTo(discord, discord.slashCommand(name, options, { userId: OWNER, ...extra }));

  it('adds only symbols the data source knows, naming the others', async () => {
    const refused = await ask(
      'watchlist',
      sub('add', [text('symbols', 'aapl, msft NOPE'), text('name', 'Tech')]),
    );
    assert.equal(
      refused,
      'Not added: NOPE (the demo market has no such symbol). Check the symbols and try again.',
    );
    const added = await ask(
      'watchlist',
      sub('add', [text('symbols', 'aapl, msft NVDA'), text('name', 'Tech')]),
    );
    assert.equal(added, 'Watchlist **tech** (3): AAPL, MSFT, NVDA. Use it as a universe: `watchlist:tech`.');
    const again = await ask(
      'watchlist',
      sub('add', [text('symbols', 'MSFT AMZN META GOOGL'), text('name', 'tech')]),
    );
    assert.equal(
      again,
      'Watchlist **tech** (6): AAPL, MSFT, NVDA, AMZN, META, GOOGL (1 already on it). Use it as a universe: `watchlist:tech`.',
    );
  });

  it("answers a report on watchlist:NAME with the list's members, and names a list that does not exist", async () => {
    const report = await ask('breadth', [text('universe', 'watchlist:tech')]);
    assert.match(report, /AAPL,MSFT,NVDA,AMZN,META,GOOGL \(6\)/, 'the universe is the six symbols');
    const none = await ask('breadth', [text('universe', 'watchlist:gone')]);
    assert.match(
      none,
      /^No watchlist "gone" is yours or this server's: make one with \/watchlist add\. \(ref [0-9a-f]{8}\)$/,
    );
  });

  it('quotes a watchlist with /quote symbols:watchlist:NAME, one row a member, a one-symbol list too', async () => {
    const embeds = JSON.parse(await ask('quote', [text('symbols', 'watchlist:tech')])) as {
      title: string;
      fields: { name: string; value: string }[];
    }[];
    assert.equal(embeds[0]?.title, 'Quotes: AAPL,MSFT,NVDA,AMZN,META,GOOGL');
    const table = embeds[0].fields.find((f) => f.name === 'Quotes')?.value ?? '';
    const rows = table.split('\n').filter((line) => /^[A-Z]+\s+[\d,]+\.\d\d\s/.test(line));
    assert.deepEqual(
      rows.map((row) => row.split(/\s+/)[0]),
      ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'META', 'GOOGL'],
    );
    await ask('watchlist', sub('add', [text('symbols', 'NVDA'), text('name', 'solo')]));
    const solo = JSON.parse(await ask('quote', [text('symbols', 'watchlist:solo')])) as { title: string }[];
    assert.equal(
      solo[0]?.title,
      'Quote: NVDA (Nvidia)',
      'one symbol is a list of one, not an unknown universe',
    );
  });

  it("offers the asker's watchlists among a universe's completions", async () => {
    const token = discord.slashCommand('quote', [{ ...text('symbols', 'wat'), focused: true }], {
      userId: OWNER,
      autocomplete: true,
    });
    const call = await discord.waitForCall(
      (c: RecordedCall) => c.method === 'POST' && c.path.endsWith(`/${token}/callback`),
    );
    const { data } = call.body as { data: { choices: { value: string }[] } };
    assert.deepEqual(
      data.choices.map((c) => c.value),
      // WAT as typed is a symbol too (Waters).
      ['watchlist:solo', 'watchlist:tech', 'WAT'],
    );
  });

  it("keeps the server's lists for Manage Server to change, for every member to use", async () => {
    const refused = await ask(
      'watchlist',
      sub('add', [text('symbols', 'XLE XLF'), text('name', 'cyclicals'), flag('server', true)]),
    );
    assert.equal(
      refused,
      "Only members with the Manage Server permission can change the server's watchlists.",
    );
    const added = await ask(
      'watchlist',
      sub('add', [text('symbols', 'XLE XLF XLI XLB XLU'), text('name', 'cyclicals'), flag('server', true)]),
      { permissions: MANAGE_GUILD },
    );
    assert.match(added, /^Server watchlist \*\*cyclicals\*\* \(5\): XLE, XLF, XLI, XLB, XLU\./);
    const member = await ask('breadth', [text('universe', 'watchlist:cyclicals')], { userId: MEMBER });
    assert.match(member, /XLE,XLF,XLI,XLB,XLU \(5\)/);
    const theirs = await ask('watchlist', sub('show', []), { userId: MEMBER });
    assert.equal(
      theirs,
      'No watchlists yet: add one with /watchlist add.',
      "the server's list is not the member's own",
    );
    const shown = await ask('watchlist', sub('show', [flag('server', true)]), { userId: MEMBER });
    assert.equal(shown, 'Server watchlist **cyclicals** (5): XLE, XLF, XLI, XLB, XLU');
  });

  it('takes symbols off a list, and the list away with none named', async () => {
    const left = await ask('watchlist', sub('remove', [text('symbols', 'msft'), text('name', 'tech')]));
    assert.equal(left, 'Watchlist **tech** (5): AAPL, NVDA, AMZN, META, GOOGL');
    const gone = await ask('watchlist', sub('remove', [text('name', 'tech')]));
    assert.equal(gone, 'Watchlist **tech** removed.');
    const missing = await ask('watchlist', sub('remove', [text('name', 'tech')]));
    assert.match(missing, /^There is no watchlist "tech" among your watchlists\. \(ref [0-9a-f]{8}\)$/);
  });
});
