import {
  advanceAlert,
  alertBaseRate,
  alertReport,
  alertValueText,
  describeCondition,
  readsUniverse,
  storedCondition,
  type Alert,
  type AlertCondition,
  type AlertStore,
  type AlertTarget,
  type ConditionHistory,
} from '../alerts.ts';
import { describeError } from '../errors.ts';
import type { Metrics } from '../lib/metrics.ts';
import type { Logger } from '../log.ts';
import {
  closeMinutes,
  exchangeClock,
  exchangeDateOf,
  isTradingDay,
  marketStatus,
  previousTradingDay,
} from '../market/calendar.ts';
import type { IsoDate } from '../market/types.ts';
import type { RenderedMessage } from '../render/discord.ts';
import { RecurringPass } from './recurring.ts';
import type { ReportRunner } from './reports.ts';
import { ChannelUnavailableError } from './scheduler.ts';

/** Minutes after the close before a session is read as final: the day's bars settle at the source first. */
export const AFTER_CLOSE_MINUTES = 15;
/** A session whose data has not arrived yet (the source lags) is looked for again after this long. */
export const DATA_RETRY_MS = 10 * 60_000;

/** The latest session whose close has settled: the one an after-close evaluation reads as final. */
export function lastClosedSession(now: Date): IsoDate {
  const { date, minutes } = exchangeClock(now);
  if (isTradingDay(date) && minutes >= closeMinutes(date) + AFTER_CLOSE_MINUTES) return date;
  return previousTradingDay(date);
}

export type ConditionReader = (
  condition: AlertCondition,
  universe: string,
  endDate: IsoDate,
) => Promise<ConditionHistory>;

export interface AlertEvaluatorDeps {
  readonly store: AlertStore;
  /** Reads a condition's history (in a report worker in the bot). */
  readonly read: ConditionReader;
  readonly runner: Pick<ReportRunner, 'prepare' | 'run'>;
  /** Delivers a post; throws ChannelUnavailableError when it never can (the channel or DM is gone). */
  readonly post: (target: AlertTarget, message: RenderedMessage) => Promise<void>;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly intervalMs?: number;
  /** True while market history is still loading after the start: evaluations wait for it. */
  readonly warmingUp?: () => boolean;
  /**
   * With a live source, minutes between readings during the session (ALERT_INTRADAY_MINUTES); their
   * posts say "intraday, not final". Null: alerts are read after the close only.
   */
  readonly intradayMinutes?: number | null;
}

/** Alerts that read the same condition on the same universe share one reading of its history. */
function groupKey(alert: Alert): string {
  const { text, threshold } = storedCondition(alert.condition);
  return JSON.stringify([text, threshold, readsUniverse(alert.condition) ? alert.universe : '']);
}

/**
 * Reads every alert's condition after each NYSE close (and, with a live source, during the session) and
 * posts each firing once. Each distinct condition is read once per pass, for all the alerts that watch it.
 */
export class AlertEvaluator extends RecurringPass {
  readonly #deps: AlertEvaluatorDeps;
  /** For each condition whose data had not reached the session yet: the session and when to look again. */
  readonly #retryAt = new Map<string, { through: IsoDate; at: number }>();
  #lastIntraday = 0;

  constructor(deps: AlertEvaluatorDeps) {
    super(deps.intervalMs ?? 30_000);
    this.#deps = deps;
  }

