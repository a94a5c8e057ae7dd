import { styleText } from 'node:util';
import { loadDotEnv, processEnvironment } from '../config/index.ts';
import { runCli } from './program.ts';

// A reader that stops early (`| head`) closes the pipe: that is the end of the output, not a failure.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// The same .env as the bot's (the shell's own variables win): MARKET_DATA_SOURCE=demo there means demo.
loadDotEnv();

const exitCode = await runCli(process.argv.slice(2), {
  env: processEnvironment(),
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTty: process.stderr.isTTY,
  now: () => new Date(),
  fetch: globalThis.fetch,
  styleOut: (format, text) => styleText(format, text, { stream: process.stdout }),
  styleErr: (format, text) => styleText(format, text, { stream: process.stderr }),
});

// The command is over once its output is out. A connection a proxy or server never closes (the request
// itself was abandoned) must not keep a finished command alive, so the process ends here.
for (const stream of [process.stdout, process.stderr]) {
  await new Promise<void>((resolve) => {
    stream.write('', () => {
      resolve();
    });
  });
}
process.exit(exitCode);
