import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openUserDatabase } from '../src/store/user-database.ts';
import {
  MAX_WATCHLIST_SYMBOLS,
  MAX_WATCHLISTS_PER_OWNER,
  watchlistName,
  watchlistSymbols,
  WatchlistStore,
  type WatchlistOwner,
} from '../src/watchlists.ts';

const NOW = new Date('2024-07-11T20:30:00Z');
const ALICE: WatchlistOwner = { scope: 'user', id: '100' };
const SERVER: WatchlistOwner = { scope: 'server', id: '100' };

describe('watchlists', () => {
  it('normalizes names and symbols as users type them, refusing what is neither', () => {
    assert.equal(watchlistName(' Tech '), 'tech');
    assert.equal(watchlistName(null), 'default');
    assert.throws(() => watchlistName('my list!'), /"my list!" is not a watchlist name/);
    assert.deepEqual(watchlistSymbols('aapl, brk.b;MSFT  aapl'), ['AAPL', 'BRK-B', 'MSFT']);
    assert.throws(() => watchlistSymbols(' , '), /Name at least one symbol/);
    assert.throws(() => watchlistSymbols('AAPL $$$'), /"\$\$\$" is not a ticker symbol/);
  });

  it("keeps a user's and a server's lists of the same name apart, across a reopened file", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tapewatch-watchlists-')), 'tapewatch.sqlite');
    let opened = openUserDatabase(file, null);
    let store = new WatchlistStore(opened.db, file);
    store.add(ALICE, 'tech', ['AAPL', 'MSFT'], NOW);
    store.add(SERVER, 'tech', ['XLK'], NOW);
    opened.db.close();
    opened = openUserDatabase(file, null);
    store = new WatchlistStore(opened.db, file);
    assert.deepEqual(store.get(ALICE, 'tech')?.symbols, ['AAPL', 'MSFT']);
    assert.deepEqual(store.get(SERVER, 'tech')?.symbols, ['XLK']);
    assert.equal(store.get({ scope: 'user', id: '200' }, 'tech'), null);
    opened.db.close();
  });

  it('holds at most 25 lists an owner and 200 symbols a list, refusing the change that would pass either', () => {
    const { db } = openUserDatabase(':memory:', null);
    const store = new WatchlistStore(db, ':memory:');
    for (let i = 0; i < MAX_WATCHLISTS_PER_OWNER; i++) store.add(ALICE, `list${i}`, ['SPY'], NOW);
    assert.throws(
      () => store.add(ALICE, 'one-more', ['SPY'], NOW),
      /Your 25 watchlists are the most there can be/,
    );
    store.add(ALICE, 'list0', ['QQQ'], NOW); // adding to an existing list is fine
    const many = Array.from({ length: MAX_WATCHLIST_SYMBOLS }, (_, i) => `S${i}`);
    assert.throws(() => store.add(ALICE, 'list1', many, NOW), /at most 200 symbols; "list1" would have 201/);
    assert.deepEqual(store.get(ALICE, 'list1')?.symbols, ['SPY'], 'nothing of the refused change was kept');
    db.close();
  });
});
