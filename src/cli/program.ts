import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { BRIEF, REPORTS } from '../../commands/index.ts';
import { SERIES } from '../../commands/series.ts';
import { SOURCE_NAMES } from '../config/index.ts';
import { describeError, isTapewatchError, newReference, TapewatchError } from '../errors.ts';
import { defaultText, describeOption, universeOption, type OptionSpec } from '../reports/options.ts';
import { REPORT_COMMANDS, type ReportCommand } from '../reports/types.ts';
import { buildContext, FORMATS, type CliContext, type CliIo, type GlobalOptions } from './context.ts';
import { flagValue } from './flags.ts';

// What a command runs is loaded when it runs: `universe list` should not pay for loading reports,
// renderers and the data-quality checker.
const reportRunners = () => import('./reports.ts');
const commandRunners = () => import('./commands.ts');

export type { CliIo } from './context.ts';

/** The version in package.json, read once when asked for. */
function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * A report's subcommand, generated from its option table: every option but the universe (a global
 * flag, which quote and series take too) becomes a flag named as in Discord, and a `symbol` option is
 * the command's argument (`tapewatch chart NVDA`).
 */
function addReportCommand(program: Command, name: ReportCommand, run: Runner): void {
  const module = REPORTS[name];
  const command = program
    .command(name)
    .description(
      'universe' in module.options
        ? `${module.description}; on --universe (default ${defaultText(universeOption)})`
        : module.description,
    );
  const flags: [key: string, spec: OptionSpec, attribute: string][] = [];
  const symbolArgument = 'symbol' in module.options ? module.options.symbol : undefined;
  if (symbolArgument !== undefined) {
    command.argument('[symbol]', describeOption(symbolArgument));
  }
  for (const [key, spec] of Object.entries(module.options)) {
    if (spec.kind === 'universe' || spec === symbolArgument) continue;
    const option = new Option(
      spec.placeholder === null ? `--${spec.name}` : `--${spec.name} <${spec.placeholder}>`,
      describeOption(spec),
    );
    command.addOption(option);
    flags.push([key, spec, option.attributeName()]);
  }
  command.action((...args: unknown[]) => {
    const self = args.at(-1) as Command;
    const given = self.opts();
    const symbol = symbolArgument === undefined ? undefined : (args[0] as string | undefined);
    return run((context) => {
      const raw: Record<string, unknown> =
        'universe' in module.options ? { universe: context.options.universe } : {};
      if (symbol !== undefined) raw.symbol = symbol;
      for (const [key, spec, attribute] of flags) raw[key] = flagValue(spec, given[attribute]);
      return reportRunners().then(({ runReport }) => runReport(context, name, raw));
    }, self);
  });
}

type Runner = (action: (context: CliContext) => Promise<void>, command: Command) => Promise<void>;

