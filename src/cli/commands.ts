import { QUOTE_MAX_SYMBOLS } from '../../commands/quote.ts';
import { localWatchlist, withWatchlistFile } from '../watchlists.ts';
import { TapewatchError } from '../errors.ts';
import { addDays } from '../market/calendar.ts';
import { sleep } from '../lib/abort.ts';
import { createRetryingFetch } from '../lib/http.ts';
import type { DailyBars, MissingSymbol, Quote } from '../market/types.ts';
import { createProgress } from './progress.ts';
import { formatCompact, formatNumber, formatPercent } from '../reports/format.ts';
import { renderMarkdownTable, renderTextTable, type Column } from '../render/table.ts';
import { NAMED_UNIVERSES, normalizeSymbol, resolveUniverse } from '../universes/index.ts';
import type { CliContext } from './context.ts';
import { checkDateFlags } from './flags.ts';

function emit(
  context: CliContext,
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  title: string,
  notes: readonly string[],
): void {
  const { io, options } = context;
  if (options.format === 'md') {
    io.stdout(
      `## ${title}\n\n${renderMarkdownTable(columns, rows)}\n${notes.map((n) => `\n> ${n}`).join('')}\n`,
    );
  } else {
    io.stdout(`${title}\n\n${renderTextTable(columns, rows)}\n${notes.map((n) => `\n${n}`).join('')}\n`);
  }
}

