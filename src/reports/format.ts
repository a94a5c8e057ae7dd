import type { Cell, Report, Unit } from './types.ts';

/**
 * How every number reads, on every surface: terminal, Markdown, Discord, charts, LLM facts and the
 * template summary all format through these, so a value never reads two ways.
 */
/** What a missing value (warm-up, no data) reads as; never a zero or a guess. */
export const NOT_AVAILABLE = 'n/a';

export function formatNumber(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NOT_AVAILABLE;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A fraction as a signed percentage: 0.0123 is "+1.23%". */
export function formatPercent(fraction: number | null | undefined, digits = 2): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return NOT_AVAILABLE;
  const sign = fraction > 0 ? '+' : '';
  return `${sign}${(fraction * 100).toFixed(digits)}%`;
}

/** Large amounts in thousands, millions, billions or trillions: 2.35T. */
export function formatCompact(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NOT_AVAILABLE;
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [size, suffix] of units) {
    if (Math.abs(value) >= size) return `${(value / size).toFixed(2)}${suffix}`;
  }
  return value.toFixed(0);
}

/** One number as a reader sees it, by its unit; null is n/a. */
export function formatValue(value: number | null, unit: Unit): string {
  if (value === null || !Number.isFinite(value)) return NOT_AVAILABLE;
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
    case 'multiple':
      return `${formatNumber(value, 2)}×`;
    case 'index':
    case 'number':
    case 'correlation':
      return formatNumber(value, 2);
  }
}

export function formatCell(cell: Cell, unit: Unit | 'text' | 'date'): string {
  if (cell === null) return unit === 'text' ? '' : NOT_AVAILABLE;
  if (typeof cell === 'string') return cell;
  return unit === 'text' || unit === 'date' ? String(cell) : formatValue(cell, unit);
}

/** A metric of a report with its label, as any surface shows it. */
export function formatMetric(
  report: Pick<Report, 'metrics' | 'metricInfo'>,
  id: string,
  value: number | null = report.metrics[id] ?? null,
): { label: string; text: string } {
  const info = report.metricInfo[id];
  return { label: info?.label ?? id, text: formatValue(value, info?.unit ?? 'number') };
}

/** The one way a report says which close it describes. */
export function asOfPhrase(asOf: string): string {
  return `As of the close of ${asOf}`;
}

/** Which close and which data: the line under every report's title, on every surface. */
export function asOfLine(report: Pick<Report, 'asOf' | 'source'>): string {
  return `${asOfPhrase(report.asOf)} · ${report.source.label}`;
}
