import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnknownSymbolError } from '../../src/errors.ts';
import { DemoMarketData, generateDemoInWorker, generateDemoMarket } from '../../src/market/demo.ts';
import { resolveUniverse } from '../../src/universes/index.ts';
import { FakeClock } from '../helpers/clock.ts';
import { testPolicy } from '../helpers/reports.ts';

const market = generateDemoMarket(7, '2024-12-31');
const dayReturn = (symbol: string, date: string): number => {
  const closes = market.closes.get(symbol);
  const i = market.dates.indexOf(date);
  assert.ok(closes && i > 0, `${symbol} on ${date}`);
  return (closes[i] ?? 0) / (closes[i - 1] ?? 1) - 1;
};

describe('demo market', () => {
  it('is deterministic, and a later end date only appends sessions', () => {
    const again = generateDemoMarket(7, '2024-12-31');
    const longer = generateDemoMarket(7, '2025-06-30');
    assert.deepEqual([...(again.closes.get('AAPL') ?? [])], [...(market.closes.get('AAPL') ?? [])]);
    const n = market.dates.length;
    assert.deepEqual(
      [...(longer.closes.get('SPY') ?? new Float64Array()).subarray(0, n)],
      [...(market.closes.get('SPY') ?? [])],
    );
    assert.notDeepEqual(
      [...(generateDemoMarket(8, '2024-12-31').closes.get('AAPL') ?? [])],
      [...(market.closes.get('AAPL') ?? [])],
    );
  });

  it('is the same market when generated in a worker thread, its prices arriving in shared memory', async () => {
    const there = await generateDemoInWorker(7, '2024-12-31');
    assert.deepEqual(there.dates, market.dates);
    assert.deepEqual([...there.shares], [...market.shares]);
    assert.deepEqual([...there.caps], [...market.caps]);
    for (const symbol of ['AAPL', 'SPY', 'IWM']) {
      assert.deepEqual([...(there.closes.get(symbol) ?? [])], [...(market.closes.get(symbol) ?? [])], symbol);
    }
    assert.ok(there.closes.get('AAPL')?.buffer instanceof SharedArrayBuffer);
  });

  it('generates once for requests that arrive together, and again after a failed generation', async () => {
    const clock = new FakeClock('2024-07-13T12:00:00Z');
    let generations = 0;
    let fail = true;
    const demo = new DemoMarketData(7, clock.now, (seed, end) => {
      generations++;
      if (fail) return Promise.reject(new Error('worker died'));
      return Promise.resolve(generateDemoMarket(seed, end));
    });
    const range = { from: '2024-07-01', to: '2024-07-12' };
    await assert.rejects(
      Promise.all([demo.getDailyBars('SPY', range), demo.getDailyBars('AAPL', range)]),
      /worker died/,
    );
    assert.equal(generations, 1);
    fail = false;
    const [spy] = await Promise.all([demo.getDailyBars('SPY', range), demo.getQuotes(['AAPL'])]);
    assert.equal(generations, 2);
    assert.equal(spy.dates.at(-1), '2024-07-12');
  });

  it('has every member of the sp500, sectors, styles and mag7 universes', () => {
    const context = { homeDir: '/nonexistent-tapewatch-home', cwd: process.cwd() };
    for (const name of ['sp500', 'sectors', 'styles', 'mag7']) {
      const absent = resolveUniverse(name, context).symbols.filter((s) => !market.closes.has(s));
      assert.deepEqual(absent, [], `${name} members absent from the demo market`);
    }
  });

  it("quotes market caps of each company's size class: the giants on top, the rest around $25 billion", async () => {
    const demo = new DemoMarketData(7, () => new Date('2024-12-31T22:00:00Z'));
    const members = resolveUniverse('sp500', testPolicy().universes).symbols;
    const { quotes } = await demo.getQuotes(members);
    const caps = quotes.map((q) => q.marketCap ?? Number.NaN).sort((a, b) => b - a);
    const giants = ['AAPL', 'MSFT', 'NVDA', 'GOOGL', 'AMZN', 'META', 'TSLA'];
    const giantCaps = quotes.filter((q) => giants.includes(q.symbol)).map((q) => q.marketCap ?? 0);
    assert.ok(Math.min(...giantCaps) >= 1e12, 'every one of the seven is worth a trillion or more');
    assert.deepEqual(
      caps.slice(0, 7),
      [...giantCaps].sort((a, b) => b - a),
      'and they are the seven largest',
    );
    const others = quotes.filter((q) => !giants.includes(q.symbol)).map((q) => q.marketCap ?? 0);
    const median = [...others].sort((a, b) => a - b)[Math.floor(others.length / 2)] ?? 0;
    assert.ok(median > 15e9 && median < 40e9, `median of the rest $${(median / 1e9).toFixed(0)}B`);
    assert.ok(Math.max(...others) < 1e12, 'no other company reaches a trillion');
  });

  it('scripts a small-cap surge on a day the large-cap index falls', () => {
    assert.ok(dayReturn('IWM', '2024-07-11') >= 0.03, `IWM ${dayReturn('IWM', '2024-07-11')}`);
    assert.ok(dayReturn('SPY', '2024-07-11') < 0, `SPY ${dayReturn('SPY', '2024-07-11')}`);
  });

  it('trades on NYSE sessions only and says DEMO DATA', async () => {
    const demo = new DemoMarketData(7, new FakeClock('2024-07-13T12:00:00Z').now);
    assert.match(demo.label, /DEMO DATA/);
    const bars = await demo.getDailyBars('SPY', { from: '2024-07-01', to: '2024-07-31' });
    assert.deepEqual(bars.dates.slice(0, 4), ['2024-07-01', '2024-07-02', '2024-07-03', '2024-07-05']);
    assert.equal(bars.dates[bars.dates.length - 1], '2024-07-12', 'nothing after the last closed session');
    for (let i = 0; i < bars.dates.length; i++) {
      assert.ok(
        (bars.low[i] ?? 0) <= Math.min(bars.open[i] ?? 0, bars.close[i] ?? 0) &&
          (bars.high[i] ?? 0) >= Math.max(bars.open[i] ?? 0, bars.close[i] ?? 0),
      );
    }
    await assert.rejects(
      demo.getDailyBars('NOTREAL', { from: '2024-07-01', to: '2024-07-31' }),
      UnknownSymbolError,
    );
    const quotes = await demo.getQuotes(['AAPL', 'NOTREAL']);
    assert.ok((quotes.quotes[0]?.marketCap ?? 0) > 0, 'members have a market cap for concentration metrics');
    assert.deepEqual(
      quotes.missing.map((m) => m.symbol),
      ['NOTREAL'],
    );
  });
});
