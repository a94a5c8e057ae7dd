import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logFailure } from '../../src/bot/respond.ts';
import { TapewatchError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';

describe('the one failure path', () => {
  it('logs a bug with its stack beside the reference the user was given, a refusal without one', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => lines.push(line) }).child({
      reference: 'ab12cd34',
    });
    const bug = logFailure(log, new RangeError('index 7 out of range'), 'ab12cd34');
    assert.equal(
      bug.message,
      'Something went wrong on my side; please try again in a minute (ref ab12cd34).',
    );
    const logged = JSON.parse(lines[0] ?? '{}') as {
      reference?: string;
      err?: string;
      stack?: string;
      msg?: string;
    };
    assert.equal(logged.msg, 'request failed');
    assert.equal(logged.reference, 'ab12cd34');
    assert.equal(logged.err, 'index 7 out of range');
    assert.match(logged.stack ?? '', /^RangeError: index 7 out of range\n\s+at /);

    logFailure(log, new TapewatchError('bad_input', 'Unknown universe "xyz".'), 'ef56ab78');
    const refusal = JSON.parse(lines[1] ?? '{}') as { stack?: string; msg?: string };
    assert.equal(refusal.msg, 'request refused');
    assert.equal(refusal.stack, undefined, 'a refusal is not a bug');
  });
});
