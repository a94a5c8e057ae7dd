import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it, mock } from 'node:test';
import { openBot, type RunningBot } from '../../src/bot/app.ts';
import { TapewatchError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import { Prewarmer, WarmingMarketData } from '../../src/bot/prewarm.ts';
import { allocateBars, type DailyBars, type DateRange, type MarketData } from '../../src/market/types.ts';
import { memberRange } from '../../src/reports/context.ts';
import { FakeClock } from '../helpers/clock.ts';
import { FakeDiscord, type RecordedCall } from '../fakes/discord.ts';
import { YahooMarket } from '../fakes/yahoo-market.ts';
import { FakeYahoo } from '../fakes/yahoo-server.ts';
import { HAVE_SHARED_DATA, SKIP_WITHOUT_SHARED_DATA, sharedPath } from '../helpers/shared-data.ts';

/** A live source whose loads finish when the test releases them, one at a time, in order. */
function heldSource() {
  const asked: { symbol: string; range: DateRange }[] = [];
  const waiting: (() => void)[] = [];
  let failWith: Error | null = null;
  const source: MarketData = {
    source: 'yahoo',
    label: 'held',
    getDailyBars: (symbol, range) => {
      asked.push({ symbol, range });
      if (failWith !== null) return Promise.reject(failWith);
      return new Promise<DailyBars>((resolve) => {
        waiting.push(() => {
          resolve(allocateBars(symbol, []));
        });
      });
    },
    getQuotes: () => Promise.resolve({ quotes: [], missing: [] }),
  };
  return {
    source,
    asked,
    /** Lets the oldest load finish and gives the prewarmer a turn to start the next. */
    async release(count = 1): Promise<void> {
      for (let i = 0; i < count; i++) {
        for (let turns = 0; waiting.length === 0 && turns < 100; turns++) await nextTurn();
        waiting.shift()?.();
        await nextTurn();
      }
    },
    fail(error: Error): void {
      failWith = error;
    },
  };
}

const SYMBOLS = ['SPY', 'XLK', 'AAPL', 'MSFT'];

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('prewarming market history', () => {
  let prewarmer: Prewarmer | null = null;
  afterEach(() => {
    prewarmer?.stop();
    mock.timers.reset();
  });

  function start(source: MarketData, clock: FakeClock, extra: Partial<{ retryMinutes: number }> = {}) {
    prewarmer = new Prewarmer({
      marketData: source,
      symbols: () => SYMBOLS,
      now: clock.now,
      logger: silentLogger,
      concurrency: 1,
      ...extra,
    });
    prewarmer.start();
    return prewarmer;
  }

  it('loads every symbol once at start-up, in order, with the very ranges a report asks for', async () => {
    // A Tuesday at noon in New York: the session is under way, so history ends the day before.
    const clock = new FakeClock('2026-03-03T17:00:00Z');
    const held = heldSource();
    const warm = start(held.source, clock);
    await held.release(SYMBOLS.length);
    await warm.settled();
    assert.deepEqual(
      held.asked.map((a) => a.symbol),
      SYMBOLS,
    );
    const { range } = memberRange({ endDate: '2026-03-03', session: '2026-03-03' });
    assert.equal(range.to, '2026-03-02');
    for (const asked of held.asked) assert.deepEqual(asked.range, range);
    assert.equal(warm.progress(), null, 'the first load is over');
  });

  it('answers a report "loading, N% done" for a symbol still to load, and serves the others', async () => {
    const clock = new FakeClock('2026-03-03T17:00:00Z');
    const held = heldSource();
    const warm = start(held.source, clock);
    const reports = new WarmingMarketData(held.source, warm);
    const range = { from: '2020-01-01', to: '2026-03-02' };
    clock.advanceSeconds(30);
    await held.release(1);
    await assert.rejects(
      reports.getDailyBars('msft', range),
      (error: unknown) =>
        error instanceof TapewatchError &&
        error.code === 'warming_up' &&
        error.message ===
          // 30 s for the first symbol: 90 s for the three left, said as about 2 minutes.
          'I am loading market history after a restart: 25% done (1 of 4 symbols). Please ask again in about 2 minutes.',
    );
    const before = held.asked.length;
    void reports.getDailyBars('SPY', range);
    void reports.getDailyBars('TSLA', range);
    assert.deepEqual(
      held.asked.slice(before).map((a) => a.symbol),
      ['SPY', 'TSLA'],
      'a loaded symbol and one outside the warmed set go to the source',
    );
    while (warm.progress() !== null) await held.release(1);
    await warm.settled();
    const after = held.asked.length;
    void reports.getDailyBars('MSFT', range);
    assert.equal(held.asked.length, after + 1, 'once the load is over, every symbol goes to the source');
  });

  it('loads the day again once after each close, and not before', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const clock = new FakeClock('2026-03-03T17:00:00Z');
    const held = heldSource();
    const warm = start(held.source, clock);
    await held.release(SYMBOLS.length);
    await warm.settled();
    assert.equal(held.asked.length, 4);
    // The close is 16:00 New York (21:00 UTC); the day's bars are asked for 30 minutes later.
    clock.set('2026-03-03T21:29:00Z');
    mock.timers.tick(4 * 3600_000 + 29 * 60_000);
    assert.equal(held.asked.length, 4, 'nothing before the bars have settled');
    clock.set('2026-03-03T21:30:00Z');
    mock.timers.tick(60_000);
    await held.release(SYMBOLS.length);
    await warm.settled();
    assert.equal(held.asked.length, 8);
    const evening = memberRange({ endDate: '2026-03-03', session: null }).range;
    assert.deepEqual(held.asked[4]?.range, evening, 'the evening load takes in the day that closed');
    assert.equal(warm.progress(), null, 'a refresh never holds reports back');
  });

  it('lets reports go to the source when it fails, and tries again later', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const clock = new FakeClock('2026-03-03T17:00:00Z');
    const held = heldSource();
    held.fail(new TapewatchError('source_unreachable', 'Yahoo Finance is unreachable.'));
    const warm = start(held.source, clock, { retryMinutes: 10 });
    await warm.settled();
    assert.equal(warm.progress(), null, 'reports are not held back by a load that cannot go on');
    assert.equal(held.asked.length, 1, 'a failure of the source stops the load');
    mock.timers.tick(10 * 60_000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(held.asked.length, 2, 'and it is tried again ten minutes later');
  });

  it('counts a symbol the source does not know as loaded, and goes on', async () => {
    const clock = new FakeClock('2026-03-03T17:00:00Z');
    const asked: string[] = [];
    const source: MarketData = {
      source: 'yahoo',
      label: 'one unknown',
      getDailyBars: (symbol) => {
        asked.push(symbol);
        return symbol === 'XLK'
          ? Promise.reject(new TapewatchError('unknown_symbol', 'Unknown symbol "XLK".'))
          : Promise.resolve(allocateBars(symbol, []));
      },
      getQuotes: () => Promise.resolve({ quotes: [], missing: [] }),
    };
    const warm = start(source, clock);
    await warm.settled();
    assert.deepEqual(asked, SYMBOLS);
    assert.equal(warm.progress(), null);
  });
});

