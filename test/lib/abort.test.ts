import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sleep, untilAborted } from '../../src/lib/abort.ts';

describe('abandoning work', () => {
  it('stops waiting for a promise the moment the signal aborts, with its reason', async () => {
    const caller = new AbortController();
    const never = new Promise<string>(() => undefined);
    const waiting = untilAborted(never, caller.signal);
    caller.abort(new Error('user left'));
    await assert.rejects(waiting, /user left/);
  });

  it('passes the result or the failure through when the signal does not abort', async () => {
    const caller = new AbortController();
    assert.equal(await untilAborted(Promise.resolve(7), caller.signal), 7);
    await assert.rejects(untilAborted(Promise.reject(new Error('down')), caller.signal), /down/);
    assert.equal(await untilAborted(Promise.resolve('no signal'), undefined), 'no signal');
  });

  it('rejects at once for a signal already aborted', async () => {
    await assert.rejects(untilAborted(Promise.resolve(1), AbortSignal.abort(new Error('gone'))), /gone/);
  });

  it('ends a long sleep at once when the signal aborts, leaving no timer behind', async () => {
    const caller = new AbortController();
    const started = performance.now();
    const napping = sleep(60_000, caller.signal);
    setTimeout(() => {
      caller.abort(new Error('report failed'));
    }, 20);
    await assert.rejects(napping, /report failed/);
    assert.ok(performance.now() - started < 1_000);
  });
});
