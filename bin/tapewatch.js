#!/usr/bin/env node
// The CLI. From any shell: an older Node hands it to the project's Node 24 (see node24.js).
import { onNode24 } from './node24.js';

if (onNode24(import.meta.url)) {
  // Node keeps what it compiled (the TypeScript it stripped included) in a cache between runs: a short
  // command starts in a third of the time.
  const { enableCompileCache } = await import('node:module');
  enableCompileCache?.();
  await import('../src/cli/main.ts');
}
