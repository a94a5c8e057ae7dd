import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { analyzeBreadth, breadthOptionsSchema } from '../../commands/breadth.ts';
import { correlation } from '../../src/indicators/rolling.ts';
import { templateSummary } from '../../src/llm/template.ts';
import { DemoMarketData } from '../../src/market/demo.ts';
import { type ReportContext } from '../../src/reports/context.ts';
import type { Report } from '../../src/reports/types.ts';
import { mean } from '../helpers/math.ts';
import { paired, referenceSeries } from '../helpers/reference.ts';
import { buildReport, testPolicy } from '../helpers/reports.ts';
import { realHistory, sharedPath, SKIP_WITHOUT_SHARED_DATA } from '../helpers/shared-data.ts';
import { CsvMarketData } from '../../src/market/csv.ts';
import { resolveUniverse } from '../../src/universes/index.ts';

describe('breadth report on real history', { skip: SKIP_WITHOUT_SHARED_DATA }, () => {
  const { sp500Folder, context, sp500Universe } = realHistory();

  it('matches the published share of S&P 500 stocks above their 200-day average', async () => {
    const analysis = await analyzeBreadth(
      context('2021-04-21'),
      breadthOptionsSchema.parse({ universe: sp500Folder }),
      sp500Universe(),
    );
    const [ours, published] = paired(
      analysis.panel.dates,
      analysis.breadth.pctAbove[200],
      referenceSeries('sp500_pct_above_200d.csv'),
    );
    assert.ok(ours.length > 3000, `compared ${ours.length} days`);
    const r = correlation(ours, published);
    const meanGap = ours.reduce((sum, v, i) => sum + Math.abs(v - (published[i] ?? 0)), 0) / ours.length;
    // Measured: r 0.993, mean gap 2.9 points (our members are the 2021 list, so history is survivor-biased).
    assert.ok(r > 0.98, `correlation ${r.toFixed(4)}`);
    assert.ok(meanGap < 4, `mean gap ${meanGap.toFixed(2)} points`);
  });
});

