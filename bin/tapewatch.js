#!/usr/bin/env node
// The CLI is TypeScript run directly by Node 24's type stripping; the project brings Node 24 as a
// dependency. Started by an older Node (a Node 20 shell, without npx), the script hands itself to the
// project's own Node 24 with the same arguments, so `bin/tapewatch.js …` works from any shell.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  const projectNode = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(projectNode)) {
    process.stderr.write(
      `tapewatch needs Node.js 24 or newer (this is ${process.version}); run "npm ci" in the project folder, which installs it.\n`,
    );
    process.exit(1);
  }
  const child = spawnSync(projectNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}
// Node keeps what it compiled (the TypeScript it stripped included) in a cache between runs: a short
// command starts in a third of the time.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
await import('../src/cli/main.ts');
