import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { TapewatchError } from '../../src/errors.ts';
import { normalizeSymbol, parseSymbolList, resolveUniverse } from '../../src/universes/index.ts';
import { GICS_SECTORS } from '../../src/universes/sectors.ts';
import { SKIP_WITHOUT_SHARED_DATA, sharedPath } from '../helpers/shared-data.ts';

const home = mkdtempSync(path.join(tmpdir(), 'tapewatch-home-'));
const context = { homeDir: home, cwd: process.cwd() };

describe('universes', () => {
  it('has the S&P 500 with a sector for every member, dated', () => {
    const sp500 = resolveUniverse('sp500', context);
    assert.ok(sp500.symbols.length >= 500 && sp500.symbols.length <= 505, `${sp500.symbols.length} members`);
    assert.equal(sp500.sectors.size, sp500.symbols.length);
    assert.equal(new Set(sp500.sectors.values()).size, GICS_SECTORS.length);
    assert.equal(sp500.sectors.get('AAPL'), 'Information Technology');
    assert.ok(sp500.symbols.includes('BRK-B'), 'share classes use Yahoo’s dash');
    assert.match(sp500.asOf ?? '', /^\d{4}-\d{2}-\d{2}$/);
  });

  it('has the fixed ETF and mega-cap sets', () => {
    assert.equal(resolveUniverse('sectors', context).symbols.length, 11);
    assert.deepEqual([...resolveUniverse('MAG7', context).symbols].sort(), [
      'AAPL',
      'AMZN',
      'GOOGL',
      'META',
      'MSFT',
      'NVDA',
      'TSLA',
    ]);
    assert.ok(resolveUniverse('styles', context).symbols.includes('IWM'));
  });

  it('takes a comma list, a symbol file and a folder', () => {
    assert.deepEqual(resolveUniverse('aapl, brk.b,MSFT', context).symbols, ['AAPL', 'BRK-B', 'MSFT']);
    const file = path.join(home, 'watch.txt');
    writeFileSync(file, '# my list\nNVDA\nAMD  # chips\n\nnvda\n');
    assert.deepEqual(resolveUniverse(file, context).symbols, ['NVDA', 'AMD']);
  });

  it('names the problem for an unknown universe or a bad symbol', () => {
    assert.throws(
      () => resolveUniverse('nasdaq-everything', context),
      (e: unknown) =>
        e instanceof TapewatchError &&
        e.code === 'unknown_universe' &&
        e.message.includes('"nasdaq-everything"'),
    );
    assert.throws(
      () => normalizeSymbol('AAPL; rm -rf'),
      (e: unknown) => e instanceof TapewatchError && e.code === 'bad_input',
    );
    assert.deepEqual(parseSymbolList('a b,c;d'), ['A', 'B', 'C', 'D']);
  });

  it(
    'uses every price file of a folder, labelled with sectors where known',
    { skip: SKIP_WITHOUT_SHARED_DATA },
    () => {
      const folder = resolveUniverse(sharedPath('prices', 'sp500'), context);
      assert.equal(folder.symbols.length, 504);
      assert.equal(folder.sectors.get('MSFT'), 'Information Technology');
    },
  );
});
