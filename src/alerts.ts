import { z } from 'zod';
import { analyzeBreadth, breadthConditions, breadthOptionsSchema } from '../commands/breadth.ts';
import { analyzeMomentum, MOMENTUM_EPISODE_GAP, momentumOptionsSchema } from '../commands/momentum.ts';
import { computeSeries, SERIES } from '../commands/series.ts';
import {
  analyzeRotation,
  pairSplits,
  PAIRS,
  rotationOptionsSchema,
  SPLIT_EPISODE_GAP,
  weekOfQuadrants,
} from '../commands/rotation.ts';
import type { RequestName } from '../commands/index.ts';
import { TapewatchError } from './errors.ts';
import type { IsoDate } from './market/types.ts';
import { historyRange, type ReportContext } from './reports/context.ts';
import { formatPercent } from './reports/format.ts';
import { UserDatabaseTable } from './store/user-database.ts';
import { normalizeSymbol, type Universe } from './universes/index.ts';

/**
 * Alert conditions, and when one fires. An alert fires on the day its condition starts to hold and
 * re-arms only once it has stopped holding: an event after `gap` sessions without it (the same episodes
 * the reports count, so March 2009's string of momentum crashes is one alert, not six), a threshold once
 * the value is back beyond a band of THRESHOLD_BAND around it (a value wobbling on the line does not
 * ping every day). The day-by-day rule is the same for the backtest (`tapewatch alerts scan`) and for
 * the bot, so a scan shows exactly how noisy an alert would have been.
 */

export const MOMENTUM_EVENTS = ['momentum_crash', 'momentum_spike'] as const;
export const BREADTH_EVENTS = [
  'zweig_breadth_thrust',
  'washout',
  'breadth_divergence',
  'broad_day_index_down',
] as const;
/** The rotation report's pair splits: `split_iwm_spy_up` is small caps up (3% by default) while the S&P 500 fell. */
export const SPLIT_EVENTS: readonly string[] = PAIRS.flatMap((pair) => [
  `split_${pair.id}_up`,
  `split_${pair.id}_down`,
]);
/** The rotation report's weekly event: a sector ETF is in another RRG quadrant than a week before. */
export const QUADRANT_CHANGES = 'quadrant_changes';
export const ALERT_EVENTS: readonly string[] = [
  ...MOMENTUM_EVENTS,
  ...BREADTH_EVENTS,
  ...SPLIT_EVENTS,
  QUADRANT_CHANGES,
];

/** The events with a threshold of their own, its default, its range and how it reads. */
const EVENT_THRESHOLDS = {
  momentum: { fallback: 3, min: 1, max: 10, words: '|z| between 1 and 10' },
  split: {
    fallback: rotationOptionsSchema.parse({}).splitThreshold,
    min: 0.005,
    max: 0.2,
    words: "the first leg's move as a fraction between 0.005 and 0.2 (0.03 is 3%)",
  },
} as const;

function thresholdKind(event: string): keyof typeof EVENT_THRESHOLDS | null {
  if ((MOMENTUM_EVENTS as readonly string[]).includes(event)) return 'momentum';
  return SPLIT_EVENTS.includes(event) ? 'split' : null;
}

/** Series an alert can watch: every series of `tapewatch series` but those that need a sector after a colon. */
const WATCHABLE_SERIES = Object.keys(SERIES).filter((name) => !name.startsWith('rotation.rs_'));

/** What /alert add offers as the condition is typed: every event, then a threshold on every series. */
export const ALERT_CONDITION_EXAMPLES: readonly string[] = [
  ...ALERT_EVENTS,
  'breadth.pct_above_200d crosses below 20',
  'rotation.iwm_spy_1d above 0.03',
  'breadth.pct_above_200d crosses above 80',
  'momentum.z below -3',
  'momentum.drawdown below -0.1',
  'breadth.mcclellan crosses above 100',
  'SPY moves 2%',
  'QQQ moves 3%',
  'SPY crosses below 500',
];

