import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SymbolDataError, TapewatchError, UnknownSymbolError } from '../../src/errors.ts';
import { CsvMarketData, parseYahooCsv } from '../../src/market/csv.ts';
import { SKIP_WITHOUT_SHARED_DATA, sharedPath } from '../helpers/shared-data.ts';

const HEADER = 'Date,Open,High,Low,Close,Adj Close,Volume';

function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tapewatch-csv-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function expectDataError(work: () => unknown, pattern: RegExp): void {
  assert.throws(
    work,
    (error: unknown) =>
      error instanceof TapewatchError && error.code === 'data_file' && pattern.test(error.message),
  );
}

/** A broken file is that symbol's problem: it names the symbol, so a report leaves only it out. */
function expectSymbolError(work: () => unknown, pattern: RegExp): void {
  assert.throws(
    work,
    (error: unknown) =>
      error instanceof SymbolDataError && error.symbol === 'ABC' && pattern.test(error.message),
  );
}

describe('Yahoo CSV reader', () => {
  it('reads every column into typed arrays, in order', () => {
    const { bars } = parseYahooCsv(
      'ABC',
      `${HEADER}\n2024-01-02,10,11,9,10.5,10.4,1000\n2024-01-03,10.5,12,10,11.5,11.39,2000\n`,
      'ABC.csv',
    );
    assert.deepEqual(bars.dates, ['2024-01-02', '2024-01-03']);
    assert.deepEqual([...bars.close], [10.5, 11.5]);
    assert.deepEqual([...bars.adjClose], [10.4, 11.39]);
    assert.deepEqual([...bars.volume], [1000, 2000]);
    assert.deepEqual([...bars.high], [11, 12]);
  });

  it('reads bytes as it reads text: a byte-order mark, CRLF, exponents, spaces and rows shorter than usual', () => {
    // 400 one-digit rows (22 bytes each) outgrow the reader's first guess of rows from the file size.
    const rows = Array.from({ length: 400 }, (_, i) => {
      const day = new Date(Date.UTC(2000, 0, 1 + i)).toISOString().slice(0, 10);
      return `${day},${(i % 9) + 1},9,1,${(i % 9) + 1},${(i % 7) + 1},${i}`;
    });
    const text = `\uFEFF${HEADER}\r\n${rows.join('\r\n')}\r\n2001-06-01, 12.5 ,1.3e1,12,12.25,0.125,7\r\n`;
    const { bars } = parseYahooCsv('ABC', Buffer.from(text), 'ABC.csv');
    assert.equal(bars.dates.length, 401);
    assert.equal(bars.dates[399], '2001-02-03');
    assert.equal(bars.close[399], (399 % 9) + 1);
    assert.equal(bars.adjClose[399], (399 % 7) + 1);
    assert.equal(bars.volume[399], 399);
    assert.deepEqual(
      [bars.open[400], bars.high[400], bars.low[400], bars.close[400], bars.adjClose[400]],
      [12.5, 13, 12, 12.25, 0.125],
    );
    assert.deepEqual(parseYahooCsv('ABC', text, 'ABC.csv').bars, bars);
  });

  it('refuses a negative price for a stock but accepts a negative yield for a ^-symbol', () => {
    const text = `${HEADER}\n2021-03-01,0.01,0.02,-0.013,0.005,0.005,0\n`;
    expectDataError(() => parseYahooCsv('ABC', text, 'ABC.csv'), /low "-0.013" is not a non-negative number/);
    assert.deepEqual([...parseYahooCsv('^IRX', text, '^IRX.csv').bars.low], [-0.013]);
  });

  it('skips Yahoo all-null rows and counts them', () => {
    const parsed = parseYahooCsv(
      'ABC',
      `${HEADER}\r\n2024-01-02,10,11,9,10.5,10.4,1000\r\n2024-01-03,null,null,null,null,null,null\r\n`,
      'ABC.csv',
    );
    assert.equal(parsed.bars.dates.length, 1);
    assert.equal(parsed.skippedNullRows, 1);
  });

  it('refuses a day that does not exist, naming file and line', () => {
    expectSymbolError(
      () => parseYahooCsv('ABC', `${HEADER}\n2024-02-28,1,1,1,1,1,1\n2024-02-30,1,1,1,1,1,1\n`, 'ABC.csv'),
      /^ABC\.csv:3: "2024-02-30" is not a real calendar date$/,
    );
    assert.equal(
      parseYahooCsv('ABC', `${HEADER}\n2024-02-29,1,1,1,1,1,1\n`, 'ABC.csv').bars.dates[0],
      '2024-02-29',
    );
  });

  it('drops a row repeated word for word with a note, and refuses two different rows for one day', () => {
    const row = '2024-01-03,10.5,12,10,11.5,11.39,2000';
    const parsed = parseYahooCsv(
      'ABC',
      `${HEADER}\n2024-01-02,10,11,9,10.5,10.4,1000\n${row}\n${row}\n${row}\n2024-01-04,11,12,10,11,11,5\n`,
      'ABC.csv',
    );
    assert.deepEqual(parsed.bars.dates, ['2024-01-02', '2024-01-03', '2024-01-04']);
    assert.deepEqual([...parsed.bars.adjClose], [10.4, 11.39, 11]);
    assert.equal(parsed.duplicateRows, 2);
    assert.deepEqual(parsed.bars.notes, ['ABC: 2 repeated rows in ABC.csv dropped.']);
    expectSymbolError(
      () => parseYahooCsv('ABC', `${HEADER}\n${row}\n2024-01-03,10.5,12,10,11.6,11.49,2000\n`, 'ABC.csv'),
      /^ABC\.csv:3: a second, different row for 2024-01-03 \(the first is line 2\)$/,
    );
  });

  it('refuses a zero price and a price no security has, but not a zero volume', () => {
    expectSymbolError(
      () => parseYahooCsv('ABC', `${HEADER}\n2024-01-02,10,11,9,0,10,1000\n`, 'ABC.csv'),
      /^ABC\.csv:2: close "0" is not a possible price$/,
    );
    expectSymbolError(
      () => parseYahooCsv('ABC', `${HEADER}\n2024-01-02,10,1e308,9,10,10,1000\n`, 'ABC.csv'),
      /^ABC\.csv:2: high "1e308" is not a possible price$/,
    );
    assert.deepEqual(
      [...parseYahooCsv('ABC', `${HEADER}\n2024-01-02,10,11,9,10,10,0\n`, 'ABC.csv').bars.volume],
      [0],
    );
  });

  it('names the file and line of a malformed row', () => {
    expectDataError(
      () => parseYahooCsv('ABC', `${HEADER}\n2024-01-02,10,11,9,abc,10.4,1000\n`, 'ABC.csv'),
      /^ABC\.csv:2: close "abc"/,
    );
    expectDataError(
      () => parseYahooCsv('ABC', `${HEADER}\n2024-01-02,10,11,9,10\n`, 'ABC.csv'),
      /ABC\.csv:2: expected 7 fields, found 5/,
    );
    expectDataError(
      () => parseYahooCsv('ABC', `${HEADER}\n2024-13-02,10,11,9,10,10,1\n`, 'ABC.csv'),
      /ABC\.csv:2: "2024-13-02" is not a YYYY-MM-DD date/,
    );
    expectDataError(
      () => parseYahooCsv('ABC', `${HEADER}\n2024-01-03,1,1,1,1,1,1\n2024-01-02,1,1,1,1,1,1\n`, 'ABC.csv'),
      /ABC\.csv:3: date 2024-01-02 is not after 2024-01-03/,
    );
    expectDataError(
      () => parseYahooCsv('ABC', 'Date,Close\n2024-01-02,1\n', 'ABC.csv'),
      /ABC\.csv:1: expected the header/,
    );
  });

  it('rejects a missing folder and a folder with no price files as bad input (exit 2)', () => {
    const badInput = (work: () => unknown, pattern: RegExp) => {
      assert.throws(
        work,
        (error: unknown) =>
          error instanceof TapewatchError && error.code === 'bad_input' && pattern.test(error.message),
      );
    };
    badInput(() => new CsvMarketData([path.join(tmpdir(), 'no-such-tapewatch-folder')]), /does not exist/);
    badInput(() => new CsvMarketData([folderWith({ 'notes.txt': 'hello' })]), /has no \.csv price files/);
  });

  it('serves ranges and reports an unknown symbol by name', async () => {
    const dir = folderWith({
      'ABC.csv': `${HEADER}\n2024-01-02,1,1,1,1,1,1\n2024-01-03,2,2,2,2,2,2\n2024-01-04,3,3,3,3,3,3\n`,
    });
    const source = new CsvMarketData([dir]);
    const bars = await source.getDailyBars('abc', { from: '2024-01-03', to: '2024-01-03' });
    assert.deepEqual(bars.dates, ['2024-01-03']);
    await assert.rejects(
      source.getDailyBars('XYZ', { from: '2024-01-01', to: '2024-02-01' }),
      UnknownSymbolError,
    );
    const batch = await source.getQuotes(['ABC', 'XYZ']);
    assert.equal(batch.quotes[0]?.price, 3);
    assert.equal(batch.quotes[0].changeFraction, 0.5);
    assert.deepEqual(
      batch.missing.map((m) => m.symbol),
      ['XYZ'],
    );
  });

  it('reads files without holding the event loop: other work runs between files, and one read serves concurrent requests', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => {
      const day = new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
      return `${day},1,1,1,1,1,1`;
    }).join('\n');
    const files = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`S${i}.csv`, `${HEADER}\n${rows}\n`]),
    );
    const source = new CsvMarketData([folderWith(files)]);
    let ticks = 0;
    let loading = true;
    const tick = (): void => {
      ticks++;
      if (loading) setImmediate(tick);
    };
    setImmediate(tick);
    const range = { from: '2020-01-01', to: '2021-12-31' };
    const [first, again] = await Promise.all([
      source.getDailyBars('S0', range),
      source.getDailyBars('S0', range),
    ]);
    await Promise.all(Array.from({ length: 40 }, (_, i) => source.getDailyBars(`S${i}`, range)));
    loading = false;
    // A reader that read and parsed everything in one go (as this one once did) lets it turn 0 times.
    assert.ok(ticks >= 3, `the event loop turned ${ticks} times while 40 files loaded`);
    assert.equal(first.close.buffer, again.close.buffer, 'both requests got the one parsed file');
  });

  it('lets the first folder win when two hold the same symbol', async () => {
    const first = folderWith({ 'ABC.csv': `${HEADER}\n2024-01-02,1,1,1,1,1,1\n` });
    const second = folderWith({ 'ABC.csv': `${HEADER}\n2024-01-02,9,9,9,9,9,9\n` });
    mkdirSync(path.join(second, 'sub'));
    const bars = await new CsvMarketData([first, second]).getDailyBars('ABC', {
      from: '2024-01-01',
      to: '2024-12-31',
    });
    assert.equal(bars.close[0], 1);
  });

  it(
    'reads the real IWM bar of 2024-07-11 exactly as the file has it',
    { skip: SKIP_WITHOUT_SHARED_DATA },
    async () => {
      const source = new CsvMarketData([sharedPath('prices', 'etf')]);
      const bars = await source.getDailyBars('IWM', { from: '2024-07-11', to: '2024-07-11' });
      assert.deepEqual(
        {
          date: bars.dates[0],
          open: bars.open[0],
          high: bars.high[0],
          low: bars.low[0],
          close: bars.close[0],
          adj: bars.adjClose[0],
          volume: bars.volume[0],
        },
        // The line in IWM.csv: 2024-07-11,207.9,211.23,206.94,210.68,206.6463,65443600
        {
          date: '2024-07-11',
          open: 207.9,
          high: 211.23,
          low: 206.94,
          close: 210.68,
          adj: 206.6463,
          volume: 65443600,
        },
      );
    },
  );

  it(
    'reads decimals exactly as Number() does: every value of the 504 real files, checked',
    { skip: SKIP_WITHOUT_SHARED_DATA },
    () => {
      const dir = sharedPath('prices', 'sp500');
      let compared = 0;
      for (const name of readdirSync(dir)) {
        const text = readFileSync(path.join(dir, name), 'utf8');
        const { bars } = parseYahooCsv(name, text, name);
        const columns = [bars.open, bars.high, bars.low, bars.close, bars.adjClose, bars.volume];
        const lines = text
          .trim()
          .split('\n')
          .slice(1)
          .filter((line) => !line.includes('null'));
        lines.forEach((line, row) => {
          const fields = line.trim().split(',');
          for (let c = 0; c < 6; c++) {
            const parsed = columns[c]?.[row];
            if (parsed !== Number(fields[c + 1])) {
              assert.fail(
                `${name} line ${row + 2} column ${c + 1}: read ${parsed}, the text says ${fields[c + 1]}`,
              );
            }
            compared++;
          }
        });
      }
      assert.ok(compared > 12_000_000, `compared ${compared} values`);
    },
  );

  it(
    'reads all 504 real S&P 500 member files without a single error',
    { skip: SKIP_WITHOUT_SHARED_DATA },
    async () => {
      const source = new CsvMarketData([sharedPath('prices', 'sp500')]);
      let rows = 0;
      for (const symbol of source.symbols())
        rows += (await source.getDailyBars(symbol, { from: '2000-01-01', to: '2030-01-01' })).dates.length;
      assert.equal(source.symbols().length, 504);
      assert.ok(rows > 1_900_000, `expected about two million rows, read ${rows}`);
    },
  );
});

