import { processEnvironment } from '../config/index.ts';
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  env: processEnvironment(),
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTty: process.stderr.isTTY,
  now: () => new Date(),
  fetch: globalThis.fetch,
});
