import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildReport } from '../helpers/reports.ts';
import { REPORTS } from '../../commands/index.ts';
import { runCli } from '../../src/cli/program.ts';
import { parseConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/log.ts';
import { factNumbers, reportFacts } from '../../src/llm/facts.ts';
import { ungroundedNumbers } from '../../src/llm/grounding.ts';
import { createLlmClient } from '../../src/llm/client.ts';
import { Summarizer } from '../../src/llm/summarizer.ts';
import { renderSummaryText, templateSummary } from '../../src/llm/template.ts';
import { DemoMarketData } from '../../src/market/demo.ts';
import type { Report } from '../../src/reports/types.ts';
import { formatValue } from '../../src/reports/format.ts';
import { FakeOpenAI } from '../fakes/openai.ts';
import { SKIP_WITHOUT_REDIS, startRedis } from '../helpers/redis.ts';
import { openRedis } from '../../src/store/redis.ts';

describe('summaries through an OpenAI-compatible server on loopback', { timeout: 60_000 }, () => {
  let openai: FakeOpenAI;
  let report: Report;
  const headline = REPORTS.rotation.headline;

  before(async () => {
    openai = await FakeOpenAI.start();
    const demo = new DemoMarketData(20240711, () => new Date('2024-07-11T22:00:00Z'));
    report = await buildReport({ marketData: demo, endDate: '2024-07-11' }, 'rotation');
  });
  after(async () => {
    await openai.close();
  });

  function summarizer(overrides: Record<string, string> = {}): Summarizer {
    const config = parseConfig({
      OPENAI_API_KEY: 'sk-test-key',
      OPENAI_BASE_URL: openai.baseUrl,
      OPENAI_MODEL: 'test-model',
      OPENAI_TIMEOUT_MS: '1000',
      OPENAI_MAX_RETRIES: '0',
      ...overrides,
    });
    return new Summarizer({
      client: createLlmClient(config.llm, globalThis.fetch),
      model: config.llm.model,
      logger: silentLogger,
    });
  }

  /** A summary that only restates values of the report, as a good model would. */
  function groundedAnswer(): string {
    const value = (id: string) =>
      formatValue(report.metrics[id] ?? null, report.metricInfo[id]?.unit ?? 'number');
    return JSON.stringify({
      headline: `Small caps moved ${value('iwm_spy_1d')} against the S&P 500 on ${report.asOf}.`,
      bullets: [
        `Over a month, small caps are ${value('iwm_spy_21d')} against the S&P 500.`,
        `Equal weight against cap weight over a month: ${value('rsp_spy_21d')}.`,
        `Cyclicals against defensives over a month: ${value('cyclicals_defensives_21d')}.`,
      ],
    });
  }

  const invented = JSON.stringify({
    headline: 'Small caps beat the S&P 500 by 987.65% today.',
    bullets: ['One.', 'Two.', 'Three.'],
  });

  it('the template summary of every report is grounded in its facts', async () => {
    const demo = new DemoMarketData(20240711, () => new Date('2024-07-11T22:00:00Z'));
    const context = { marketData: demo, endDate: '2024-07-11' };
    const reports = [report, await buildReport(context, 'breadth'), await buildReport(context, 'momentum')];
    for (const each of reports) {
      const summary = templateSummary(each, REPORTS[each.command].headline, null);
      const text = [summary.headline, ...summary.bullets].join('\n');
      assert.deepEqual(ungroundedNumbers(text, factNumbers(reportFacts(each))), [], each.command);
      assert.ok(summary.bullets.length >= 3 && summary.bullets.length <= 5, each.command);
    }
  });

  it('accepts a grounded summary; the model sees the facts as data, with the prompt, as JSON mode', async () => {
    openai.script.push({ content: groundedAnswer() });
    const before = openai.requests.length;
    const summary = await summarizer().summarize(report, headline);
    assert.equal(summary.origin, 'llm');
    assert.equal(summary.note, null);
    assert.match(summary.headline, /^Small caps moved/);
    const request = openai.requests[before];
    assert.ok(request);
    assert.equal(request.authorization, 'Bearer sk-test-key');
    assert.equal(request.body.model, 'test-model');
    assert.deepEqual(request.body.response_format, { type: 'json_object' });
    assert.equal(request.body.messages[0]?.role, 'system');
    assert.match(request.body.messages[0].content, /facts of a rotation report/);
    const facts = JSON.parse(request.body.messages[1]?.content ?? '{}') as { metrics: unknown[] };
    assert.equal(facts.metrics.length, Object.keys(report.metrics).length);
    assert.match(renderSummaryText(summary), /checked against them\. Not investment advice\.$/);
  });

  it('rejects a summary with an invented number, retries once, then falls back to the template', async () => {
    openai.script.push({ content: invented }, { content: invented });
    const before = openai.requests.length;
    const summary = await summarizer().summarize(report, headline);
    assert.equal(openai.requests.length - before, 2);
    assert.equal(summary.origin, 'template');
    assert.equal(summary.note, "the model's summary was rejected: it stated a number not in the data");
    assert.doesNotMatch(JSON.stringify(summary), /987/, 'the wrong number never reaches a user');
    const retry = openai.requests[before + 1];
    assert.match(retry?.body.messages.at(-1)?.content ?? '', /987\.65/, 'the model is told which');
  });

  it('uses the retry when it is grounded', async () => {
    openai.script.push({ content: invented }, { content: groundedAnswer() });
    const summary = await summarizer().summarize(report, headline);
    assert.equal(summary.origin, 'llm');
  });

  for (const [name, replies, note] of [
    ['a timeout', [{ delayMs: 3000, content: '{}' }], /did not answer/],
    ['a 429', [{ status: 429, error: 'rate limited' }], /did not answer/],
    ['a 500', [{ status: 500, error: 'boom' }], /did not answer/],
    ['malformed JSON twice', [{ content: 'Sure! Here is' }, { content: '{"headline": 1}' }], /rejected/],
    ['a body that is not a completion', [{ raw: '<html>' }], /did not answer|rejected/],
  ] as const) {
    it(`falls back to the template on ${name}, within the configured time`, async () => {
      openai.script.length = 0;
      openai.script.push(...replies);
      const started = Date.now();
      const summary = await summarizer().summarize(report, headline);
      assert.ok(Date.now() - started < 2500, `took ${Date.now() - started} ms`);
      assert.equal(summary.origin, 'template');
      assert.match(summary.note ?? '', note);
      assert.deepEqual(
        ungroundedNumbers(
          [summary.headline, ...summary.bullets].join('\n'),
          factNumbers(reportFacts(report)),
        ),
        [],
      );
    });
  }

  it('asks the model once for many identical requests, together or later', async () => {
    openai.script.length = 0;
    openai.script.push({ content: groundedAnswer() });
    const before = openai.requests.length;
    const shared = summarizer();
    const summaries = await Promise.all(Array.from({ length: 10 }, () => shared.summarize(report, headline)));
    const again = await shared.summarize(report, headline);
    assert.equal(openai.requests.length - before, 1);
    assert.ok(summaries.every((s) => s.origin === 'llm') && again.origin === 'llm');
    shared.close();
  });

  it('adds the summary to the CLI report with --explain, in text and JSON', async () => {
    const run = async (args: string[]) => {
      let out = '';
      const code = await runCli(args, {
        env: {
          OPENAI_API_KEY: 'sk-test-key',
          OPENAI_BASE_URL: openai.baseUrl,
          OPENAI_MAX_RETRIES: '0',
          TAPEWATCH_HOME: '/nonexistent',
        },
        cwd: '/',
        stdout: (text) => (out += text),
        stderr: () => undefined,
        stderrIsTty: false,
        now: () => new Date('2024-07-11T22:00:00Z'),
        fetch: globalThis.fetch,
      });
      return { code, out };
    };
    openai.script.length = 0;
    openai.script.push({ content: groundedAnswer() });
    const text = await run(['rotation', '--source', 'demo', '--explain']);
    assert.equal(text.code, 0);
    assert.match(text.out, /^Summary\n\nSmall caps moved .*\n- Over a month/);
    assert.match(text.out, /checked against them\. Not investment advice\.\n\nRotation \(sectors/);
    openai.script.push({ status: 500, error: 'down' });
    const json = JSON.parse(
      (await run(['rotation', '--source', 'demo', '--explain', '--format', 'json'])).out,
    ) as {
      summary: { origin: string; note: string };
      metrics: Record<string, unknown>;
    };
    assert.equal(json.summary.origin, 'template');
    assert.equal(json.summary.note, 'the language model did not answer');
    assert.ok('iwm_spy_1d' in json.metrics);
  });

  it(
    'shares a summary between processes through Redis: the second one calls no model',
    {
      skip: SKIP_WITHOUT_REDIS,
    },
    async () => {
      const redis = await startRedis();
      const clients = [openRedis(redis.url, () => undefined), openRedis(redis.url, () => undefined)];
      try {
        await Promise.all(clients.map((client) => client.ready));
        const processes = clients.map((client) => {
          const config = parseConfig({
            OPENAI_API_KEY: 'sk-test-key',
            OPENAI_BASE_URL: openai.baseUrl,
            OPENAI_MODEL: 'shared-model',
            OPENAI_MAX_RETRIES: '0',
          });
          return new Summarizer({
            client: createLlmClient(config.llm, globalThis.fetch),
            model: config.llm.model,
            logger: silentLogger,
            shared: {
              get: (key) => client.client.get(key),
              set: async (key, value, ttl) => {
                await client.client.set(key, value, 'EX', ttl);
              },
            },
          });
        });
        openai.script.push({ content: groundedAnswer() });
        const before = openai.requests.length;
        const first = await processes[0]?.summarize(report, headline);
        const second = await processes[1]?.summarize(report, headline);
        assert.equal(openai.requests.length, before + 1, 'one model call between the two');
        assert.deepEqual(second, first);
        assert.equal(second?.origin, 'llm');
      } finally {
        await Promise.all(clients.map((client) => client.close()));
        await redis.stop();
      }
    },
  );

  it('without OPENAI_API_KEY, writes the template summary and calls nothing', async () => {
    const before = openai.requests.length;
    const config = parseConfig({ OPENAI_BASE_URL: openai.baseUrl });
    const off = new Summarizer({
      client: createLlmClient(config.llm, globalThis.fetch),
      model: 'x',
      logger: silentLogger,
    });
    const summary = await off.summarize(report, headline);
    assert.equal(off.enabled, false);
    assert.equal(summary.origin, 'template');
    assert.equal(summary.note, 'no language model is configured');
    assert.equal(openai.requests.length, before);
  });
});
