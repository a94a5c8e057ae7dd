import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { analyzeMomentum, momentumOptionsSchema } from '../../commands/momentum.ts';
import { computeSeries } from '../../commands/series.ts';
import { TapewatchError } from '../../src/errors.ts';
import { correlation } from '../../src/indicators/rolling.ts';
import { type ReportContext } from '../../src/reports/context.ts';
import { SyntheticMarket } from '../fakes/synthetic-market.ts';
import { paired, referenceSeries } from '../helpers/reference.ts';
import { buildReport } from '../helpers/reports.ts';
import { realHistory, sharedPath, SKIP_WITHOUT_SHARED_DATA } from '../helpers/shared-data.ts';

describe('momentum report on real history', { skip: SKIP_WITHOUT_SHARED_DATA }, () => {
  const { sp500Folder, context, sp500Universe } = realHistory();

  it('tracks the French momentum factor: daily returns correlate above 0.85 over 2005-2021', async () => {
    const analysis = await analyzeMomentum(
      context('2021-04-21'),
      momentumOptionsSchema.parse({ universe: sp500Folder }),
      sp500Universe(),
    );
    const [ours, french] = paired(
      analysis.panel.dates,
      analysis.factor.longShort,
      referenceSeries('french_momentum_daily.csv', 0.01),
    );
    assert.ok(ours.length > 4000, `compared ${ours.length} days`);
    // Measured 0.925: our factor is equal-weight S&P 500 stocks, French's value-weight all US stocks.
    const r = correlation(ours, french);
    assert.ok(r > 0.85, `correlation with the French factor is ${r.toFixed(3)}`);
  });

  it('reports the 2020-11-09 momentum crash as an extreme event with its event study', async () => {
    const report = await buildReport(context('2020-11-09'), 'momentum', { universe: sp500Folder });
    assert.equal(report.asOf, '2020-11-09');
    const day = report.metrics.ls_return_1d ?? 0;
    // French's factor lost 14.4% that day; ours, on large caps, about 19%.
    assert.ok(day < -0.1, `long-short return ${day}`);
    assert.ok((report.metrics.ls_return_1d_z ?? 0) <= -3);
    assert.ok(
      (report.metrics.short_leg_return_1d ?? 0) > 0.1,
      'the losers (energy, travel) soared on the vaccine news',
    );
    const crash = report.events.find((e) => e.id === 'momentum_crash');
    assert.ok(crash, 'a crash event');
    assert.equal(crash.severity, 'extreme');
    assert.ok(
      crash.earlierDates.includes('2009-04-09') || crash.earlierDates.some((d) => d.startsWith('2009-')),
      '2009 held the last great momentum crash',
    );
    assert.ok((crash.stats.days_as_extreme ?? -1) === 0, 'no earlier day was as bad');
    assert.equal(report.metrics.mtum_vs_spy_1d !== null, true, 'MTUM is in prices/etf');
  });

  it('shows on a month-end the legs held that day, not the ones formed that evening', async () => {
    const report = await buildReport(context('2021-03-31'), 'momentum', { universe: sp500Folder });
    const leaders = report.tables.find((t) => t.id === 'leaders');
    assert.ok(leaders);
    const csv = (symbol: string) =>
      new Map(
        readFileSync(sharedPath('prices', 'sp500', `${symbol}.csv`), 'utf8')
          .trim()
          .split('\n')
          .slice(1)
          .map((row) => [row.split(',')[0] ?? '', Number(row.split(',')[5])]),
      );
    for (const row of leaders.rows.slice(0, 3)) {
      const closes = csv(String(row[0]));
      const since = (closes.get('2021-03-31') ?? 0) / (closes.get('2021-02-26') ?? 1) - 1;
      assert.ok(Math.abs(Number(row[3]) - since) < 1e-9, `${String(row[0])} since the 2021-02-26 formation`);
    }
    assert.ok(
      leaders.rows.some((row) => row[3] !== 0),
      'not the all-zero legs formed that evening',
    );
    assert.ok(report.notes.some((n) => n.startsWith('Legs formed at the close of 2021-02-26')));
    assert.ok(report.notes.some((n) => n.startsWith("New legs were formed at today's close")));
  });

  it("counts the crash's rarity in returns, and what followed earlier crashes against any day, from the exported series", async () => {
    const report = await buildReport(context('2020-11-10'), 'momentum', { universe: sp500Folder });
    const series = await computeSeries(context('2020-11-10'), 'momentum.long_short', sp500Universe());
    const z = await computeSeries(context('2020-11-10'), 'momentum.z', sp500Universe());
    const day = series.dates.indexOf('2020-11-09');
    const crash = (
      await buildReport(context('2020-11-09'), 'momentum', { universe: sp500Folder })
    ).events.find((e) => e.id === 'momentum_crash');
    assert.ok(crash);
    // The factor's own exported series: sessions with a z-score, and the ones at least as bad as the day.
    const judged = series.dates.flatMap((_, t) =>
      t < day && !Number.isNaN(z.values[t] ?? Number.NaN) ? [t] : [],
    );
    const asBad = judged.filter((t) => (series.values[t] ?? 0) <= (series.values[day] ?? 0));
    assert.equal(crash.stats.days_in_history, judged.length);
    assert.equal(crash.stats.days_as_extreme, asBad.length);
    assert.match(
      crash.detail,
      new RegExp(
        `^0 of the ${judged.length.toLocaleString('en-US')} earlier sessions since ${series.dates[judged[0] ?? 0]} had a long-short return as low as today's`,
      ),
    );
    assert.match(crash.detail, /in z-scores against the past year/);
    // What the factor did over the 21 sessions after each earlier episode, compounded from the series.
    const growth = (from: number, to: number) => {
      let g = 1;
      for (let t = from + 1; t <= to; t++) g *= 1 + (series.values[t] ?? 0);
      return g - 1;
    };
    const after = crash.earlierDates
      .map((date) => series.dates.indexOf(date))
      .filter((t) => t + 21 <= day)
      .map((t) => growth(t, t + 21))
      .sort((a, b) => a - b);
    const middle =
      after.length % 2 === 1
        ? (after[(after.length - 1) / 2] ?? 0)
        : ((after[after.length / 2 - 1] ?? 0) + (after[after.length / 2] ?? 0)) / 2;
    assert.ok(Math.abs((crash.stats.factor_fwd_21d_median ?? Number.NaN) - middle) < 1e-9);
    assert.equal(crash.stats.factor_fwd_21d_count, after.length);
    assert.equal(typeof crash.stats.baseline_21d_median, 'number', 'and SPY after any day');
    // The day after, the crash is still the running episode: 2020-11-09 is not an earlier one.
    const next = report.events.find((e) => e.id === 'momentum_crash');
    if (next) assert.ok(!next.earlierDates.includes('2020-11-09'));
  });
});

