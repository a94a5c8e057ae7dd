import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  describeForward,
  findEpisodes,
  forwardStats,
  forwardStudy,
  severityOf,
  verdictOf,
  type ForwardStudy,
} from '../../src/reports/events.ts';

const always = () => true;

describe('episodes of a condition', () => {
  it('chains flags within the gap into one episode and keeps the running one out of the earlier ones', () => {
    //           0  1  2  3  4  5  6  7  8  9 10 11 12 13
    const flags = [0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1];
    const episodes = findEpisodes(flags, always, 3, 13);
    // 1-2 is one episode; 7 starts another (5 sessions after 2); 12-13 (5 after 7) is today's.
    assert.deepEqual(episodes.earlier, [1, 7]);
    assert.equal(episodes.current, 12);
    assert.equal(episodes.flaggedDays, 5);
    assert.equal(episodes.judgedDays, 14);
  });

  it("counts a run chained into today's flag as today's episode, however early it started", () => {
    // Flags every 3 sessions from 2 on, with a gap of 3: one long run that is still going.
    const flags = [0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1];
    const episodes = findEpisodes(flags, always, 3, 11);
    assert.equal(episodes.current, 2);
    assert.deepEqual(episodes.earlier, []);
  });

  it('has no running episode when the last flag is older than the last five sessions', () => {
    const flags = [1, 0, 0, 0, 0, 0, 0, 0];
    const episodes = findEpisodes(flags, always, 2, 7);
    assert.equal(episodes.current, null);
    assert.deepEqual(episodes.earlier, [0]);
  });

  it('counts rarity and "since" only over the sessions the condition could be judged on', () => {
    const flags = [1, 1, 0, 1, 0, 0];
    const judged = (t: number) => t >= 2;
    const episodes = findEpisodes(flags, judged, 1, 5);
    assert.equal(episodes.firstJudged, 2);
    assert.equal(episodes.judgedDays, 4);
    assert.equal(episodes.flaggedDays, 1, 'flags before the inputs exist are not flags');
  });
});

describe('what followed, against any day', () => {
  // Prices that rise 1% a session, with a drop of 10% from session 10 to 11.
  const prices = Array.from({ length: 30 }, (_, t) => 100 * 1.01 ** t * (t >= 11 ? 0.9 : 1));

  it('measures the forward return of each episode start whose window has closed by the last session', () => {
    const study = forwardStudy(prices, [2, 8, 26], 0, 29);
    // From 2 the 5-session window holds no drop: 1.01^5 - 1. From 8 it holds the drop: 1.01^5 × 0.9 - 1.
    // From 26 the window would end at 31, after the last session: left out (no look-ahead).
    const up = 1.01 ** 5 - 1;
    const down = 1.01 ** 5 * 0.9 - 1;
    assert.equal(study.episodes[5].count, 2);
    assert.ok(Math.abs(study.episodes[5].median - (up + down) / 2) < 1e-12);
    assert.equal(study.episodes[5].positive, 0.5);
    assert.equal(study.episodes[21].count, 2, 'from 2 and 8, both ending by 29');
    assert.equal(study.episodes[63].count, 0);
  });

  it('takes the baseline over every session from the first judged one, with the same no-look-ahead rule', () => {
    const study = forwardStudy(prices, [], 3, 29);
    // Sessions 3..24 have a 5-session window; those from 6 to 10 hold the drop.
    assert.equal(study.baseline[5].count, 22);
    assert.ok(Math.abs(study.baseline[5].positive - 17 / 22) < 1e-12);
    assert.ok(Math.abs(study.baseline[5].median - (1.01 ** 5 - 1)) < 1e-12);
  });

  it('names its stats with baseline in the name, and n/a as null', () => {
    const stats = forwardStats(forwardStudy(prices, [2], 0, 29), 'factor_');
    assert.equal(stats.factor_fwd_63d_median, null);
    assert.equal(stats.factor_fwd_5d_count, 1);
    assert.equal(typeof stats.factor_baseline_21d_median, 'number');
  });
});

describe('verdicts and severity', () => {
  function study(median: number, positive: number, count: number): ForwardStudy {
    const stats = { median, positive, count };
    const base = { median: 0.015, positive: 0.62, count: 4000 };
    return {
      episodes: { 5: stats, 21: stats, 63: stats },
      baseline: { 5: base, 21: base, 63: base },
    };
  }

  it('calls episodes better or worse only by half a point on the median and more or fewer rises', () => {
    assert.equal(verdictOf(study(0.03, 0.8, 20)), 'better');
    assert.equal(verdictOf(study(0.03, 0.6, 20)), 'same', 'a higher median alone is not enough');
    assert.equal(verdictOf(study(0.016, 0.64, 29)), 'same', "the S&P thrust's +1.6% against +1.5%");
    assert.equal(verdictOf(study(-0.01, 0.4, 20)), 'worse');
    assert.equal(verdictOf(study(0.1, 1, 4)), 'too_few');
  });

  it('says it in words, with counts and the baseline', () => {
    assert.equal(
      describeForward('SPY', study(0.016, 0.64, 29), 29, '2005-02-01'),
      "After the 29 earlier episodes since 2005-02-01, SPY's median return over the next 21 sessions was +1.60% (up 64% of the time), against +1.50% (up 62%) after any day: no different from an ordinary day.",
    );
  });

  it('grades severity by rarity: at most 1% of sessions extreme, at most 5% notable', () => {
    assert.equal(severityOf(40, 4000), 'extreme');
    assert.equal(severityOf(41, 4000), 'notable');
    assert.equal(severityOf(200, 4000), 'notable');
    assert.equal(severityOf(201, 4000), 'info');
  });
});
