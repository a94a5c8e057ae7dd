// The entry points (the CLI, the bot) are TypeScript run by Node 24's type stripping, and the project
// brings Node 24 as a dependency. Started by an older Node (a Node 20 shell, a plain `node bin/…`, a
// service manager's system Node), an entry point hands itself to the project's own Node 24 with the same
// arguments; without it, it says in one line how to get it instead of failing on a ".ts" file.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath, URL } from 'node:url';

/** True when this Node can run the sources; otherwise the script has been handed over (or refused). */
export function onNode24(script) {
  if (Number(process.versions.node.split('.')[0]) >= 24) return true;
  const projectNode = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(projectNode)) {
    process.stderr.write(
      `tapewatch: needs Node.js 24 or newer (this is ${process.version}). Run "npm ci" in the project folder ` +
        `(not with --ignore-scripts: the "node" package installs Node 24 in its install script), or install Node 24.\n`,
    );
    process.exit(1);
  }
  const child = spawn(projectNode, [fileURLToPath(script), ...process.argv.slice(2)], { stdio: 'inherit' });
  // A supervisor stops the process it started: pass its signals on, and end as the child ends.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
  return false;
}