export function createProgram(io: CliIo, run: Runner): Command {
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
    .version(packageVersion(), '--version', 'print the version and exit')
    // Each subcommand's --help lists the global options it can take, too.
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', EXAMPLES)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      // Every error line starts "tapewatch:", commander's own ("unknown option") included.
      outputError: (text, write) => {
        const prefix = io.styleErr ? io.styleErr('red', 'tapewatch:') : 'tapewatch:';
        // One line: commander puts its "(Did you mean --top?)" on a line of its own.
        const line = text
          .replace(/^error: /, '')
          .trimEnd()
          .replace(/\n\(Did you mean/, ' (did you mean');
        write(`${prefix} ${line}\n`);
      },
    });

  program
    .command('quote')
    .description(
      'price, change, 52-week range, 50/200-day averages and volume for symbols, a watchlist, or --universe',
    )
    .argument('[symbols...]', 'ticker symbols, e.g. SPY QQQ IWM')
    .option('--watchlist <name>', 'the symbols of a watchlist (see tapewatch watchlist)')
    .action((symbols: string[], options: { watchlist?: string }, command: Command) =>
      run(async (context) => (await commandRunners()).runQuote(context, symbols, options.watchlist), command),
    );

  program
    .command('history')
    .description('daily bars for one symbol')
    .argument('<symbol>', 'ticker symbol')
    .option('--from <date>', 'first day (YYYY-MM-DD); default one year before --to')
    .option('--to <date>', 'last day (YYYY-MM-DD); default --as-of or today')
    .action((symbol: string, options: { from?: string; to?: string }, command: Command) =>
      run(async (context) => (await commandRunners()).runHistory(context, symbol, options), command),
    );

  // `quote` has a command of its own above (symbols as arguments, price-only beyond QUOTE_MAX_SYMBOLS).
  for (const name of REPORT_COMMANDS) if (name !== 'quote') addReportCommand(program, name, run);

  program
    .command(BRIEF.name)
    .description(`${BRIEF.description}, as /market posts it; on --universe (default sp500)`)
    .action((_options: unknown, command: Command) =>
      run(async (context) => (await reportRunners()).runBrief(context), command),
    );

  program
    .command('series')
    .description('an indicator series as date,value CSV (e.g. momentum.long_short, rotation.rs_ratio:XLK)')
    .argument('<name>', 'series name')
    .option('--from <date>', 'first day (YYYY-MM-DD)')
    .option('--to <date>', 'last day (YYYY-MM-DD); default --as-of or today')
    .addHelpText(
      'after',
      `\nSeries:\n${Object.keys(SERIES)
        .map((name) => `  ${name}${name.startsWith('rotation.') ? ':ETF' : ''}`)
        .join(
          '\n',
        )}\n\nExample:\n  tapewatch series momentum.long_short --source demo --from 2024-01-01 > momentum.csv\n`,
    )
    .action((name: string, options: { from?: string; to?: string }, command: Command) =>
      run(async (context) => (await reportRunners()).runSeries(context, name, options), command),
    );

  program
    .command('check')
    .description("the data-quality gate's findings for every price file in the --data-dir folders")
    .action((_options: unknown, command: Command) =>
      run(async (context) => (await import('./check.ts')).runCheck(context), command),
    );

  program
    .command('health')
    .description("ask the running bot's /healthz (HEALTH_PORT): exit 0 when healthy, 1 with the reasons")
    .action((_options: unknown, command: Command) =>
      run(async (context) => (await import('./health.ts')).runHealth(context), command),
    );

  const watchlist = program
    .command('watchlist')
    .description('your named symbol lists: quote them, or use one as a universe (--universe watchlist:NAME)');
  watchlist
    .command('add')
    .description('add symbols to a watchlist, making it if it is new (checked against the data source)')
    .argument('<name>', 'the list, e.g. tech')
    .argument('<symbols...>', 'ticker symbols')
    .action((name: string, symbols: string[], _options: unknown, command: Command) =>
      run(
        async (context) =>
          (await import('./watchlists.ts')).runWatchlist(context, { action: 'add', name, symbols }),
        command,
      ),
    );
  watchlist
    .command('remove')
    .description('take symbols off a watchlist, or remove the whole list')
    .argument('<name>', 'the list')
    .argument('[symbols...]', 'which symbols (default: the whole list)')
    .action((name: string, symbols: string[], _options: unknown, command: Command) =>
      run(
        async (context) =>
          (await import('./watchlists.ts')).runWatchlist(context, { action: 'remove', name, symbols }),
        command,
      ),
    );
  watchlist
    .command('show')
    .description('a watchlist, or all of them')
    .argument('[name]', 'the list (default: all)')
    .action((name: string | undefined, _options: unknown, command: Command) =>
      run(
        async (context) => (await import('./watchlists.ts')).runWatchlist(context, { action: 'show', name }),
        command,
      ),
    );

  program
    .command('alerts')
    .description("backtest an alert condition (the bot's /alert): the days it would have fired")
    .command('scan')
    .description(
      'the days a condition would have fired on, with counts by year (on --universe, default sp500)',
    )
    .requiredOption(
      '--condition <condition>',
      'an event (momentum_crash, washout, …), "breadth.pct_above_200d crosses below 20", "SPY moves 2%"',
    )
    .option('--threshold <n>', "an event's own threshold (momentum |z|, default 3)")
    .option('--from <date>', 'first day (YYYY-MM-DD); default five years before --to')
    .option('--to <date>', 'last day (YYYY-MM-DD); default today')
    .action(
      (options: { condition: string; threshold?: string; from?: string; to?: string }, command: Command) =>
        run(async (context) => (await import('./alerts.ts')).runAlertsScan(context, options), command),
    );

  const schedules = program
    .command('schedules')
    .description("back up or move the bot's schedules (the user database, TAPEWATCH_DB_PATH)");
  schedules
    .command('export')
    .description('every server’s schedules as JSON on stdout')
    .action((_options: unknown, command: Command) =>
      run(async (context) => {
        (await import('./schedules.ts')).runSchedulesExport(context);
      }, command),
    );
  schedules
    .command('import')
    .description('add the schedules of a file written by schedules export (all or none, never twice)')
    .argument('<file>', 'a JSON file from tapewatch schedules export')
    .action((file: string, _options: unknown, command: Command) =>
      run(async (context) => {
        (await import('./schedules.ts')).runSchedulesImport(context, file);
      }, command),
    );

  const universe = program.command('universe').description('list, show or refresh symbol universes');
  universe
    .command('list')
    .description('the named universes')
    .action((_options: unknown, command: Command) =>
      run(async (context) => (await commandRunners()).runUniverse(context, { action: 'list' }), command),
    );
  universe
    .command('show')
    .description('the members of a universe')
    .argument('<universe>', 'a named universe, comma list, file or folder')
    .action((name: string, _options: unknown, command: Command) =>
      run(
        async (context) => (await commandRunners()).runUniverse(context, { action: 'show', name }),
        command,
      ),
    );
  universe
    .command('update')
    .description('refresh a member list from its public source (sp500)')
    .argument('<universe>', 'sp500')
    .action((name: string, _options: unknown, command: Command) =>
      run(
        async (context) => (await commandRunners()).runUniverse(context, { action: 'update', name }),
        command,
      ),
    );
  return program;
}