  protected async pass(): Promise<void> {
    const { store, logger } = this.#deps;
    if (this.#deps.warmingUp?.() === true) return;
    const now = this.#deps.now();
    const through = lastClosedSession(now);
    let due: Alert[];
    try {
      // Only the alerts with a session left to read: none, on most passes.
      due = store.unreadThrough(through);
    } catch (error) {
      logger.error({ err: describeError(error) }, 'could not read alerts');
      return;
    }
    const groups = new Map<string, Alert[]>();
    for (const alert of due) {
      const key = groupKey(alert);
      const retry = this.#retryAt.get(key);
      const waiting = retry?.through === through && now.getTime() < retry.at;
      if (waiting && alert.evaluatedThrough !== null) continue;
      groups.set(key, [...(groups.get(key) ?? []), alert]);
    }
    for (const [key, members] of groups) {
      const [first] = members;
      if (first === undefined) continue;
      let history: ConditionHistory;
      try {
        history = await this.#deps.read(first.condition, first.universe, through);
      } catch (error) {
        logger.error(
          { condition: describeCondition(first.condition), err: describeError(error) },
          'alert condition could not be read',
        );
        this.#deps.metrics?.alert('unreadable');
        this.#retryAt.set(key, { through, at: now.getTime() + DATA_RETRY_MS });
        continue;
      }
      const lastRead = history.dates.filter((date) => date <= through).at(-1);
      if (lastRead === undefined || lastRead < through) {
        this.#retryAt.set(key, { through, at: now.getTime() + DATA_RETRY_MS });
      } else {
        this.#retryAt.delete(key);
      }
      for (const alert of members) {
        try {
          await this.#advance(alert, history, through);
        } catch (error) {
          logger.error({ alert: alert.id, err: describeError(error) }, 'alert pass failed');
        }
      }
    }
    await this.#intraday(now);
  }

  /**
   * During a live session, at most every intradayMinutes: today's reading so far. A firing is posted
   * once a session, marked not final, and never changes the alert's state: the close decides that.
   */
  async #intraday(now: Date): Promise<void> {
    const minutes = this.#deps.intradayMinutes ?? null;
    if (minutes === null || !marketStatus(now).isOpen) return;
    if (now.getTime() - this.#lastIntraday < minutes * 60_000) return;
    this.#lastIntraday = now.getTime();
    const today = exchangeDateOf(now);
    let alerts: Alert[];
    try {
      alerts = this.#deps.store.enabled();
    } catch (error) {
      this.#deps.logger.error({ err: describeError(error) }, 'could not read alerts');
      return;
    }
    const groups = new Map<string, Alert[]>();
    for (const alert of alerts) {
      if (alert.intradayFired === today || alert.lastFired === today) continue;
      groups.set(groupKey(alert), [...(groups.get(groupKey(alert)) ?? []), alert]);
    }
    for (const members of groups.values()) {
      const [first] = members;
      if (first === undefined) continue;
      let history: ConditionHistory;
      try {
        history = await this.#deps.read(first.condition, first.universe, today);
      } catch (error) {
        this.#deps.logger.warn(
          { condition: describeCondition(first.condition), err: describeError(error) },
          'alert condition could not be read intraday',
        );
        continue;
      }
      for (const alert of members) {
        const progress = advanceAlert(alert, alert.condition, history, today);
        if (progress?.fired?.date !== today || !this.#deps.store.claimIntraday(alert.id, today)) continue;
        await this.#post(alert, history, progress.fired, true);
      }
    }
  }

  async #advance(alert: Alert, history: ConditionHistory, through: IsoDate): Promise<void> {
    const { store } = this.#deps;
    const progress = advanceAlert(alert, alert.condition, history, through);
    if (progress === null) return;
    const fired = progress.fired;
    // A catch-up (the bot was down for sessions) posts only a firing on the latest session read: news
    // of an older one is stale, and is noted in /alert list instead.
    const latest = fired !== null && fired.date === progress.evaluatedThrough;
    // The session's intraday reading already said it; the close confirms without a second post.
    const toldIntraday = latest && alert.intradayFired === fired.date;
    const outcome =
      fired === null
        ? null
        : !latest
          ? `fired ${fired.date} while the bot was not running; not posted`
          : toldIntraday
            ? `fired ${fired.date} (posted intraday, confirmed at the close)`
            : `posting ${fired.date}`;
    if (!store.advance(alert, progress, outcome)) return;
    if (fired === null || !latest || toldIntraday) return;
    await this.#post(alert, history, fired, false);
  }

  async #post(
    alert: Alert,
    history: ConditionHistory,
    fired: { readonly date: IsoDate; readonly value: number },
    intraday: boolean,
  ): Promise<void> {
    const { store, runner, logger } = this.#deps;
    const log = logger.child({ alert: alert.id, fired: fired.date, intraday });
    try {
      const report = alertReport(alert.condition, alert.universe);
      // Intraday, the report is today's live one; after the close, the report as of the firing's day.
      const asOf = intraday ? null : fired.date;
      const { message } = await runner.run(runner.prepare(report.name, report.options, asOf));
      await this.#deps.post(alert.target, alertMessage(alert, history, fired, message, intraday));
      store.recordOutcome(alert.id, `posted ${fired.date}${intraday ? ' (intraday)' : ''}`);
      log.info('alert posted');
      this.#deps.metrics?.alert('posted');
    } catch (error) {
      if (error instanceof ChannelUnavailableError) {
        store.disable(alert.id, `disabled: ${error.message}`);
        log.warn({ reason: error.message }, 'alert disabled');
        this.#deps.metrics?.alert('disabled');
        return;
      }
      store.recordOutcome(alert.id, `fired ${fired.date}, not posted: ${describeError(error)}`);
      log.error({ err: describeError(error) }, 'alert post failed');
      this.#deps.metrics?.alert('failed');
    }
  }
}

const DISCORD_CONTENT_LIMIT = 2000;

/** An alert's post: what fired and how rare it is, the report of that day, and why the reader got it. */
export function alertMessage(
  alert: Alert,
  history: ConditionHistory,
  fired: { readonly date: IsoDate; readonly value: number },
  report: RenderedMessage,
  intraday = false,
): RenderedMessage {
  const value =
    history.valueLabel === 'flag' ? '' : `: ${history.valueLabel} ${alertValueText(history, fired.value)}`;
  const on = readsUniverse(alert.condition) ? ` on ${alert.universe}` : '';
  const when = intraday ? `during the session of ${fired.date} (intraday, not final)` : `on ${fired.date}`;
  const header = `🔔 **Alert #${alert.id}: ${describeCondition(alert.condition)}${on}** fired ${when}${value}.`;
  const why =
    alert.target.scope === 'server' ? 'a server manager set it for this channel' : 'you set it for yourself';
  const footer = `-# Why you got this: alert #${alert.id}, ${why}. It fires once when its condition starts to hold and again only after it has stopped holding. Stop it with /alert remove id:${alert.id}.`;
  const base = alertBaseRate(history, alert.condition, fired.date).text;
  const body = report.content === '' ? [] : [report.content];
  const content = [header, base, ...body, footer].join('\n');
  return {
    ...report,
    content:
      content.length <= DISCORD_CONTENT_LIMIT ? content : [header, base, footer].join('\n').slice(0, 2000),
  };
}
