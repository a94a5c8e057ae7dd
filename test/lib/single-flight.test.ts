import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleFlight } from '../../src/lib/single-flight.ts';

describe('single flight', () => {
  it('runs identical work once while it is in flight, and again once it has settled', async () => {
    const flights = new SingleFlight();
    let runs = 0;
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const work = async () => {
      runs++;
      await gate;
      return runs;
    };
    const together = [flights.run('a', work), flights.run('a', work), flights.run('b', work)];
    release();
    assert.deepEqual(await Promise.all(together), [2, 2, 2]);
    assert.equal(runs, 2, 'one run for "a", one for "b"');
    assert.equal(await flights.run('a', work), 3, 'a settled flight is not reused');
  });

  it('forgets a failed flight, so the next caller tries again', async () => {
    const flights = new SingleFlight();
    await assert.rejects(
      flights.run('a', () => Promise.reject(new Error('down'))),
      /down/,
    );
    assert.equal(await flights.run('a', () => Promise.resolve('up')), 'up');
  });
});

describe('single flight with callers that leave', () => {
  it('lets one caller leave at once while the shared work goes on for the others', async () => {
    const flights = new SingleFlight();
    let workSignal: AbortSignal | null = null;
    let release = (): void => undefined;
    const work = (signal: AbortSignal) =>
      new Promise<string>((resolve) => {
        workSignal = signal;
        release = () => {
          resolve('done');
        };
      });
    const leaving = new AbortController();
    const staying = new AbortController();
    const first = flights.run('a', work, leaving.signal);
    const second = flights.run('a', work, staying.signal);
    leaving.abort(new Error('report abandoned'));
    await assert.rejects(first, /report abandoned/);
    assert.equal((workSignal as AbortSignal | null)?.aborted, false, 'the other caller still needs it');
    release();
    assert.equal(await second, 'done');
  });

  it('aborts the shared work when every caller has left, and starts afresh for the next', async () => {
    const flights = new SingleFlight();
    const signals: AbortSignal[] = [];
    const work = (signal: AbortSignal) =>
      new Promise<string>((_, reject) => {
        signals.push(signal);
        signal.addEventListener('abort', () => {
          reject(new Error('stopped'));
        });
      });
    const [first, second] = [new AbortController(), new AbortController()];
    const runs = [first, second].map((caller) => flights.run('a', work, caller.signal));
    const [shared] = signals;
    assert.ok(shared);
    first.abort(new Error('gone'));
    assert.equal(shared.aborted, false);
    second.abort(new Error('gone'));
    assert.equal(shared.aborted, true, 'nobody is left to use the result');
    for (const run of runs) await assert.rejects(run, /gone/);
    void flights.run('a', work).catch(() => undefined);
    assert.equal(signals.length, 2, 'a new caller does not join the abandoned work');
  });

  it('never aborts work that a caller without a signal waits for', async () => {
    const flights = new SingleFlight();
    let workSignal: AbortSignal | null = null;
    const work = (signal: AbortSignal) => {
      workSignal = signal;
      return new Promise<string>((resolve) => setTimeout(resolve, 5, 'ok'));
    };
    const caller = new AbortController();
    const leaving = flights.run('a', work, caller.signal);
    const staying = flights.run('a', work);
    caller.abort(new Error('gone'));
    await assert.rejects(leaving, /gone/);
    assert.equal(await staying, 'ok');
    assert.equal((workSignal as AbortSignal | null)?.aborted, false);
  });
});
