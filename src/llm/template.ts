import { NOT_ADVICE, type Report, type Summary } from '../reports/types.ts';

export type { Summary } from '../reports/types.ts';
import { asOfPhrase, formatMetric } from '../reports/format.ts';

/**
 * The deterministic summary: the day's events, then the headline metrics, written only from the
 * report's own formatted values, so it is grounded by construction. It serves whenever the model is
 * not configured, fails, or states a number that is not in the facts.
 */
export function templateSummary(report: Report, headline: readonly string[], note: string | null): Summary {
  const [lead] = report.events;
  const metric = (id: string) => {
    const { label, text } = formatMetric(report, id);
    return `${label}: ${text}`;
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
    `${asOfPhrase(summary.asOf)}. ${summary.origin === 'template' ? 'Summary written from the numbers by template' : 'Summary written by a language model from the numbers above and checked against them'}${summary.note ? ` (${summary.note})` : ''}. ${NOT_ADVICE}`,
  ].join('\n');
}
