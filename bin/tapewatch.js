#!/usr/bin/env node
// The CLI is TypeScript run directly by Node 24's type stripping; the project pins Node 24 as a
// devDependency so `npx tapewatch` finds it first on PATH. Anything older cannot load the sources.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `tapewatch needs Node.js 24 or newer (this is ${process.version}); run it with "npx tapewatch" from the project folder after "npm ci".\n`,
  );
  process.exit(1);
}
// Node keeps what it compiled (the TypeScript it stripped included) in a cache between runs: a short
// command starts in a third of the time.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
await import('../src/cli/main.ts');
