import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { TapewatchError, describeError } from '../errors.ts';
import { listCsvSymbols } from './price-files.ts';
import { GICS_SECTORS, SECTOR_ETFS, type GicsSector } from './sectors.ts';
import { SP500_AS_OF, SP500_MEMBERS, SP500_SOURCE } from './sp500.ts';

/**
 * A universe is a named set of symbols a report runs over. Besides the named ones it can be a comma
 * list of symbols, a text file of symbols, or a folder (every symbol with a price file in it).
 */
export interface Universe {
  readonly name: string;
  readonly description: string;
  readonly symbols: readonly string[];
  /** GICS sectors where known (from the S&P 500 list); symbols outside it have none. */
  readonly sectors: ReadonlyMap<string, GicsSector>;
  readonly names: ReadonlyMap<string, string>;
  readonly asOf: string | null;
  readonly source: string;
}

export const NAMED_UNIVERSES = ['sp500', 'sectors', 'styles', 'mag7'] as const;
export type NamedUniverse = (typeof NAMED_UNIVERSES)[number];

export const SP500_UPDATE_URL =
  'https://raw.githubusercontent.com/datasets/s-and-p-500-companies/main/data/constituents.csv';

const SYMBOL_SHAPE = /^\^?[A-Z0-9][A-Z0-9.\-=]{0,14}$/;

/** Upper case, and Yahoo's dash for share classes (BRK.B is BRK-B). */
export function normalizeSymbol(raw: string): string {
  const symbol = raw
    .trim()
    .toUpperCase()
    .replace(/\.(?=[A-Z]$)/, '-');
  if (!SYMBOL_SHAPE.test(symbol)) {
    throw new TapewatchError(
      'bad_input',
      `"${raw.trim().slice(0, 40)}" is not a ticker symbol (letters, digits, "-", "." or "^", at most 15).`,
    );
  }
  return symbol;
}

export function parseSymbolList(text: string): string[] {
  const symbols = text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join(' ')
    .split(/[\s,;]+/)
    .filter((token) => token !== '')
    .map(normalizeSymbol);
  return [...new Set(symbols)];
}

const STATIC_UNIVERSES: Readonly<
  Record<Exclude<NamedUniverse, 'sp500'>, { description: string; symbols: readonly string[] }>
> = {
  sectors: { description: 'The 11 SPDR sector ETFs', symbols: Object.values(SECTOR_ETFS) },
  styles: {
    description: 'Size, style and factor ETFs',
    symbols: ['SPY', 'RSP', 'IWM', 'QQQ', 'IJH', 'IJR', 'MTUM', 'SPMO', 'IWD', 'IWF', 'VLUE', 'QUAL', 'USMV'],
  },
  mag7: {
    description: 'The "Magnificent 7" largest US technology companies',
    symbols: ['AAPL', 'AMZN', 'GOOGL', 'META', 'MSFT', 'NVDA', 'TSLA'],
  },
};

const memberSchema = z.tuple([z.string().min(1), z.enum(GICS_SECTORS), z.string()]);
const refreshedSp500Schema = z.object({
  asOf: z.string(),
  source: z.string(),
  members: z.array(memberSchema).min(400),
});
export type Sp500List = z.infer<typeof refreshedSp500Schema>;

export function sp500RefreshFile(homeDir: string): string {
  return path.join(homeDir, 'universes', 'sp500.json');
}

/** The refreshed list when `universe update sp500` has written one, else the built-in list. */
export function loadSp500(homeDir: string): Sp500List {
  const file = sp500RefreshFile(homeDir);
  if (!existsSync(file))
    return { asOf: SP500_AS_OF, source: SP500_SOURCE, members: SP500_MEMBERS.map((m) => [...m]) };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new TapewatchError(
      'data_file',
      `The refreshed S&P 500 list "${file}" cannot be read (${describeError(error)}); delete it to use the built-in list.`,
    );
  }
  const parsed = refreshedSp500Schema.safeParse(json);
  if (!parsed.success) {
    throw new TapewatchError(
      'data_file',
      `The refreshed S&P 500 list "${file}" is not valid; delete it to use the built-in list.`,
    );
  }
  return parsed.data;
}

/** Sector and name of every S&P 500 member, used to label symbols of any universe. */
function sp500Lookup(homeDir: string): { sectors: Map<string, GicsSector>; names: Map<string, string> } {
  const list = loadSp500(homeDir);
  return {
    sectors: new Map(list.members.map(([symbol, sector]) => [symbol, sector])),
    names: new Map(list.members.map(([symbol, , name]) => [symbol, name])),
  };
}

export interface UniverseContext {
  readonly homeDir: string;
  readonly cwd: string;
  /**
   * Whether a universe may name a file or folder. The CLI's user owns the machine; a Discord user does
   * not, so the bot turns this off and only named universes and symbol lists resolve.
   */
  readonly allowFiles?: boolean;
  /**
   * Whether a lone word that is no universe, file or folder is one symbol. Where the option asks for
   * symbols (quote's `symbols:NVDA`), it clearly is; where it asks for a universe, it is a typo.
   */
  readonly loneSymbol?: boolean;
}

