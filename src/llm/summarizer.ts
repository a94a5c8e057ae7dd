import NodeCache from 'node-cache';
import { createHash } from 'node:crypto';
import type OpenAI from 'openai';
import { z } from 'zod';
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { SingleFlight } from '../lib/single-flight.ts';
import type { SharedText } from '../lib/shared-text.ts';
import type { Report } from '../reports/types.ts';
import { factNumbers, reportFacts } from './facts.ts';
import { ungroundedNumbers } from './grounding.ts';
import { parseModelJson } from './json.ts';
import { fillPrompt, loadPrompt, type PromptTemplate } from './prompts.ts';
import type { Metrics } from '../lib/metrics.ts';
import { templateSummary, type Summary } from './template.ts';

/** What the model must answer; anything else is malformed and ends in the template. */
const summarySchema = z.object({
  headline: z.string().trim().min(1).max(240),
  bullets: z.array(z.string().trim().min(1).max(300)).min(3).max(5),
});

export interface SummarizerDeps {
  readonly client: OpenAI | null;
  readonly model: string;
  readonly logger: Logger;
  /** Counts who wrote each summary: the model, or the template and why. */
  readonly metrics?: Metrics;
  /**
   * A cache several bot processes share (Redis): a summary one process paid a model call for is read
   * by the others instead of asked again. Its failures only cost the sharing.
   */
  readonly shared?: SharedText;
}

const SUMMARY_TTL_SECONDS = 6 * 3600;

/** A summary read back from the shared cache, checked: anything else is treated as absent. */
const sharedSummarySchema = z.object({
  headline: z.string(),
  bullets: z.array(z.string()),
  asOf: z.string(),
  origin: z.literal('llm'),
  note: z.null(),
});

/**
 * Summaries of reports. The model sees only the report's facts; its answer must parse and must state
 * no number that is not in the facts. One retry, then the deterministic template, which also serves
 * when no model is configured. Summaries are cached by the facts and the prompt version, so many
 * people asking about the same report cost one call.
 */
export class Summarizer {
  readonly #deps: SummarizerDeps;
  readonly #prompt: PromptTemplate = loadPrompt('summary');
  readonly #cache = new NodeCache({ stdTTL: SUMMARY_TTL_SECONDS, checkperiod: 600, useClones: false });
  readonly #inFlight = new SingleFlight();

  constructor(deps: SummarizerDeps) {
    this.#deps = deps;
  }

  get enabled(): boolean {
    return this.#deps.client !== null;
  }

  /**
   * `allowCall` is asked before each real call to the model (never for a cached summary), so a daily
   * budget counts calls, not requests; when it says no, the template answers.
   */
  summarize(
    report: Report,
    headline: readonly string[],
    allowCall?: () => Promise<boolean>,
  ): Promise<Summary> {
    const client = this.#deps.client;
    if (client === null) {
      this.#deps.metrics?.summary('template_no_model');
      return Promise.resolve(templateSummary(report, headline, 'no language model is configured'));
    }
    const facts = reportFacts(report);
    const key = createHash('sha256')
      .update(JSON.stringify([this.#prompt.version, this.#deps.model, facts]))
      .digest('hex');
    const cached = this.#cache.get<Summary>(key);
    if (cached) return Promise.resolve(cached);
    return this.#inFlight.run(key, async () => {
      const shared = await this.#readShared(key);
      if (shared !== null) {
        this.#cache.set(key, shared);
        return shared;
      }
      const summary = await this.#ask(
        client,
        report,
        headline,
        facts,
        allowCall ?? (() => Promise.resolve(true)),
      );
      if (summary.origin === 'llm') {
        this.#cache.set(key, summary);
        await this.#deps.shared
          ?.set(`summary:${key}`, JSON.stringify(summary), SUMMARY_TTL_SECONDS)
          .catch((error: unknown) => {
            this.#deps.logger.warn({ err: describeError(error) }, 'summary not shared');
          });
      }
      return summary;
    });
  }

  async #ask(
    client: OpenAI,
    report: Report,
    headline: readonly string[],
    facts: ReturnType<typeof reportFacts>,
    allowCall: () => Promise<boolean>,
  ): Promise<Summary> {
    const allowed = factNumbers(facts);
    const system = fillPrompt(this.#prompt, { report: report.command, asOf: report.asOf });
    const log = this.#deps.logger.child({ component: 'llm', report: report.command });
    // What the model is told about its rejected answer may quote the numbers; what a user reads never
    // does (they were wrong), and the numbers themselves go to the debug log only.
    let problem = '';
    let reason = '';
    for (let attempt = 1; attempt <= 2; attempt++) {
      if (!(await allowCall())) {
        this.#deps.metrics?.summary('template_budget');
        return templateSummary(report, headline, "today's limit of language-model calls is reached");
      }
      try {
        const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
          { role: 'system', content: system },
          { role: 'user', content: JSON.stringify(facts) },
        ];
        if (problem !== '') {
          messages.push({
            role: 'user',
            content: `Your previous answer was rejected: ${problem} Answer again.`,
          });
        }
        const completion = await client.chat.completions.create({
          model: this.#deps.model,
          messages,
          response_format: { type: 'json_object' },
          temperature: 0.2,
        });
        const content = completion.choices[0]?.message.content ?? '';
        const parsed = summarySchema.safeParse(parseModelJson(content));
        if (!parsed.success) {
          problem = 'it was not the JSON object asked for.';
          reason = 'it was not in the form asked for';
          log.warn({ attempt }, 'summary was malformed');
          continue;
        }
        const invented = ungroundedNumbers(
          [parsed.data.headline, ...parsed.data.bullets].join('\n'),
          allowed,
        );
        if (invented.length > 0) {
          problem = `it states numbers that are not in the facts (${invented.join(', ')}).`;
          reason = 'it stated a number not in the data';
          log.warn({ attempt, count: invented.length }, 'summary stated numbers not in the facts');
          log.debug({ attempt, invented }, 'the numbers not in the facts');
          continue;
        }
        this.#deps.metrics?.summary('llm');
        return { ...parsed.data, asOf: report.asOf, origin: 'llm', note: null };
      } catch (error) {
        // Timeouts, 429s and 5xx have already been retried by the client as configured.
        log.warn({ err: describeError(error) }, 'language model call failed');
        this.#deps.metrics?.summary('template_failed');
        return templateSummary(report, headline, 'the language model did not answer');
      }
    }
    this.#deps.metrics?.summary('template_rejected');
    return templateSummary(report, headline, `the model's summary was rejected: ${reason}`);
  }

  async #readShared(key: string): Promise<Summary | null> {
    const shared = this.#deps.shared;
    if (shared === undefined) return null;
    try {
      const text = await shared.get(`summary:${key}`);
      if (text === null) return null;
      const parsed = sharedSummarySchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    } catch (error) {
      this.#deps.logger.warn({ err: describeError(error) }, 'shared summaries unavailable');
      return null;
    }
  }

  close(): void {
    this.#cache.close();
  }
}
