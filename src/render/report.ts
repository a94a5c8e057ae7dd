import {
  NOT_ADVICE,
  type Report,
  type ReportEvent,
  type ReportTable,
  type Severity,
} from '../reports/types.ts';
import { asOfLine, formatCell, formatMetric } from '../reports/format.ts';
import { renderMarkdownTable, renderTextTable, type Column } from './table.ts';

const SEVERITY_MARK: Record<Severity, string> = { extreme: '!!', notable: '!', info: '-' };

export function tableParts(table: ReportTable): { columns: Column[]; rows: string[][] } {
  return {
    columns: table.columns.map((c) => ({
      header: c.label,
      align: c.unit === 'text' || c.unit === 'date' ? 'left' : 'right',
    })),
    rows: table.rows.map((row) => row.map((cell, i) => formatCell(cell, table.columns[i]?.unit ?? 'text'))),
  };
}

function metricRows(report: Report): string[][] {
  return Object.entries(report.metrics).map(([id, value]) => {
    const { label, text } = formatMetric(report, id, value);
    return [label, text, id];
  });
}

function eventLine(event: ReportEvent): string {
  return `${event.title}. ${event.detail}`;
}

export function reportHeader(report: Report): string {
  const { universe } = report;
  const coverage =
    universe.covered === universe.size
      ? `${universe.size}`
      : `${universe.covered} of ${universe.size} with data`;
  return `${asOfLine(report)} · ${universe.name} (${coverage})`;
}

/** Terminal styles (util.styleText's names); a styler that returns the text as it is writes plain text. */
export type Styler = (format: 'bold' | 'red' | 'yellow' | 'dim', text: string) => string;
const plain: Styler = (_format, text) => text;
const SEVERITY_STYLE = { extreme: 'red', notable: 'yellow', info: 'dim' } as const;

export function renderReportText(report: Report, style: Styler = plain): string {
  const parts = [style('bold', report.title), reportHeader(report)];
  if (report.events.length > 0) {
    parts.push(
      [
        style('bold', 'Events'),
        ...report.events.map((e) =>
          style(SEVERITY_STYLE[e.severity], `${SEVERITY_MARK[e.severity]} ${eventLine(e)}`),
        ),
      ].join('\n'),
    );
  }
  parts.push(
    renderTextTable(
      [{ header: 'Metric' }, { header: 'Value', align: 'right' }, { header: 'Id' }],
      metricRows(report),
    ),
  );
  for (const table of report.tables) {
    const { columns, rows } = tableParts(table);
    parts.push(`${style('bold', table.title)}\n${renderTextTable(columns, rows)}`);
  }
  if (report.notes.length > 0)
    parts.push([style('bold', 'Notes'), ...report.notes.map((n) => `- ${n}`)].join('\n'));
  parts.push(style('dim', NOT_ADVICE));
  return `${parts.join('\n\n')}\n`;
}

export function renderReportMarkdown(report: Report): string {
  const parts = [`## ${report.title}`, `_${reportHeader(report)}_`];
  if (report.events.length > 0) {
    parts.push(['### Events', ...report.events.map((e) => `- **${e.severity}** ${eventLine(e)}`)].join('\n'));
  }
  parts.push(
    `### Metrics\n\n${renderMarkdownTable(
      [{ header: 'Metric' }, { header: 'Value', align: 'right' }, { header: 'Id' }],
      metricRows(report).map(([label, value, id]) => [label ?? '', value ?? '', `\`${id ?? ''}\``]),
    )}`,
  );
  for (const table of report.tables) {
    const { columns, rows } = tableParts(table);
    parts.push(`### ${table.title}\n\n${renderMarkdownTable(columns, rows)}`);
  }
  if (report.notes.length > 0) parts.push(['### Notes', ...report.notes.map((n) => `- ${n}`)].join('\n'));
  parts.push(`_${NOT_ADVICE}_`);
  return `${parts.join('\n\n')}\n`;
}

/** The report as JSON; `extra` adds top-level fields beside it (the summary of --explain). */
export function renderReportJson(report: Report, extra: Readonly<Record<string, unknown>> = {}): string {
  return `${JSON.stringify({ ...report, ...extra }, null, 2)}\n`;
}
