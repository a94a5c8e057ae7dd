import type { z } from 'zod';
import { TapewatchError } from '../src/errors.ts';
import {
  LONG_AVERAGE,
  ownSessions,
  priceSnapshot,
  SHORT_AVERAGE,
  VOLUME_AVERAGE,
  YEAR_SESSIONS,
  type PriceSnapshot,
} from '../src/indicators/price.ts';
import { median } from '../src/indicators/rolling.ts';
import type { IsoDate, MissingSymbol } from '../src/market/types.ts';
import { describeMissing, loadPanel, type ReportContext } from '../src/reports/context.ts';
import { optionsSchema, universeOptionOf, type OptionTable } from '../src/reports/options.ts';
import { finite, type Cell, type MetricInfo, type Report, type ReportTable } from '../src/reports/types.ts';
import type { Universe } from '../src/universes/index.ts';

/** The options of /quote, declared once for the CLI, Discord, the LLM tools and validation. */
export const quoteOptions = {
  universe: universeOptionOf({
    name: 'symbols',
    help: 'symbols such as AAPL,MSFT, a universe such as mag7, or watchlist:NAME',
    default: 'mag7',
  }),
} as const satisfies OptionTable;

export const quoteOptionsSchema = optionsSchema(quoteOptions);
export type QuoteOptions = z.infer<typeof quoteOptionsSchema>;

/**
 * The most symbols one quote report loads history for (the S&P 500 fits): each needs a year of bars, so
 * a longer list belongs to `tapewatch quote`'s price-only listing or to the breadth report.
 */
export const QUOTE_MAX_SYMBOLS = 600;

export function checkQuoteUniverse(_options: QuoteOptions, universe: Universe): void {
  if (universe.symbols.length > QUOTE_MAX_SYMBOLS) {
    throw new TapewatchError(
      'bad_input',
      `A quote shows at most ${QUOTE_MAX_SYMBOLS} symbols; this one has ${universe.symbols.length}. For a whole market, try breadth.`,
    );
  }
}

/** A snapshot is about a stock's own last session, which may be earlier than others' (a delisted stock). */
export interface SymbolSnapshot extends PriceSnapshot {
  readonly symbol: string;
  readonly date: IsoDate;
}

export const SINGLE_METRICS: Readonly<Record<string, MetricInfo>> = {
  price: { label: 'Price', unit: 'number' },
  change_1d: { label: 'Change on the day', unit: 'fraction' },
  high_52w: { label: '52-week high (close)', unit: 'number' },
  low_52w: { label: '52-week low (close)', unit: 'number' },
  from_high_52w: { label: 'From the 52-week high', unit: 'fraction' },
  vs_sma50: { label: `Price vs its ${SHORT_AVERAGE}-day average`, unit: 'fraction' },
  vs_sma200: { label: `Price vs its ${LONG_AVERAGE}-day average`, unit: 'fraction' },
  volume_ratio: { label: `Volume vs its ${VOLUME_AVERAGE}-day average`, unit: 'multiple' },
};

const GROUP_METRICS: Readonly<Record<string, MetricInfo>> = {
  advancing: { label: 'Up on the day', unit: 'count' },
  declining: { label: 'Down on the day', unit: 'count' },
  median_change_1d: { label: 'Median change on the day', unit: 'fraction' },
  above_50d: { label: `Above their ${SHORT_AVERAGE}-day average`, unit: 'count' },
  above_200d: { label: `Above their ${LONG_AVERAGE}-day average`, unit: 'count' },
  at_52w_high: { label: 'Closing at a 52-week high', unit: 'count' },
  at_52w_low: { label: 'Closing at a 52-week low', unit: 'count' },
};

export const QUOTE_HEADLINE = [...Object.keys(SINGLE_METRICS), ...Object.keys(GROUP_METRICS)];

export function singleMetrics(snapshot: PriceSnapshot): Record<string, number | null> {
  return {
    price: finite(snapshot.price),
    change_1d: finite(snapshot.change1d),
    high_52w: finite(snapshot.high52w),
    low_52w: finite(snapshot.low52w),
    from_high_52w: finite(snapshot.fromHigh52w),
    vs_sma50: finite(snapshot.vsSma50),
    vs_sma200: finite(snapshot.vsSma200),
    volume_ratio: finite(snapshot.volumeRatio),
  };
}

/** How many snapshots meet a test; n/a when none of them can be judged (all in warm-up). */
function countWhere(
  snapshots: readonly SymbolSnapshot[],
  value: (s: SymbolSnapshot) => number,
  test: (v: number) => boolean,
): number | null {
  const judged = snapshots.map(value).filter((v) => !Number.isNaN(v));
  return judged.length === 0 ? null : judged.filter(test).length;
}

function groupMetrics(snapshots: readonly SymbolSnapshot[]): Record<string, number | null> {
  const changes = snapshots.map((s) => s.change1d).filter((v) => !Number.isNaN(v));
  return {
    advancing: countWhere(
      snapshots,
      (s) => s.change1d,
      (v) => v > 0,
    ),
    declining: countWhere(
      snapshots,
      (s) => s.change1d,
      (v) => v < 0,
    ),
    median_change_1d: changes.length === 0 ? null : finite(median(changes)),
    above_50d: countWhere(
      snapshots,
      (s) => s.vsSma50,
      (v) => v > 0,
    ),
    above_200d: countWhere(
      snapshots,
      (s) => s.vsSma200,
      (v) => v > 0,
    ),
    at_52w_high: countWhere(
      snapshots,
      (s) => s.fromHigh52w,
      (v) => v >= 0,
    ),
    at_52w_low: countWhere(
      snapshots,
      (s) => s.fromLow52w,
      (v) => v <= 0,
    ),
  };
}