/** A threshold re-arms once the value is back this share of the threshold beyond it (2%: 20 → 19.6). */
export const THRESHOLD_BAND = 0.02;

export type Comparison = 'above' | 'below';

export type AlertCondition =
  | {
      readonly kind: 'event';
      readonly event: string;
      /** The event's own threshold (momentum |z|, a split's move); null for events without one. */
      readonly threshold: number | null;
    }
  | {
      readonly kind: 'metric';
      /** A series name of `tapewatch series`, e.g. breadth.pct_above_200d. */
      readonly series: string;
      readonly comparison: Comparison;
      /** Fires only on a crossing: a value already beyond the line when the alert starts does not fire. */
      readonly crosses: boolean;
      readonly value: number;
    }
  | { readonly kind: 'move'; readonly symbol: string; readonly move: number }
  | {
      readonly kind: 'price';
      readonly symbol: string;
      readonly comparison: Comparison;
      readonly crosses: boolean;
      readonly value: number;
    };

const COMPARISON = /^(crosses\s+)?(above|below)$/;
const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)$/;

const EXAMPLES =
  'e.g. "momentum_crash", "breadth.pct_above_200d crosses below 20", "SPY moves 2%" or "NVDA above 150"';

function badCondition(text: string, why: string): TapewatchError {
  return new TapewatchError('bad_input', `Condition "${text.slice(0, 80)}": ${why}`);
}

/**
 * What a user typed as a condition, checked: an event of the reports (momentum_crash, washout, …), a
 * series against a number (`breadth.pct_above_200d crosses below 20`), or a symbol's price
 * (`SPY moves 2%`, `NVDA crosses above 150`). `threshold` is the event's own (momentum |z|, a split's
 * move as a fraction).
 */
export function parseAlertCondition(text: string, threshold: number | null = null): AlertCondition {
  const words = text.trim().replace(/\s+/g, ' ').split(' ');
  const [head = '', ...rest] = words;
  const lower = head.toLowerCase().replace(/^event:/, '');
  if (rest.length === 0) {
    if (!ALERT_EVENTS.includes(lower)) {
      throw badCondition(text, `not an event (${ALERT_EVENTS.join(', ')}) or a comparison; ${EXAMPLES}.`);
    }
    const kind = thresholdKind(lower);
    if (kind === null) {
      if (threshold !== null) {
        throw badCondition(text, `${lower} has no threshold of its own; leave the threshold out.`);
      }
      return { kind: 'event', event: lower, threshold: null };
    }
    const rule = EVENT_THRESHOLDS[kind];
    if (threshold !== null && !(threshold >= rule.min && threshold <= rule.max)) {
      throw badCondition(text, `the threshold of ${lower} is ${rule.words}.`);
    }
    return { kind: 'event', event: lower, threshold: threshold ?? rule.fallback };
  }
  if (threshold !== null)
    throw badCondition(text, 'the threshold belongs to events; write it in the condition.');
  const last = rest.at(-1) ?? '';
  const between = rest.slice(0, -1).join(' ').toLowerCase();
  if (/^moves$/i.test(rest[0] ?? '')) {
    const move = /^(\d+(\.\d+)?)%$/.exec(rest[1] ?? '');
    if (move === null) throw badCondition(text, 'say how far, in percent: "SPY moves 2%".');
    if (rest.length > 2 && rest.slice(2).join(' ').toLowerCase() !== 'in a day') {
      throw badCondition(text, 'a move is measured in a day: "SPY moves 2%".');
    }
    const size = Number(move[1]) / 100;
    if (!(size > 0 && size <= 0.5)) throw badCondition(text, 'a move is between 0% and 50%.');
    return { kind: 'move', symbol: symbolOf(text, head), move: size };
  }
  const comparison = COMPARISON.exec(between);
  if (comparison === null || !NUMBER.test(last)) {
    throw badCondition(text, `not a condition this bot reads; ${EXAMPLES}.`);
  }
  const value = Number(last);
  const crosses = comparison[1] !== undefined;
  const direction = comparison[2] as Comparison;
  if (WATCHABLE_SERIES.includes(head.toLowerCase())) {
    return { kind: 'metric', series: head.toLowerCase(), comparison: direction, crosses, value };
  }
  if (/^(momentum|breadth|rotation)\./i.test(head)) {
    throw badCondition(
      text,
      `"${head}" is not a series alerts can watch; one of ${WATCHABLE_SERIES.join(', ')}.`,
    );
  }
  if (!(value > 0)) throw badCondition(text, 'a price is more than 0.');
  return { kind: 'price', symbol: symbolOf(text, head), comparison: direction, crosses, value };
}