const EXAMPLES = `
Examples:
  tapewatch breadth --source demo
  tapewatch momentum --data-dir ../shared/data/prices/sp500 --data-dir ../shared/data/prices/etf \\
    --universe ../shared/data/prices/sp500 --as-of 2020-11-09
  tapewatch rotation --source demo --format md --chart rotation.png
  tapewatch market --source demo --universe sectors
  tapewatch quote SPY QQQ IWM
  tapewatch check --data-dir ../shared/data/prices/nasdaq100
`;

type GlobalOption = 'source' | 'dataDir' | 'universe' | 'asOf' | 'format' | 'chart' | 'explain';
const REPORT_OPTIONS: readonly GlobalOption[] = [
  'source',
  'dataDir',
  'universe',
  'asOf',
  'format',
  'chart',
  'explain',
];

/**
 * The global options each command uses (--verbose applies everywhere): an option a command would
 * ignore is refused, so nobody waits for a chart that is never drawn. The README's table is this one.
 */
export const OPTIONS_BY_COMMAND: Readonly<Record<string, readonly GlobalOption[]>> = {
  quote: REPORT_OPTIONS,
  history: ['source', 'dataDir', 'asOf', 'format'],
  momentum: REPORT_OPTIONS,
  breadth: REPORT_OPTIONS,
  // Rotation's ETFs are fixed: it has no universe.
  rotation: REPORT_OPTIONS.filter((option) => option !== 'universe'),
  market: REPORT_OPTIONS.filter((option) => option !== 'explain'),
  // One symbol, given as the argument.
  chart: REPORT_OPTIONS.filter((option) => option !== 'universe'),
  series: ['source', 'dataDir', 'universe', 'asOf', 'format'],
  check: ['dataDir', 'format'],
  health: [],
  'watchlist add': ['source', 'dataDir'],
  'watchlist remove': [],
  'watchlist show': [],
  'alerts scan': ['source', 'dataDir', 'universe', 'format'],
  'schedules export': [],
  'schedules import': [],
  'universe list': ['format'],
  'universe show': ['format'],
  'universe update': ['format'],
};

const FLAG_OF: Record<GlobalOption, string> = {
  source: '--source',
  dataDir: '--data-dir',
  universe: '--universe',
  asOf: '--as-of',
  format: '--format',
  chart: '--chart',
  explain: '--explain',
};

function refuseIgnoredOptions(command: Command): void {
  const root = command.parent?.parent ?? command.parent ?? command;
  const name =
    command.parent && command.parent !== root ? `${command.parent.name()} ${command.name()}` : command.name();
  const allowed = OPTIONS_BY_COMMAND[name];
  if (allowed === undefined) return;
  const given = (option: GlobalOption) => root.getOptionValueSource(option) === 'cli';
  for (const option of Object.keys(FLAG_OF) as GlobalOption[]) {
    if (given(option) && !allowed.includes(option)) {
      throw new TapewatchError('bad_input', `${FLAG_OF[option]} does not apply to ${name}.`);
    }
  }
  const opts = root.opts<GlobalOptions>();
  if (given('dataDir') && given('source') && opts.source !== 'csv') {
    throw new TapewatchError(
      'bad_input',
      `--data-dir reads price files: it needs --source csv, not --source ${opts.source ?? ''}.`,
    );
  }
  if (name === 'series' && opts.format === 'md') {
    throw new TapewatchError(
      'bad_input',
      'series prints CSV (--format text) or JSON (--format json), not Markdown.',
    );
  }
}

/** Runs the CLI and returns the exit code: 0 done, 1 failed, 2 bad usage or input. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const run = async (action: (context: CliContext) => Promise<void>, command: Command): Promise<void> => {
    refuseIgnoredOptions(command);
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
    exitCode = reportError(error, io, argv.includes('--verbose'));
  }
  return exitCode;
}

/** The one place errors become what a user sees: one line, never a stack trace. */
function reportError(error: unknown, io: CliIo, verbose: boolean): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its own one-line message (or the help text).
    return error.exitCode === 0 ? 0 : 2;
  }
  const prefix = io.styleErr ? io.styleErr('red', 'tapewatch:') : 'tapewatch:';
  if (isTapewatchError(error)) {
    io.stderr(`${prefix} ${error.message}\n`);
    // What the one line summed up, for a bug report: the underlying system error, if any.
    if (verbose && error.cause instanceof Error)
      io.stderr(`cause: ${error.cause.stack ?? error.cause.message}\n`);
    return error.code === 'bad_input' || error.code === 'unknown_universe' || error.code === 'bad_config'
      ? 2
      : 1;
  }
  const reference = newReference();
  io.stderr(`${prefix} unexpected error (reference ${reference}): ${describeError(error)}\n`);
  // The one-line rule is for users; --verbose asks for the details a bug report needs.
  if (verbose && error instanceof Error && error.stack !== undefined) io.stderr(`${error.stack}\n`);
  return 1;
}
