import { TapewatchError } from './errors.ts';
import { openUserDatabase, UserDatabaseTable } from './store/user-database.ts';
import { normalizeSymbol } from './universes/index.ts';

/**
 * Watchlists: named symbol lists a Discord user keeps for themselves, a server keeps for its members
 * (changed by Manage Server), or the terminal keeps for the CLI. Any of them can be quoted or be a
 * report's universe (`watchlist:NAME`).
 */
export type WatchlistOwner =
  | { readonly scope: 'user'; readonly id: string }
  | { readonly scope: 'server'; readonly id: string }
  | { readonly scope: 'local'; readonly id: '' };

export interface Watchlist {
  readonly name: string;
  readonly owner: WatchlistOwner;
  readonly symbols: readonly string[];
  readonly updatedAt: Date;
}

export const DEFAULT_WATCHLIST = 'default';
export const MAX_WATCHLISTS_PER_OWNER = 25;
/** Enough for a sector or a portfolio; a bigger list is a universe (a file or a folder). */
export const MAX_WATCHLIST_SYMBOLS = 200;
const NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** Lower case, 1-32 letters, digits, "-" or "_": a name that reads the same in a command and a universe. */
export function watchlistName(raw: string | null | undefined): string {
  const name = (raw ?? DEFAULT_WATCHLIST).trim().toLowerCase();
  if (!NAME.test(name)) {
    throw new TapewatchError(
      'bad_input',
      `"${(raw ?? '').slice(0, 40)}" is not a watchlist name: use 1-32 letters, digits, "-" or "_".`,
    );
  }
  return name;
}

/** The symbols a user typed, normalized, without repeats, in their order. */
export function watchlistSymbols(raw: string): string[] {
  const symbols = [
    ...new Set(
      raw
        .split(/[\s,;]+/)
        .filter((token) => token !== '')
        .map(normalizeSymbol),
    ),
  ];
  if (symbols.length === 0)
    throw new TapewatchError('bad_input', 'Name at least one symbol, such as AAPL or SPY.');
  return symbols;
}

interface Row {
  scope: string;
  owner_id: string;
  name: string;
  symbols: string;
  updated_at: string;
}

function describeOwner(owner: WatchlistOwner): string {
  return owner.scope === 'server' ? "this server's" : owner.scope === 'user' ? 'your' : 'the';
}

export class WatchlistStore extends UserDatabaseTable {
  get(owner: WatchlistOwner, name: string): Watchlist | null {
    return this.run(() => {
      const row = this.db
        .prepare('SELECT * FROM watchlists WHERE scope = ? AND owner_id = ? AND name = ?')
        .get(owner.scope, owner.id, name) as Row | undefined;
      return row === undefined ? null : toWatchlist(row, owner);
    });
  }

  list(owner: WatchlistOwner): Watchlist[] {
    return this.run(() =>
      (
        this.db
          .prepare('SELECT * FROM watchlists WHERE scope = ? AND owner_id = ? ORDER BY name')
          .all(owner.scope, owner.id) as unknown as Row[]
      ).map((row) => toWatchlist(row, owner)),
    );
  }

  /** Adds symbols to a list, making it if it is new; returns the list and the symbols it did not have. */
  add(
    owner: WatchlistOwner,
    name: string,
    symbols: readonly string[],
    now: Date,
  ): { list: Watchlist; added: string[] } {
    return this.run(() => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const existing = this.get(owner, name);
        if (existing === null && this.list(owner).length >= MAX_WATCHLISTS_PER_OWNER) {
          throw new TapewatchError(
            'bad_input',
            `${capitalized(describeOwner(owner))} ${MAX_WATCHLISTS_PER_OWNER} watchlists are the most there can be; remove one first.`,
          );
        }
        const had = existing?.symbols ?? [];
        const added = symbols.filter((symbol) => !had.includes(symbol));
        const merged = [...had, ...added];
        if (merged.length > MAX_WATCHLIST_SYMBOLS) {
          throw new TapewatchError(
            'bad_input',
            `A watchlist holds at most ${MAX_WATCHLIST_SYMBOLS} symbols; "${name}" would have ${merged.length}.`,
          );
        }
        this.#save(owner, name, merged, now);
        this.db.exec('COMMIT');
        return { list: { name, owner, symbols: merged, updatedAt: now }, added };
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  /**
   * Takes symbols off a list (all of them, with `symbols` null, removes the list); returns what is left,
   * or null when the list is gone.
   */
  remove(
    owner: WatchlistOwner,
    name: string,
    symbols: readonly string[] | null,
    now: Date,
  ): Watchlist | null {
    return this.run(() => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const left = this.#removeFrom(owner, name, symbols, now);
        this.db.exec('COMMIT');
        return left;
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  #removeFrom(
    owner: WatchlistOwner,
    name: string,
    symbols: readonly string[] | null,
    now: Date,
  ): Watchlist | null {
    const existing = this.get(owner, name);
    if (existing === null) {
      throw new TapewatchError(
        'bad_input',
        `There is no watchlist "${name}" among ${describeOwner(owner)} watchlists.`,
      );
    }
    const left = symbols === null ? [] : existing.symbols.filter((symbol) => !symbols.includes(symbol));
    if (left.length === 0) {
      this.db
        .prepare('DELETE FROM watchlists WHERE scope = ? AND owner_id = ? AND name = ?')
        .run(owner.scope, owner.id, name);
      return null;
    }
    this.#save(owner, name, left, now);
    return { name, owner, symbols: left, updatedAt: now };
  }

  #save(owner: WatchlistOwner, name: string, symbols: readonly string[], now: Date): void {
    this.db
      .prepare(
        `INSERT INTO watchlists (scope, owner_id, name, symbols, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (scope, owner_id, name) DO UPDATE SET symbols = excluded.symbols, updated_at = excluded.updated_at`,
      )
      .run(owner.scope, owner.id, name, symbols.join(','), now.toISOString());
  }
}

function toWatchlist(row: Row, owner: WatchlistOwner): Watchlist {
  return { name: row.name, owner, symbols: row.symbols.split(','), updatedAt: new Date(row.updated_at) };
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The terminal's own watchlists: one set per user database, apart from Discord users' and servers'. */
export const LOCAL_OWNER: WatchlistOwner = { scope: 'local', id: '' };

/** Opens the user database for one piece of work on its watchlists (the CLI's way), closing it after. */
export function withWatchlistFile<T>(
  files: { readonly userDbPath: string; readonly storePath: string },
  work: (store: WatchlistStore) => T,
): T {
  const { db } = openUserDatabase(files.userDbPath, files.storePath);
  try {
    return work(new WatchlistStore(db, files.userDbPath));
  } finally {
    db.close();
  }
}

/** The terminal's watchlist of that name (`watchlist:` alone is the default one), or one line saying there is none. */
export function localWatchlist(store: WatchlistStore, rawName: string): Watchlist {
  const name = watchlistName(rawName === '' ? null : rawName);
  const list = store.get(LOCAL_OWNER, name);
  if (list === null) {
    throw new TapewatchError(
      'bad_input',
      `There is no watchlist "${name}": make one with tapewatch watchlist add ${name} SYMBOL…`,
    );
  }
  return list;
}

/** A watchlist's symbols as a universe option: a comma list, with the trailing comma that makes one symbol a list. */
export function watchlistUniverse(symbols: readonly string[]): string {
  return symbols.length === 1 ? `${symbols[0] ?? ''},` : symbols.join(',');
}