function symbolOf(text: string, word: string): string {
  const symbol = normalizeSymbol(word.replace(/^\$/, ''));
  if (!/^[A-Z0-9.^=-]{1,12}$/.test(symbol)) throw badCondition(text, `"${word}" is not a symbol.`);
  return symbol;
}

/** The condition in the words the bot shows and stores: parsing it again gives the same condition. */
export function describeCondition(condition: AlertCondition): string {
  switch (condition.kind) {
    case 'event':
      if (condition.threshold === null) return condition.event;
      return thresholdKind(condition.event) === 'momentum'
        ? `${condition.event} (|z| ≥ ${condition.threshold})`
        : `${condition.event} (≥ ${+(condition.threshold * 100).toFixed(2)}%)`;
    case 'metric':
    case 'price': {
      const subject = condition.kind === 'metric' ? condition.series : condition.symbol;
      return `${subject} ${condition.crosses ? 'crosses ' : ''}${condition.comparison} ${condition.value}`;
    }
    case 'move':
      return `${condition.symbol} moves ${+(condition.move * 100).toFixed(4)}%`;
  }
}

/** How a day reads for an alert: the condition holds, it is clearly off, or neither (n/a, or inside the band). */
export type DayReading = 'holds' | 'clear' | 'unknown';

/** Whether an alert may fire, and for an event how many clear sessions it has seen since it last held. */
export interface AlertState {
  /** null until the first day that could be read. */
  readonly armed: boolean | null;
  readonly clearRun: number;
}

export const NEW_ALERT_STATE: AlertState = { armed: null, clearRun: 0 };

/** One day of an alert's life: whether it fires, and its state after the day. */
export function stepAlert(
  state: AlertState,
  reading: DayReading,
  condition: AlertCondition,
  gap: number,
): { fire: boolean; state: AlertState } {
  if (reading === 'unknown') return { fire: false, state };
  if (state.armed === null) {
    // A crossing needs to see the value on the other side first; everything else fires at once.
    const crossing = (condition.kind === 'metric' || condition.kind === 'price') && condition.crosses;
    if (reading === 'holds' && crossing) return { fire: false, state: { armed: false, clearRun: 0 } };
    return stepAlert({ armed: true, clearRun: 0 }, reading, condition, gap);
  }
  if (reading === 'holds') {
    return { fire: state.armed, state: { armed: false, clearRun: 0 } };
  }
  const clearRun = state.clearRun + 1;
  return { fire: false, state: { armed: state.armed || clearRun >= gap, clearRun } };
}

/** How a value reads against a threshold with its band: beyond the line holds, back past the band is clear. */
export function readThreshold(value: number, comparison: Comparison, line: number): DayReading {
  if (Number.isNaN(value)) return 'unknown';
  const band = Math.abs(line) * THRESHOLD_BAND;
  if (comparison === 'above') return value > line ? 'holds' : value <= line - band ? 'clear' : 'unknown';
  return value < line ? 'holds' : value >= line + band ? 'clear' : 'unknown';
}

/** A condition's history: each session's reading, and the value the alert would quote. */
export interface ConditionHistory {
  readonly dates: readonly IsoDate[];
  readonly readings: readonly DayReading[];
  readonly values: readonly number[];
  /** What the values are, for a reader: "z", "% above 200-day", "SPY's change". */
  readonly valueLabel: string;
  /** The values are fractions (returns), shown in percent. */
  readonly fraction: boolean;
  /**
   * Sessions without the condition before the alert re-arms: an event's episode gap (as the reports
   * count episodes), one for thresholds and moves, whose band does the same work.
   */
  readonly gap: number;
}

