import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, type CliIo } from '../../src/cli/program.ts';

/** One home for every in-process CLI run of a test file: no test touches the user's own ~/.tapewatch. */
export const CLI_HOME = mkdtempSync(path.join(tmpdir(), 'tapewatch-cli-'));

/**
 * Runs the CLI in this process with captured output, a fixed clock (2026-11-21, a Saturday) and no
 * network; `overrides` replaces any of it.
 */
export async function cli(
  args: string[],
  overrides: Partial<CliIo> = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    env: { TAPEWATCH_HOME: CLI_HOME },
    cwd: process.cwd(),
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    stderrIsTty: false,
    now: () => new Date('2026-11-21T12:00:00Z'),
    fetch: () => Promise.reject(new TypeError('fetch failed: no network in tests')),
    ...overrides,
  });
  return { code, out, err };
}
