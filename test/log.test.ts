import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

const PROBE = path.join(mkdtempSync(path.join(tmpdir(), 'tapewatch-log-')), 'probe.ts');
writeFileSync(
  PROBE,
  `import { createLogger } from ${JSON.stringify(path.resolve(import.meta.dirname, '..', 'src', 'log.ts'))};
createLogger('info').info({ reference: 'ab12cd34', token: 'secret' }, 'interaction');
`,
);

/** The probe in a fresh Node, its stdout a pipe or (through util-linux's script) a terminal. */
function probe(terminal: boolean): string {
  const run = terminal
    ? spawnSync('script', ['-qec', `${process.execPath} ${PROBE}`, '/dev/null'], { encoding: 'utf8' })
    : spawnSync(process.execPath, [PROBE], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

const hasScript = spawnSync('script', ['--version']).status === 0;

describe('logs', () => {
  it('are one JSON object a line in a pipe, the token redacted', () => {
    const line = JSON.parse(probe(false)) as Record<string, unknown>;
    assert.equal(line.msg, 'interaction');
    assert.equal(line.reference, 'ab12cd34');
    assert.equal(line.token, '[redacted]');
  });

  it(
    'are formatted for a person on a terminal',
    { skip: hasScript ? false : 'no script(1) to make a terminal' },
    () => {
      // Colours and all, as the terminal shows them; the escapes go before the text is checked.
      const text = probe(true).replace(new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g'), '');
      assert.ok(!text.trimStart().startsWith('{'), `not JSON: ${text}`);
      assert.match(text, /INFO.*interaction/);
      assert.match(text, /reference: "ab12cd34"/);
      assert.doesNotMatch(text, /secret/);
    },
  );
});
