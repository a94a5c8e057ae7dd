import { median } from '../indicators/rolling.ts';
import type { IsoDate } from '../market/types.ts';
import { formatPercent } from './format.ts';
import type { Severity } from './types.ts';

/**
 * What history says about an event: its earlier episodes, what followed them, and what followed any
 * day. Every event that cites history goes through here, so "rare" and "followed by gains" are measured
 * the same way everywhere and only said when the data earns them.
 */

/** Sessions after an episode's first day over which what followed is measured. */
export const FORWARD_HORIZONS = [5, 21, 63] as const;
export type Horizon = (typeof FORWARD_HORIZONS)[number];

/** The horizon the verdict ("better than an ordinary day") is read on. */
const VERDICT_HORIZON: Horizon = 21;
/** Fewer earlier episodes than this and the history is too thin for a verdict. */
const MIN_EPISODES_FOR_VERDICT = 5;
/** How far the episodes' median must beat (or trail) an ordinary day's, in return, for a verdict. */
const VERDICT_MARGIN = 0.005;

/** A flagged session within this many sessions of the report's day makes the event current. */
const RECENT_SESSIONS = 5;

/** An event's condition over a report's history: which sessions meet it and how its episodes chain. */
export interface EventCondition {
  readonly id: string;
  /** 1 on the sessions that meet the condition. */
  readonly flags: Uint8Array;
  /** Whether the condition could be judged on a session (its inputs exist). */
  readonly judged: (t: number) => boolean;
  /** Flags closer than this many sessions to the previous one continue its episode. */
  readonly gap: number;
  readonly title: string;
  /** The condition in words, for the event's detail. */
  readonly condition: string;
  readonly stats: Record<string, number | null>;
}

export interface Episodes {
  /** First session of the episode running on the report's day; null when none is. */
  readonly current: number | null;
  /** First sessions of the episodes before it, oldest first: never the running one. */
  readonly earlier: readonly number[];
  /** Sessions flagged, and sessions on which the condition could be judged (its inputs existed). */
  readonly flaggedDays: number;
  readonly judgedDays: number;
  /** The first session the condition could be judged on: "since" counts from here. */
  readonly firstJudged: number;
}

/**
 * Episodes of a condition up to `last`: a flagged session more than `gap` sessions after the previous
 * flagged one starts a new episode, so a run of flags (a week-long washout, a crash and its aftershock)
 * counts once. The episode whose last flag is within RECENT_SESSIONS of `last` is the running one, and
 * the earlier episodes are the ones before it. `judged[t]` says whether the condition could be judged
 * on session t (its inputs exist): rarity and "since" count only those sessions.
 */
export function findEpisodes(
  flags: ArrayLike<number>,
  judged: (t: number) => boolean,
  gap: number,
  last: number,
): Episodes {
  const starts: number[] = [];
  let previous = Number.NEGATIVE_INFINITY;
  let flaggedDays = 0;
  let judgedDays = 0;
  let firstJudged = -1;
  for (let t = 0; t <= last; t++) {
    if (!judged(t)) continue;
    judgedDays++;
    if (firstJudged < 0) firstJudged = t;
    if (flags[t] !== 1) continue;
    flaggedDays++;
    if (t - previous > gap) starts.push(t);
    previous = t;
  }
  const running = previous > last - RECENT_SESSIONS && starts.length > 0;
  return {
    current: running ? (starts.at(-1) ?? null) : null,
    earlier: running ? starts.slice(0, -1) : starts,
    flaggedDays,
    judgedDays,
    firstJudged,
  };
}

export interface ForwardStats {
  readonly median: number;
  /** Share of the returns above zero. */
  readonly positive: number;
  readonly count: number;
}

export interface ForwardStudy {
  readonly episodes: Readonly<Record<Horizon, ForwardStats>>;
  readonly baseline: Readonly<Record<Horizon, ForwardStats>>;
}

function statsOf(returns: readonly number[]): ForwardStats {
  return {
    median: median(returns),
    positive: returns.length === 0 ? Number.NaN : returns.filter((r) => r > 0).length / returns.length,
    count: returns.length,
  };
}

/**
 * Returns from the close of each start to the close `h` sessions later, for starts whose window ends by
 * `last` (no look-ahead: a window still open on the report's day is left out), beside the same for every
 * session from `from` on: the unconditional baseline over the same history.
 */
