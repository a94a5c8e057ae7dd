import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
  options: { limitMs?: number; closeStdoutAfter?: number; cwd?: string } = {},
): Promise<Outcome> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    // Its own folder: a developer's .env in the checkout must not change what the test sees.
    cwd: options.cwd ?? home,
    env: { PATH: process.env.PATH ?? '', TAPEWATCH_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
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

describe('the CLI as a process, on odd input', { timeout: 120_000 }, () => {
  it('stops quietly when the reader closes the pipe early (| head)', async () => {
    const outcome = await run(
      ['series', 'momentum.long_short', '--source', 'demo'],
      {},
      { closeStdoutAfter: 40 },
    );
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(outcome.stderr, '');
  });

  it('refuses a device or a named pipe as a symbol file at once, with exit 2', async () => {
    const fifo = path.join(home, 'symbols.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const universe of ['/dev/zero', fifo]) {
      const outcome = await run(['breadth', '--source', 'demo', '--universe', universe]);
      assert.equal(outcome.code, 2);
      oneLine(outcome, /^tapewatch: ".*" is not a file of symbols \(it is a device, pipe or socket\)\.$/);
      assert.ok(outcome.seconds < 10);
    }
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
    ];
    for (const [args, pattern] of cases) {
      const outcome = await run(args);
      assert.equal(outcome.code, 2, args.join(' '));
      oneLine(outcome, pattern);
    }
  });

  it("reads .env in the folder it runs in, the shell's own variables winning", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'tapewatch-dotenv-'));
    writeFileSync(path.join(folder, '.env'), 'MARKET_DATA_SOURCE=demo\n');
    const fromFile = await run(['quote', 'SPY', '--format', 'json'], {}, { cwd: folder });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal((JSON.parse(fromFile.stdout) as { source: string }).source, 'demo');
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
    assert.equal((JSON.parse(quote) as { source: string }).source, 'demo');
  });

  it('prints its version', async () => {
    const outcome = await run(['--version']);
    assert.equal(outcome.code, 0);
    assert.match(outcome.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
