import type { Report } from '../report/types.ts';
import { formatValue } from '../render/report.ts';

/** A summary as every surface shows it, whether a model wrote it or the template did. */
export interface Summary {
  readonly headline: string;
  readonly bullets: readonly string[];
  readonly asOf: string;
  readonly origin: 'llm' | 'template';
  /** Why the template was used instead of the model, for the reader; null when the model's was used. */
  readonly note: string | null;
}

export const NOT_ADVICE = 'Not investment advice.';

/**
 * The deterministic summary: the day's events, then the headline metrics, written only from the
 * report's own formatted values, so it is grounded by construction. It serves whenever the model is
 * not configured, fails, or states a number that is not in the facts.
 */
export function templateSummary(report: Report, headline: readonly string[], note: string | null): Summary {
  const [lead] = report.events;
  const metric = (id: string) => {
    const info = report.metricInfo[id];
    return `${info?.label ?? id}: ${formatValue(report.metrics[id] ?? null, info?.unit ?? 'number')}`;
  };
  const bullets = [
    ...report.events.slice(lead ? 1 : 0, 3).map((event) => `${event.title}.`),
    ...headline.filter((id) => id in report.metrics).map(metric),
  ].slice(0, 5);
  return {
    headline: lead ? `${lead.title}.` : `${report.title}: no notable events at the close of ${report.asOf}.`,
    bullets,
    asOf: report.asOf,
    origin: 'template',
    note,
  };
}

/** A summary as plain text (CLI, DMs). */
export function renderSummaryText(summary: Summary): string {
  return [
    summary.headline,
    ...summary.bullets.map((b) => `- ${b}`),
    `As of the close of ${summary.asOf}. ${summary.origin === 'template' ? 'Summary written from the numbers by template' : 'Summary written by a language model from the numbers above and checked against them'}${summary.note ? ` (${summary.note})` : ''}. ${NOT_ADVICE}`,
  ].join('\n');
}
