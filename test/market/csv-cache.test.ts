import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SymbolDataError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import { CsvCache } from '../../src/market/csv-cache.ts';
import { CsvMarketData } from '../../src/market/csv.ts';
import { gateBars } from '../../src/market/quality.ts';
import type { DailyBars } from '../../src/market/types.ts';

const HEADER = 'Date,Open,High,Low,Close,Adj Close,Volume';
const ALL = { from: '1900-01-01', to: '2100-01-01' };
const GATE = { badTickFactor: 3, notAfter: '2030-01-01' };

function temporary(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** ABC: a repeated row, a Yahoo null row and a day whose open is above its high; ^IRX: a negative yield. */
function sampleFolder(): string {
  const dir = temporary('tapewatch-cache-data-');
  writeFileSync(
    path.join(dir, 'ABC.csv'),
    [
      HEADER,
      '2024-01-02,10,11,9,10.5,10.4,1000',
      '2024-01-02,10,11,9,10.5,10.4,1000',
      '2024-01-03,null,null,null,null,null,null',
      '2024-01-04,12.5,12,10,11.25,11.125,2000',
      '2024-01-05,11,11.5,10.75,11.1,11.0,1500',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, '^IRX.csv'), `${HEADER}\n2021-03-01,0.01,0.02,-0.013,0.005,0.005,0\n`);
  return dir;
}

function columns(bars: DailyBars): unknown {
  return {
    symbol: bars.symbol,
    dates: [...bars.dates],
    notes: bars.notes,
    columns: [bars.open, bars.high, bars.low, bars.close, bars.adjClose, bars.volume].map((c) => [...c]),
  };
}

async function load(dir: string, cacheDir: string | null, symbol: string): Promise<DailyBars> {
  const cache = cacheDir === null ? null : new CsvCache(cacheDir, silentLogger);
  return new CsvMarketData([dir], { cache }).getDailyBars(symbol, ALL);
}

describe('the parsed-CSV cache', () => {
  it('gives a fresh source the very bars, notes and gate verdict a parse gives', async () => {
    const data = sampleFolder();
    const cacheDir = temporary('tapewatch-cache-');
    for (const symbol of ['ABC', '^IRX']) {
      const parsed = await load(data, null, symbol);
      await load(data, cacheDir, symbol); // fills the cache
      const cached = await load(data, cacheDir, symbol);
      assert.deepEqual(columns(cached), columns(parsed));
      const [fromCache, fromParse] = [gateBars(cached, GATE), gateBars(parsed, GATE)];
      assert.deepEqual(fromCache.ok && fromCache.notes, fromParse.ok && fromParse.notes);
      assert.deepEqual(fromCache.ok && columns(fromCache.bars), fromParse.ok && columns(fromParse.bars));
    }
    assert.equal(readdirSync(cacheDir).length, 2);
    // The open-above-high day is found from the cached findings, not lost with them.
    const gated = gateBars(await load(data, cacheDir, 'ABC'), GATE);
    assert.ok(gated.ok && /1 day, 2024-01-04 \(open 12\.5, high 12/.test(gated.notes.join(' ')));
  });

  it('is what a second source reads: a value planted in the entry comes back', async () => {
    const data = sampleFolder();
    const cacheDir = temporary('tapewatch-cache-');
    await load(data, cacheDir, 'ABC');
    const [entry = ''] = readdirSync(cacheDir);
    const file = path.join(cacheDir, entry);
    const bytes = readFileSync(file);
    // Rows: 3; the close column is the fourth of six after the 72-byte header and 16 bytes of dates.
    const closeOfFirstDay = 72 + 16 + 3 * 3 * 8;
    assert.equal(bytes.readDoubleLE(closeOfFirstDay), 10.5);
    bytes.writeDoubleLE(10.75, closeOfFirstDay);
    writeFileSync(file, bytes);
    assert.equal((await load(data, cacheDir, 'ABC')).close[0], 10.75);
  });

  it('is never used for a changed file, even one of the same size with its old modification time', async () => {
    const data = sampleFolder();
    const cacheDir = temporary('tapewatch-cache-');
    const csv = path.join(data, 'ABC.csv');
    // A whole second, which utimes sets exactly: the edited file's size and mtime equal the old ones.
    const second = 1_700_000_000;
    utimesSync(csv, second, second);
    assert.equal((await load(data, cacheDir, 'ABC')).close[0], 10.5);
    const before = statSync(csv, { bigint: true });
    writeFileSync(csv, readFileSync(csv, 'utf8').replaceAll('10.5,10.4', '10.6,10.4'));
    utimesSync(csv, second, second);
    const after = statSync(csv, { bigint: true });
    assert.equal(after.size, before.size);
    assert.equal(after.mtimeNs, before.mtimeNs);
    assert.equal((await load(data, cacheDir, 'ABC')).close[0], 10.6);
    // The entry was renewed: a later source reads the new value from it.
    assert.equal((await load(data, cacheDir, 'ABC')).close[0], 10.6);
  });

  it('ignores a truncated or foreign entry and parses the file again', async () => {
    const data = sampleFolder();
    const cacheDir = temporary('tapewatch-cache-');
    const expected = columns(await load(data, null, 'ABC'));
    await load(data, cacheDir, 'ABC');
    const [entry = ''] = readdirSync(cacheDir);
    const file = path.join(cacheDir, entry);
    const whole = readFileSync(file);
    for (const broken of [whole.subarray(0, whole.length - 9), whole.subarray(0, 40), Buffer.from('hello')]) {
      writeFileSync(file, broken);
      assert.deepEqual(columns(await load(data, cacheDir, 'ABC')), expected);
      assert.deepEqual(readFileSync(file), whole, 'the entry is written again');
    }
  });

  it('is only a speed-up: a cache folder that cannot be made leaves loads working', async () => {
    const data = sampleFolder();
    const blocker = path.join(temporary('tapewatch-cache-'), 'a-file');
    writeFileSync(blocker, 'not a folder');
    const bars = await load(data, path.join(blocker, 'cache'), 'ABC');
    assert.deepEqual(columns(bars), columns(await load(data, null, 'ABC')));
  });
});

describe('price files that are not regular files', () => {
  it('makes a named pipe in a data folder that member missing at once, instead of waiting on it', async () => {
    const data = sampleFolder();
    try {
      execFileSync('mkfifo', [path.join(data, 'PIPE.csv')]);
    } catch {
      assert.fail('mkfifo is needed for this test');
    }
    const source = new CsvMarketData([data]);
    await assert.rejects(
      source.getDailyBars('PIPE', ALL),
      (error: unknown) => error instanceof SymbolDataError && /is not a regular file/.test(error.message),
    );
    const batch = await source.getQuotes(['ABC', 'PIPE']);
    assert.deepEqual(
      batch.missing.map((missing) => missing.symbol),
      ['PIPE'],
    );
  });
});
