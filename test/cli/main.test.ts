import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'tapewatch.js');
const home = mkdtempSync(path.join(tmpdir(), 'tapewatch-main-'));

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

/**
 * The CLI as a user's shell runs it: a process of its own, its output gathered, killed if it is still
 * running after `limitMs` (a hang fails the test instead of stalling the suite).
 */
async function run(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  options: { limitMs?: number; closeStdoutAfter?: number; cwd?: string; home?: string; uid?: number } = {},
): Promise<Outcome> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    // Its own folder: a developer's .env in the checkout must not change what the test sees.
    cwd: options.cwd ?? home,
    env: { PATH: process.env.PATH ?? '', TAPEWATCH_HOME: options.home ?? home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    // A reader that has seen enough closes the pipe, as `| head` does.
    if (options.closeStdoutAfter !== undefined && stdout.length >= options.closeStdoutAfter) {
      child.stdout.destroy();
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const limit = setTimeout(() => child.kill('SIGKILL'), options.limitMs ?? 10_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(limit);
  return { code, stdout, stderr, seconds: (performance.now() - started) / 1000 };
}

function oneLine(outcome: Outcome, pattern: RegExp): void {
  const lines = outcome.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${outcome.stderr}`);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(outcome.stderr, /\n\s+at |Error:/, 'no stack trace');
}

/** A small price file in Yahoo's layout: ten sessions rising by 1 from `start`. */
function priceFile(start: number): string {
  const rows = Array.from({ length: 10 }, (_, i) => {
    const close = start + i;
    return `2024-01-${String(i + 2).padStart(2, '0')},${close},${close + 1},${close - 1},${close},${close},1000`;
  });
  return ['Date,Open,High,Low,Close,Adj Close,Volume', ...rows].join('\n') + '\n';
}

/** A data folder of SPY (good), IWM (a named pipe) and QQQ (unreadable by anyone but root). */
function oddDataFolder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tapewatch-odd-data-'));
  writeFileSync(path.join(dir, 'SPY.csv'), priceFile(100));
  execFileSync('mkfifo', [path.join(dir, 'IWM.csv')]);
  writeFileSync(path.join(dir, 'QQQ.csv'), priceFile(200));
  chmodSync(path.join(dir, 'QQQ.csv'), 0o000);
  chmodSync(dir, 0o755);
  return dir;
}

describe('the CLI as a process, on odd input', { timeout: 120_000 }, () => {
  it('stops quietly when the reader closes the pipe early (| head, | head -c100)', async () => {
    const cases = [
      ['series', 'momentum.long_short', '--source', 'demo'],
      ['quote', '--universe', 'sp500', '--source', 'demo', '--format', 'json'],
    ];
    for (const args of cases) {
      const outcome = await run(args, {}, { closeStdoutAfter: 40 });
      assert.equal(outcome.code, 0, `${args.join(' ')}: ${outcome.stderr}`);
      assert.equal(outcome.stderr, '', args.join(' '));
      assert.ok(outcome.seconds < 10);
    }
  });

  it('refuses a device or a named pipe as a symbol file at once, with exit 2', async () => {
    const fifo = path.join(home, 'symbols.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const universe of ['/dev/zero', '/dev/urandom', fifo]) {
      const outcome = await run(['breadth', '--source', 'demo', '--universe', universe]);
      assert.equal(outcome.code, 2);
      oneLine(outcome, /^tapewatch: ".*" is not a file of symbols \(it is a device, pipe or socket\)\.$/);
      assert.ok(outcome.seconds < 10);
    }
  });

  it('leaves out a price file that is a named pipe, without waiting for a writer', async () => {
    const dir = oddDataFolder();
    const mixed = await run(['quote', 'SPY,IWM', '--data-dir', dir]);
    assert.equal(mixed.code, 0, mixed.stderr);
    assert.match(mixed.stdout, /^SPY +109\.00 +\+0\.93%/m, 'the good member still prints');
    assert.match(
      mixed.stdout,
      /^- 1 of 2 symbols have no data and are left out \(".*IWM\.csv" is not a regular file\): IWM\.$/m,
    );
    const alone = await run(['history', 'IWM', '--data-dir', dir]);
    assert.equal(alone.code, 1);
    oneLine(alone, /^tapewatch: ".*IWM\.csv" is not a regular file\.$/);
    assert.ok(alone.seconds < 10);
  });

  it('names an unreadable price file in one line, and --verbose adds the system error', async (t) => {
    const dir = oddDataFolder();
    // Root reads any file, so as root the CLI runs as "nobody" for this case.
    const asRoot = process.getuid?.() === 0;
    const nobodyHome = mkdtempSync(path.join(tmpdir(), 'tapewatch-nobody-'));
    chmodSync(nobodyHome, 0o777);
    const as = asRoot ? { uid: 65534, home: nobodyHome } : {};
    const probe = await run(['--version'], {}, { ...as, cwd: nobodyHome });
    if (probe.code !== 0) {
      t.skip(`the CLI cannot run as an unprivileged user here (${probe.stderr.trim() || 'no output'})`);
      return;
    }
    const mixed = await run(['quote', 'SPY,QQQ', '--data-dir', dir], {}, { ...as, cwd: nobodyHome });
    assert.equal(mixed.code, 0, mixed.stderr);
    assert.match(
      mixed.stdout,
      /^- 1 of 2 symbols have no data and are left out \(Cannot read ".*QQQ\.csv" \(permission denied\)\): QQQ\.$/m,
    );
    const alone = await run(['history', 'QQQ', '--data-dir', dir], {}, { ...as, cwd: nobodyHome });
    assert.equal(alone.code, 1);
    oneLine(alone, /^tapewatch: Cannot read ".*QQQ\.csv" \(permission denied\)\.$/);
    const verbose = await run(
      ['history', 'QQQ', '--data-dir', dir, '--verbose'],
      {},
      { ...as, cwd: nobodyHome },
    );
    assert.equal(verbose.code, 1);
    assert.match(verbose.stderr, /^cause: Error: EACCES: permission denied, open '.*QQQ\.csv'$/m);
  });

  it('refuses a store another program made, in one line, without touching it', async () => {
    const file = path.join(home, 'other.sqlite');
    const other = new DatabaseSync(file);
    other.exec('CREATE TABLE users (name TEXT)');
    other.close();
    const outcome = await run(['history', 'SPY', '--source', 'yahoo'], { TAPEWATCH_STORE_PATH: file });
    assert.equal(outcome.code, 1);
    oneLine(
      outcome,
      /^tapewatch: The store ".*other\.sqlite" was not made by tapewatch \(it holds tables tapewatch never makes \(users\)\)/,
    );
    const after = new DatabaseSync(file);
    const tables = after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    after.close();
    assert.deepEqual(
      tables.map((t) => t.name),
      ['users'],
      'nothing was written into it',
    );
  });

  it('gives up on a Yahoo that never answers and exits at once, in one line', async () => {
    // A proxy that accepts connections and never says a word.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const outcome = await run(['quote', 'SPY', '--source', 'yahoo'], {
        HTTPS_PROXY: `http://127.0.0.1:${port}`,
        NODE_USE_ENV_PROXY: '1',
        YAHOO_TIMEOUT_MS: '500',
        YAHOO_RETRIES: '1',
      });
      assert.equal(outcome.code, 1);
      oneLine(outcome, /^tapewatch: Yahoo Finance is unreachable \(no answer within 500 ms, 2 attempts\)/);
      assert.ok(outcome.seconds < 5, `exited after ${outcome.seconds.toFixed(1)} s`);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('says what is wrong with bad input in its own words, every line starting "tapewatch:", exit 2', async () => {
    const cases: [args: string[], pattern: RegExp][] = [
      [['quote', 'SPY', '--nope'], /^tapewatch: unknown option '--nope'/],
      [
        ['breadth', '--source', 'demo', '--universe', ',,,'],
        /^tapewatch: The universe ",,," lists no symbols\.$/,
      ],
      [['universe', 'show', 'NOSUCHUNIVERSE'], /^tapewatch: Unknown universe "NOSUCHUNIVERSE"/],
      [
        ['breadth', '--source', 'demo', '--as-of', '1900-01-01'],
        /^tapewatch: --as-of 1900-01-01 is before the data starts/,
      ],
      [
        ['quote', 'SPY', '--data-dir', path.join(home, 'no-such-folder')],
        /^tapewatch: Data folder ".*" does not exist/,
      ],
      [['momentum', '--source', 'demo', '--lookback', '1'], /^tapewatch: --lookback must be at least 2\.$/],
      [
        ['breadth', '--source', 'demo', '--to', '2024-01-01'],
        /^tapewatch: unknown option '--to' \(did you mean --top\?\)$/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const outcome = await run(args);
      assert.equal(outcome.code, 2, args.join(' '));
      oneLine(outcome, pattern);
    }
  });

  it('refuses every option a command would silently ignore, exit 2', async () => {
    const cases: [args: string[], pattern: RegExp][] = [
      [
        ['history', 'SPY', '--source', 'demo', '--chart', 'x.png'],
        /^tapewatch: --chart does not apply to history\.$/,
      ],
      [
        ['series', 'momentum.long_short', '--source', 'demo', '--chart', 'x.png'],
        /^tapewatch: --chart does not apply to series\.$/,
      ],
      [['universe', 'list', '--chart', 'x.png'], /^tapewatch: --chart does not apply to universe list\.$/],
      [
        ['history', 'SPY', '--source', 'demo', '--explain'],
        /^tapewatch: --explain does not apply to history\.$/,
      ],
      [
        ['quote', 'SPY', '--source', 'demo', '--data-dir', home],
        /^tapewatch: --data-dir reads price files: it needs --source csv, not --source demo\.$/,
      ],
      [
        ['series', 'momentum.long_short', '--source', 'demo', '--format', 'md'],
        /^tapewatch: series prints CSV \(--format text\) or JSON \(--format json\), not Markdown\.$/,
      ],
      [
        ['history', 'SPY', '--source', 'demo', '--as-of', '2024-01-05', '--to', '2024-02-01'],
        /^tapewatch: --to 2024-02-01 is after --as-of 2024-01-05: nothing after the as-of day can be shown\.$/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const outcome = await run(args);
      assert.equal(outcome.code, 2, args.join(' '));
      oneLine(outcome, pattern);
      assert.equal(outcome.stdout, '', 'nothing printed as if the option had worked');
    }
  });

  it('sums up 50,000 symbols without a quote in a screenful, not 50,000 lines', async () => {
    const file = path.join(home, 'many.txt');
    const unknown = Array.from({ length: 50_000 }, (_, i) => `ZZ${i}`);
    writeFileSync(file, unknown.join('\n'));
    const none = await run(['quote', '--universe', file, '--source', 'demo']);
    assert.equal(none.code, 1);
    oneLine(
      none,
      /^tapewatch: No quotes: "ZZ0" \(the demo market has no such symbol\), .* and 49990 more symbols without a quote\.$/,
    );
    assert.ok(none.stderr.length < 1000, `${none.stderr.length} characters`);
    writeFileSync(file, ['SPY', ...unknown].join('\n'));
    const some = await run(['quote', '--universe', file, '--source', 'demo']);
    assert.equal(some.code, 0, some.stderr);
    const lines = some.stdout.trimEnd().split('\n');
    assert.ok(lines.length < 25, `${lines.length} lines`);
    assert.match(
      lines.at(-1) ?? '',
      /^… and 49990 more symbols without a quote \(--format json lists them all\)\.$/,
    );
  });

  it("reads .env in the folder it runs in, the shell's own variables winning", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'tapewatch-dotenv-'));
    writeFileSync(path.join(folder, '.env'), 'MARKET_DATA_SOURCE=demo\n');
    const fromFile = await run(['quote', 'SPY', '--format', 'json'], {}, { cwd: folder });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal((JSON.parse(fromFile.stdout) as { source: { name: string } }).source.name, 'demo');
    // The shell says csv (with no folder), over the file's demo: the command asks for a folder.
    const fromShell = await run(['quote', 'SPY'], { MARKET_DATA_SOURCE: 'csv' }, { cwd: folder });
    assert.equal(fromShell.code, 2);
    oneLine(fromShell, /^tapewatch: The csv source needs at least one data folder/);
  });

  it('colours a terminal only: bold titles and a red "tapewatch:" with FORCE_COLOR, plain text in a pipe', async () => {
    const plain = await run(['rotation', '--source', 'demo']);
    assert.equal(plain.code, 0);
    const ESC = String.fromCharCode(27);
    assert.ok(!plain.stdout.includes(ESC), 'no escape codes in a pipe');
    const forced = await run(['rotation', '--source', 'demo'], { FORCE_COLOR: '1' });
    assert.ok(forced.stdout.startsWith(`${ESC}[1mRotation `), 'a bold title');
    const error = await run(['quote', '--nope'], { FORCE_COLOR: '1' });
    assert.ok(
      error.stderr.startsWith(`${ESC}[31mtapewatch:${ESC}[39m unknown option '--nope'`),
      'a red prefix',
    );
  });

  it("runs from an older Node by handing itself to the project's Node 24 (no npx needed)", (t) => {
    const older = ['/usr/bin/node', '/usr/local/bin/node', '/bin/node'].find((candidate) => {
      try {
        const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' });
        return Number(version.slice(1).split('.')[0]) < 24;
      } catch {
        return false;
      }
    });
    if (older === undefined) {
      t.skip('no Node older than 24 on this machine to start the CLI with');
      return;
    }
    const version = execFileSync(older, [BIN, '--version'], { encoding: 'utf8', cwd: home });
    assert.match(version, /^\d+\.\d+\.\d+\n$/);
    const quote = execFileSync(older, [BIN, 'quote', 'SPY', '--source', 'demo', '--format', 'json'], {
      encoding: 'utf8',
      cwd: home,
      env: { PATH: process.env.PATH ?? '', TAPEWATCH_HOME: home },
    });
    assert.equal((JSON.parse(quote) as { source: { name: string } }).source.name, 'demo');
  });

  it('prints its version', async () => {
    const outcome = await run(['--version']);
    assert.equal(outcome.code, 0);
    assert.match(outcome.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