/**
 * Ten stocks with returns set by rule: W1 and W2 (the winners) earn 0.2% a day plus 0.1% on even
 * sessions and minus 0.1% on odd ones, L1 and L2 (the losers) lose 0.1% a day, and six others drift
 * between them; all share a small market wave. A 12-1 ranking with 20% legs then holds W1, W2 long and
 * L1, L2 short at every formation, so the factor's return on session t is worked out by hand:
 * (0.002 ± 0.001) − (−0.001) = 0.003 ± 0.001, the market wave cancelling out.
 */
describe('momentum report on a market worked out by hand', () => {
  const wave = (t: number) => 0.0005 * Math.sin(t / 7);
  const swing = (t: number) => (t % 2 === 0 ? 0.001 : -0.001);
  const rules = {
    W1: (t: number) => wave(t) + 0.002 + swing(t),
    W2: (t: number) => wave(t) + 0.002 + swing(t),
    L1: (t: number) => wave(t) - 0.001,
    L2: (t: number) => wave(t) - 0.001,
    ...Object.fromEntries(
      ['M1', 'M2', 'M3', 'M4', 'M5', 'M6'].map((symbol, i) => [symbol, (t: number) => wave(t) + 0.0001 * i]),
    ),
  };
  const market = new SyntheticMarket(rules, '2021-01-04', '2024-06-28');
  const context: ReportContext = { marketData: market, endDate: '2024-06-28' };
  const universe = Object.keys(rules).join(',');
  const factorReturn = (t: number) => 0.003 + swing(t);

  it('fills every headline metric with the value worked out by hand', async () => {
    const report = await buildReport(context, 'momentum', { universe });
    const last = market.dates.length - 1;
    assert.equal(report.asOf, '2024-06-28');
    assert.equal(report.asOf, market.dates[last]);
    const close = (actual: number | null | undefined, expected: number, what: string) => {
      assert.ok(
        actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-9,
        `${what}: ${actual} against ${expected}`,
      );
    };
    assert.equal(report.metrics.long_leg_size, 2, 'floor(10 × 0.2) winners');
    assert.equal(report.metrics.short_leg_size, 2);
    close(report.metrics.long_leg_return_1d, wave(last) + 0.002 + swing(last), 'long leg');
    close(report.metrics.short_leg_return_1d, wave(last) - 0.001, 'short leg');
    close(report.metrics.ls_return_1d, factorReturn(last), 'long-short, 1 day');
    let fiveDays = 1;
    for (let t = last - 4; t <= last; t++) fiveDays *= 1 + factorReturn(t);
    close(report.metrics.ls_return_5d, fiveDays - 1, 'long-short, 5 days');
    const yearBase = market.dates.findLastIndex((d) => d < '2024-01-01');
    let ytd = 1;
    for (let t = yearBase + 1; t <= last; t++) ytd *= 1 + factorReturn(t);
    close(report.metrics.ls_return_ytd, ytd - 1, 'long-short, year to date');
    // Every day earns 0.2% or 0.4%: the factor never falls, so it is always at its peak.
    close(report.metrics.ls_drawdown, 0, 'drawdown');
    // The previous 252 returns are 126 of 0.004 and 126 of 0.002: sample sd 0.001 × √(252/251).
    close(report.metrics.ls_return_1d_z, factorReturn(last) / (0.001 * Math.sqrt(252 / 251)), 'z-score');
    // W1 and W2 move identically: their returns correlate perfectly.
    close(report.metrics.long_leg_crowding_63d, 1, 'crowding');
    const leaders = report.tables[0];
    assert.deepEqual(leaders?.rows.map((row) => row[0]).sort(), ['W1', 'W2']);
    const one = await buildReport(context, 'momentum', { universe, rows: 1 });
    assert.equal(one.tables[0]?.rows.length, 1, 'rows: 1 lists one stock per leg');
  });

  it('refuses a universe too small to sort into legs before loading anything, naming the count', async () => {
    await assert.rejects(
      buildReport(context, 'momentum', { universe: 'W1,W2,L1' }),
      (error: unknown) =>
        error instanceof TapewatchError &&
        error.code === 'not_enough_data' &&
        /"W1,W2,L1" has 3 members; the momentum factor needs at least 10/.test(error.message),
    );
    // Ten listed, three with data: refused once the data shows it.
    await assert.rejects(
      buildReport(context, 'momentum', { universe: 'W1,W2,L1,X1,X2,X3,X4,X5,X6,X7' }),
      (error: unknown) =>
        error instanceof TapewatchError &&
        error.code === 'not_enough_data' &&
        /has 3 members with data.*at least 10/.test(error.message),
    );
  });

  it('refuses a lookback longer than the history', async () => {
    const short: ReportContext = { ...context, endDate: '2021-12-31' };
    await assert.rejects(
      buildReport(short, 'momentum', { universe }),
      (error: unknown) =>
        error instanceof TapewatchError &&
        error.code === 'not_enough_data' &&
        /needs at least 273 sessions/.test(error.message),
    );
  });
});