function withLabels(homeDir: string, base: Omit<Universe, 'sectors' | 'names'>): Universe {
  const lookup = sp500Lookup(homeDir);
  const sectors = new Map<string, GicsSector>();
  const names = new Map<string, string>();
  for (const symbol of base.symbols) {
    const sector = lookup.sectors.get(symbol);
    if (sector) sectors.set(symbol, sector);
    const name = lookup.names.get(symbol);
    if (name) names.set(symbol, name);
  }
  return { ...base, sectors, names };
}

export function resolveUniverse(spec: string, context: UniverseContext): Universe {
  const trimmed = spec.trim();
  if (trimmed === '')
    throw new TapewatchError(
      'unknown_universe',
      'The universe is empty: name one of ' +
        NAMED_UNIVERSES.join(', ') +
        ', a comma list, a file or a folder.',
    );
  const lower = trimmed.toLowerCase();
  if (lower === 'sp500') {
    const list = loadSp500(context.homeDir);
    return withLabels(context.homeDir, {
      name: 'sp500',
      description: 'S&P 500 members',
      symbols: list.members.map(([symbol]) => symbol),
      asOf: list.asOf,
      source: list.source,
    });
  }
  if (lower in STATIC_UNIVERSES) {
    const named = STATIC_UNIVERSES[lower as keyof typeof STATIC_UNIVERSES];
    return withLabels(context.homeDir, {
      name: lower,
      description: named.description,
      symbols: named.symbols,
      asOf: null,
      source: 'built in',
    });
  }
  const asPath = path.resolve(context.cwd, trimmed);
  if (context.allowFiles !== false && existsSync(asPath)) {
    if (statSync(asPath).isDirectory()) {
      return withLabels(context.homeDir, {
        name: trimmed,
        description: `Every symbol with a price file in ${trimmed}`,
        symbols: [...listCsvSymbols(asPath).keys()],
        asOf: null,
        source: `folder ${trimmed}`,
      });
    }
    const symbols = parseSymbolList(readSymbolFile(asPath, trimmed));
    if (symbols.length === 0)
      throw new TapewatchError('unknown_universe', `The symbol file "${trimmed}" lists no symbols.`);
    return withLabels(context.homeDir, {
      name: trimmed,
      description: `Symbols listed in ${trimmed}`,
      symbols,
      asOf: null,
      source: `file ${trimmed}`,
    });
  }
  // Only a comma makes a symbol list: a lone word that is no universe, file or folder is a typo
  // ("sp50", "NOSUCHUNIVERSE"), not a universe of one symbol.
  if (trimmed.includes(',') || context.loneSymbol === true) {
    const symbols = parseSymbolList(trimmed);
    if (symbols.length === 0) {
      throw new TapewatchError(
        'unknown_universe',
        `The universe "${trimmed.slice(0, 60)}" lists no symbols.`,
      );
    }
    return withLabels(context.homeDir, {
      name: symbols.join(','),
      description: 'Symbols given on the command line',
      symbols,
      asOf: null,
      source: 'command line',
    });
  }
  throw new TapewatchError(
    'unknown_universe',
    context.allowFiles === false
      ? `Unknown universe "${trimmed.slice(0, 60)}": use ${NAMED_UNIVERSES.join(', ')} or a comma list of symbols such as AAPL,MSFT,NVDA (one symbol: AAPL,).`
      : `Unknown universe "${trimmed.slice(0, 60)}": use ${NAMED_UNIVERSES.join(', ')}, a comma list of symbols (one symbol: AAPL,), a text file of symbols, or a folder of price files.`,
  );
}

/** The largest symbol file read: ten thousand symbols take under 100 KB. */
const MAX_SYMBOL_FILE_BYTES = 1_000_000;

/**
 * A symbol file's text. Only a regular file of sensible size is read: /dev/zero or a named pipe would
 * otherwise be read forever, and an unreadable file is the user's to fix, said in one line.
 */
function readSymbolFile(file: string, shown: string): string {
  let stats;
  try {
    stats = statSync(file);
  } catch (error) {
    throw new TapewatchError('bad_input', `Cannot read the symbol file "${shown}".`, { cause: error });
  }
  if (!stats.isFile()) {
    throw new TapewatchError(
      'bad_input',
      `"${shown}" is not a file of symbols (it is a device, pipe or socket).`,
    );
  }
  if (stats.size > MAX_SYMBOL_FILE_BYTES) {
    throw new TapewatchError(
      'bad_input',
      `The symbol file "${shown}" is ${(stats.size / 1e6).toFixed(1)} MB; a symbol list is at most 1 MB.`,
    );
  }
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TapewatchError(
      'bad_input',
      `Cannot read the symbol file "${shown}"${code === 'EACCES' ? ' (permission denied)' : ''}.`,
      { cause: error },
    );
  }
}