/**
 * Every session's reading of a condition, computed once from the whole history the source has up to
 * the context's end date (the same indicators the reports compute, so a day's reading is the report's).
 */
export async function conditionHistory(
  context: ReportContext,
  condition: AlertCondition,
  universe: Universe,
): Promise<ConditionHistory> {
  switch (condition.kind) {
    case 'event': {
      const kind = thresholdKind(condition.event);
      if (kind === 'momentum') {
        const sigma = condition.threshold ?? EVENT_THRESHOLDS.momentum.fallback;
        const options = momentumOptionsSchema.parse({ universe: universe.name, eventSigma: sigma });
        const { panel, zScores } = await analyzeMomentum(context, options, universe);
        const sign = condition.event === 'momentum_crash' ? -1 : 1;
        const values = Array.from(zScores);
        return {
          dates: panel.dates,
          values,
          readings: values.map((z) => (Number.isNaN(z) ? 'unknown' : sign * z >= sigma ? 'holds' : 'clear')),
          valueLabel: 'z',
          fraction: false,
          gap: MOMENTUM_EPISODE_GAP,
        };
      }
      if (kind === 'split') return splitHistory(context, condition.event, condition.threshold);
      if (condition.event === QUADRANT_CHANGES) return quadrantHistory(context);
      const analysis = await analyzeBreadth(
        context,
        breadthOptionsSchema.parse({ universe: universe.name }),
        universe,
      );
      const found = breadthConditions(analysis).find((c) => c.id === condition.event);
      if (found === undefined)
        throw new TapewatchError('bad_input', `No breadth event "${condition.event}".`);
      const dates = analysis.panel.dates.slice(0, analysis.last + 1);
      return {
        dates,
        values: dates.map((_, t) => found.flags[t] ?? 0),
        readings: dates.map((_, t) =>
          !found.judged(t) ? 'unknown' : found.flags[t] === 1 ? 'holds' : 'clear',
        ),
        valueLabel: 'flag',
        fraction: false,
        gap: found.gap,
      };
    }
    case 'metric': {
      const series = await computeSeries(context, condition.series, universe);
      const values = Array.from(series.values);
      return {
        dates: series.dates,
        values,
        readings: values.map((v) => readThreshold(v, condition.comparison, condition.value)),
        valueLabel: condition.series,
        fraction: series.unit === 'fraction',
        gap: 1,
      };
    }
    case 'move':
    case 'price': {
      const bars = await context.marketData.getDailyBars(condition.symbol, historyRange(context), {
        ...(context.signal === undefined ? {} : { signal: context.signal }),
      });
      if (condition.kind === 'price') {
        const values = Array.from(bars.close);
        return {
          dates: bars.dates,
          values,
          readings: values.map((v) =>
            readThreshold(v > 0 ? v : Number.NaN, condition.comparison, condition.value),
          ),
          valueLabel: `${condition.symbol} close`,
          fraction: false,
          gap: 1,
        };
      }
      const values = bars.dates.map((_, t) => {
        const now = bars.adjClose[t] ?? Number.NaN;
        const before = t > 0 ? (bars.adjClose[t - 1] ?? Number.NaN) : Number.NaN;
        return now > 0 && before > 0 ? now / before - 1 : Number.NaN;
      });
      return {
        dates: bars.dates,
        values,
        readings: values.map((v) =>
          Number.isNaN(v) ? 'unknown' : Math.abs(v) >= condition.move ? 'holds' : 'clear',
        ),
        valueLabel: `${condition.symbol} change`,
        fraction: true,
        gap: 1,
      };
    }
  }
}

