import type { Report } from '../reports/types.ts';
import { formatCell, formatMetric } from '../reports/format.ts';
import { extractNumbers } from './grounding.ts';

/**
 * What the model may see of a report: its metrics, events, first rows of its tables and its notes,
 * already formatted as a reader would see them. Never raw prices. Every number a summary may state is
 * a number in here.
 */
export interface ReportFacts {
  readonly report: string;
  readonly title: string;
  readonly asOf: string;
  readonly source: string;
  readonly universe: string;
  readonly metrics: readonly { readonly id: string; readonly label: string; readonly value: string }[];
  readonly events: readonly {
    readonly severity: string;
    readonly title: string;
    readonly detail: string;
    readonly earlierDates: readonly string[];
  }[];
  readonly tables: readonly {
    readonly title: string;
    readonly columns: readonly string[];
    readonly rows: readonly (readonly string[])[];
  }[];
  readonly notes: readonly string[];
}

const TABLE_ROWS = 8;
const EARLIER_DATES = 10;

export function reportFacts(report: Report): ReportFacts {
  return {
    report: report.command,
    title: report.title,
    asOf: report.asOf,
    source: report.source.label,
    universe: `${report.universe.name} (${report.universe.covered} of ${report.universe.size} members with data)`,
    metrics: Object.entries(report.metrics).map(([id, value]) => {
      const { label, text } = formatMetric(report, id, value);
      return { id, label, value: text };
    }),
    events: report.events.map((event) => ({
      severity: event.severity,
      title: event.title,
      detail: event.detail,
      earlierDates: event.earlierDates.slice(-EARLIER_DATES),
    })),
    tables: report.tables.map((table) => ({
      title: table.title,
      columns: table.columns.map((c) => c.label),
      rows: table.rows
        .slice(0, TABLE_ROWS)
        .map((row) => row.map((cell, i) => formatCell(cell, table.columns[i]?.unit ?? 'text'))),
    })),
    notes: [...report.notes],
  };
}

/** Every number in the facts, as the grounding check compares them. */
export function factNumbers(facts: ReportFacts): number[] {
  return [...new Set(extractNumbers(JSON.stringify(facts)).map((n) => n.value))];
}
