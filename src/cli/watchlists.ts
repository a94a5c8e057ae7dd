import { TapewatchError } from '../errors.ts';
import {
  LOCAL_OWNER,
  localWatchlist,
  watchlistName,
  watchlistSymbols,
  withWatchlistFile,
  type Watchlist,
} from '../watchlists.ts';
import type { CliContext } from './context.ts';

function describe(list: Watchlist): string {
  return `${list.name} (${list.symbols.length}): ${list.symbols.join(', ')}`;
}

export type WatchlistAction =
  | { readonly action: 'add'; readonly name: string; readonly symbols: readonly string[] }
  | { readonly action: 'remove'; readonly name: string; readonly symbols: readonly string[] }
  | { readonly action: 'show'; readonly name: string | undefined };

/** `tapewatch watchlist add|remove|show`: symbols are checked against the data source before they are kept. */
export async function runWatchlist(context: CliContext, request: WatchlistAction): Promise<void> {
  const { config, io } = context;
  const now = io.now();
  if (request.action === 'show') {
    const lists =
      request.name === undefined
        ? withWatchlistFile(config, (store) => store.list(LOCAL_OWNER))
        : [withWatchlistFile(config, (store) => localWatchlist(store, request.name ?? ''))];
    io.stdout(
      lists.length === 0
        ? 'No watchlists yet: tapewatch watchlist add NAME SYMBOL…\n'
        : `${lists.map(describe).join('\n')}\n`,
    );
    return;
  }
  const name = watchlistName(request.name);
  const symbols = request.symbols.length === 0 ? null : watchlistSymbols(request.symbols.join(' '));
  if (request.action === 'remove') {
    const left = withWatchlistFile(config, (store) => store.remove(LOCAL_OWNER, name, symbols, now));
    io.stdout(left === null ? `Watchlist ${name} removed.\n` : `${describe(left)}\n`);
    return;
  }
  if (symbols === null)
    throw new TapewatchError('bad_input', 'Name at least one symbol, such as AAPL or SPY.');
  const { missing } = await context.source.getQuotes(symbols);
  if (missing.length > 0) {
    throw new TapewatchError(
      'bad_input',
      `Not added: ${missing.map((m) => `${m.symbol} (${m.reason})`).join(', ')}; nothing was changed.`,
    );
  }
  const { list } = withWatchlistFile(config, (store) => store.add(LOCAL_OWNER, name, symbols, now));
  io.stdout(`${describe(list)}\n`);
}