function emitJson(context: CliContext, value: unknown): void {
  context.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** Titles name the data's origin; demo output always says DEMO DATA. */
function titleOf(context: CliContext, what: string): string {
  return `${what} · ${context.marketData.label}`;
}

/** Missing symbols listed one per line in text and Markdown; the rest are counted. */
const MISSING_SHOWN = 10;

/** Quotes are asked for in chunks of this size so a long universe shows progress. */
const QUOTE_CHUNK = 100;

export async function runQuote(
  context: CliContext,
  rawSymbols: readonly string[],
  watchlist?: string,
): Promise<void> {
  const { io, options, config } = context;
  let symbols = [
    ...new Set([
      ...rawSymbols
        .flatMap((s) => s.split(','))
        .filter((s) => s !== '')
        .map(normalizeSymbol),
      ...(watchlist === undefined
        ? []
        : withWatchlistFile(config, (store) => localWatchlist(store, watchlist)).symbols),
    ]),
  ];
  if (symbols.length === 0) {
    if (options.universe === undefined) {
      throw new TapewatchError(
        'bad_input',
        'Name the symbols to quote, a watchlist with --watchlist, or a universe with --universe.',
      );
    }
    symbols = [...resolveUniverse(options.universe, { homeDir: config.homeDir, cwd: io.cwd }).symbols];
  }
  if (symbols.length <= QUOTE_MAX_SYMBOLS) {
    // A named universe keeps its name (and its members' company names) in the report.
    const universe =
      rawSymbols.length === 0 && watchlist === undefined ? options.universe : symbols.join(',');
    const { runReport } = await import('./reports.ts');
    await runReport(context, 'quote', { universe });
    return;
  }
  // Beyond what one report loads history for: the latest price and change of each, from batched quotes.
  for (const [flag, given] of [
    ['--chart', options.chart !== undefined],
    ['--explain', options.explain],
  ] as const) {
    if (given) {
      throw new TapewatchError(
        'bad_input',
        `${flag} takes at most ${QUOTE_MAX_SYMBOLS} symbols; this quote has ${symbols.length}.`,
      );
    }
  }
  const progress = createProgress(io.stderr, io.stderrIsTty, 'Fetching quotes', symbols.length);
  const quotesSoFar: Quote[] = [];
  const missingSoFar: MissingSymbol[] = [];
  try {
    for (let start = 0; start < symbols.length; start += QUOTE_CHUNK) {
      const chunk = symbols.slice(start, start + QUOTE_CHUNK);
      const part = await context.marketData.getQuotes(chunk);
      quotesSoFar.push(...part.quotes);
      missingSoFar.push(...part.missing);
      progress.advance(chunk.length);
    }
  } finally {
    progress.done();
  }
  const batch = { quotes: quotesSoFar, missing: missingSoFar };
  if (batch.quotes.length === 0) {
    // The same screenful rule when nothing was found: one line, not one 2 MB line.
    const reasons = batch.missing
      .slice(0, MISSING_SHOWN)
      .map((m) => `"${m.symbol}" (${m.reason})`)
      .join(', ');
    const more = batch.missing.length - MISSING_SHOWN;
    const rest = more > 0 ? ` and ${more} more symbols without a quote` : '';
    throw new TapewatchError('unknown_symbol', `No quotes: ${reasons}${rest}.`);
  }
  const order = new Map(symbols.map((s, i) => [s, i]));
  const quotes = [...batch.quotes].sort((a, b) => (order.get(a.symbol) ?? 0) - (order.get(b.symbol) ?? 0));
  if (context.options.format === 'json') {
    emitJson(context, {
      command: 'quote',
      source: context.marketData.source,
      sourceLabel: context.marketData.label,
      asOf: context.asOf?.date ?? null,
      quotes,
      missing: batch.missing,
    });
    return;
  }
  const columns: Column[] = [
    { header: 'Symbol' },
    { header: 'Name' },
    { header: 'Price', align: 'right' },
    { header: 'Change', align: 'right' },
    { header: 'Prev close', align: 'right' },
    { header: 'Market cap', align: 'right' },
    { header: 'As of' },
  ];
  const rows = quotes.map((q: Quote) => [
    q.symbol,
    (q.name ?? '').slice(0, 32),
    formatNumber(q.price),
    formatPercent(q.changeFraction),
    formatNumber(q.previousClose),
    formatCompact(q.marketCap),
    q.asOf.length > 10 ? q.asOf.slice(0, 16).replace('T', ' ') + ' UTC' : q.asOf,
  ]);
  // A screenful at most: a list of 50,000 symbols must not print 50,000 lines of "missing".
  const shown = batch.missing.slice(0, MISSING_SHOWN);
  const notes = shown.map((m) => `Missing "${m.symbol}": ${m.reason}.`);
  if (batch.missing.length > shown.length) {
    notes.push(
      `… and ${batch.missing.length - shown.length} more symbols without a quote (--format json lists them all).`,
    );
  }
  notes.unshift(
    `More than ${QUOTE_MAX_SYMBOLS} symbols: price and change only (quote fewer for ranges, averages and volume).`,
  );
  emit(context, columns, rows, titleOf(context, 'Quotes'), notes);
}

/** `--from` and `--to` must be real dates; one line names the flag that is not. */
export async function runHistory(
  context: CliContext,
  rawSymbol: string,
  range: { from?: string; to?: string },
): Promise<void> {
  const symbol = normalizeSymbol(rawSymbol);
  checkDateFlags(range, context.asOf?.date ?? null);
  const to = range.to !== undefined && range.to < context.endDate ? range.to : context.endDate;
  const from = range.from ?? addDays(to, -365);
  if (from > to) throw new TapewatchError('bad_input', `--from ${from} is after the last day ${to}.`);
  const bars: DailyBars = await context.marketData.getDailyBars(symbol, { from, to });
  if (bars.dates.length === 0) {
    throw new TapewatchError(
      'no_data',
      `No bars for "${symbol}" from ${from} to ${to}; the data may start later or end earlier.`,
    );
  }
  const rows = bars.dates.map((date, i) => ({
    date,
    open: bars.open[i] ?? null,
    high: bars.high[i] ?? null,
    low: bars.low[i] ?? null,
    close: bars.close[i] ?? null,
    adjClose: bars.adjClose[i] ?? null,
    volume: bars.volume[i] ?? null,
  }));
  if (context.options.format === 'json') {
    emitJson(context, {
      command: 'history',
      symbol,
      source: context.marketData.source,
      sourceLabel: context.marketData.label,
      from,
      to,
      bars: rows,
    });
    return;
  }
  const columns: Column[] = ['Date', 'Open', 'High', 'Low', 'Close', 'Adj close', 'Volume'].map(
    (header, i) => ({
      header,
      align: i === 0 ? 'left' : 'right',
    }),
  );
  const table = rows.map((r) => [
    r.date,
    formatNumber(r.open),
    formatNumber(r.high),
    formatNumber(r.low),
    formatNumber(r.close),
    formatNumber(r.adjClose, 4),
    formatNumber(r.volume, 0),
  ]);
  emit(
    context,
    columns,
    table,
    titleOf(context, `${symbol} daily bars ${rows[0]?.date ?? from} to ${rows[rows.length - 1]?.date ?? to}`),
    [],
  );
}

type UniverseAction =
  { action: 'list' } | { action: 'show'; name: string } | { action: 'update'; name: string };

export async function runUniverse(context: CliContext, request: UniverseAction): Promise<void> {
  const { config, io } = context;
  const universeContext = { homeDir: config.homeDir, cwd: io.cwd };
  if (request.action === 'list') {
    const universes = NAMED_UNIVERSES.map((name) => resolveUniverse(name, universeContext));
    if (context.options.format === 'json') {
      emitJson(context, {
        command: 'universe list',
        universes: universes.map((u) => ({
          name: u.name,
          description: u.description,
          size: u.symbols.length,
          asOf: u.asOf,
          source: u.source,
        })),
      });
      return;
    }
    const rows = universes.map((u) => [u.name, String(u.symbols.length), u.description, u.asOf ?? '']);
    emit(
      context,
      [
        { header: 'Universe' },
        { header: 'Size', align: 'right' },
        { header: 'Description' },
        { header: 'As of' },
      ],
      rows,
      'Universes',
      [
        'A universe can also be a comma list of symbols, a text file of symbols, or a folder of CSV price files.',
      ],
    );
    return;
  }
  if (request.action === 'show') {
    const universe = resolveUniverse(request.name, universeContext);
    const members = universe.symbols.map((symbol) => ({
      symbol,
      sector: universe.sectors.get(symbol) ?? null,
      name: universe.names.get(symbol) ?? null,
    }));
    if (context.options.format === 'json') {
      emitJson(context, {
        command: 'universe show',
        name: universe.name,
        description: universe.description,
        asOf: universe.asOf,
        source: universe.source,
        members,
      });
      return;
    }
    const rows = members.map((m) => [m.symbol, m.sector ?? '', m.name ?? '']);
    const asOf = universe.asOf ? `, as of ${universe.asOf}` : '';
    emit(
      context,
      [{ header: 'Symbol' }, { header: 'Sector' }, { header: 'Name' }],
      rows,
      `${universe.name}: ${universe.description} (${members.length}${asOf})`,
      [`Source: ${universe.source}.`],
    );
    return;
  }
  if (request.name.toLowerCase() !== 'sp500') {
    throw new TapewatchError(
      'unknown_universe',
      `Only sp500 has a public source to update from; "${request.name}" is fixed or user-defined.`,
    );
  }
  const fetch = createRetryingFetch(
    io.fetch,
    {
      timeoutMs: config.yahoo.timeoutMs * 2,
      retries: config.yahoo.retries,
      baseDelayMs: 250,
      maxDelayMs: 4_000,
      maxRetryAfterMs: config.yahoo.maxRetryAfterSeconds * 1000,
      maxRateLimitWaitMs: config.yahoo.maxRateLimitWaitSeconds * 1000,
    },
    { sleep, random: Math.random, logger: context.logger },
  );
  const { updateSp500 } = await import('../universes/update.ts');
  const result = await updateSp500(fetch, config.homeDir, io.now());
  if (context.options.format === 'json') {
    emitJson(context, { command: 'universe update', ...result });
    return;
  }
  io.stdout(
    `Updated sp500: ${result.count} members from ${result.source}\nSaved to ${result.file}\n` +
      `Added: ${result.added.join(', ') || 'none'}\nRemoved: ${result.removed.join(', ') || 'none'}\n`,
  );
}
