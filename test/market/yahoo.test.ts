import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SymbolDataError, TapewatchError, UnknownSymbolError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import { CachedMarketData } from '../../src/market/cache.ts';
import { YahooMarketData } from '../../src/market/yahoo.ts';
import { FakeClock } from '../helpers/clock.ts';
import { HAVE_SHARED_DATA, SKIP_WITHOUT_SHARED_DATA, sharedPath } from '../helpers/shared-data.ts';
import { FakeYahoo, RECORDED_CRUMB } from '../fakes/yahoo-server.ts';

const AAPL_RANGE = { from: '2020-08-31', to: '2020-11-06' };

interface ChartResult {
  indicators?: { adjclose?: { adjclose?: (number | null)[] }[] };
}

describe(
  'Yahoo source against a loopback fake replaying recorded exchanges',
  { skip: SKIP_WITHOUT_SHARED_DATA },
  () => {
    let fake: FakeYahoo;
    let sleeps: number[];
    let waited = 0;

    function client(
      settings: Partial<{ timeoutMs: number; retries: number; maxRateLimitWaitSeconds: number }> = {},
    ): YahooMarketData {
      return new YahooMarketData(
        {
          timeoutMs: settings.timeoutMs ?? 2_000,
          retries: settings.retries ?? 2,
          concurrency: 4,
          maxRetryAfterSeconds: 60,
          requestsPerMinute: 600,
          maxRateLimitWaitSeconds: settings.maxRateLimitWaitSeconds ?? 300,
        },
        {
          fetch: fake.fetch,
          logger: silentLogger,
          random: () => 0.5,
          // Waiting moves this clock on, so the request budget sees the time it waited pass.
          now: () => waited,
          sleep: (ms) => {
            sleeps.push(ms);
            waited += ms;
            return Promise.resolve();
          },
        },
      );
    }

    before(async () => {
      if (!HAVE_SHARED_DATA) return;
      fake = new FakeYahoo(sharedPath('yahoo-http'));
      await fake.start();
    });
    after(async () => {
      if (HAVE_SHARED_DATA) await fake.stop();
    });
    beforeEach(() => {
      sleeps = [];
      fake.requests.length = 0;
      fake.clearFaults();
    });

    it('does the cookie and crumb handshake, then reads a quote', async () => {
      const batch = await client().getQuotes(['AAPL']);
      assert.deepEqual(batch.missing, []);
      const quote = batch.quotes[0];
      assert.equal(quote?.symbol, 'AAPL');
      assert.equal(quote.name, 'Apple Inc.');
      assert.equal(quote.price, 244.6);
      assert.equal(quote.previousClose, 241.53);
      assert.ok(
        Math.abs((quote.changeFraction ?? 0) - 0.012710667) < 1e-12,
        'Yahoo sends percent; we keep fractions',
      );
      assert.equal(quote.marketCap, 3674405863424);
      assert.equal(quote.asOf, new Date(1739566800 * 1000).toISOString());
      const hosts = fake.requests.map((r) => `${r.host}${r.path}`);
      assert.deepEqual(hosts.slice(0, 4), [
        'finance.yahoo.com/quote/AAPL',
        'guce.yahoo.com/consent',
        'finance.yahoo.com/quote/AAPL',
        'query1.finance.yahoo.com/v1/test/getcrumb',
      ]);
      assert.equal(
        fake.requests.find((r) => r.path === '/v7/finance/quote')?.query.get('crumb'),
        RECORDED_CRUMB,
      );
    });

    it('renews an expired session once when requests are refused with "Invalid Crumb", and goes on', async () => {
      const yahoo = client();
      await yahoo.getQuotes(['AAPL']);
      assert.equal(fake.requestsTo('/v1/test/getcrumb'), 1);
      fake.expireCrumb();
      const [a, b] = await Promise.all([yahoo.getQuotes(['AAPL']), yahoo.getQuotes(['AAPL', 'BABA'])]);
      assert.equal(a.quotes[0]?.price, 244.6);
      assert.equal(b.quotes.length, 2);
      assert.equal(fake.requestsTo('/v1/test/getcrumb'), 2, 'one renewal for both refused requests');
      const crumbs = fake.requests
        .filter((r) => r.path === '/v7/finance/quote')
        .map((r) => r.query.get('crumb'));
      assert.deepEqual(crumbs.slice(0, 3), [RECORDED_CRUMB, RECORDED_CRUMB, RECORDED_CRUMB]);
      assert.deepEqual(
        crumbs.slice(3).map((crumb) => crumb !== RECORDED_CRUMB),
        [true, true],
        'both asked again with the new crumb',
      );
    });

    it('lists unknown symbols as missing and asks at most 100 symbols per request', async () => {
      const yahoo = client();
      const two = await yahoo.getQuotes(['AAPL', 'BABA']);
      assert.deepEqual(
        two.quotes.map((q) => q.symbol),
        ['AAPL', 'BABA'],
      );
      const symbols = Array.from({ length: 150 }, (_, i) => `Z${i}`);
      const many = await yahoo.getQuotes(symbols);
      assert.equal(many.missing.length, 150);
      const batches = fake.requests
        .filter((r) => r.path === '/v7/finance/quote')
        .map((r) => (r.query.get('symbols') ?? '').split(',').length);
      assert.deepEqual(batches, [2, 100, 50]);
    });

    it('maps the daily chart into bars on exchange dates with adjusted closes', async () => {
      const bars = await client().getDailyBars('AAPL', AAPL_RANGE);
      assert.equal(bars.dates.length, 49);
      assert.equal(bars.dates[0], '2020-08-31');
      assert.equal(bars.dates[48], '2020-11-06');
      // 2020-08-31 was the first day after Apple's 4:1 split: it closed at 129.04.
      assert.ok(Math.abs((bars.close[0] ?? 0) - 129.04) < 1e-4);
      assert.ok(Math.abs((bars.adjClose[0] ?? 0) - 125.82673645019531) < 1e-9);
      assert.equal(bars.volume[0], 225702700);
      assert.equal(
        fake.requests.find((r) => r.path === '/v8/finance/chart/AAPL')?.query.get('interval'),
        '1d',
      );
    });

    it('reads 13 years of TSLA history in one chart call', async () => {
      const bars = await client().getDailyBars('TSLA', { from: '2010-06-29', to: '2023-08-11' });
      assert.equal(bars.dates.length, 3303);
      assert.equal(bars.dates[0], '2010-06-29');
      assert.equal(bars.dates[3302], '2023-08-11');
    });

    it('reports an unknown symbol by name without retrying', async () => {
      await assert.rejects(
        client().getDailyBars('NOPEX', AAPL_RANGE),
        (error: unknown) => error instanceof UnknownSymbolError && error.symbol === 'NOPEX',
      );
      assert.equal(fake.requestsTo('/v8/finance/chart/NOPEX'), 1);
      assert.deepEqual(sleeps, []);
    });

    it('retries 429 and 500 with exponential backoff, then succeeds', async () => {
      fake.inject('/v8/finance/chart', { status: 429 });
      fake.inject('/v8/finance/chart', { status: 503 });
      const bars = await client().getDailyBars('AAPL', AAPL_RANGE);
      assert.equal(bars.dates.length, 49);
      assert.equal(fake.requestsTo('/v8/finance/chart/AAPL'), 3);
      assert.deepEqual(sleeps, [187.5, 125], 'the 429 pauses the budget 3/4 of 250 ms; the 503 is jittered');
    });

    it('honours Retry-After in full, and past its cap says when to try again', async () => {
      fake.inject('/v8/finance/chart', { status: 429, retryAfter: '30' });
      await client().getDailyBars('AAPL', AAPL_RANGE);
      assert.deepEqual(sleeps, [30_000]);
      sleeps = [];
      fake.inject('/v8/finance/chart', { status: 429, retryAfter: '90' });
      await assert.rejects(
        client().getDailyBars('AAPL', AAPL_RANGE),
        (error: unknown) =>
          error instanceof TapewatchError &&
          error.code === 'rate_limited' &&
          error.message.startsWith(
            'Yahoo Finance is rate-limiting us and asks us to wait 90 s; try again in 90 s.',
          ),
      );
      assert.deepEqual(sleeps, [], 'not asked again before its time');
    });

    it('gives up after the retries with a message that suggests the offline sources', async () => {
      fake.inject('/v8/finance/chart', { status: 500 }, 3);
      await assert.rejects(
        client().getDailyBars('AAPL', AAPL_RANGE),
        (error: unknown) =>
          error instanceof TapewatchError &&
          error.code === 'source_unreachable' &&
          /HTTP 500 after 3 attempts/.test(error.message) &&
          /--source demo/.test(error.message),
      );
      fake.inject('/v8/finance/chart', { status: 429 }, 6);
      const patient = await client().getDailyBars('AAPL', AAPL_RANGE);
      assert.equal(patient.dates.length, 49, 'six 429s in a row slow the request down, they do not fail it');
      fake.inject('/v8/finance/chart', { status: 429 }, 6);
      await assert.rejects(
        client({ maxRateLimitWaitSeconds: 1 }).getDailyBars('AAPL', AAPL_RANGE),
        (error: unknown) =>
          error instanceof TapewatchError &&
          error.code === 'rate_limited' &&
          /HTTP 429 after 3 attempts/.test(error.message),
      );
    });

    it('asks again after a connection reset, and fails plainly when resets go on', async () => {
      const before = fake.requestsTo('/v8/finance/chart/AAPL');
      fake.inject('/v8/finance/chart/AAPL', { reset: true });
      const bars = await client().getDailyBars('AAPL', AAPL_RANGE);
      assert.equal(bars.dates[0], '2020-08-31');
      assert.equal(fake.requestsTo('/v8/finance/chart/AAPL') - before, 2, 'one reset, one answer');
      fake.inject('/v8/finance/chart/AAPL', { reset: true }, 3);
      await assert.rejects(
        client().getDailyBars('AAPL', AAPL_RANGE),
        (error: unknown) =>
          error instanceof TapewatchError &&
          error.code === 'source_unreachable' &&
          /^Yahoo Finance is unreachable \(no connection after 3 attempts\)\. Try again later/.test(
            error.message,
          ),
      );
    });

    it('times out a request that does not answer', async () => {
      fake.inject('/v8/finance/chart', { delayMs: 1_000 });
      const started = Date.now();
      await assert.rejects(
        client({ timeoutMs: 150, retries: 0 }).getDailyBars('AAPL', AAPL_RANGE),
        (error: unknown) =>
          error instanceof TapewatchError &&
          error.code === 'source_unreachable' &&
          /within 150 ms/.test(error.message),
      );
      assert.ok(Date.now() - started < 900, 'the client gave up before the server answered');
    });

    it("drops a request its caller abandons at once, with the caller's reason, not as a Yahoo failure", async () => {
      fake.inject('/v8/finance/chart', { delayMs: 1_500 });
      const caller = new AbortController();
      const started = Date.now();
      const request = client({ timeoutMs: 5_000 }).getDailyBars('AAPL', AAPL_RANGE, {
        signal: caller.signal,
      });
      setTimeout(() => {
        caller.abort(new Error('the report failed'));
      }, 100);
      await assert.rejects(request, (error: unknown) => {
        assert.ok(!(error instanceof TapewatchError), 'the user never reads "Yahoo is unreachable" for it');
        assert.match(String(error), /the report failed/);
        return true;
      });
      assert.ok(Date.now() - started < 1_000, 'the client let go before the server answered');
      assert.equal(fake.requestsTo('/v8/finance/chart'), 1, 'and asked nothing more');
    });

    /** The recorded AAPL chart with its payload changed by `edit`. */
    function editedChart(edit: (result: ChartResult) => void): unknown {
      const body = structuredClone(fake.recording('chart:AAPL').response.bodyJson) as {
        chart: { result: ChartResult[] };
      };
      const [result] = body.chart.result;
      assert.ok(result);
      edit(result);
      return body;
    }

    it("makes a chart it cannot read that member's problem, in plain words", async () => {
      const unreadable = 'Yahoo sent daily bars for "AAPL" that we could not read.';
      for (const fault of [
        { malformed: true } as const,
        { json: { chart: { result: [], error: null } } },
        { json: editedChart((result) => delete result.indicators) },
      ]) {
        fake.inject('/v8/finance/chart', fault);
        await assert.rejects(
          client().getDailyBars('AAPL', AAPL_RANGE),
          (error: unknown) =>
            error instanceof SymbolDataError && error.symbol === 'AAPL' && error.message === unreadable,
          JSON.stringify(fault).slice(0, 60),
        );
      }
    });

    it('never puts a raw close where Yahoo sent no adjusted close', async () => {
      fake.inject('/v8/finance/chart', {
        json: editedChart((result) => {
          const adjclose = result.indicators?.adjclose?.[0]?.adjclose;
          assert.ok(adjclose);
          adjclose[3] = null;
        }),
      });
      const bars = await client().getDailyBars('AAPL', AAPL_RANGE);
      assert.equal(bars.dates.length, 49);
      assert.ok(Number.isNaN(bars.adjClose[3]), `adjClose ${bars.adjClose[3]}`);
      assert.ok((bars.close[3] ?? 0) > 100, 'the close itself is kept');
      assert.ok((bars.adjClose[4] ?? 0) > 100);

      fake.inject('/v8/finance/chart', { json: editedChart((result) => delete result.indicators?.adjclose) });
      await assert.rejects(
        client().getDailyBars('AAPL', AAPL_RANGE),
        (error: unknown) =>
          error instanceof SymbolDataError &&
          error.message ===
            'Yahoo sent no adjusted closes for "AAPL", so its returns would leave out dividends.',
      );
    });

    it('caches nothing from a failed call: the next request goes to Yahoo again', async () => {
      const cached = new CachedMarketData(client(), new FakeClock('2026-11-20T15:00:00Z').now);
      fake.inject('/v8/finance/chart', { status: 500 }, 3);
      await assert.rejects(cached.getDailyBars('AAPL', AAPL_RANGE));
      const bars = await cached.getDailyBars('AAPL', AAPL_RANGE);
      await cached.getDailyBars('AAPL', AAPL_RANGE);
      cached.close();
      assert.equal(bars.dates.length, 49);
      assert.equal(
        fake.requestsTo('/v8/finance/chart/AAPL'),
        4,
        'three failed attempts, one success, then the cache',
      );
    });
  },
);
