import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { SymbolDataError, TapewatchError, UnknownSymbolError } from '../../src/errors.ts';
import { RemoteMarketData, serveMarketData } from '../../src/market/remote.ts';
import { allocateBars, type DailyBars, type DateRange, type MarketData } from '../../src/market/types.ts';
import { PanelCache } from '../../src/reports/context.ts';
import { RecordingSource } from '../fakes/recording-source.ts';

const ports: MessagePort[] = [];
after(() => {
  for (const port of ports) port.close();
});

/** Both ends of the bridge in this thread: a MessagePort clones exactly as between threads. */
function bridge(source: MarketData): RemoteMarketData {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  serveMarketData(port1, source);
  return new RemoteMarketData(port2, { name: source.source, label: source.label });
}

/** A source with the given bars for every symbol and no quotes. */
function sourceOf(label: string, bars: (symbol: string) => DailyBars): MarketData {
  return {
    source: 'csv',
    label,
    getDailyBars: (symbol) => Promise.resolve(bars(symbol)),
    getQuotes: () => Promise.resolve({ quotes: [], missing: [] }),
  };
}

/** Waits (a few milliseconds at a time, up to two seconds) for a condition the other side makes true. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), 'the condition never came true');
}

const RANGE: DateRange = { from: '2026-01-01', to: '2026-03-31' };

describe('a source in another thread', () => {
  it('hands over the same dates and prices, as views of the same shared memory', async () => {
    const source = new RecordingSource();
    const remote = bridge(source);
    const here = await source.getDailyBars('AAA', RANGE);
    const there = await remote.getDailyBars('AAA', RANGE);
    assert.deepEqual(there.dates, here.dates);
    assert.equal(there.dates[0], '2026-01-02');
    assert.deepEqual([...there.adjClose], [...here.adjClose]);
    assert.ok(there.adjClose.buffer instanceof SharedArrayBuffer);
    assert.equal(remote.source, 'yahoo');
    assert.equal(remote.label, 'recording fake');
  });

  it('copies nothing: a price written on the source side shows through on the other', async () => {
    const bars = allocateBars('ONE', ['1999-12-31', '2008-10-10', '2026-12-04']);
    bars.adjClose.set([1, 2, 3]);
    const there = await bridge(sourceOf('one symbol', () => bars)).getDailyBars('ONE', RANGE);
    assert.deepEqual(there.dates, ['1999-12-31', '2008-10-10', '2026-12-04']);
    bars.adjClose[1] = 42;
    assert.equal(there.adjClose[1], 42);
  });

  it('gives the same buffers for unchanged bars on every request, so an aligned panel is reused', async () => {
    const bars = await new RecordingSource().getDailyBars('AAA', RANGE);
    const remote = bridge(sourceOf('unchanging', () => bars));
    const first = await remote.getDailyBars('AAA', RANGE);
    const second = await remote.getDailyBars('AAA', RANGE);
    assert.notEqual(second, first, 'each request brings its own bars object');
    assert.equal(second.adjClose.buffer, first.adjClose.buffer);
    const panels = new PanelCache();
    assert.equal(panels.align('k', [second]), panels.align('k', [first]));
  });

  it('gives members on one calendar one list of dates, and a different calendar its own', async () => {
    const source = new RecordingSource();
    const remote = bridge(source);
    const [a, b, shorter] = await Promise.all([
      remote.getDailyBars('AAA', RANGE),
      remote.getDailyBars('BBB', RANGE),
      remote.getDailyBars('CCC', { from: RANGE.from, to: '2026-02-27' }),
    ]);
    assert.equal(a.dates, b.dates);
    assert.notEqual(shorter.dates, a.dates);
    assert.equal(shorter.dates.at(-1), '2026-02-27');

    const calendars: Record<string, string[]> = {
      X: ['2026-01-02', '2026-01-05', '2026-01-07'],
      Y: ['2026-01-02', '2026-01-06', '2026-01-07'],
    };
    const sameEnds = bridge(sourceOf('same ends', (symbol) => allocateBars(symbol, calendars[symbol] ?? [])));
    const x = await sameEnds.getDailyBars('X', RANGE);
    const y = await sameEnds.getDailyBars('Y', RANGE);
    assert.deepEqual([x.dates, y.dates], [calendars.X, calendars.Y], 'same length and ends, another middle');
  });

  it('serves bars that were not made in shared memory, copying each only once', async () => {
    const dates = ['2026-01-02', '2026-01-05'];
    const plain: DailyBars = {
      symbol: 'OLD',
      dates,
      open: new Float64Array([1, 2]),
      high: new Float64Array([1, 2]),
      low: new Float64Array([1, 2]),
      close: new Float64Array([1, 2]),
      adjClose: new Float64Array([0.5, 1]),
      volume: new Float64Array([10, 20]),
    };
    const remote = bridge(sourceOf('plain arrays', () => plain));
    const first = await remote.getDailyBars('OLD', RANGE);
    const second = await remote.getDailyBars('OLD', RANGE);
    assert.deepEqual([...first.adjClose], [0.5, 1]);
    assert.deepEqual([...first.volume], [10, 20]);
    assert.equal(second.adjClose.buffer, first.adjClose.buffer, 'the copy is made once');
  });

  it('keeps failures as they were: an unknown symbol, a coded error, and a bug that stays a bug', async () => {
    const source = new RecordingSource();
    const remote = bridge(source);
    await assert.rejects(
      remote.getDailyBars('ZZZ', RANGE),
      (error: unknown) =>
        error instanceof UnknownSymbolError &&
        error.symbol === 'ZZZ' &&
        /Unknown symbol "ZZZ"/.test(error.message),
    );
    const coded: MarketData = {
      source: 'yahoo',
      label: 'down',
      getDailyBars: () =>
        Promise.reject(new TapewatchError('rate_limited', 'Yahoo Finance is rate limiting us.')),
      getQuotes: () => Promise.reject(new Error('socket hang up')),
    };
    const down = bridge(coded);
    await assert.rejects(
      down.getDailyBars('SPY', RANGE),
      (error: unknown) =>
        error instanceof TapewatchError &&
        !(error instanceof UnknownSymbolError) &&
        error.code === 'rate_limited' &&
        error.message === 'Yahoo Finance is rate limiting us.',
    );
    await assert.rejects(
      down.getQuotes(['SPY']),
      (error: unknown) =>
        error instanceof Error && !(error instanceof TapewatchError) && error.message === 'socket hang up',
    );
  });

  it("keeps a broken file one symbol's problem, and the notes a source made about its bars", async () => {
    const noted = {
      ...allocateBars('CCC', ['2026-01-02']),
      notes: ['CCC: 1 repeated row in CCC.csv dropped.'],
    };
    const remote = bridge({
      source: 'csv',
      label: 'files',
      getDailyBars: (symbol) =>
        symbol === 'CCC'
          ? Promise.resolve(noted)
          : Promise.reject(
              new SymbolDataError(symbol, `${symbol}.csv:3: "2024-02-30" is not a real calendar date`),
            ),
      getQuotes: () => Promise.resolve({ quotes: [], missing: [] }),
    });
    assert.deepEqual((await remote.getDailyBars('CCC', RANGE)).notes, noted.notes);
    await assert.rejects(
      remote.getDailyBars('BBB', RANGE),
      (error: unknown) =>
        error instanceof SymbolDataError &&
        error.symbol === 'BBB' &&
        error.message === 'BBB.csv:3: "2024-02-30" is not a real calendar date',
    );
  });

  it('stops a request on the source side when the worker gives up on it, or when the report ends', async () => {
    const seen: AbortSignal[] = [];
    const waiting: MarketData = {
      source: 'yahoo',
      label: 'slow',
      getDailyBars: (_symbol, _range, options) => {
        if (options?.signal) seen.push(options.signal);
        return new Promise(() => undefined);
      },
      getQuotes: () => Promise.resolve({ quotes: [], missing: [] }),
    };
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    serveMarketData(port1, waiting);
    const remote = new RemoteMarketData(port2, { name: 'yahoo', label: 'slow' });
    const caller = new AbortController();
    const given = remote.getDailyBars('AAA', RANGE, { signal: caller.signal });
    const kept = remote.getDailyBars('BBB', RANGE).catch(() => undefined);
    await until(() => seen.length === 2);
    caller.abort(new Error('report failed'));
    await assert.rejects(given, /report failed/);
    await until(() => seen[0]?.aborted === true);
    assert.equal(seen[1]?.aborted, false, 'the other request is still wanted');
    port2.close();
    await until(() => seen[1]?.aborted === true);
    void kept;
  });

  it('passes quotes through', async () => {
    const source = new RecordingSource();
    const remote = bridge(source);
    assert.deepEqual(await remote.getQuotes(['AAA', 'ZZZ']), await source.getQuotes(['AAA', 'ZZZ']));
    assert.deepEqual(source.quoteRequests, [
      ['AAA', 'ZZZ'],
      ['AAA', 'ZZZ'],
    ]);
  });

  it('answers concurrent requests each with its own bars', async () => {
    const source = new RecordingSource();
    const remote = bridge(source);
    const [a, b, c] = await Promise.all(['AAA', 'BBB', 'CCC'].map((s) => remote.getDailyBars(s, RANGE)));
    assert.deepEqual(
      [a, b, c].map((bars) => bars?.symbol),
      ['AAA', 'BBB', 'CCC'],
    );
  });
});
