import { localWatchlist, watchlistUniverse, withWatchlistFile } from '../watchlists.ts';
import { parseConfig, type Config, type Environment, type SourceName } from '../config/index.ts';
import { createLogger, createStderrLogger, type Logger } from '../log.ts';
import { AsOfMarketData, resolveAsOf, type ResolvedAsOf } from '../market/as-of.ts';
import { exchangeDateOf } from '../market/calendar.ts';
import type { FetchFn } from '../lib/http.ts';
import { openMarketData, type OpenedMarketData } from '../market/index.ts';
import type { MarketData } from '../market/types.ts';
import type { RequestPolicy } from '../reports/module.ts';
import type { Summarizer } from '../llm/summarizer.ts';
import type { Styler } from '../render/report.ts';

export const FORMATS = ['text', 'json', 'md'] as const;
export type Format = (typeof FORMATS)[number];

/** Everything the CLI touches outside itself, so tests run it in-process with fakes. */
export interface CliIo {
  readonly env: Environment;
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stderrIsTty: boolean;
  readonly now: () => Date;
  readonly fetch: FetchFn;
  /**
   * Colours for stdout and stderr, where the terminal takes them (util.styleText, which honours
   * NO_COLOR and FORCE_COLOR); plain text when absent.
   */
  readonly styleOut?: Styler;
  readonly styleErr?: Styler;
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
  /** The source as --as-of sees it: quote and history read this. */
  readonly marketData: MarketData;
  /** The source itself: reports get their as-of view from the request (see buildReports). */
  readonly source: MarketData;
  /** How a report request from the terminal is validated: files allowed, options named as flags. */
  readonly policy: RequestPolicy;
  /** Built on first use, and loaded then: only --explain needs the LLM client (150 ms to import). */
  summarizer(): Promise<Summarizer>;
  readonly asOf: ResolvedAsOf | null;
  /** The last session the report may see: --as-of, or today. */
  readonly endDate: string;
}

/** Opens the data source only when a command first asks for it: `universe` commands never do. */
export function buildContext(io: CliIo, given: GlobalOptions): { context: CliContext; close: () => void } {
  const config = parseConfig(io.env);
  const options = withWatchlistUniverse(given, config);
  const logger = options.verbose ? createStderrLogger('debug') : createLogger('silent');
  const sourceName: SourceName =
    options.source ?? (options.dataDir.length > 0 ? 'csv' : config.marketDataSource);
  const dataDirs = options.dataDir.length > 0 ? options.dataDir : config.marketDataDirs;
  // The exchange's date needs the time-zone database (20 ms to load): only commands that use it pay.
  let todayMemo: string | null = null;
  const today = (): string => (todayMemo ??= exchangeDateOf(io.now()));
  const asOf = options.asOf === undefined ? null : resolveAsOf(options.asOf, today());
  let opened: OpenedMarketData | null = null;
  let asOfView: MarketData | null = null;
  const openSource = (): MarketData => {
    opened ??= openMarketData(
      config,
      { source: sourceName, dataDirs },
      {
        fetch: io.fetch,
        now: io.now,
        logger,
        notify: (note) => {
          io.stderr(`note: ${note}\n`);
        },
      },
    );
    return opened.marketData;
  };
  let summarizer: Summarizer | null = null;
  const context: CliContext = {
    io,
    config,
    options,
    logger,
    asOf,
    get endDate(): string {
      return asOf?.date ?? today();
    },
    policy: {
      get today(): string {
        return today();
      },
      universes: { homeDir: config.homeDir, cwd: io.cwd },
      optionLabel: (name) => `--${name}`,
    },
    get source(): MarketData {
      return openSource();
    },
    get marketData(): MarketData {
      asOfView ??= asOf ? new AsOfMarketData(openSource(), asOf.date) : openSource();
      return asOfView;
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

/**
 * `--universe watchlist:NAME` is the symbols of that local watchlist, from here on a plain symbol list
 * (a lone symbol keeps its trailing comma, which marks a list of one).
 */
function withWatchlistUniverse(options: GlobalOptions, config: Config): GlobalOptions {
  const match = /^watchlist:(.*)$/i.exec(options.universe?.trim() ?? '');
  if (match === null) return options;
  const { symbols } = withWatchlistFile(config, (store) => localWatchlist(store, match[1] ?? ''));
  return { ...options, universe: watchlistUniverse(symbols) };
}
