import type { z } from 'zod';
import { TapewatchError } from '../src/errors.ts';
import { yearStartBase } from '../src/indicators/panel.ts';
import {
  LONG_AVERAGE,
  movingAverages,
  ownSessions,
  priceSnapshot,
  SHORT_AVERAGE,
} from '../src/indicators/price.ts';
import { addDays } from '../src/market/calendar.ts';
import { lowerBound } from '../src/market/types.ts';
import { trailingReturn } from '../src/reports/build.ts';
import { describeMissing, loadPanel, type ReportContext } from '../src/reports/context.ts';
import { integerOption, optionsSchema, symbolOption, type OptionTable } from '../src/reports/options.ts';
import { finite, type Cell, type MetricInfo, type Report, type ReportSeries } from '../src/reports/types.ts';
import { SINGLE_METRICS, singleMetrics } from './quote.ts';

/** The options of /chart, declared once for the CLI, Discord, the LLM tools and validation. */
export const chartOptions = {
  symbol: symbolOption({ name: 'symbol', help: 'the symbol to chart', default: 'SPY' }),
  months: integerOption({
    name: 'months',
    placeholder: 'months',
    help: 'how far back the chart goes',
    min: 1,
    max: 120,
    default: 12,
  }),
  benchmark: symbolOption({
    name: 'benchmark',
    help: 'what relative strength is measured against',
    default: 'SPY',
  }),
} as const satisfies OptionTable;

export const chartOptionsSchema = optionsSchema(chartOptions);
export type ChartOptions = z.infer<typeof chartOptionsSchema>;

const PERIOD_METRICS: Readonly<Record<string, MetricInfo>> = {
  return_period: { label: 'Return over the chart', unit: 'fraction' },
  benchmark_return_period: { label: 'Benchmark over the chart', unit: 'fraction' },
  relative_period: { label: 'Against the benchmark over the chart', unit: 'fraction' },
};

export const CHART_HEADLINE = [
  'price',
  'change_1d',
  'vs_sma50',
  'vs_sma200',
  'from_high_52w',
  'volume_ratio',
  'return_period',
  'relative_period',
];

/** Trailing horizons of the returns table, in sessions (YTD is worked out from the calendar). */
const HORIZONS = [
  { label: '1 week', sessions: 5 },
  { label: '1 month', sessions: 21 },
  { label: '3 months', sessions: 63 },
  { label: 'Year to date', sessions: null },
  { label: '1 year', sessions: 252 },
] as const;

/** Calendar days in the average month, for turning `months` into a first day. */
const DAYS_PER_MONTH = 30.44;

/**
 * One symbol's price over the chosen months with its 50- and 200-day averages and volume, and its
 * strength relative to a benchmark (the ratio of their adjusted closes, 100 on the chart's first day):
 * a rising line means it beat the benchmark. The averages are warmed up on history before the chart
 * starts, so they are drawn from its first day where the symbol has that much history.
 */
