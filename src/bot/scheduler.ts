import { describeError } from '../errors.ts';
import type { Metrics } from '../lib/metrics.ts';
import type { Logger } from '../log.ts';
import type { RenderedMessage } from '../render/discord.ts';
import { RecurringPass } from './recurring.ts';
import type { ReportRunner } from './reports.ts';
import {
  decideSlot,
  MAX_POST_ATTEMPTS,
  ON_TIME_MS,
  type Schedule,
  type ScheduleStore,
  type SlotMemo,
} from '../schedules.ts';

/** Schedules read and handled between two turns given back to the event loop. */
const PAGE_SIZE = 500;

/** Posting failed for good: the channel is gone or the bot lost the right to post there. */
export class ChannelUnavailableError extends Error {
  override readonly name = 'ChannelUnavailableError';
}

export type PostToChannel = (channelId: string, message: RenderedMessage) => Promise<void>;

export interface SchedulerDeps {
  readonly store: ScheduleStore;
  /** Only what the scheduler asks of the runner, so a test can stand in for it. */
  readonly runner: Pick<ReportRunner, 'prepare' | 'run'>;
  readonly post: PostToChannel;
  readonly now: () => Date;
  readonly logger: Logger;
  /** Counts each slot's result: posted (on time or late), skipped, failed, given up. */
  readonly metrics?: Metrics;
  readonly intervalMs?: number;
  /**
   * True while the bot is still loading market history after its start: passes wait rather than spend
   * a post's attempts on "still loading" answers.
   */
  readonly warmingUp?: () => boolean;
}

function minutesLate(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return minutes >= 60 ? `${(minutes / 60).toFixed(1)} h` : `${minutes} min`;
}

/** Checks the schedules every 30 seconds and posts each due slot once. */
export class Scheduler extends RecurringPass {
  readonly #deps: SchedulerDeps;

  constructor(deps: SchedulerDeps) {
    super(deps.intervalMs ?? 30_000);
    this.#deps = deps;
  }

  protected async pass(): Promise<void> {
    const { store, logger } = this.#deps;
    if (this.#deps.warmingUp?.() === true) return;
    const slots: SlotMemo = new Map();
    // Page by page, with a turn for Discord's events between pages: thousands of schedules are a long
    // read and a long loop.
    for (let afterId = 0; ;) {
      let page: Schedule[];
      try {
        page = store.enabledAfter(afterId, PAGE_SIZE);
      } catch (error) {
        logger.error({ err: describeError(error) }, 'could not read schedules');
        return;
      }
      for (const schedule of page) {
        try {
          await this.#handle(schedule, slots);
        } catch (error) {
          logger.error({ schedule: schedule.id, err: describeError(error) }, 'schedule pass failed');
        }
      }
      const last = page.at(-1);
      if (last === undefined || page.length < PAGE_SIZE) return;
      afterId = last.id;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async #handle(schedule: Schedule, slots: SlotMemo): Promise<void> {
    const { store, logger } = this.#deps;
    const now = this.#deps.now();
    const decision = decideSlot(schedule, now, slots);
    if (decision.action === 'wait') return;
    const { slot, lateMs } = decision;
    const log = logger.child({ schedule: schedule.id, slot: slot.date, report: schedule.report });
    switch (decision.action) {
      case 'skip': {
        const outcome = `skipped ${slot.date} ${schedule.time}: the bot was offline and it was ${minutesLate(lateMs)} late`;
        if (store.claim(schedule.id, slot.date, outcome, now)) {
          log.warn({ outcome }, 'schedule slot skipped');
          this.#deps.metrics?.scheduledPost('skipped');
        }
        return;
      }
      case 'abandon': {
        const why =
          schedule.attempts >= MAX_POST_ATTEMPTS
            ? `after ${schedule.attempts} attempts`
            : `it was ${minutesLate(lateMs)} late`;
        const outcome = `not posted ${slot.date} ${schedule.time}: ${why} (${schedule.lastOutcome ?? 'no answer'})`;
        store.recordOutcome(schedule.id, outcome);
        log.error({ outcome }, 'scheduled report given up');
        this.#deps.metrics?.scheduledPost('given_up');
        return;
      }
      case 'retry':
        if (!store.reclaim(schedule, `posting ${slot.date} (attempt ${schedule.attempts + 1})`, now)) return;
        await this.#post(schedule, slot.date, lateMs, schedule.attempts + 1, log);
        return;
      case 'post':
        if (!store.claim(schedule.id, slot.date, `posting ${slot.date}`, now)) return;
        await this.#post(schedule, slot.date, lateMs, 1, log);
        return;
    }
  }

  /** Posts one claimed slot; a failure that may pass is left for the next pass to try again. */
  async #post(schedule: Schedule, date: string, lateMs: number, attempt: number, log: Logger): Promise<void> {
    const { store, runner, post } = this.#deps;
    const late = lateMs > ON_TIME_MS;
    try {
      const { message } = await runner.run(runner.prepare(schedule.report, {}, null));
      const note = late
        ? `Scheduled for ${schedule.time} ${schedule.timeZone}; posted ${minutesLate(lateMs)} late because the bot was offline.`
        : '';
      await post(schedule.channelId, {
        ...message,
        content: [note, message.content].filter(Boolean).join('\n'),
      });
      store.recordOutcome(
        schedule.id,
        `posted ${date} ${schedule.time}${late ? ` (${minutesLate(lateMs)} late)` : ''}`,
      );
      log.info({ late, attempt }, 'scheduled report posted');
      this.#deps.metrics?.scheduledPost(late ? 'posted_late' : 'posted');
    } catch (error) {
      if (error instanceof ChannelUnavailableError) {
        store.disable(schedule.id, `disabled: ${error.message}`);
        log.warn({ reason: error.message }, 'schedule disabled');
        return;
      }
      const failure = `failed ${date} (attempt ${attempt} of ${MAX_POST_ATTEMPTS}): ${describeError(error)}`;
      if (attempt < MAX_POST_ATTEMPTS) store.recordRetry(schedule.id, `${failure}; trying again`);
      else store.recordOutcome(schedule.id, `not posted ${date}: ${failure}`);
      log.error({ err: describeError(error), attempt }, 'scheduled report failed');
      this.#deps.metrics?.scheduledPost('failed');
    }
  }
}
