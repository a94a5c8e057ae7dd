import {
  NOT_ADVICE,
  type Cell,
  type Report,
  type ReportEvent,
  type ReportTable,
  type Severity,
  type Unit,
} from '../reports/types.ts';
import {
  formatNumber,
  formatPercent,
  NA,
  renderMarkdownTable,
  renderTextTable,
  type Column,
} from './table.ts';

/** One number as a reader sees it, by its unit; null is n/a. */
export function formatValue(value: number | null, unit: Unit): string {
  if (value === null || !Number.isFinite(value)) return NA;
  switch (unit) {
    case 'fraction':
      return formatPercent(value);
    case 'percent':
      return `${value.toFixed(1)}%`;
    case 'points':
      return `${value > 0 ? '+' : ''}${value.toFixed(1)} pts`;
    case 'sigma':
      return `${value > 0 ? '+' : ''}${value.toFixed(1)}σ`;
    case 'count':
      return formatNumber(value, 0);
    case 'index':
    case 'number':
    case 'correlation':
      return formatNumber(value, 2);
  }
}

export function formatCell(cell: Cell, unit: Unit | 'text' | 'date'): string {
  if (cell === null) return unit === 'text' ? '' : NA;
  if (typeof cell === 'string') return cell;
  return unit === 'text' || unit === 'date' ? String(cell) : formatValue(cell, unit);
}

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
    const info = report.metricInfo[id];
    return [info?.label ?? id, formatValue(value, info?.unit ?? 'number'), id];
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
  return `As of the close of ${report.asOf} · ${report.source.label} · ${universe.name} (${coverage})`;
}

export function renderReportText(report: Report): string {
  const parts = [report.title, reportHeader(report)];
  if (report.events.length > 0) {
    parts.push(
      ['Events', ...report.events.map((e) => `${SEVERITY_MARK[e.severity]} ${eventLine(e)}`)].join('\n'),
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
    parts.push(`${table.title}\n${renderTextTable(columns, rows)}`);
  }
  if (report.notes.length > 0) parts.push(['Notes', ...report.notes.map((n) => `- ${n}`)].join('\n'));
  parts.push(NOT_ADVICE);
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