export async function buildChartReport(context: ReportContext, options: ChartOptions): Promise<Report> {
  const { symbol, benchmark, months } = options;
  const wanted = symbol === benchmark ? [symbol] : [symbol, benchmark];
  const { panel, missing, notes: loadNotes } = await loadPanel(context, wanted);
  const s = panel.symbols.indexOf(symbol);
  const own = s < 0 ? null : ownSessions(panel, s, panel.dates.length - 1);
  const last = own?.at.at(-1);
  if (own === null || last === undefined) {
    const reason = missing.find((m) => m.symbol === symbol)?.reason ?? 'no usable prices';
    throw new TapewatchError('unknown_symbol', `No chart for "${symbol}": ${reason}.`);
  }
  const asOf = panel.dates[last] ?? '';
  const from = lowerBound(panel.dates, addDays(asOf, -Math.round(months * DAYS_PER_MONTH)));
  const b = panel.symbols.indexOf(benchmark);
  const benchmarkPrices = b < 0 ? null : (panel.adjClose[b] ?? null);
  const prices = panel.adjClose[s] ?? new Float64Array(0);

  // Drawn on the symbol's own sessions within the period, oldest first.
  let first = own.at.findIndex((t) => t >= from);
  if (first < 0) first = own.at.length - 1;
  const shown = own.at.slice(first);
  const dates = shown.map((t) => panel.dates[t] ?? '');
  const averages = movingAverages(own.close);
  const tail = (id: string, label: string, unit: ReportSeries['unit'], values: ArrayLike<number>) => ({
    id,
    label,
    unit,
    dates,
    values: Array.from({ length: shown.length }, (_, k) => finite(values[first + k])),
  });
  const series: ReportSeries[] = [
    tail('chart.close', `${symbol} close`, 'number', own.close),
    tail('chart.sma50', `${SHORT_AVERAGE}-day average`, 'number', averages.short),
    tail('chart.sma200', `${LONG_AVERAGE}-day average`, 'number', averages.long),
    tail('chart.volume', 'Volume', 'count', own.volume),
  ];
  const start = shown[0] ?? last;
  let benchmarkReturn = Number.NaN;
  if (benchmarkPrices !== null && symbol !== benchmark) {
    const at = (column: Float64Array, t: number) => column[t] ?? Number.NaN;
    const base = at(prices, start) / at(benchmarkPrices, start);
    series.push({
      id: 'chart.relative_strength',
      label: `${symbol} / ${benchmark} (100 at the start)`,
      unit: 'index',
      dates,
      values: shown.map((t) => finite((at(prices, t) / at(benchmarkPrices, t) / base) * 100)),
    });
    benchmarkReturn = trailingReturn(benchmarkPrices, start, last);
  }
  const symbolReturn = trailingReturn(prices, start, last);
  const metrics: Record<string, number | null> = {
    ...singleMetrics(priceSnapshot(own)),
    return_period: finite(symbolReturn),
    benchmark_return_period: finite(benchmarkReturn),
    relative_period: finite((1 + symbolReturn) / (1 + benchmarkReturn) - 1),
  };
  const returnsRows = HORIZONS.map((h): Cell[] => {
    const base = h.sessions === null ? yearStartBase(panel.dates, last) : last - h.sessions;
    const mine = trailingReturn(prices, base, last);
    const theirs = benchmarkPrices === null ? Number.NaN : trailingReturn(benchmarkPrices, base, last);
    return [h.label, finite(mine), finite(theirs), finite((1 + mine) / (1 + theirs) - 1)];
  });
  const notes = [...loadNotes];
  if ((dates[0] ?? '') > addDays(asOf, -Math.round(months * DAYS_PER_MONTH) + 7)) {
    notes.push(
      `The data for ${symbol} starts on ${dates[0] ?? ''}, so the chart is shorter than ${months} months.`,
    );
  }
  if (b >= 0 && symbol !== benchmark) {
    const benchmarkLast = ownSessions(panel, b, last).at.at(-1);
    if (benchmarkLast !== undefined && benchmarkLast < last) {
      notes.push(
        `${benchmark} has no price after ${panel.dates[benchmarkLast] ?? ''}, so comparisons that end on ${asOf} are n/a.`,
      );
    }
  }
  const missingNote = describeMissing(missing, wanted.length);
  if (missingNote) notes.push(missingNote);
  notes.push(
    `Averages are of closes over the symbol's own sessions; relative strength is the ratio of adjusted closes (dividends included), 100 on ${dates[0] ?? asOf}.`,
  );
  return {
    command: 'chart',
    title: `${symbol}: ${months} month${months === 1 ? '' : 's'} against ${benchmark}`,
    asOf,
    source: { name: context.marketData.source, label: context.marketData.label },
    universe: {
      name: symbol,
      description: `${symbol}, with ${benchmark} as the benchmark`,
      size: wanted.length,
      covered: wanted.length - missing.length,
      missing,
    },
    options: { ...options },
    metrics,
    metricInfo: { ...SINGLE_METRICS, ...PERIOD_METRICS },
    tables: [
      {
        id: 'returns',
        title: `Returns against ${benchmark}`,
        columns: [
          { key: 'horizon', label: 'Over', unit: 'text' },
          { key: 'symbol', label: symbol, unit: 'fraction' },
          { key: 'benchmark', label: benchmark, unit: 'fraction' },
          { key: 'relative', label: 'Relative', unit: 'fraction' },
        ],
        rows: returnsRows,
      },
    ],
    series,
    events: [],
    notes,
  };
}
