/**
 * Work run at once on start and then every intervalMs, never two passes at a time: a tick while one
 * runs joins it. The scheduler and the alert evaluator are such work.
 */
export abstract class RecurringPass {
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** One pass of the work. */
  protected abstract pass(): Promise<void>;

  start(): void {
    this.#timer = setInterval(() => {
      void this.tick();
    }, this.#intervalMs);
    this.#timer.unref();
    void this.tick();
  }

  /** Stops the timer and waits for the pass under way (posts included). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One pass; a pass still running makes this one wait for it instead of overlapping. */
  tick(): Promise<void> {
    this.#running ??= this.pass().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }
}
