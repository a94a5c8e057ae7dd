import { untilAborted } from './abort.ts';

/**
 * Identical work asked for while it is already running joins the running promise instead of starting
 * again: one fetch, one summary, one computation for everyone who asked at once.
 *
 * A caller that passes a signal can leave: its own promise rejects at once when the signal aborts, and
 * the shared work is aborted (through the signal it is given) only when every caller has left, so one
 * abandoned report never cancels a fetch another report is still waiting for.
 */
export class SingleFlight {
  readonly #inFlight = new Map<string, Flight>();

  run<T>(key: string, work: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    let flight = this.#inFlight.get(key);
    if (flight === undefined) {
      const controller = new AbortController();
      const started: Flight = { promise: Promise.resolve(), controller, waiting: 0 };
      started.promise = work(controller.signal).finally(() => {
        if (this.#inFlight.get(key) === started) this.#inFlight.delete(key);
      });
      flight = started;
      this.#inFlight.set(key, flight);
    }
    return this.#join(key, flight, signal) as Promise<T>;
  }

  #join(key: string, flight: Flight, signal: AbortSignal | undefined): Promise<unknown> {
    flight.waiting++;
    if (signal === undefined) return flight.promise;
    const leave = () => {
      if (--flight.waiting > 0) return;
      // Nobody is left to use the result: stop the work, and let the next caller start afresh.
      if (this.#inFlight.get(key) === flight) this.#inFlight.delete(key);
      flight.controller.abort(signal.reason);
    };
    if (signal.aborted) leave();
    else signal.addEventListener('abort', leave, { once: true });
    const joined = untilAborted(flight.promise, signal);
    void joined.then(
      () => {
        signal.removeEventListener('abort', leave);
      },
      () => {
        signal.removeEventListener('abort', leave);
      },
    );
    return joined;
  }
}

interface Flight {
  promise: Promise<unknown>;
  readonly controller: AbortController;
  /** Callers still waiting; one without a signal never leaves. */
  waiting: number;
}
