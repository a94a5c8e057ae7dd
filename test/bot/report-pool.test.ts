import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { prepare } from '../../commands/index.ts';
import { botRequestPolicy, computeAnswer } from '../../src/bot/answer.ts';
import { ReportPool } from '../../src/bot/report-pool.ts';
import { TapewatchError } from '../../src/errors.ts';
import { DemoMarketData, generateDemoInWorker } from '../../src/market/demo.ts';
import type { MarketData } from '../../src/market/types.ts';
import { DEFAULT_BAD_TICK_FACTOR } from '../../src/market/quality.ts';
import { longestStall } from '../helpers/event-loop.ts';

const HOME = '/nonexistent-tapewatch-home';
const TODAY = '2026-11-20';
const now = () => new Date('2026-11-20T22:00:00Z');
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

const pool = new ReportPool({
  threads: 2,
  homeDir: HOME,
  badTickFactor: DEFAULT_BAD_TICK_FACTOR,
  now: () => new Date(),
});
after(() => pool.close());

const request = (name: 'breadth' | 'market', input: Record<string, unknown>, asOf: string | null = null) =>
  prepare(name, input, asOf, botRequestPolicy(TODAY, HOME));

describe('report worker pool', () => {
  it('generates the market and computes a 500-member report in workers while this thread keeps turning', async () => {
    // In this thread the demo market alone holds the CPU for about 600 ms, the breadth report for 200 more.
    const demo = new DemoMarketData(20240711, now, generateDemoInWorker);
    const progress: [number, number][] = [];
    const { value, stallMs } = await longestStall(() =>
      pool.answer(request('breadth', { universe: 'sp500' }), demo, (done, total) =>
        progress.push([done, total]),
      ),
    );
    assert.ok(stallMs < 250, `the event loop stalled ${stallMs.toFixed(0)} ms`);
    const [report] = value.answer.reports;
    assert.equal(report?.command, 'breadth');
    const png = value.answer.message.chart?.png;
    assert.ok(Buffer.isBuffer(png), 'the chart comes back as a Buffer');
    assert.deepEqual([...png.subarray(0, 4)], PNG_SIGNATURE);
    assert.deepEqual(value.warnings, []);
    assert.equal(progress.at(-1)?.[0], progress.at(-1)?.[1], 'progress reaches the last member');
    assert.ok((progress.at(-1)?.[1] ?? 0) > 500);

    const here = await computeAnswer(request('breadth', { universe: 'sp500' }), {
      marketData: new DemoMarketData(20240711, now),
    });
    assert.deepEqual(value.answer.reports, here.answer.reports, 'the same report as computed in this thread');
    assert.deepEqual(value.answer.message.embeds, here.answer.message.embeds);
  });

  it('answers an as-of request and the brief from the same shared data', async () => {
    const demo = new DemoMarketData(20240711, now, generateDemoInWorker);
    const [asOf, brief] = await Promise.all([
      pool.answer(request('breadth', { universe: 'sectors' }, '2020-03-23'), demo, () => undefined),
      pool.answer(request('market', { universe: 'mag7' }), demo, () => undefined),
    ]);
    assert.equal(asOf.answer.reports[0]?.asOf, '2020-03-23');
    assert.deepEqual(
      brief.answer.reports.map((r) => r.command),
      ['breadth', 'rotation'],
      'momentum is left out for seven members',
    );
    assert.match(brief.answer.message.content, /^Not in this brief: momentum\. .*at least 10/);
  });

  it('brings a report failure back with its code and words, and a source failure as the source said it', async () => {
    const demo = new DemoMarketData(20240711, now, generateDemoInWorker);
    await assert.rejects(
      pool.answer(request('breadth', { universe: 'sp500' }, '2005-02-01'), demo, () => undefined),
      (error: unknown) =>
        error instanceof TapewatchError &&
        error.code === 'not_enough_data' &&
        error.message === 'Universe "sp500" has 0 members with data; breadth needs at least 5.',
    );
    const down: MarketData = {
      source: 'yahoo',
      label: 'Yahoo Finance',
      getDailyBars: () =>
        Promise.reject(new TapewatchError('source_unreachable', 'Yahoo Finance did not answer.')),
      getQuotes: () =>
        Promise.reject(new TapewatchError('source_unreachable', 'Yahoo Finance did not answer.')),
    };
    await assert.rejects(
      pool.answer(request('breadth', { universe: 'sectors' }), down, () => undefined),
      (error: unknown) =>
        error instanceof TapewatchError &&
        error.code === 'source_unreachable' &&
        error.message === 'Yahoo Finance did not answer.',
    );
  });
});
