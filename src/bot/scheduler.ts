import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { RenderedMessage } from '../render/discord.ts';
import type { ReportRunner } from './reports.ts';
import { decideSlot, ON_TIME_MS, type Schedule, type ScheduleStore } from './schedules.ts';

/** Posting failed for good: the channel is gone or the bot lost the right to post there. */
export class ChannelUnavailableError extends Error {
  override readonly name = 'ChannelUnavailableError';
}

export type PostToChannel = (channelId: string, message: RenderedMessage) => Promise<void>;

export interface SchedulerDeps {
  readonly store: ScheduleStore;
  readonly runner: ReportRunner;
  readonly post: PostToChannel;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly intervalMs?: number;
}

function minutesLate(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return minutes >= 60 ? `${(minutes / 60).toFixed(1)} h` : `${minutes} min`;
}

/** Checks the schedules every 30 seconds and posts each due slot once. */
export class Scheduler {
  readonly #deps: SchedulerDeps;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#timer = setInterval(() => {
      void this.tick();
    }, this.#deps.intervalMs ?? 30_000);
    this.#timer.unref();
    void this.tick();
  }

  /** Stops the timer and waits for posts under way. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One pass over the schedules; a pass still running makes this one wait for it instead of overlapping. */
  tick(): Promise<void> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #pass(): Promise<void> {
    const { store, logger } = this.#deps;
    let schedules: Schedule[];
    try {
      schedules = store.enabled();
    } catch (error) {
      logger.error({ err: describeError(error) }, 'could not read schedules');
      return;
    }
    for (const schedule of schedules) {
      try {
        await this.#handle(schedule);
      } catch (error) {
        logger.error({ schedule: schedule.id, err: describeError(error) }, 'schedule pass failed');
      }
    }
  }

  async #handle(schedule: Schedule): Promise<void> {
    const { store, runner, post, logger } = this.#deps;
    const now = this.#deps.now();
    const decision = decideSlot(schedule, now);
    if (decision.action === 'wait') return;
    const log = logger.child({ schedule: schedule.id, slot: decision.slot.date, report: schedule.report });
    if (decision.action === 'skip') {
      const outcome = `skipped ${decision.slot.date} ${schedule.time}: the bot was offline and it was ${minutesLate(decision.lateMs)} late`;
      if (store.claim(schedule.id, decision.slot.date, outcome))
        log.warn({ outcome }, 'schedule slot skipped');
      return;
    }
    if (!store.claim(schedule.id, decision.slot.date, `posting ${decision.slot.date}`)) return;
    const late = decision.lateMs > ON_TIME_MS;
    try {
      const { message } = await runner.run(runner.prepare(schedule.report, {}, null));
      const note = late
        ? `Scheduled for ${schedule.time} ${schedule.timeZone}; posted ${minutesLate(decision.lateMs)} late because the bot was offline.`
        : '';
      await post(schedule.channelId, {
        ...message,
        content: [note, message.content].filter(Boolean).join('\n'),
      });
      store.recordOutcome(
        schedule.id,
        `posted ${decision.slot.date} ${schedule.time}${late ? ` (${minutesLate(decision.lateMs)} late)` : ''}`,
      );
      log.info({ late }, 'scheduled report posted');
    } catch (error) {
      if (error instanceof ChannelUnavailableError) {
        store.disable(schedule.id, `disabled: ${error.message}`);
        log.warn({ reason: error.message }, 'schedule disabled');
        return;
      }
      store.recordOutcome(schedule.id, `failed ${decision.slot.date}: ${describeError(error)}`);
      log.error({ err: describeError(error) }, 'scheduled report failed');
    }
  }
}