describe('breadth events on real history', { skip: SKIP_WITHOUT_SHARED_DATA }, () => {
  const { sp500Folder, context } = realHistory();
  const breadthOn = (day: string) => buildReport(context(day), 'breadth', { universe: sp500Folder });
  const eventOf = (report: Report, id: string) => {
    const event = report.events.find((e) => e.id === id);
    assert.ok(event, `${id} on ${report.asOf}; events: ${report.events.map((e) => e.id).join(', ')}`);
    return event;
  };

  /** SPY's adjusted closes read straight from its file: the independent side of each comparison. */
  function spyCloses(): Map<string, number> {
    const rows = readFileSync(sharedPath('prices', 'etf', 'SPY.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    return new Map(rows.map((row) => [row.split(',')[0] ?? '', Number(row.split(',')[5])]));
  }
  /** Median and share above zero of SPY's return over `h` sessions after each day, ending by `last`. */
  function forwardFromFile(days: readonly string[], h: number, last: string) {
    const closes = spyCloses();
    const dates = [...closes.keys()];
    const returns: number[] = [];
    for (const day of days) {
      const t = dates.indexOf(day);
      const end = dates[t + h];
      if (t < 0 || end === undefined || end > last) continue;
      returns.push((closes.get(end) ?? Number.NaN) / (closes.get(day) ?? Number.NaN) - 1);
    }
    const sorted = [...returns].sort((a, b) => a - b);
    const mid = sorted.length / 2;
    const median =
      sorted.length % 2 === 1
        ? (sorted[Math.floor(mid)] ?? 0)
        : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
    return { median, positive: returns.filter((r) => r > 0).length / returns.length, count: returns.length };
  }

  it("leaves today's episode out of the earlier ones (washouts of 2008-10-10 and 2020-03-23, the 2015-10-07 thrust)", async () => {
    for (const [day, id, sameRun] of [
      ['2008-10-10', 'washout', '2008-08-25'],
      ['2020-03-23', 'washout', '2020-01-31'],
      ['2015-10-07', 'zweig_breadth_thrust', '2015-09-16'],
    ] as const) {
      const event = eventOf(await breadthOn(day), id);
      assert.ok(!event.earlierDates.includes(sameRun), `${day}: ${sameRun} starts the same run`);
      assert.ok(
        event.earlierDates.every((date) => date < sameRun),
        `${day}: every earlier episode ended before today's began (last ${event.earlierDates.at(-1)})`,
      );
      assert.equal(event.stats.earlier_episodes, event.earlierDates.length);
    }
  });

  it('gives what SPY did after the earlier thrusts beside any day, as recomputed from its file', async () => {
    const report = await breadthOn('2015-10-07');
    const event = eventOf(report, 'zweig_breadth_thrust');
    const episodes = forwardFromFile(event.earlierDates, 21, report.asOf);
    assert.ok(episodes.count >= 5, `${episodes.count} episodes`);
    assert.ok(Math.abs((event.stats.fwd_21d_median ?? Number.NaN) - episodes.median) < 1e-9);
    assert.ok(Math.abs((event.stats.fwd_21d_positive ?? Number.NaN) - episodes.positive) < 1e-9);
    assert.equal(event.stats.fwd_21d_count, episodes.count);
    // The baseline is every day SPY has from when the thrust can first be judged.
    const closes = [...spyCloses().keys()].filter((d) => d <= report.asOf);
    const baseline = forwardFromFile(closes, 21, report.asOf);
    assert.ok(Math.abs((event.stats.baseline_21d_median ?? Number.NaN) - baseline.median) < 1e-9);
    assert.equal(event.stats.baseline_21d_count, baseline.count);
  });

  it('states the measured share in the title and the template headline, not the threshold', async () => {
    const report = await breadthOn('2020-10-02');
    const event = eventOf(report, 'broad_day_index_down');
    const beat = report.metrics.pct_outperforming_index_1d ?? 0;
    assert.ok(beat >= 75 && Math.abs(beat - 79.5) < 0.05, `${beat}% beat SPY on 2020-10-02`);
    assert.equal(event.title, `${beat.toFixed(1)}% of members beat a falling index`);
    assert.equal(
      templateSummary(report, [], null).headline,
      `${beat.toFixed(1)}% of members beat a falling index.`,
    );
    // Five such days in 17 years: extreme by rarity.
    assert.equal(event.severity, 'extreme');
    assert.deepEqual(event.earlierDates, ['2007-06-26', '2009-07-16', '2010-11-26', '2020-07-23']);
  });

  it('claims no rarity or gains the history does not show, and grades severity by rarity', async () => {
    const event = eventOf(await breadthOn('2015-10-07'), 'zweig_breadth_thrust');
    assert.doesNotMatch(event.detail, /rare|followed by gains/);
    const lead = (event.stats.fwd_21d_median ?? 0) - (event.stats.baseline_21d_median ?? 0);
    // Measured: +1.71% after 22 thrusts with a month behind them against +1.31% after any day.
    assert.ok(Math.abs(lead) < 0.005, `lead ${lead}`);
    assert.match(event.detail, /no different from an ordinary day\.$/);
    const share = (event.stats.days_flagged ?? 0) / (event.stats.days_judged ?? 1);
    assert.equal(event.severity, share <= 0.01 ? 'extreme' : share <= 0.05 ? 'notable' : 'info');
  });
});

describe('breadth notes that agree with the numbers', { skip: SKIP_WITHOUT_SHARED_DATA }, () => {
  const { sp500Folder, context } = realHistory();

  it('says so when the requested day has prices for too few members and the report falls back', async () => {
    // The ETF files run to 2026-05-01; the stock files end on 2021-04-21.
    const report = await buildReport(context('2026-05-01'), 'breadth', { universe: sp500Folder });
    assert.equal(report.asOf, '2021-04-21');
    assert.ok(
      report.notes.includes(
        'Fewer than half the members have a price on 2026-05-01, so the report is on 2021-04-21, the last session most of them have.',
      ),
    );
    const onTime = await buildReport(context('2021-04-21'), 'breadth', { universe: sp500Folder });
    assert.ok(!onTime.notes.some((n) => n.startsWith('Fewer than half')));
  });

  it('sizes the largest members by the caps of a cap table when the folder has one', async () => {
    const { readdirSync, mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const symbols = readdirSync(sp500Folder).map((file) => file.replace(/\.csv$/, ''));
    const giants = ['AAPL', 'MSFT', 'AMZN', 'GOOGL', 'FB', 'TSLA', 'NVDA'];
    // Made-up caps: the giants $1-2 trillion, everyone else $20 billion.
    const capOf = (symbol: string) =>
      giants.includes(symbol) ? (2 - giants.indexOf(symbol) / 7) * 1e12 : 20e9;
    const dir = mkdtempSync(path.join(tmpdir(), 'tapewatch-captable-'));
    writeFileSync(
      path.join(dir, '_market_caps.csv'),
      ['Symbol,Market Cap', ...symbols.map((s) => `${s},${capOf(s)}`)].join('\n'),
    );
    writeFileSync(
      path.join(dir, 'ZZZZ.csv'),
      'Date,Open,High,Low,Close,Adj Close,Volume\n2021-04-21,1,1,1,1,1,1\n',
    );
    const source = new CsvMarketData([dir, sp500Folder, sharedPath('prices', 'etf')]);
    const report = await buildReport({ marketData: source, endDate: '2021-04-21' }, 'breadth', {
      universe: sp500Folder,
    });
    assert.ok(report.notes.some((n) => n.startsWith('Concentration: sizes from market caps')));
    const largest = report.tables.find((t) => t.rows.length === 7 && t.rows.some((r) => r[0] === 'AAPL'));
    assert.deepEqual(
      largest?.rows.map((r) => r[0]),
      giants,
    );
    // On the day itself each weight is its cap's share of all caps of members with data.
    // Members priced on the day (VAR's file ends on 2021-04-16), read from the files themselves.
    const lastRow = (s: string) =>
      readFileSync(path.join(sp500Folder, `${s}.csv`), 'utf8')
        .trimEnd()
        .split('\n')
        .at(-1) ?? '';
    const covered = symbols.filter((s) => lastRow(s).startsWith('2021-04-21,'));
    const total = covered.reduce((sum, s) => sum + capOf(s), 0);
    const top = giants.reduce((sum, s) => sum + capOf(s), 0);
    assert.ok(Math.abs((report.metrics.top_weight ?? 0) - top / total) < 1e-9);
  });

  it('explains equal against cap weight only when the value exists', async () => {
    // SPY's file starts on 2005-01-03: on 2005-01-06 it has no year start to measure from.
    const early = await buildReport(context('2005-01-06'), 'breadth', { universe: sp500Folder });
    assert.equal(early.metrics.equal_vs_cap_ytd, null);
    assert.ok(!early.notes.some((n) => n.startsWith('Equal versus cap weight')));
    const later = await buildReport(context('2021-04-20'), 'breadth', { universe: sp500Folder });
    assert.equal(typeof later.metrics.equal_vs_cap_ytd, 'number');
    assert.ok(later.notes.includes('Equal versus cap weight: RSP minus SPY year to date.'));
  });

  it('counts the index and the equal-weight fund as measures, so the size agrees with the missing list', async () => {
    const etfFolder = sharedPath('prices', 'etf');
    const report = await buildReport(context('2024-07-11'), 'breadth', { universe: etfFolder });
    assert.equal(report.universe.size, report.universe.covered + report.universe.missing.length);
    assert.equal(report.universe.size, 65, '67 files less SPY and RSP');
  });
});

describe('breadth report on a folder with a broken file', { skip: SKIP_WITHOUT_SHARED_DATA }, () => {
  it('reports on the Nasdaq folder, naming PCLN (two different rows for one day) as left out', async () => {
    const nasdaq = sharedPath('prices', 'nasdaq100');
    const source = new CsvMarketData([nasdaq, sharedPath('prices', 'etf')]);
    const report = await buildReport({ marketData: source, endDate: '2026-06-18' }, 'breadth', {
      universe: nasdaq,
    });
    assert.equal(report.universe.size, 40);
    assert.equal(report.universe.covered, 39);
    assert.deepEqual(
      report.universe.missing.map((m) => m.symbol),
      ['PCLN'],
    );
    assert.match(
      report.universe.missing[0]?.reason ?? '',
      /PCLN\.csv:152: a second, different row for 2026-05-21 \(the first is line 151\)$/,
    );
    assert.equal(typeof report.metrics.pct_above_200d, 'number');
  });
});

describe('breadth report on the demo market, recomputed in plain loops over the bars', () => {
  const demo = new DemoMarketData(20240711, () => new Date('2026-11-20T22:00:00Z'));
  const context: ReportContext = { marketData: demo, endDate: '2026-11-20' };
  let report: Report;
  before(async () => {
    report = await buildReport(context, 'breadth');
  });

  it('counts advancers, members above their averages, highs, lows and members beating the index', async () => {
    const range = { from: '2025-06-01', to: report.asOf };
    const spy = await demo.getDailyBars('SPY', range);
    const spyDay = (spy.adjClose.at(-1) ?? Number.NaN) / (spy.adjClose.at(-2) ?? Number.NaN) - 1;
    const count = { adv: 0, dec: 0, unch: 0, highs: 0, lows: 0, beat: 0, compared: 0 };
    const above = new Map([20, 50, 200].map((n) => [n, { above: 0, counted: 0 }]));
    for (const symbol of resolveUniverse('sp500', testPolicy().universes).symbols) {
      const bars = await demo.getDailyBars(symbol, range);
      if (bars.dates.at(-1) !== report.asOf || bars.close.length < 2) continue;
      const close = [...bars.close];
      const today = close.at(-1) ?? Number.NaN;
      const yesterday = close.at(-2) ?? Number.NaN;
      if (today > yesterday) count.adv++;
      else if (today < yesterday) count.dec++;
      else count.unch++;
      for (const [n, tally] of above) {
        if (close.length < n) continue;
        tally.counted++;
        if (today > mean(close.slice(-n))) tally.above++;
      }
      if (close.length >= 252) {
        const year = close.slice(-252);
        if (today === Math.max(...year)) count.highs++;
        if (today === Math.min(...year)) count.lows++;
      }
      const day = (bars.adjClose.at(-1) ?? Number.NaN) / (bars.adjClose.at(-2) ?? Number.NaN) - 1;
      count.compared++;
      if (day > spyDay) count.beat++;
    }
    assert.equal(report.metrics.advancers, count.adv);
    assert.equal(report.metrics.decliners, count.dec);
    assert.equal(report.metrics.unchanged, count.unch);
    assert.equal(report.metrics.net_advances, count.adv - count.dec);
    assert.equal(report.metrics.new_highs, count.highs);
    assert.equal(report.metrics.new_lows, count.lows);
    for (const [n, tally] of above) {
      const metric = report.metrics[`pct_above_${n}d`];
      assert.ok(
        metric !== null &&
          metric !== undefined &&
          Math.abs(metric - (100 * tally.above) / tally.counted) < 1e-9,
        `pct_above_${n}d ${metric} against ${tally.above} of ${tally.counted}`,
      );
    }
    const beating = report.metrics.pct_outperforming_index_1d ?? Number.NaN;
    assert.ok(Math.abs(beating - (100 * count.beat) / count.compared) < 1e-9, `beating the index ${beating}`);
    assert.equal(
      report.notes.some((n) => n.startsWith('Concentration: sizes from market caps')),
      true,
      'demo quotes carry caps',
    );
  });

  it('lists symbols without data in the notes instead of dropping them', async () => {
    const missing = await buildReport(context, 'breadth', {
      universe: 'AAPL,MSFT,NVDA,AMZN,META,GOOGL,ZZZZ',
    });
    assert.deepEqual(
      missing.universe.missing.map((m) => m.symbol),
      ['ZZZZ'],
    );
    assert.ok(missing.notes.some((n) => n.includes('ZZZZ')));
    assert.equal(missing.universe.covered, 6);
  });
});