export function forwardStudy(
  prices: ArrayLike<number>,
  starts: readonly number[],
  from: number,
  last: number,
): ForwardStudy {
  const forward = (t: number, h: number): number => {
    const start = prices[t] ?? Number.NaN;
    const end = prices[t + h] ?? Number.NaN;
    return start > 0 && end > 0 ? end / start - 1 : Number.NaN;
  };
  const study = (days: Iterable<number>, h: number): ForwardStats => {
    const returns: number[] = [];
    for (const t of days) {
      if (t + h > last) continue;
      const r = forward(t, h);
      if (!Number.isNaN(r)) returns.push(r);
    }
    return statsOf(returns);
  };
  function* everyDay(): Generator<number> {
    for (let t = Math.max(0, from); t <= last; t++) yield t;
  }
  const episodes = {} as Record<Horizon, ForwardStats>;
  const baseline = {} as Record<Horizon, ForwardStats>;
  for (const h of FORWARD_HORIZONS) {
    episodes[h] = study(starts, h);
    baseline[h] = study(everyDay(), h);
  }
  return { episodes, baseline };
}

/** The study as report stats: `fwd_21d_median`, `baseline_21d_median`, … with `prefix` for a second series. */
export function forwardStats(study: ForwardStudy, prefix = ''): Record<string, number | null> {
  const stats: Record<string, number | null> = {};
  const finite = (value: number) => (Number.isFinite(value) ? value : null);
  for (const h of FORWARD_HORIZONS) {
    const episode = study.episodes[h];
    const base = study.baseline[h];
    stats[`${prefix}fwd_${h}d_median`] = finite(episode.median);
    stats[`${prefix}fwd_${h}d_positive`] = finite(episode.positive);
    stats[`${prefix}fwd_${h}d_count`] = episode.count;
    stats[`${prefix}baseline_${h}d_median`] = finite(base.median);
    stats[`${prefix}baseline_${h}d_positive`] = finite(base.positive);
    stats[`${prefix}baseline_${h}d_count`] = base.count;
  }
  return stats;
}

export type Verdict = 'better' | 'worse' | 'same' | 'too_few';

/**
 * Whether what followed the episodes beats an ordinary day, on the 21-session horizon: better when the
 * median beats the baseline's by half a point or more and rose more often; worse the other way round;
 * otherwise the same. Under five episodes there is no verdict.
 */
export function verdictOf(study: ForwardStudy): Verdict {
  const episode = study.episodes[VERDICT_HORIZON];
  const base = study.baseline[VERDICT_HORIZON];
  if (episode.count < MIN_EPISODES_FOR_VERDICT) return 'too_few';
  const lead = episode.median - base.median;
  if (lead >= VERDICT_MARGIN && episode.positive > base.positive) return 'better';
  if (lead <= -VERDICT_MARGIN && episode.positive < base.positive) return 'worse';
  return 'same';
}

const VERDICT_WORDS: Record<Verdict, string> = {
  better: 'better than after an ordinary day',
  worse: 'worse than after an ordinary day',
  same: 'no different from an ordinary day',
  too_few: 'too few episodes to tell from an ordinary day',
};

/**
 * One sentence of what followed: "After the 28 earlier episodes since 2005-02-01, SPY's median return
 * over the next 21 sessions was +1.6% (up 64% of the time), against +1.5% (up 62%) after any day: no
 * different from an ordinary day."
 */
export function describeForward(
  what: string,
  study: ForwardStudy,
  earlier: number,
  since: IsoDate,
  /** A second sentence about the same episodes: "After them, …". */
  again = false,
): string {
  const episode = study.episodes[VERDICT_HORIZON];
  const base = study.baseline[VERDICT_HORIZON];
  const episodes = `${earlier} earlier episode${earlier === 1 ? '' : 's'} since ${since}`;
  if (episode.count === 0) {
    if (again) return '';
    return `${capitalize(episodes)}; none has ${VERDICT_HORIZON} sessions after it in the data yet, so nothing can be said about what followed.`;
  }
  const share = (value: number) => `${Math.round(value * 100)}%`;
  const counted =
    episode.count === earlier ? '' : ` (${episode.count} with ${VERDICT_HORIZON} sessions after them)`;
  return (
    `${again ? 'After them' : `After the ${episodes}${counted}`}, ${what}'s median return over the next ${VERDICT_HORIZON} sessions was ` +
    `${formatPercent(episode.median)} (up ${share(episode.positive)} of the time), against ` +
    `${formatPercent(base.median)} (up ${share(base.positive)}) after any day: ${VERDICT_WORDS[verdictOf(study)]}.`
  );
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Severity from rarity in the available history: a condition met on at most 1% of the sessions it could
 * be judged on is extreme, at most 5% notable, more often information.
 */
export function severityOf(flaggedDays: number, judgedDays: number): Severity {
  if (judgedDays <= 0) return 'info';
  const share = flaggedDays / judgedDays;
  if (share <= 0.01) return 'extreme';
  if (share <= 0.05) return 'notable';
  return 'info';
}

/** "on 1.0% of 4,123 sessions", for texts that state a condition's rarity. */
export function describeRarity(flaggedDays: number, judgedDays: number): string {
  const share = judgedDays > 0 ? (100 * flaggedDays) / judgedDays : Number.NaN;
  return `on ${flaggedDays} of ${judgedDays.toLocaleString('en-US')} sessions (${share.toFixed(1)}%)`;
}