/** Quadrant changes on every session: how many sector ETFs are in another quadrant than a week before. */
async function quadrantHistory(context: ReportContext): Promise<ConditionHistory> {
  const analysis = await analyzeRotation(context, rotationOptionsSchema.parse({}));
  const dates = analysis.panel.dates.slice(0, analysis.last + 1);
  const changes = dates.map((_, t) => {
    let judged = 0;
    let changed = 0;
    for (const series of analysis.rotation.values()) {
      const { quadrant, previous } = weekOfQuadrants(series, t);
      if (quadrant === null || previous === null) continue;
      judged++;
      if (quadrant !== previous) changed++;
    }
    return judged === 0 ? Number.NaN : changed;
  });
  return {
    dates,
    values: changes,
    readings: changes.map((n) => (Number.isNaN(n) ? 'unknown' : n > 0 ? 'holds' : 'clear')),
    valueLabel: 'sectors changed',
    fraction: false,
    gap: 1,
  };
}

/** A pair split's history: each session flagged as the rotation report flags it, with the first leg's move. */
async function splitHistory(
  context: ReportContext,
  event: string,
  threshold: number | null,
): Promise<ConditionHistory> {
  const pair = PAIRS.find((p) => event === `split_${p.id}_up` || event === `split_${p.id}_down`);
  if (pair === undefined) throw new TapewatchError('bad_input', `No pair split "${event}".`);
  const splitThreshold = threshold ?? EVENT_THRESHOLDS.split.fallback;
  const analysis = await analyzeRotation(context, rotationOptionsSchema.parse({ splitThreshold }));
  const first = analysis.legs.get(pair.first);
  const second = analysis.legs.get(pair.second);
  if (first === undefined || second === undefined) {
    const absent = [first ? null : pair.first, second ? null : pair.second].filter(Boolean).join(' and ');
    throw new TapewatchError(
      'no_data',
      `${pair.label}: no data for ${absent}, so its splits cannot be read.`,
    );
  }
  const { firstReturns, flags, judged } = pairSplits(
    first,
    second,
    analysis.last,
    splitThreshold,
    event.endsWith('_up') ? 'up' : 'down',
  );
  const dates = analysis.panel.dates.slice(0, analysis.last + 1);
  return {
    dates,
    values: Array.from(firstReturns),
    readings: dates.map((_, t) => (!judged(t) ? 'unknown' : flags[t] === 1 ? 'holds' : 'clear')),
    valueLabel: `${pair.first} change`,
    fraction: true,
    gap: SPLIT_EPISODE_GAP,
  };
}

export interface ScanResult {
  readonly fired: readonly { readonly date: IsoDate; readonly value: number }[];
  /** Sessions in the range that could be read (not n/a). */
  readonly sessions: number;
}

/**
 * The days an alert created before `from` would have fired on up to `to`: its state runs from the first
 * session of the history, so an alert watching since before the range is not "new" on its first day.
 */
export function scanHistory(
  history: ConditionHistory,
  condition: AlertCondition,
  from: IsoDate,
  to: IsoDate,
): ScanResult {
  let state = NEW_ALERT_STATE;
  const fired: { date: IsoDate; value: number }[] = [];
  let sessions = 0;
  history.dates.forEach((date, t) => {
    if (date > to) return;
    const reading = history.readings[t] ?? 'unknown';
    const step = stepAlert(state, reading, condition, history.gap);
    state = step.state;
    if (date < from) return;
    if (reading !== 'unknown') sessions++;
    if (step.fire) fired.push({ date, value: history.values[t] ?? Number.NaN });
  });
  return { fired, sessions };
}

/** How a condition is kept in the user database: parseAlertCondition(text, threshold) gives it back. */
export function storedCondition(condition: AlertCondition): { text: string; threshold: number | null } {
  return condition.kind === 'event'
    ? { text: condition.event, threshold: condition.threshold }
    : { text: describeCondition(condition), threshold: null };
}

