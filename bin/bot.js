#!/usr/bin/env node
// The Discord bot (`npm start`). From any Node: an older one hands it to the project's Node 24.
import { onNode24 } from './node24.js';

if (onNode24(import.meta.url)) await import('../src/bot/main.ts');
