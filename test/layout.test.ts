import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(import.meta.dirname, '..');

/**
 * The rooms of the house from the ground up: a module may import from its own room or from a room
 * below it, never from one above or beside it (the CLI and the bot are two surfaces, neither uses the
 * other). README's "Layout" section describes the same order.
 */
const ROOMS: readonly (readonly string[])[] = [
  ['lib'],
  ['errors', 'log'],
  ['config', 'store'],
  ['universes'],
  ['market'],
  ['indicators'],
  ['reports'],
  ['commands'],
  ['render'],
  ['llm'],
  ['schedules', 'watchlists', 'alerts'],
  ['cli', 'bot'],
];

function floorOf(room: string): number {
  const floor = ROOMS.findIndex((rooms) => rooms.includes(room));
  assert.ok(floor >= 0, `room "${room}" is not placed in ROOMS`);
  return floor;
}

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(root, dir, file));
}

/** `src/bot/handlers/ask.ts` is in room bot, `src/errors.ts` in errors, `commands/momentum.ts` in commands. */
function roomOf(file: string): string {
  const [top = '', second = ''] = path.relative(root, file).split(path.sep);
  return top === 'commands' ? 'commands' : second.replace(/\.ts$/, '');
}

/** Relative imports, static and dynamic, resolved to files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom '(\.[^']+)'/gms),
    ...text.matchAll(/\bimport\('(\.[^']+)'\)/g),
  ].map((match) => match[1] ?? '');
  return specifiers.map((specifier) => path.resolve(path.dirname(file), specifier));
}

const files = [...sources('src'), ...sources('commands')];
const graph = new Map(files.map((file) => [file, importsOf(file)]));

describe('layout', () => {
  it('reads every module and its imports', () => {
    assert.ok(files.length > 60, `${files.length} modules`);
    for (const [file, imports] of graph) {
      for (const target of imports) assert.ok(graph.has(target), `${file} imports a missing ${target}`);
    }
  });

  it('nothing imports upward or sideways between rooms', () => {
    const offences: string[] = [];
    for (const [file, imports] of graph) {
      const from = roomOf(file);
      for (const target of imports) {
        const to = roomOf(target);
        if (to !== from && floorOf(to) >= floorOf(from)) {
          offences.push(`${path.relative(root, file)} → ${path.relative(root, target)}`);
        }
      }
    }
    assert.deepEqual(offences, []);
  });

  it('no module imports itself through a circle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (file: string, trail: string[]): void => {
      state.set(file, 'open');
      for (const target of graph.get(file) ?? []) {
        if (state.get(target) === 'open') {
          circles.push(
            [...trail.slice(trail.indexOf(target)), target].map((f) => path.relative(root, f)).join(' → '),
          );
        } else if (!state.has(target)) {
          visit(target, [...trail, target]);
        }
      }
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file, [file]);
    assert.deepEqual(circles, []);
  });
});