/** Whether a condition reads a universe (momentum and breadth) or fixed symbols (rotation, a symbol's prices). */
export function readsUniverse(condition: AlertCondition): boolean {
  if (condition.kind === 'event') {
    return thresholdKind(condition.event) !== 'split' && condition.event !== QUADRANT_CHANGES;
  }
  return condition.kind === 'metric' && !condition.series.startsWith('rotation.');
}

/**
 * The report an alert's post carries, as of the day it fired: the report the event or series belongs
 * to (its events with their history and base rates, its chart), or the symbol's chart for a price.
 */
export function alertReport(
  condition: AlertCondition,
  universe: string,
): { name: RequestName; options: Record<string, unknown> } {
  switch (condition.kind) {
    case 'event': {
      const kind = thresholdKind(condition.event);
      if (kind === 'split') return { name: 'rotation', options: { splitThreshold: condition.threshold } };
      if (condition.event === QUADRANT_CHANGES) return { name: 'rotation', options: {} };
      return kind === 'momentum'
        ? { name: 'momentum', options: { universe, eventSigma: condition.threshold } }
        : { name: 'breadth', options: { universe } };
    }
    case 'metric': {
      const report = condition.series.split('.')[0];
      return report === 'rotation'
        ? { name: 'rotation', options: {} }
        : { name: report === 'momentum' ? 'momentum' : 'breadth', options: { universe } };
    }
    case 'move':
    case 'price':
      return { name: 'chart', options: { symbol: condition.symbol } };
  }
}

/** What an evaluation did to one alert: its state after the sessions it read, and a firing if one came. */
export interface AlertProgress {
  readonly state: AlertState;
  /** The last session read. */
  readonly evaluatedThrough: IsoDate;
  /** The latest session in what was read on which the alert fired, with the value it quotes. */
  readonly fired: { readonly date: IsoDate; readonly value: number } | null;
}

/**
 * Steps an alert through the sessions of its condition's history it has not read yet, up to `through`.
 * A new alert (nothing read) starts at the latest session: it fires at once when its condition holds
 * there (a crossing waits for the other side first). Null when there is no new session to read.
 */
export function advanceAlert(
  alert: { readonly state: AlertState; readonly evaluatedThrough: IsoDate | null },
  condition: AlertCondition,
  history: ConditionHistory,
  through: IsoDate,
): AlertProgress | null {
  const unread: number[] = [];
  history.dates.forEach((date, t) => {
    if (date <= through && (alert.evaluatedThrough === null || date > alert.evaluatedThrough)) unread.push(t);
  });
  const start = alert.evaluatedThrough === null ? unread.slice(-1) : unread;
  let state = alert.state;
  let fired: AlertProgress['fired'] = null;
  for (const t of start) {
    const step = stepAlert(state, history.readings[t] ?? 'unknown', condition, history.gap);
    state = step.state;
    if (step.fire) fired = { date: history.dates[t] ?? '', value: history.values[t] ?? Number.NaN };
  }
  const last = start.at(-1);
  if (last === undefined) return null;
  return { state, evaluatedThrough: history.dates[last] ?? through, fired };
}

export const MAX_ALERTS_PER_SERVER = 25;
export const MAX_ALERTS_PER_USER = 10;

/** Where an alert's posts go: a server channel (made by Manage Server) or the user's own DMs. */
export type AlertTarget =
  | { readonly scope: 'server'; readonly guildId: string; readonly channelId: string }
  | { readonly scope: 'user'; readonly userId: string; readonly guildId: string | null };

export interface Alert {
  readonly id: number;
  readonly target: AlertTarget;
  readonly condition: AlertCondition;
  /** The universe an event or series is read on (a name or a symbol list); unused by prices. */
  readonly universe: string;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly state: AlertState;
  readonly evaluatedThrough: IsoDate | null;
  readonly lastFired: IsoDate | null;
  /** The session an intraday reading posted a firing for (the close then does not post it again). */
  readonly intradayFired: IsoDate | null;
  readonly lastOutcome: string | null;
  /** Set when its posts could no longer be delivered; the alert then stays off. */
  readonly disabledReason: string | null;
}

