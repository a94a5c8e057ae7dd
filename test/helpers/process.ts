import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** A program started for a test, with its output gathered and helpers to wait on it. */
export interface RunningProcess {
  readonly child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  /** The exit code, or undefined while it runs. */
  exited(): number | null | undefined;
  /** Resolves once the output matches, or throws after `timeoutMs` with the output's tail. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Waits for the program to end by itself. */
  exit(): Promise<number | null>;
  /** Sends a signal (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startProcess(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Readonly<Record<string, string>> },
): RunningProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let code: number | null | undefined;
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = once(child, 'exit').then(([exitCode]) => (code = exitCode as number | null));
  return {
    child,
    output: () => output,
    exited: () => code,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (Date.now() > deadline || code !== undefined) {
          throw new Error(
            `no ${String(pattern)} within ${timeoutMs} ms (exit ${String(code)}):\n${output.slice(-3000)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    exit: () => exit,
    async stop(signal = 'SIGTERM') {
      if (code === undefined) child.kill(signal);
      return exit;
    },
  };
}