function quoteRow(s: SymbolSnapshot, name: string | undefined): Cell[] {
  return [
    s.symbol,
    finite(s.price),
    finite(s.change1d),
    finite(s.vsSma50),
    finite(s.vsSma200),
    finite(s.fromHigh52w),
    finite(s.volumeRatio),
    finite(s.low52w),
    finite(s.high52w),
    s.date,
    name ?? null,
  ];
}

const QUOTE_COLUMNS: ReportTable['columns'] = [
  { key: 'symbol', label: 'Symbol', unit: 'text' },
  { key: 'price', label: 'Price', unit: 'number' },
  { key: 'change_1d', label: 'Day', unit: 'fraction' },
  { key: 'vs_sma50', label: `vs ${SHORT_AVERAGE}d`, unit: 'fraction' },
  { key: 'vs_sma200', label: `vs ${LONG_AVERAGE}d`, unit: 'fraction' },
  { key: 'from_high_52w', label: 'From 52w high', unit: 'fraction' },
  { key: 'volume_ratio', label: 'Vol/avg', unit: 'multiple' },
  { key: 'low_52w', label: '52w low', unit: 'number' },
  { key: 'high_52w', label: '52w high', unit: 'number' },
  { key: 'as_of', label: 'As of', unit: 'date' },
  { key: 'name', label: 'Name', unit: 'text' },
];

/**
 * Quotes with context: the price and the day's change, where it sits in its 52-week range, how far it is
 * from its 50- and 200-day averages, and the day's volume against the usual. Each symbol is measured on
 * its own sessions up to the report's day, so a stock with a shorter history is n/a where it lacks one.
 */
export async function buildQuoteReport(
  context: ReportContext,
  options: QuoteOptions,
  universe: Universe,
): Promise<Report> {
  const { panel, missing: notLoaded, notes: loadNotes } = await loadPanel(context, universe.symbols);
  const last = panel.dates.length - 1;
  const snapshots: SymbolSnapshot[] = [];
  const missing: MissingSymbol[] = [...notLoaded];
  panel.symbols.forEach((symbol, s) => {
    const own = ownSessions(panel, s, last);
    const lastAt = own.at.at(-1);
    if (lastAt === undefined) {
      missing.push({ symbol, reason: 'no usable prices' });
      return;
    }
    snapshots.push({ symbol, date: panel.dates[lastAt] ?? '', ...priceSnapshot(own) });
  });
  if (snapshots.length === 0) {
    throw new TapewatchError(
      'no_data',
      `No prices for ${universe.symbols.slice(0, 12).join(', ')}${universe.symbols.length > 12 ? ' …' : ''}: ${missing[0]?.reason ?? 'none loaded'}.`,
    );
  }
  const order = new Map(universe.symbols.map((symbol, i) => [symbol, i]));
  snapshots.sort((a, b) => (order.get(a.symbol) ?? 0) - (order.get(b.symbol) ?? 0));
  const asOf = snapshots.reduce((latest, s) => (s.date > latest ? s.date : latest), '');
  const [only] = snapshots;
  const single = universe.symbols.length === 1 && only !== undefined;
  const notes = [
    ...loadNotes,
    `The 52-week range is of closing prices over the last ${YEAR_SESSIONS} sessions; the ${SHORT_AVERAGE}- and ${LONG_AVERAGE}-day averages are of closes (n/a with less history); volume is compared with the average of the ${VOLUME_AVERAGE} sessions before.`,
  ];
  const stale = snapshots.filter((s) => s.date < asOf);
  if (stale.length > 0) {
    notes.push(
      `${stale.length} symbol${stale.length === 1 ? ' has' : 's have'} no price on ${asOf} and show${stale.length === 1 ? 's' : ''} ${stale.length === 1 ? 'its' : 'their'} last close (see As of): ${stale
        .slice(0, 12)
        .map((s) => s.symbol)
        .join(', ')}${stale.length > 12 ? ' …' : ''}.`,
    );
  }
  const missingNote = describeMissing(missing, universe.symbols.length);
  if (missingNote) notes.push(missingNote);
  return {
    command: 'quote',
    title: single ? `Quote: ${only.symbol}${nameSuffix(universe, only.symbol)}` : `Quotes: ${universe.name}`,
    asOf,
    source: { name: context.marketData.source, label: context.marketData.label },
    universe: {
      name: universe.name,
      description: universe.description,
      size: universe.symbols.length,
      covered: snapshots.length,
      missing,
    },
    options: { ...options },
    metrics: single ? singleMetrics(only) : groupMetrics(snapshots),
    metricInfo: single ? SINGLE_METRICS : GROUP_METRICS,
    tables: [
      {
        id: 'quotes',
        title: single ? 'Quote' : 'Quotes',
        columns: QUOTE_COLUMNS,
        rows: snapshots.map((s) => quoteRow(s, universe.names.get(s.symbol))),
      },
    ],
    series: [],
    events: [],
    notes,
  };
}

function nameSuffix(universe: Universe, symbol: string): string {
  const name = universe.names.get(symbol);
  return name === undefined ? '' : ` (${name})`;
}