export interface NewAlert {
  readonly target: AlertTarget;
  readonly condition: AlertCondition;
  readonly universe: string;
  readonly createdBy: string;
}

const alertRowSchema = z.object({
  id: z.number().int(),
  scope: z.enum(['server', 'user']),
  guild_id: z.string().nullable(),
  channel_id: z.string().nullable(),
  user_id: z.string().nullable(),
  condition: z.string(),
  threshold: z.number().nullable(),
  universe: z.string(),
  created_by: z.string(),
  created_at: z.string(),
  armed: z.number().int().nullable(),
  clear_run: z.number().int(),
  evaluated_through: z.string().nullable(),
  last_fired: z.string().nullable(),
  intraday_fired: z.string().nullable(),
  last_outcome: z.string().nullable(),
  disabled_reason: z.string().nullable(),
});

function toAlert(row: unknown): Alert {
  const r = alertRowSchema.parse(row);
  const target: AlertTarget =
    r.scope === 'server'
      ? { scope: 'server', guildId: r.guild_id ?? '', channelId: r.channel_id ?? '' }
      : { scope: 'user', userId: r.user_id ?? '', guildId: r.guild_id };
  return {
    id: r.id,
    target,
    condition: parseAlertCondition(r.condition, r.threshold),
    universe: r.universe,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at),
    state: { armed: r.armed === null ? null : r.armed === 1, clearRun: r.clear_run },
    evaluatedThrough: r.evaluated_through,
    lastFired: r.last_fired,
    intradayFired: r.intraday_fired,
    lastOutcome: r.last_outcome,
    disabledReason: r.disabled_reason,
  };
}

/**
 * Alerts in the user database. An evaluation's result is written only by the process that read the
 * alert as it still is (compare-and-set on the last session read), so across restarts and several
 * processes each firing is claimed, and posted, once.
 */
