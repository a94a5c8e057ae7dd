import { Command, CommanderError, Option } from 'commander';
import {
  parseConfig,
  SOURCE_NAMES,
  type Config,
  type Environment,
  type SourceName,
} from '../config/index.ts';
import { describeError, isTapewatchError, newReference } from '../errors.ts';
import { createLogger, createStderrLogger, type Logger } from '../log.ts';
import { AsOfMarketData, resolveAsOf, type ResolvedAsOf } from '../market/as-of.ts';
import { exchangeDateOf } from '../market/calendar.ts';
import type { FetchFn } from '../market/http.ts';
import { openMarketData, type OpenedMarketData } from '../market/index.ts';
import type { MarketData } from '../market/types.ts';
import type { Summarizer } from '../llm/summarizer.ts';
import { runHistory, runQuote, runUniverse, FORMATS, type Format } from './commands.ts';
import { numberFlag, runReport, runSeries } from './reports.ts';

/** Everything the CLI touches outside itself, so tests run it in-process with fakes. */
export interface CliIo {
  readonly env: Environment;
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stderrIsTty: boolean;
  readonly now: () => Date;
  readonly fetch: FetchFn;
}

export interface GlobalOptions {
  readonly source?: SourceName;
  readonly dataDir: string[];
  readonly universe?: string;
  readonly asOf?: string;
  readonly format: Format;
  readonly explain: boolean;
  readonly chart?: string;
  readonly verbose: boolean;
}

/** What a command needs, built once per run from the options: the composition root of the CLI. */
export interface CliContext {
  readonly io: CliIo;
  readonly config: Config;
  readonly options: GlobalOptions;
  readonly logger: Logger;
  readonly marketData: MarketData;
  /** Built on first use, and loaded then: only --explain needs the LLM client (150 ms to import). */
  summarizer(): Promise<Summarizer>;
  readonly asOf: ResolvedAsOf | null;
  /** The last session the report may see: --as-of, or today. */
  readonly endDate: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function createProgram(
  io: CliIo,
  run: (action: (context: CliContext) => Promise<void>, command: Command) => Promise<void>,
): Command {
  const program = new Command('tapewatch')
    .description('Market breadth, momentum and rotation from live or local data.')
    .addOption(new Option('--source <source>', 'market data source').choices(SOURCE_NAMES))
    .option(
      '--data-dir <dir>',
      'folder of Yahoo-layout CSV price files (repeatable; implies --source csv)',
      collect,
      [],
    )
    .option(
      '--universe <universe>',
      'sp500, sectors, styles, mag7, a comma list, a symbol file or a price folder',
    )
    .option('--as-of <date>', 'use only data up to this day’s close (YYYY-MM-DD)')
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('text'))
    .option('--chart <file>', 'also draw the report as a 1200×675 PNG chart into this file')
    .option(
      '--explain',
      'add a plain-language summary to a report (by the LLM when OPENAI_API_KEY is set, checked against the numbers; otherwise by template)',
      false,
    )
    .option('--verbose', 'log diagnostics to stderr', false)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command('quote')
    .description('latest price and daily change for symbols, or for every member of --universe')
    .argument('[symbols...]', 'ticker symbols, e.g. SPY QQQ IWM')
    .action((symbols: string[], _options: unknown, command: Command) =>
      run((context) => runQuote(context, symbols), command),
    );

  program
    .command('history')
    .description('daily bars for one symbol')
    .argument('<symbol>', 'ticker symbol')
    .option('--from <date>', 'first day (YYYY-MM-DD); default one year before --to')
    .option('--to <date>', 'last day (YYYY-MM-DD); default --as-of or today')
    .action((symbol: string, options: { from?: string; to?: string }, command: Command) =>
      run((context) => runHistory(context, symbol, options), command),
    );

  program
    .command('momentum')
    .description(
      'the long-short momentum factor on --universe (default sp500): returns, crashes, legs, crowding',
    )
    .option('--lookback <months>', 'ranking window in months (12 in the classic 12-1 factor)')
    .option('--skip <months>', 'most recent months left out of the ranking (1)')
    .option('--quantile <fraction>', 'share of the ranked stocks in each leg (0.2: quintiles)')
    .option('--sector-neutral', 'rank within GICS sectors')
    .option('--vol-target <fraction>', 'scale the factor to this annual volatility (e.g. 0.12)')
    .option('--event-sigma <sigma>', 'a day beyond this many standard deviations is a crash or spike (3)')
    .action((options: Record<string, string | boolean | undefined>, command: Command) =>
      run(
        (context) =>
          runReport(
            context,
            'momentum',
            {
              universe: context.options.universe,
              lookbackMonths: numberFlag(options.lookback as string | undefined),
              skipMonths: numberFlag(options.skip as string | undefined),
              quantile: numberFlag(options.quantile as string | undefined),
              sectorNeutral: options.sectorNeutral,
              volTarget: numberFlag(options.volTarget as string | undefined),
              eventSigma: numberFlag(options.eventSigma as string | undefined),
            },
            {
              universe: '--universe',
              lookbackMonths: '--lookback',
              skipMonths: '--skip',
              quantile: '--quantile',
              sectorNeutral: '--sector-neutral',
              volTarget: '--vol-target',
              eventSigma: '--event-sigma',
            },
          ),
        command,
      ),
    );

