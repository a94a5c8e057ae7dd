import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { resolveUniverse } from '../../src/universes/index.ts';
import { updateSp500 } from '../../src/universes/update.ts';

describe('S&P 500 list update', () => {
  it('refreshes the S&P 500 list from its source and keeps the old list on a bad download', async () => {
    const refreshHome = mkdtempSync(path.join(tmpdir(), 'tapewatch-refresh-'));
    const rows = Array.from({ length: 450 }, (_, i) => `T${i},"Company ${i}, Inc.",Industrials,Machinery`);
    const csv = `Symbol,Security,GICS Sector,GICS Sub-Industry\nBRK.B,Berkshire Hathaway,Financials,Multi-Sector Holdings\n${rows.join('\n')}\n`;
    const result = await updateSp500(
      () => Promise.resolve(new Response(csv)),
      refreshHome,
      new Date('2026-11-20T12:00:00Z'),
    );
    assert.equal(result.count, 451);
    assert.ok(result.added.includes('T0'));
    assert.ok(result.removed.includes('AAPL'));
    const refreshed = resolveUniverse('sp500', { homeDir: refreshHome, cwd: process.cwd() });
    assert.equal(refreshed.symbols.length, 451);
    assert.equal(refreshed.asOf, '2026-11-20');
    assert.equal(refreshed.sectors.get('BRK-B'), 'Financials');

    await assert.rejects(
      updateSp500(
        () => Promise.resolve(new Response('Symbol,Security,GICS Sector\nA,B,Energy\n')),
        refreshHome,
        new Date(),
      ),
      /only 1 readable members; the current list stays in use/,
    );
    await assert.rejects(
      updateSp500(() => Promise.reject(new TypeError('fetch failed')), refreshHome, new Date()),
      /Could not download/,
    );
    assert.equal(resolveUniverse('sp500', { homeDir: refreshHome, cwd: process.cwd() }).symbols.length, 451);
  });
});
