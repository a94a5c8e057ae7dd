import { statSync } from 'node:fs';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What the bot counts for Prometheus (`/metrics`, see health.ts). Built once in the composition root and
 * passed to the services that see each event; a service given none counts nothing. Its own registry,
 * not prom-client's global one, so two bots in one test process never share a count.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #interactions: Counter<'command' | 'outcome'>;
  readonly #toDeferral: Histogram<'command'>;
  readonly #toAnswer: Histogram<'command' | 'outcome'>;
  readonly #yahoo: Counter<'event'>;
  readonly #cache: Counter<'kind' | 'result'>;
  readonly #llm: Counter<'result'>;
  readonly #scheduled: Counter<'result'>;
  readonly #alerts: Counter<'result'>;

  constructor(files: Readonly<Record<string, string>> = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'tapewatch_' });
    this.#interactions = new Counter({
      name: 'tapewatch_interactions_total',
      help: 'Interactions (slash commands, buttons, autocomplete) by command and how they ended.',
      labelNames: ['command', 'outcome'],
      registers,
    });
    // Discord's rule: an interaction not acknowledged within 3 s is lost.
    this.#toDeferral = new Histogram({
      name: 'tapewatch_interaction_deferral_seconds',
      help: 'Seconds from receiving an interaction to its acknowledgement.',
      labelNames: ['command'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
      registers,
    });
    this.#toAnswer = new Histogram({
      name: 'tapewatch_interaction_answer_seconds',
      help: 'Seconds from receiving an interaction to its answer.',
      labelNames: ['command', 'outcome'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
      registers,
    });
    this.#yahoo = new Counter({
      name: 'tapewatch_yahoo_requests_total',
      help: 'Yahoo Finance HTTP attempts (event="attempt"), retries after a failure, and 429 answers.',
      labelNames: ['event'],
      registers,
    });
    this.#cache = new Counter({
      name: 'tapewatch_cache_lookups_total',
      help: 'In-memory cache lookups of live quotes and bars, by hit or miss.',
      labelNames: ['kind', 'result'],
      registers,
    });
    this.#llm = new Counter({
      name: 'tapewatch_llm_summaries_total',
      help: 'Explain summaries: written by the model, or by the template instead (and why).',
      labelNames: ['result'],
      registers,
    });
    this.#scheduled = new Counter({
      name: 'tapewatch_scheduled_posts_total',
      help: 'Scheduled post slots: posted on time, posted late, skipped, failed (to retry), given up.',
      labelNames: ['result'],
      registers,
    });
    this.#alerts = new Counter({
      name: 'tapewatch_alert_posts_total',
      help: 'Alert firings: posted, failed, disabled (the channel or DM is gone), and conditions that could not be read.',
      labelNames: ['result'],
      registers,
    });
    new Gauge({
      name: 'tapewatch_store_bytes',
      help: 'Size on disk of the SQLite files (bar store, user database), with their write-ahead logs.',
      labelNames: ['file'],
      registers,
      collect() {
        for (const [name, file] of Object.entries(files)) this.set({ file: name }, sizeOnDisk(file));
      },
    });
  }

  interaction(command: string, outcome: string, seconds: number): void {
    this.#interactions.inc({ command, outcome });
    this.#toAnswer.observe({ command, outcome }, seconds);
  }

  acknowledged(command: string, seconds: number): void {
    this.#toDeferral.observe({ command }, seconds);
  }

  yahoo(event: 'attempt' | 'retry' | 'rate_limited'): void {
    this.#yahoo.inc({ event });
  }

  cacheLookup(kind: 'bars' | 'quote', hit: boolean): void {
    this.#cache.inc({ kind, result: hit ? 'hit' : 'miss' });
  }

  summary(
    result: 'llm' | 'template_no_model' | 'template_budget' | 'template_failed' | 'template_rejected',
  ): void {
    this.#llm.inc({ result });
  }

  scheduledPost(result: 'posted' | 'posted_late' | 'skipped' | 'failed' | 'given_up'): void {
    this.#scheduled.inc({ result });
  }

  alert(result: 'posted' | 'failed' | 'disabled' | 'unreadable'): void {
    this.#alerts.inc({ result });
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

function sizeOnDisk(file: string): number {
  let bytes = 0;
  for (const suffix of ['', '-wal']) {
    try {
      bytes += statSync(file + suffix).size;
    } catch {
      // Not there (yet, or no WAL): nothing to count.
    }
  }
  return bytes;
}