  program
    .command('breadth')
    .description('participation of --universe (default sp500) under its index')
    .option('--index <symbol>', 'the index ETF the members are measured against (SPY)')
    .option('--top <n>', 'how many of the largest members count for concentration (7)')
    .action((options: { index?: string; top?: string }, command: Command) =>
      run(
        (context) =>
          runReport(
            context,
            'breadth',
            { universe: context.options.universe, index: options.index, top: numberFlag(options.top) },
            { universe: '--universe', index: '--index', top: '--top' },
          ),
        command,
      ),
    );

  program
    .command('rotation')
    .description('sector rotation graph, size and style pairs, rare one-day splits')
    .option('--benchmark <symbol>', 'what the sectors rotate against (SPY)')
    .option('--tail-weeks <n>', 'weekly points in each sector’s tail (5)')
    .option(
      '--split-threshold <fraction>',
      'one-day move of a pair’s first leg that counts as a split (0.03)',
    )
    .action(
      (options: { benchmark?: string; tailWeeks?: string; splitThreshold?: string }, command: Command) =>
        run(
          (context) =>
            runReport(
              context,
              'rotation',
              {
                benchmark: options.benchmark,
                tailWeeks: numberFlag(options.tailWeeks),
                splitThreshold: numberFlag(options.splitThreshold),
              },
              { benchmark: '--benchmark', tailWeeks: '--tail-weeks', splitThreshold: '--split-threshold' },
            ),
          command,
        ),
    );

  program
    .command('series')
    .description('an indicator series as date,value CSV (e.g. momentum.long_short, rotation.rs_ratio:XLK)')
    .argument('<name>', 'series name')
    .option('--from <date>', 'first day (YYYY-MM-DD)')
    .option('--to <date>', 'last day (YYYY-MM-DD); default --as-of or today')
    .action((name: string, options: { from?: string; to?: string }, command: Command) =>
      run((context) => runSeries(context, name, options), command),
    );

  const universe = program.command('universe').description('list, show or refresh symbol universes');
  universe
    .command('list')
    .description('the named universes')
    .action((_options: unknown, command: Command) =>
      run((context) => runUniverse(context, { action: 'list' }), command),
    );
  universe
    .command('show')
    .description('the members of a universe')
    .argument('<universe>', 'a named universe, comma list, file or folder')
    .action((name: string, _options: unknown, command: Command) =>
      run((context) => runUniverse(context, { action: 'show', name }), command),
    );
  universe
    .command('update')
    .description('refresh a member list from its public source (sp500)')
    .argument('<universe>', 'sp500')
    .action((name: string, _options: unknown, command: Command) =>
      run((context) => runUniverse(context, { action: 'update', name }), command),
    );
  return program;
}

/** Opens the data source only when a command first asks for it: `universe` commands never do. */
function buildContext(io: CliIo, options: GlobalOptions): { context: CliContext; close: () => void } {
  const config = parseConfig(io.env);
  const logger = options.verbose ? createStderrLogger('debug') : createLogger('silent');
  const source: SourceName = options.source ?? (options.dataDir.length > 0 ? 'csv' : config.marketDataSource);
  const dataDirs = options.dataDir.length > 0 ? options.dataDir : config.marketDataDirs;
  const today = exchangeDateOf(io.now());
  const asOf = options.asOf === undefined ? null : resolveAsOf(options.asOf, today);
  let opened: OpenedMarketData | null = null;
  let marketData: MarketData | null = null;
  let summarizer: Summarizer | null = null;
  const context: CliContext = {
    io,
    config,
    options,
    logger,
    asOf,
    endDate: asOf?.date ?? today,
    get marketData(): MarketData {
      if (marketData === null) {
        opened = openMarketData(config, { source, dataDirs }, { fetch: io.fetch, now: io.now, logger });
        marketData = asOf ? new AsOfMarketData(opened.marketData, asOf.date) : opened.marketData;
      }
      return marketData;
    },
    async summarizer(): Promise<Summarizer> {
      if (summarizer === null) {
        const [{ createLlmClient }, { Summarizer: SummarizerClass }] = await Promise.all([
          import('../llm/client.ts'),
          import('../llm/summarizer.ts'),
        ]);
        summarizer = new SummarizerClass({
          client: createLlmClient(config.llm, io.fetch),
          model: config.llm.model,
          logger,
        });
      }
      return summarizer;
    },
  };
  return {
    context,
    close: () => {
      opened?.close();
      summarizer?.close();
    },
  };
}

/** Runs the CLI and returns the exit code: 0 done, 1 failed, 2 bad usage or input. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const run = async (action: (context: CliContext) => Promise<void>, command: Command): Promise<void> => {
    const { context, close } = buildContext(io, command.optsWithGlobals<GlobalOptions>());
    try {
      if (context.asOf?.note) io.stderr(`note: ${context.asOf.note}\n`);
      await action(context);
    } finally {
      close();
    }
  };
  const program = createProgram(io, run);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    exitCode = reportError(error, io);
  }
  return exitCode;
}

/** The one place errors become what a user sees: one line, never a stack trace. */
function reportError(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its own one-line message (or the help text).
    return error.exitCode === 0 ? 0 : 2;
  }
  if (isTapewatchError(error)) {
    io.stderr(`tapewatch: ${error.message}\n`);
    return error.code === 'bad_input' || error.code === 'unknown_universe' || error.code === 'bad_config'
      ? 2
      : 1;
  }
  const reference = newReference();
  io.stderr(`tapewatch: unexpected error (reference ${reference}): ${describeError(error)}\n`);
  return 1;
}
