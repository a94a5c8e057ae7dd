import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildReports, prepare } from '../../commands/index.ts';
import { silentLogger } from '../../src/log.ts';
import { CachedMarketData } from '../../src/market/cache.ts';
import { addDays } from '../../src/market/calendar.ts';
import { CsvMarketData } from '../../src/market/csv.ts';
import { liveSession } from '../../src/market/session.ts';
import { BarStore, StoredMarketData } from '../../src/market/store.ts';
import { sliceBars } from '../../src/market/types.ts';
import { YahooMarketData } from '../../src/market/yahoo.ts';
import type { Report } from '../../src/reports/types.ts';
import { openDatabase } from '../../src/store/database.ts';
import { resolveUniverse } from '../../src/universes/index.ts';
import { YahooMarket } from '../fakes/yahoo-market.ts';
import { FakeYahoo } from '../fakes/yahoo-server.ts';
import { FakeClock } from '../helpers/clock.ts';
import { testPolicy } from '../helpers/reports.ts';
import { HAVE_SHARED_DATA, SKIP_WITHOUT_SHARED_DATA, sharedPath } from '../helpers/shared-data.ts';

/**
 * The live path at S&P 500 scale: the real Yahoo client, store and cache against a fake Yahoo serving
 * the real price files in Yahoo's wire formats. The files end on 2021-04-21, which plays "today"; the
 * store starts warm with every closed session to 2021-04-20 (as the bot's prewarm leaves it), and with
 * the universe's symbols the files lack remembered as unknown.
 */