export class AlertStore extends UserDatabaseTable {
  add(alert: NewAlert, now: Date): Alert {
    return this.run(() => {
      const { target } = alert;
      const count = (
        target.scope === 'server'
          ? this.db
              .prepare("SELECT COUNT(*) AS n FROM alerts WHERE scope = 'server' AND guild_id = ?")
              .get(target.guildId)
          : this.db
              .prepare("SELECT COUNT(*) AS n FROM alerts WHERE scope = 'user' AND user_id = ?")
              .get(target.userId)
      ) as { n: number };
      const limit = target.scope === 'server' ? MAX_ALERTS_PER_SERVER : MAX_ALERTS_PER_USER;
      if (count.n >= limit) {
        throw new TapewatchError(
          'bad_input',
          target.scope === 'server'
            ? `This server already has ${limit} alerts; remove one with /alert remove first.`
            : `You already have ${limit} alerts of your own; remove one with /alert remove first.`,
        );
      }
      const { text, threshold } = storedCondition(alert.condition);
      const row = this.db
        .prepare(
          `INSERT INTO alerts (scope, guild_id, channel_id, user_id, condition, threshold, universe, created_by,
             created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        )
        .get(
          target.scope,
          target.guildId,
          target.scope === 'server' ? target.channelId : null,
          target.scope === 'user' ? target.userId : null,
          text,
          threshold,
          alert.universe,
          alert.createdBy,
          now.toISOString(),
        );
      return toAlert(row);
    });
  }

  get(id: number): Alert | null {
    return this.run(() => {
      const row = this.db.prepare('SELECT * FROM alerts WHERE id = ?').get(id);
      return row === undefined ? null : toAlert(row);
    });
  }

  /** A server's channel alerts and, when userId is given, that user's own DM alerts. */
  visibleTo(guildId: string | null, userId: string): Alert[] {
    return this.run(() =>
      this.db
        .prepare(
          `SELECT * FROM alerts WHERE (scope = 'server' AND guild_id IS ?) OR (scope = 'user' AND user_id = ?)
           ORDER BY id`,
        )
        .all(guildId ?? '', userId)
        .map(toAlert),
    );
  }

  enabled(): Alert[] {
    return this.run(() =>
      this.db.prepare('SELECT * FROM alerts WHERE disabled_reason IS NULL ORDER BY id').all().map(toAlert),
    );
  }

  /** Enabled alerts that have not read the session `through` yet. */
  unreadThrough(through: IsoDate): Alert[] {
    return this.run(() =>
      this.db
        .prepare(
          `SELECT * FROM alerts WHERE disabled_reason IS NULL
             AND (evaluated_through IS NULL OR evaluated_through < ?) ORDER BY id`,
        )
        .all(through)
        .map(toAlert),
    );
  }

  remove(id: number): boolean {
    return this.run(() => this.db.prepare('DELETE FROM alerts WHERE id = ?').run(id).changes === 1);
  }

  /**
   * Writes what an evaluation found, if the alert is still as it was read (the same last session read):
   * true for the one caller whose write took, which alone may post a firing.
   */
  advance(alert: Alert, progress: AlertProgress, outcome: string | null): boolean {
    return this.run(
      () =>
        this.db
          .prepare(
            `UPDATE alerts SET armed = ?, clear_run = ?, evaluated_through = ?,
               last_fired = COALESCE(?, last_fired), last_outcome = COALESCE(?, last_outcome)
             WHERE id = ? AND disabled_reason IS NULL AND evaluated_through IS ?`,
          )
          .run(
            progress.state.armed === null ? null : Number(progress.state.armed),
            progress.state.clearRun,
            progress.evaluatedThrough,
            progress.fired?.date ?? null,
            outcome,
            alert.id,
            alert.evaluatedThrough,
          ).changes === 1,
    );
  }

  /** Claims the intraday post of a session's firing: true once per alert and session, across processes. */
  claimIntraday(id: number, session: IsoDate): boolean {
    return this.run(
      () =>
        this.db
          .prepare(
            `UPDATE alerts SET intraday_fired = ? WHERE id = ? AND disabled_reason IS NULL
               AND (intraday_fired IS NULL OR intraday_fired < ?) AND (last_fired IS NULL OR last_fired < ?)`,
          )
          .run(session, id, session, session).changes === 1,
    );
  }

  recordOutcome(id: number, outcome: string): void {
    this.run(() => this.db.prepare('UPDATE alerts SET last_outcome = ? WHERE id = ?').run(outcome, id));
  }

  disable(id: number, reason: string): void {
    this.run(() =>
      this.db
        .prepare('UPDATE alerts SET disabled_reason = ?, last_outcome = ? WHERE id = ?')
        .run(reason, reason, id),
    );
  }
}

/** The value an alert quotes, as a reader reads it: a return in percent, else as it is to two decimals. */
export function alertValueText(history: Pick<ConditionHistory, 'fraction'>, value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (history.fraction) return formatPercent(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/**
 * The base rate behind a firing: how often the alert would have fired over the history read before
 * it, so "rare" is a number. `before` is the firing's day, left out of the count.
 */
export function alertBaseRate(
  history: ConditionHistory,
  condition: AlertCondition,
  before: IsoDate,
): { text: string; previous: IsoDate | null } {
  const first = history.dates.find((_, t) => history.readings[t] !== 'unknown');
  if (first === undefined || first >= before)
    return { text: 'It has no history before this day to compare with.', previous: null };
  const until = history.dates.filter((date) => date < before).at(-1) ?? first;
  const { fired, sessions } = scanHistory(history, condition, first, until);
  const years = sessions / 252;
  const previous = fired.at(-1)?.date ?? null;
  const count = sessions.toLocaleString('en-US');
  if (previous === null) {
    return { text: `It did not fire on any of the ${count} sessions since ${first}.`, previous };
  }
  const rate = years >= 1 ? ` (about ${(fired.length / years).toFixed(1)} a year)` : '';
  return {
    text: `Since ${first} it would have fired on ${fired.length} of ${count} sessions${rate}, last on ${previous}.`,
    previous,
  };
}
