import type { SourceName } from '../config/index.ts';
import type { IsoDate, MissingSymbol } from '../market/types.ts';

/**
 * How a number reads: `fraction` is a return (0.012 is +1.2%), `percent` is already a percentage of
 * members (63.5 is 63.5%), `points` a difference of two percentages, `sigma` a multiple of a standard
 * deviation, `index` a level centred on 100, `count` a number of stocks or days, `multiple` a ratio to a usual level
 * (1.8 is 1.8 times the average volume).
 */
export type Unit =
  'fraction' | 'percent' | 'points' | 'sigma' | 'index' | 'count' | 'number' | 'correlation' | 'multiple';

export interface MetricInfo {
  readonly label: string;
  readonly unit: Unit;
}

export interface TableColumn {
  readonly key: string;
  readonly label: string;
  readonly unit: Unit | 'text' | 'date';
}

export type Cell = string | number | null;

export interface ReportTable {
  readonly id: string;
  readonly title: string;
  readonly columns: readonly TableColumn[];
  readonly rows: readonly (readonly Cell[])[];
}

export interface ReportSeries {
  readonly id: string;
  readonly label: string;
  readonly unit: Unit;
  readonly dates: readonly IsoDate[];
  readonly values: readonly (number | null)[];
}

export type Severity = 'info' | 'notable' | 'extreme';

/** A notable condition on the report's day, with the earlier days that met the same condition. */
export interface ReportEvent {
  readonly id: string;
  readonly severity: Severity;
  readonly date: IsoDate;
  readonly title: string;
  readonly detail: string;
  readonly earlierDates: readonly IsoDate[];
  readonly stats: Readonly<Record<string, number | null>>;
}

export const REPORT_COMMANDS = ['momentum', 'breadth', 'rotation', 'quote', 'chart'] as const;
export type ReportCommand = (typeof REPORT_COMMANDS)[number];
/** The market reports the brief (/market) puts together; quote and chart are about chosen symbols. */
export const BRIEF_COMMANDS = ['momentum', 'breadth', 'rotation'] as const satisfies readonly ReportCommand[];

/**
 * A report is data, the same for every surface (terminal, JSON, Markdown, Discord, LLM facts); renderers
 * only format it. Every number in it is computed from the loaded bars; null means n/a (not enough history
 * or data), never a guess.
 */
export interface Report {
  readonly command: ReportCommand;
  readonly title: string;
  /** The last session whose close the report uses. */
  readonly asOf: IsoDate;
  readonly source: { readonly name: SourceName; readonly label: string };
  readonly universe: {
    readonly name: string;
    readonly description: string;
    readonly size: number;
    /** Members with data, and those without (each with the reason), never silently dropped. */
    readonly covered: number;
    readonly missing: readonly MissingSymbol[];
  };
  readonly options: Readonly<Record<string, string | number | boolean | null>>;
  /** Metric id to value, in display order. */
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly metricInfo: Readonly<Record<string, MetricInfo>>;
  readonly tables: readonly ReportTable[];
  readonly series: readonly ReportSeries[];
  readonly events: readonly ReportEvent[];
  readonly notes: readonly string[];
}

/** NaN is how indicators say n/a; reports say it with null so JSON keeps it. */
export function finite(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : value;
}

/** A summary as every surface shows it, whether a model wrote it or the template did. */
export interface Summary {
  readonly headline: string;
  readonly bullets: readonly string[];
  readonly asOf: string;
  readonly origin: 'llm' | 'template';
  /** Why the template was used instead of the model, for the reader; null when the model's was used. */
  readonly note: string | null;
}

/** Every surface that shows a report or its summary says so, in these words. */
export const NOT_ADVICE = 'Not investment advice.';