describe('live Yahoo data for the S&P 500 through a fake Yahoo', { skip: SKIP_WITHOUT_SHARED_DATA }, () => {
  const clock = new FakeClock('2021-04-21T16:00:00Z'); // 12:00 New York: the session is under way
  let fake: FakeYahoo;
  let market: YahooMarket;
  let csv: CsvMarketData;
  let dir: string;
  let db: ReturnType<typeof openDatabase>;
  let source: CachedMarketData;

  before(async () => {
    if (!HAVE_SHARED_DATA) return;
    const folders = [sharedPath('prices', 'sp500'), sharedPath('prices', 'etf')];
    csv = new CsvMarketData(folders);
    market = new YahooMarket(folders, clock.now);
    fake = new FakeYahoo(sharedPath('yahoo-http'), market);
    await fake.start();
    dir = mkdtempSync(path.join(tmpdir(), 'tapewatch-live-'));
    db = openDatabase(path.join(dir, 'store.db'));
    const store = new BarStore(db, 'store.db');
    const closed = { from: '2000-01-03', to: '2021-04-20' };
    const symbols = [...resolveUniverse('sp500', testPolicy().universes).symbols, 'SPY', 'RSP'];
    const known = new Set(csv.symbols());
    for (const symbol of symbols) {
      if (known.has(symbol))
        store.save(sliceBars(await csv.getDailyBars(symbol, closed), closed), closed, clock.now());
      else store.rememberUnknown(symbol, 'no data found', clock.now());
    }
    const yahoo = new YahooMarketData(
      {
        timeoutMs: 5_000,
        retries: 2,
        concurrency: 4,
        maxRetryAfterSeconds: 60,
        requestsPerMinute: 600,
        maxRateLimitWaitSeconds: 60,
      },
      { fetch: fake.fetch, logger: silentLogger },
    );
    source = new CachedMarketData(new StoredMarketData(yahoo, store, clock.now), clock.now);
  });
  after(async () => {
    if (!HAVE_SHARED_DATA) return;
    source.close();
    db.close();
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function requestsSince(mark: number) {
    const made = fake.requests.slice(mark);
    return {
      chart: made.filter((r) => r.path.startsWith('/v8/finance/chart')).length,
      quote: made.filter((r) => r.path.startsWith('/v7/finance/quote')).length,
      all: made.length,
    };
  }

  async function breadth(at: string, universe = 'sp500'): Promise<Report> {
    clock.set(at);
    const request = prepare('breadth', { universe }, null, testPolicy(at.slice(0, 10)));
    const { reports } = await buildReports(request, {
      marketData: source,
      session: liveSession(source.source, clock.now()),
    });
    assert.ok(reports[0]);
    return reports[0];
  }

  /**
   * The members whose files show a dividend going ex on the day (adjusted and raw closes move apart).
   * Their price during that session includes the drop of the dividend, as Yahoo's own change does,
   * until the day's close is final; everyone else's numbers must be the files' exactly.
   */
  async function withoutExDividend(day: string): Promise<string> {
    const symbols = resolveUniverse('sp500', testPolicy().universes).symbols.filter((s) =>
      csv.symbols().includes(s),
    );
    const kept: string[] = [];
    for (const symbol of symbols) {
      const bars = await csv.getDailyBars(symbol, { from: addDays(day, -7), to: day });
      const n = bars.dates.length;
      const raw = (bars.close[n - 1] ?? 0) / (bars.close[n - 2] ?? 1);
      const adjusted = (bars.adjClose[n - 1] ?? 0) / (bars.adjClose[n - 2] ?? 1);
      if (bars.dates[n - 1] === day && Math.abs(adjusted / raw - 1) < 1e-5) kept.push(symbol);
    }
    const file = path.join(dir, 'no-ex-dividend.txt');
    writeFileSync(file, kept.join('\n'));
    return file;
  }

  /** The same report from the files themselves, as of the same day. */
  async function fromFiles(asOf: string, universe: string): Promise<Report> {
    const request = prepare('breadth', { universe }, asOf, testPolicy(asOf));
    const [report] = (await buildReports(request, { marketData: csv })).reports;
    assert.ok(report);
    return report;
  }

  function assertSameNumbers(live: Report, files: Report): void {
    assert.equal(live.asOf, files.asOf);
    assert.ok(Object.keys(files.metrics).length > 10);
    for (const [id, value] of Object.entries(files.metrics)) {
      const got = live.metrics[id] ?? null;
      if (value === null) assert.equal(got, null, id);
      else
        assert.ok(
          got !== null && Math.abs(got - value) <= 1e-6 * Math.max(1, Math.abs(value)),
          `${id}: ${got} vs ${value}`,
        );
    }
  }

  it('answers a warm report during the session from six requests, with the numbers of the files', async () => {
    await source.getQuotes(['SPY']); // the session handshake, once per process
    const mark = fake.requests.length;
    const report = await breadth('2021-04-21T16:00:00Z');
    const made = requestsSince(mark);
    assert.equal(made.chart, 0, 'closed history comes from the store');
    assert.ok(made.quote <= 6, `${made.quote} quote batches for 505 symbols`);
    assert.equal(made.all, made.quote);
    assert.equal(report.asOf, '2021-04-21');
    assert.ok(
      report.notes.includes(
        '2021-04-21 is under way: its prices are quotes as of 12:00 New York time, not closing prices.',
      ),
      report.notes.join('\n'),
    );
    const members = await withoutExDividend('2021-04-21');
    assertSameNumbers(await breadth('2021-04-21T16:00:00Z', members), await fromFiles('2021-04-21', members));
    assert.equal(requestsSince(mark).chart, 0);
  });

  it('renews an expired crumb once and answers, with a member without a price left n/a', async () => {
    fake.expireCrumb();
    market.unpriced.add('MMM');
    const mark = fake.requests.length;
    const report = await breadth('2021-04-21T16:10:00Z');
    market.unpriced.clear();
    const made = requestsSince(mark);
    assert.equal(fake.requests.slice(mark).filter((r) => r.path === '/v1/test/getcrumb').length, 1);
    assert.ok(made.quote <= 7, `${made.quote} quote requests: the refused one and the batches`);
    assert.equal(report.asOf, '2021-04-21');
    assert.ok(report.notes.some((note) => /^1 of \d+ symbols have no quote for 2021-04-21 yet/.test(note)));
  });

  it('rides out a 429 storm on the quotes with the same numbers', async () => {
    fake.inject('/v7/finance/quote', { status: 429, retryAfter: '1' }, 3);
    const members = await withoutExDividend('2021-04-21');
    const started = Date.now();
    const report = await breadth('2021-04-21T16:20:00Z', members);
    assert.ok(Date.now() - started >= 1_000, 'the Retry-After was waited');
    assertSameNumbers(report, await fromFiles('2021-04-21', members));
  });

  it('refreshes after the close with one request per member, naming a member whose payload drifted', async () => {
    fake.inject('/v8/finance/chart/AAPL', { json: { chart: { result: [], error: null } } });
    const mark = fake.requests.length;
    const report = await breadth('2021-04-21T20:30:00Z');
    const made = requestsSince(mark);
    assert.equal(made.chart, 409, 'one gap request per member the store holds');
    assert.deepEqual(
      report.universe.missing.find((m) => m.symbol === 'AAPL'),
      {
        symbol: 'AAPL',
        reason: 'Yahoo sent daily bars for "AAPL" that we could not read',
      },
    );
    const later = fake.requests.length;
    await breadth('2021-04-21T20:40:00Z');
    assert.equal(requestsSince(later).chart, 1, 'only AAPL, which nothing was stored for, is asked again');
  });
});
