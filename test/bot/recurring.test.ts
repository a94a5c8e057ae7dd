import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecurringPass } from '../../src/bot/recurring.ts';

/** Work whose pass is the function given. */
class Work extends RecurringPass {
  readonly #work: () => Promise<void>;

  constructor(work: () => Promise<void>) {
    super(3_600_000);
    this.#work = work;
  }

  protected pass(): Promise<void> {
    return this.#work();
  }
}

describe('a recurring pass', () => {
  it('runs one pass at a time: a tick while one runs joins it, and stop waits for it', async () => {
    let started = 0;
    let finished = 0;
    let release = (): void => undefined;
    const loop = new Work(async () => {
      started++;
      if (started === 1) {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      }
      finished++;
    });
    const first = loop.tick();
    const joined = loop.tick();
    assert.equal(joined, first, 'the second tick is the same pass');
    assert.equal(started, 1);
    const stopped = loop.stop();
    let stopDone = false;
    void stopped.then(() => {
      stopDone = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stopDone, false, 'stop waits for the pass under way');
    release();
    await stopped;
    assert.equal(finished, 1);
    await loop.tick();
    assert.equal(started, 2, 'once a pass is over, the next tick runs a new one');
  });
});
