import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cli } from '../helpers/cli.ts';

describe('tapewatch watchlist, quote --watchlist and --universe watchlist:NAME', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'tapewatch-cli-watchlists-'));
  const run = (args: string[]) => cli(args, { env: { TAPEWATCH_HOME: home }, cwd: home });

  it('keeps a list of symbols the source knows, refusing the whole change for one it does not', async () => {
    const refused = await run(['watchlist', 'add', 'tech', 'aapl', 'NOPE', '--source', 'demo']);
    assert.equal(refused.code, 2);
    assert.equal(
      refused.err,
      'tapewatch: Not added: NOPE (the demo market has no such symbol); nothing was changed.\n',
    );
    assert.equal(
      (await run(['watchlist', 'show'])).out,
      'No watchlists yet: tapewatch watchlist add NAME SYMBOL…\n',
    );
    const added = await run([
      'watchlist',
      'add',
      'Tech',
      'aapl,msft',
      'NVDA',
      'AMZN',
      'META',
      '--source',
      'demo',
    ]);
    assert.equal(added.code, 0, added.err);
    assert.equal(added.out, 'tech (5): AAPL, MSFT, NVDA, AMZN, META\n');
  });

  it('quotes a watchlist and runs a report on one, as it would on the same symbols typed out', async () => {
    const quoted = await run(['quote', '--watchlist', 'tech', '--source', 'demo', '--format', 'json']);
    assert.equal(quoted.code, 0, quoted.err);
    const report = JSON.parse(quoted.out) as { tables: { rows: unknown[][] }[] };
    assert.deepEqual(
      report.tables[0]?.rows.map((row) => row[0]),
      ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'META'],
    );
    const viaList = await run([
      'breadth',
      '--universe',
      'watchlist:tech',
      '--source',
      'demo',
      '--format',
      'json',
    ]);
    const typed = await run([
      'breadth',
      '--universe',
      'AAPL,MSFT,NVDA,AMZN,META',
      '--source',
      'demo',
      '--format',
      'json',
    ]);
    assert.equal(viaList.code, 0, viaList.err);
    assert.equal(viaList.out, typed.out, 'the same report');
    const none = await run(['breadth', '--universe', 'watchlist:other', '--source', 'demo']);
    assert.equal(none.code, 2);
    assert.equal(
      none.err,
      'tapewatch: There is no watchlist "other": make one with tapewatch watchlist add other SYMBOL…\n',
    );
  });

  it('takes symbols off, then the list away', async () => {
    assert.equal(
      (await run(['watchlist', 'remove', 'tech', 'MSFT'])).out,
      'tech (4): AAPL, NVDA, AMZN, META\n',
    );
    assert.equal((await run(['watchlist', 'remove', 'tech'])).out, 'Watchlist tech removed.\n');
    const gone = await run(['watchlist', 'remove', 'tech']);
    assert.equal(gone.code, 2);
    assert.match(gone.err, /^tapewatch: There is no watchlist "tech" among the watchlists\.\n$/);
  });
});