describe('a folder cap table', () => {
  const HEADER = 'Date,Open,High,Low,Close,Adj Close,Volume';
  function folder(caps: string | null): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'tapewatch-caps-'));
    for (const [symbol, price] of [
      ['AAA', 50],
      ['BBB', 20],
    ] as const) {
      writeFileSync(
        path.join(dir, `${symbol}.csv`),
        `${HEADER}\n2024-03-04,${price},${price},${price},${price},${price},100\n2024-03-05,${price},${price},${price},${price},${price},100\n`,
      );
    }
    if (caps !== null) writeFileSync(path.join(dir, '_market_caps.csv'), caps);
    return dir;
  }

  it('gives quotes the caps of `_market_caps.csv`, which is not taken for a price file', async () => {
    const source = new CsvMarketData([
      folder('Symbol,Name,Market Cap\naaa,A Corp,2500000000000\nBBB,B Corp,3e10\n'),
    ]);
    assert.deepEqual(source.symbols().sort(), ['AAA', 'BBB']);
    const { quotes } = await source.getQuotes(['AAA', 'BBB']);
    assert.deepEqual(
      quotes.map((q) => [q.symbol, q.marketCap]),
      [
        ['AAA', 2.5e12],
        ['BBB', 3e10],
      ],
    );
    const none = new CsvMarketData([folder(null)]);
    assert.equal((await none.getQuotes(['AAA'])).quotes[0]?.marketCap, null);
  });

  it('refuses a cap table with a bad row, naming file and line', () => {
    assert.throws(
      () => new CsvMarketData([folder('Symbol,Market Cap\nAAA,lots\n')]),
      (error: unknown) =>
        error instanceof TapewatchError &&
        /_market_caps\.csv:2: expected a symbol and a positive market cap, found "AAA,lots"/.test(
          error.message,
        ),
    );
    assert.throws(
      () => new CsvMarketData([folder('Ticker,Cap\nAAA,1\n')]),
      /_market_caps\.csv:1: expected a header with "Symbol" and "Market Cap" columns/,
    );
  });
});
