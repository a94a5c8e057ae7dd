import { loadDotEnv, processEnvironment } from '../src/config/index.ts';
import { deployCommands } from '../src/bot/deploy.ts';
import { describeError } from '../src/errors.ts';

try {
  loadDotEnv();
  process.stdout.write(`${await deployCommands(processEnvironment())}\n`);
} catch (error) {
  process.stderr.write(`deploy-commands: ${describeError(error)}\n`);
  process.exitCode = 1;
}
