import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { invitePermissions, INVITE_PERMISSIONS } from '../src/bot/invite.ts';
import { Metrics } from '../src/lib/metrics.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The text of one `##` section of the README. */
function section(title: string): string {
  const start = readme.indexOf(`## ${title}\n`);
  assert.ok(start >= 0, `the README has a "${title}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('the README’s "Run in production", kept honest', () => {
  const production = section('Run in production');

  it('starts, in its systemd unit, a script that exists, and its Docker text matches the Dockerfile', () => {
    const execStart = /^ExecStart=\S+ \/opt\/tapewatch\/(\S+)$/m.exec(production);
    assert.ok(execStart?.[1]);
    assert.ok(existsSync(path.join(ROOT, execStart[1])), `${execStart[1]} exists`);
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^FROM node:24-slim$/m);
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /^VOLUME \["\/data"\]$/m);
    assert.match(dockerfile, /^HEALTHCHECK .*CMD \["node", "bin\/tapewatch\.js", "health"\]$/m);
    assert.ok(existsSync(path.join(ROOT, 'compose.yaml')));
    assert.match(readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8'), /env_file: \.env/);
  });

  it('names only metrics the bot exports, and every one it exports', async () => {
    const exported = new Set(
      (await new Metrics().text())
        .split('\n')
        .filter((line) => line.startsWith('# TYPE '))
        .map((line) => line.split(' ')[2] ?? ''),
    );
    const documented = [...production.matchAll(/^\| `(tapewatch_[a-z_]+)`/gm)].map((m) => m[1] ?? '');
    assert.ok(documented.length >= 8);
    for (const name of documented) assert.ok(exported.has(name), `${name} is exported`);
    const own = [...exported].filter((name) => !/^tapewatch_(process|nodejs)_/.test(name));
    assert.deepEqual(own.sort(), [...documented].sort(), 'every own metric is documented');
  });

  it('gives the invite permission integer and the bits the code asks for', () => {
    assert.match(production, new RegExp(`permissions=${invitePermissions()}`));
    for (const permission of INVITE_PERMISSIONS) {
      const name = permission.name.replace(' ', '\\s+');
      assert.match(production, new RegExp(`${name} \\(${permission.flag},\\s`), permission.name);
    }
  });
});

describe('the README’s Settings', () => {
  it('lists every variable .env.example sets, and no other', () => {
    const example = [...readFileSync(path.join(ROOT, '.env.example'), 'utf8').matchAll(/^([A-Z_]+)=/gm)].map(
      (m) => m[1] ?? '',
    );
    const documented = [...section('Settings').matchAll(/^\| `([A-Z_]+)`/gm)].map((m) => m[1] ?? '');
    assert.deepEqual([...documented].sort(), [...example].sort());
  });
});
