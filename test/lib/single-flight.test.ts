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