describe(
  'the bot with live data, right after a start',
  { skip: SKIP_WITHOUT_SHARED_DATA, timeout: 60_000 },
  () => {
    // 2021-04-21, 18:00 in New York: the session has closed; the bot has just started on an empty store.
    const clock = new FakeClock('2021-04-21T22:00:00Z');
    let discord: FakeDiscord;
    let yahoo: FakeYahoo;
    let running: RunningBot;
    let home: string;
    const logs: string[] = [];

    before(async () => {
      if (!HAVE_SHARED_DATA) return;
      discord = await FakeDiscord.start();
      yahoo = new FakeYahoo(
        sharedPath('yahoo-http'),
        new YahooMarket([sharedPath('prices', 'etf')], clock.now),
      );
      await yahoo.start();
      // Slow charts, so the first load is still going when the first user asks.
      yahoo.inject('/v8/finance/chart', { delayMs: 400 }, 17);
      home = mkdtempSync(path.join(tmpdir(), 'tapewatch-prewarm-'));
      running = openBot({
        env: {
          DISCORD_TOKEN: 'ODg4.fake-token.do-not-log-me',
          DISCORD_API_URL: discord.apiUrl,
          MARKET_DATA_SOURCE: 'yahoo',
          PREWARM_UNIVERSES: 'sectors',
          TAPEWATCH_HOME: home,
          LOG_LEVEL: 'info',
        },
        fetch: yahoo.fetch,
        now: clock.now,
        logDestination: {
          write: (line: string) => {
            logs.push(line);
          },
        },
        schedulerIntervalMs: 3_600_000,
      });
      await running.bot.start();
    });
    after(async () => {
      if (!HAVE_SHARED_DATA) return;
      await running.close();
      await discord.close();
      await yahoo.stop();
      rmSync(home, { recursive: true, force: true });
    });

    const answerTo = (token: string, text: RegExp) => (call: RecordedCall) =>
      call.path.includes(`/${token}`) && text.test(JSON.stringify(call.body ?? ''));

    it('says how far the load is instead of queueing a cold load, then answers from the loaded store', async () => {
      const early = discord.slashCommand('rotation', [], { userId: '700000000000000001' });
      const loading = await discord.waitForCall(
        answerTo(early, /loading market history after a restart: \d+% done \(\d+ of 17 symbols\)/),
      );
      assert.ok(loading, 'the first user is told the bot is loading');
      for (let i = 0; i < 200 && !logs.some((line) => line.includes('"market history loaded"')); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const loaded = logs.find((line) => line.includes('"market history loaded"')) ?? '';
      assert.match(loaded, /"done":17/, 'the start-up load logged its end');
      const percents = logs.flatMap((line) => /"percent":(\d+)/.exec(line)?.[1] ?? []).map(Number);
      assert.ok(
        percents.length >= 5 && percents.every((p, i) => i === 0 || p > (percents[i - 1] ?? 0)),
        `and its progress on the way (${percents.join(', ')})`,
      );
      const charts = yahoo.requestsTo('/v8/finance/chart');
      assert.equal(charts, 17, 'one chart request per symbol');
      const later = discord.slashCommand('rotation', [], { userId: '700000000000000002' });
      await discord.waitForCall(answerTo(later, /Rotation/));
      assert.equal(yahoo.requestsTo('/v8/finance/chart'), charts, 'the report asked Yahoo for nothing');
    });
  },
);
