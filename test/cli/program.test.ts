import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { cli, CLI_HOME } from '../helpers/cli.ts';
import { SKIP_WITHOUT_SHARED_DATA, sharedPath } from '../helpers/shared-data.ts';

describe('tapewatch CLI', () => {
  it('quotes symbols from the demo market, saying DEMO DATA, and names a missing one', async () => {
    const { code, out } = await cli(['quote', 'SPY', 'qqq', 'NOPE', '--source', 'demo']);
    assert.equal(code, 0);
    assert.match(out.split('\n').slice(0, 3).join('\n'), /DEMO DATA/, 'under the title');
    assert.match(out, /^SPY\s/m);
    assert.match(out, /^QQQ\s/m);
    assert.match(out, /1 of 3 symbols have no data and are left out \(not in the data source\): NOPE\./);
  });

  it('prints real bars as JSON from a data folder', { skip: SKIP_WITHOUT_SHARED_DATA }, async () => {
    const { code, out } = await cli([
      'history',
      'SPY',
      '--data-dir',
      sharedPath('prices', 'etf'),
      '--format',
      'json',
      '--from',
      '2024-07-10',
      '--to',
      '2024-07-12',
    ]);
    assert.equal(code, 0);
    const json = JSON.parse(out) as { source: string; bars: { date: string; close: number }[] };
    assert.equal(json.source, 'csv');
    assert.deepEqual(
      json.bars.map((b) => b.date),
      ['2024-07-10', '2024-07-11', '2024-07-12'],
    );
    assert.equal(json.bars[1]?.close, 556.48, 'SPY.csv: 2024-07-11 close');
  });

  it(
    'uses the previous session for an --as-of on a holiday and says so',
    { skip: SKIP_WITHOUT_SHARED_DATA },
    async () => {
      const { code, out, err } = await cli([
        'quote',
        'SPY',
        '--data-dir',
        sharedPath('prices', 'etf'),
        '--as-of',
        '2024-07-04',
        '--format',
        'json',
      ]);
      assert.equal(code, 0);
      assert.match(err, /2024-07-04 was not a trading day; using the previous session, 2024-07-03/);
      const report = JSON.parse(out) as { asOf: string; tables: { rows: unknown[][] }[] };
      assert.equal(report.asOf, '2024-07-03');
      assert.equal(report.tables[0]?.rows[0]?.at(-2), '2024-07-03', "SPY's own last session");
    },
  );

  it('quotes a whole universe, drawing progress only when stderr is a terminal', async () => {
    const piped = await cli(['quote', '--universe', 'sp500', '--source', 'demo', '--format', 'json']);
    assert.equal(piped.code, 0);
    const report = JSON.parse(piped.out) as { command: string; tables: { rows: unknown[] }[] };
    assert.equal(report.command, 'quote');
    assert.equal(report.tables[0]?.rows.length, 503);
    assert.equal(piped.err, '', 'nothing on stderr when it is not a terminal');
    const terminal = await cli(['quote', '--universe', 'sp500', '--source', 'demo', '--format', 'json'], {
      stderrIsTty: true,
    });
    assert.match(terminal.err, /\rLoading prices \[#{24}\] 503\/503/);
    assert.ok(terminal.err.endsWith('\r\u001b[2K'), 'the bar is cleared at the end');
  });

  it('lists universes without opening a corrupt bar store; a command that fetches rebuilds it with a note', async () => {
    const brokenHome = mkdtempSync(path.join(tmpdir(), 'tapewatch-broken-'));
    writeFileSync(path.join(brokenHome, 'bars.sqlite'), 'not a database '.repeat(300));
    const env = { TAPEWATCH_HOME: brokenHome };
    const listed = await cli(['universe', 'list'], { env });
    assert.equal(listed.code, 0, listed.err);
    assert.ok(!existsSync(path.join(brokenHome, 'bars.sqlite.corrupt')), 'universe list left it alone');
    const quoted = await cli(['quote', 'SPY'], { env });
    const [note, error] = quoted.err.trimEnd().split('\n');
    assert.match(
      note ?? '',
      /^note: The bar store ".*bars\.sqlite" was corrupt \(file is not a database\); it is now ".*bars\.sqlite\.corrupt"/,
    );
    // Then the command goes on to Yahoo, which tests never reach.
    assert.equal(quoted.code, 1);
    assert.match(error ?? '', /^tapewatch: Yahoo Finance is unreachable/);
  });

  it('renders Markdown tables', async () => {
    const { out } = await cli(['universe', 'show', 'mag7', '--format', 'md']);
    assert.match(out, /^## mag7/m);
    assert.match(out, /^\| AAPL \| Information Technology \| Apple Inc\. \|$/m);
  });

  const failures: [string, string[], number, RegExp][] = [
    ['an unknown command', ['frobnicate'], 2, /unknown command 'frobnicate'/],
    [
      'health without HEALTH_PORT',
      ['health'],
      2,
      /HEALTH_PORT is not set, so the bot serves no \/healthz to ask/,
    ],
    ['an unknown option', ['quote', 'SPY', '--colour'], 2, /unknown option '--colour'/],
    [
      'an unknown source',
      ['quote', 'SPY', '--source', 'bloomberg'],
      2,
      /Allowed choices are yahoo, csv, demo/,
    ],
    [
      'a malformed --as-of',
      ['quote', 'SPY', '--source', 'demo', '--as-of', '2024-13-01'],
      2,
      /--as-of "2024-13-01" is not a date/,
    ],
    [
      'a future --as-of',
      ['quote', 'SPY', '--source', 'demo', '--as-of', '2027-01-04'],
      2,
      /--as-of 2027-01-04 is in the future/,
    ],
    [
      'an unknown universe',
      ['universe', 'show', 'nasdaq-everything'],
      2,
      /Unknown universe "nasdaq-everything"/,
    ],
    [
      'neither symbols nor a universe',
      ['quote', '--source', 'demo'],
      2,
      /Name the symbols to quote, a watchlist with --watchlist, or a universe with --universe/,
    ],
    [
      'only unknown symbols',
      ['quote', 'NOPE', '--source', 'demo'],
      1,
      /^tapewatch: No prices for NOPE: not in the data source\.$/m,
    ],
    [
      'a date before the data starts',
      ['history', 'SPY', '--source', 'demo', '--from', '2010-01-01', '--to', '2010-12-31'],
      1,
      /No bars for "SPY" from 2010-01-01 to 2010-12-31/,
    ],
    [
      'a missing data folder',
      ['quote', 'SPY', '--data-dir', '/no/such/folder'],
      2,
      /Data folder "\/no\/such\/folder" does not exist/,
    ],
    [
      'an unreachable Yahoo',
      ['quote', 'SPY', '--source', 'yahoo'],
      1,
      /Yahoo Finance is unreachable .* --source demo/,
    ],
    ['a bad setting', ['quote', 'SPY', '--source', 'demo'], 2, /YAHOO_RETRIES="many"/],
  ];
  for (const [what, args, expectedCode, pattern] of failures) {
    it(`answers ${what} with one line and exit code ${expectedCode}`, async () => {
      const env =
        what === 'a bad setting'
          ? { TAPEWATCH_HOME: CLI_HOME, YAHOO_RETRIES: 'many' }
          : { TAPEWATCH_HOME: CLI_HOME };
      const { code, err } = await cli(args, { env });
      assert.equal(code, expectedCode, err);
      assert.match(err, pattern);
      const lines = err
        .trim()
        .split('\n')
        .filter((line) => !line.startsWith('(Did you mean'));
      assert.equal(lines.length, 1, `one line, got: ${err}`);
      assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
    });
  }

  it('runs as a real process through bin/tapewatch.js and fails with one line when offline', async () => {
    const bin = path.resolve(import.meta.dirname, '..', '..', 'bin', 'tapewatch.js');
    const run = promisify(execFile);
    const { stdout } = await run(
      process.execPath,
      [bin, 'quote', 'SPY', '--source', 'demo', '--format', 'json'],
      { env: { ...process.env, TAPEWATCH_HOME: CLI_HOME } },
    );
    const report = JSON.parse(stdout) as { tables: { rows: unknown[][] }[] };
    assert.equal(report.tables[0]?.rows[0]?.[0], 'SPY');
    await assert.rejects(
      run(process.execPath, [bin, 'quote', 'SPY', '--as-of', 'yesterday', '--source', 'demo'], {
        env: { ...process.env, TAPEWATCH_HOME: CLI_HOME },
      }),
      (error: { code?: number; stderr?: string }) =>
        error.code === 2 &&
        error.stderr === 'tapewatch: --as-of "yesterday" is not a date in the form YYYY-MM-DD.\n',
    );
  });

  it('prints the momentum report as JSON with its metrics, events and notes', async () => {
    const { code, out, err } = await cli([
      'momentum',
      '--source',
      'demo',
      '--format',
      'json',
      '--as-of',
      '2020-11-09',
    ]);
    assert.equal(code, 0, err);
    const report = JSON.parse(out) as {
      command: string;
      asOf: string;
      metrics: Record<string, number | null>;
    };
    assert.equal(report.command, 'momentum');
    assert.equal(report.asOf, '2020-11-09');
    assert.ok(
      (report.metrics.ls_return_1d ?? 0) < 0,
      'the demo market scripts a momentum crash on 2020-11-09',
    );
  });

  it('uses the previous session for --as-of on a weekend, and says so', async () => {
    const { code, out, err } = await cli(['rotation', '--source', 'demo', '--as-of', '2024-07-13']);
    assert.equal(code, 0, err);
    assert.match(err, /2024-07-12/);
    assert.match(out, /As of the close of 2024-07-12/);
  });

  it('refuses a bad report option in one line that names the flag (exit 2)', async () => {
    const { code, err } = await cli(['momentum', '--source', 'demo', '--lookback', 'twelve']);
    assert.equal(code, 2);
    assert.equal(err, 'tapewatch: --lookback must be a number.\n');
    assert.equal(err.trim().split('\n').length, 1);
  });

  it('exports a series as CSV between --from and --to', async () => {
    const { code, out, err } = await cli([
      'series',
      'momentum.long_short',
      '--source',
      'demo',
      '--from',
      '2020-11-05',
      '--to',
      '2020-11-10',
    ]);
    assert.equal(code, 0, err);
    const lines = out.trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split(',')[0]),
      ['date', '2020-11-05', '2020-11-06', '2020-11-09', '2020-11-10'],
    );
    assert.ok(Number(lines[3]?.split(',')[1]) < -0.03, 'the scripted crash day');
  });

  it('names the known series when asked for an unknown one', async () => {
    const { code, err } = await cli(['series', 'momentum.nope', '--source', 'demo']);
    assert.equal(code, 2);
    assert.match(err, /Unknown series "momentum.nope".*momentum.long_short/);
  });
});

describe('options a command would ignore', () => {
  it('refuses each one in one line with exit 2, rather than ignore it', async () => {
    const cases: [args: string[], message: string][] = [
      [['history', 'SPY', '--source', 'demo', '--chart', 'x.png'], '--chart does not apply to history.'],
      [
        ['series', 'momentum.long_short', '--source', 'demo', '--chart', 'x.png'],
        '--chart does not apply to series.',
      ],
      [['universe', 'list', '--chart', 'x.png'], '--chart does not apply to universe list.'],
      [['chart', 'SPY', '--source', 'demo', '--universe', 'sp500'], '--universe does not apply to chart.'],
      [
        ['history', 'SPY', '--source', 'demo', '--universe', 'sp500'],
        '--universe does not apply to history.',
      ],
      [['rotation', '--source', 'demo', '--universe', 'sp500'], '--universe does not apply to rotation.'],
      [
        ['quote', 'SPY', '--source', 'demo', '--data-dir', '.'],
        '--data-dir reads price files: it needs --source csv, not --source demo.',
      ],
      [
        ['series', 'momentum.long_short', '--source', 'demo', '--format', 'md'],
        'series prints CSV (--format text) or JSON (--format json), not Markdown.',
      ],
      [
        ['history', 'SPY', '--source', 'demo', '--as-of', '2024-07-11', '--to', '2024-08-01'],
        '--to 2024-08-01 is after --as-of 2024-07-11: nothing after the as-of day can be shown.',
      ],
    ];
    for (const [args, message] of cases) {
      const { code, out, err } = await cli(args);
      assert.equal(code, 2, args.join(' '));
      assert.equal(err, `tapewatch: ${message}\n`);
      assert.equal(out, '', 'nothing computed');
    }
  });

  it('keeps every option where it applies', async () => {
    const chart = path.join(mkdtempSync(path.join(tmpdir(), 'tapewatch-chart-')), 'b.png');
    const { code, err } = await cli([
      'breadth',
      '--source',
      'demo',
      '--universe',
      'sectors',
      '--chart',
      chart,
    ]);
    assert.equal(code, 0, err);
    const { code: listed } = await cli(['universe', 'list', '--format', 'json']);
    assert.equal(listed, 0);
  });
});

describe('long lists and unexpected failures', () => {
  it('names the first twelve symbols without data and counts the rest; JSON has them all', async () => {
    const unknown = Array.from({ length: 40 }, (_, i) => `ZZ${i}`);
    const text = await cli(['quote', [...unknown, 'SPY'].join(','), '--source', 'demo']);
    assert.equal(text.code, 0);
    assert.match(
      text.out,
      /- 40 of 41 symbols have no data and are left out \(not in the data source\): ZZ0, ZZ1, ZZ2, ZZ3, ZZ4, ZZ5, ZZ6, ZZ7, ZZ8, ZZ9, ZZ10, ZZ11 and 28 more\.\n/,
    );
    const json = await cli(['quote', [...unknown, 'SPY'].join(','), '--source', 'demo', '--format', 'json']);
    assert.equal((JSON.parse(json.out) as { universe: { missing: unknown[] } }).universe.missing.length, 40);
  });

  it('adds the stack of an unexpected failure with --verbose, and only then', async () => {
    const broken = {
      now: (): Date => {
        throw new Error('the clock broke');
      },
    };
    const quiet = await cli(['quote', 'SPY', '--source', 'demo'], broken);
    assert.equal(quiet.code, 1);
    assert.match(quiet.err, /^tapewatch: unexpected error \(reference \w+\): the clock broke\n$/);
    const verbose = await cli(['quote', 'SPY', '--source', 'demo', '--verbose'], broken);
    assert.equal(verbose.code, 1);
    assert.match(
      verbose.err,
      /^tapewatch: unexpected error \(reference \w+\): the clock broke\nError: the clock broke\n\s+at /,
    );
  });
});

describe('tapewatch market', () => {
  it('prints the brief /market posts: the three reports, as text, Markdown or JSON, with the dashboard', async () => {
    const chart = path.join(mkdtempSync(path.join(tmpdir(), 'tapewatch-market-')), 'market.png');
    const text = await cli(['market', '--source', 'demo', '--universe', 'sectors', '--chart', chart]);
    assert.equal(text.code, 0, text.err);
    for (const title of ['Momentum factor (sectors', 'Breadth (sectors against SPY)', 'Rotation']) {
      assert.ok(text.out.includes(title), title);
    }
    assert.deepEqual([...readFileSync(chart).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG');
    const json = await cli(['market', '--source', 'demo', '--universe', 'sectors', '--format', 'json']);
    const brief = JSON.parse(json.out) as {
      command: string;
      reports: { command: string }[];
      omitted: unknown[];
    };
    assert.equal(brief.command, 'market');
    assert.deepEqual(
      brief.reports.map((r) => r.command),
      ['momentum', 'breadth', 'rotation'],
    );
    const md = await cli(['market', '--source', 'demo', '--universe', 'sectors', '--format', 'md']);
    assert.equal(md.out.match(/^## /gm)?.length, 3);
  });

  it('leaves out a report the universe cannot answer, saying why, as /market does', async () => {
    const { code, out } = await cli(['market', '--source', 'demo', '--universe', 'mag7']);
    assert.equal(code, 0);
    assert.match(out.split('\n')[0] ?? '', /^momentum is left out: .*7/);
    assert.ok(out.includes('Breadth (mag7 against SPY)'));
  });
});

describe('help', () => {
  it("lists the global options in a subcommand's help, and the series names with an example", async () => {
    const { code, out } = await cli(['series', '--help']);
    assert.equal(code, 0);
    for (const flag of ['--source', '--data-dir', '--as-of', '--format']) assert.ok(out.includes(flag), flag);
    for (const name of ['momentum.long_short', 'breadth.pct_above_200d', 'rotation.rs_ratio:ETF']) {
      assert.ok(out.includes(`  ${name}\n`), name);
    }
    assert.match(out, /Example:\n {2}tapewatch series momentum\.long_short/);
    const root = await cli(['--help']);
    assert.match(root.out, /Examples:\n {2}tapewatch breadth --source demo\n/);
  });
});
