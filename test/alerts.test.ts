import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  advanceAlert,
  alertBaseRate,
  AlertStore,
  conditionHistory,
  describeCondition,
  MAX_ALERTS_PER_SERVER,
  MAX_ALERTS_PER_USER,
  storedCondition,
  type ConditionHistory,
  NEW_ALERT_STATE,
  parseAlertCondition,
  readThreshold,
  scanHistory,
  stepAlert,
  type AlertCondition,
  type AlertState,
  type DayReading,
} from '../src/alerts.ts';
import { TapewatchError } from '../src/errors.ts';
import { openUserDatabase } from '../src/store/user-database.ts';
import { CsvMarketData } from '../src/market/csv.ts';
import { resolveUniverse } from '../src/universes/index.ts';
import { csvRows } from './helpers/csv.ts';
import { buildReport, testPolicy } from './helpers/reports.ts';
import { referenceSeries } from './helpers/reference.ts';
import { SKIP_WITHOUT_SHARED_DATA, sharedPath } from './helpers/shared-data.ts';

/** The days a sequence of readings fires on, from a new alert. */
function firings(condition: AlertCondition, readings: readonly DayReading[], gap = 1): number[] {
  let state: AlertState = NEW_ALERT_STATE;
  const fired: number[] = [];
  readings.forEach((reading, t) => {
    const step = stepAlert(state, reading, condition, gap);
    state = step.state;
    if (step.fire) fired.push(t);
  });
  return fired;
}

describe('alert conditions', () => {
  it('reads events, series thresholds and crossings, moves and prices, in the words users type', () => {
    assert.deepEqual(parseAlertCondition('momentum_crash'), {
      kind: 'event',
      event: 'momentum_crash',
      threshold: 3,
    });
    assert.deepEqual(parseAlertCondition('event:Momentum_Spike', 4), {
      kind: 'event',
      event: 'momentum_spike',
      threshold: 4,
    });
    assert.deepEqual(parseAlertCondition('washout'), { kind: 'event', event: 'washout', threshold: null });
    assert.deepEqual(parseAlertCondition('split_iwm_spy_up', 0.05), {
      kind: 'event',
      event: 'split_iwm_spy_up',
      threshold: 0.05,
    });
    assert.deepEqual(parseAlertCondition('rotation.iwm_spy_1d above 0.03'), {
      kind: 'metric',
      series: 'rotation.iwm_spy_1d',
      comparison: 'above',
      crosses: false,
      value: 0.03,
    });
    assert.equal(describeCondition(parseAlertCondition('split_iwd_iwf_down')), 'split_iwd_iwf_down (≥ 3%)');
    assert.deepEqual(parseAlertCondition('breadth.pct_above_200d  crosses below 20'), {
      kind: 'metric',
      series: 'breadth.pct_above_200d',
      comparison: 'below',
      crosses: true,
      value: 20,
    });
    assert.deepEqual(parseAlertCondition('spy moves 2% in a day'), {
      kind: 'move',
      symbol: 'SPY',
      move: 0.02,
    });
    assert.deepEqual(parseAlertCondition('$nvda above 150.5'), {
      kind: 'price',
      symbol: 'NVDA',
      comparison: 'above',
      crosses: false,
      value: 150.5,
    });
    assert.equal(describeCondition(parseAlertCondition('SPY moves 2.5%')), 'SPY moves 2.5%');
    assert.equal(describeCondition(parseAlertCondition('momentum_crash', 4)), 'momentum_crash (|z| ≥ 4)');
  });

  it('refuses what it cannot read in one line naming the condition and the way to write it', () => {
    const refused = (text: string, threshold: number | null, message: RegExp) => {
      assert.throws(
        () => parseAlertCondition(text, threshold),
        (error: unknown) =>
          error instanceof TapewatchError &&
          error.code === 'bad_input' &&
          !error.message.includes('\n') &&
          message.test(error.message),
        text,
      );
    };
    refused('momentum_crsh', null, /^Condition "momentum_crsh": not an event \(momentum_crash, /);
    refused('washout', 2, /washout has no threshold of its own/);
    refused('momentum_crash', 20, /\|z\| between 1 and 10/);
    refused(
      'breadth.pct_above_2000d below 5',
      null,
      /"breadth\.pct_above_2000d" is not a series alerts can watch/,
    );
    refused('SPY moves', null, /say how far, in percent/);
    refused('SPY moves 80%', null, /between 0% and 50%/);
    refused('SPY is high', null, /not a condition this bot reads; e\.g\./);
    refused('SPY above 0', null, /a price is more than 0/);
  });
});

describe('when an alert fires', () => {
  const event = parseAlertCondition('momentum_crash');
  const crossing = parseAlertCondition('breadth.pct_above_200d crosses below 20');
  const level = parseAlertCondition('breadth.pct_above_200d below 20');

  it('fires when the condition starts to hold, and again only after `gap` clear sessions', () => {
    const h = 'holds';
    const c = 'clear';
    // Held on days 1-2 (one episode), clear for 2 days (under the gap of 3), held again on 5: no new
    // firing; clear for 5 days (past the gap), then held on 11: fires.
    assert.deepEqual(firings(event, [c, h, h, c, c, h, c, c, c, c, c, h], 3), [1, 11]);
    assert.deepEqual(firings(event, [h, c, h], 1), [0, 2], 'with a gap of one, every new day of it');
    assert.deepEqual(firings(event, ['unknown', 'unknown', h], 1), [2], 'n/a days change nothing');
  });

  it('fires a crossing only when it sees the value on the other side first; a level fires at once', () => {
    const h = 'holds';
    const c = 'clear';
    assert.deepEqual(firings(crossing, [h, h, c, h]), [3]);
    assert.deepEqual(firings(level, [h, h, c, h]), [0, 3]);
  });

  it('reads a threshold with a band of 2% of it, so a value on the line does not ping daily', () => {
    // below 20: under 20 holds, 20.4 (20 + 2%) or more is clear, in between changes nothing.
    assert.equal(readThreshold(19.9, 'below', 20), 'holds');
    assert.equal(readThreshold(20, 'below', 20), 'unknown');
    assert.equal(readThreshold(20.3, 'below', 20), 'unknown');
    assert.equal(readThreshold(20.4, 'below', 20), 'clear');
    assert.equal(readThreshold(150.1, 'above', 150), 'holds');
    assert.equal(readThreshold(147, 'above', 150), 'clear');
    assert.equal(readThreshold(Number.NaN, 'above', 150), 'unknown');
    // A threshold alert that fires, re-arms and fires again: 19 fires, 20.2 is in the band (no
    // re-arm), 19.5 does not fire again, 21 re-arms, 18 fires.
    const values = [25, 19, 20.2, 19.5, 21, 18];
    assert.deepEqual(
      firings(
        crossing,
        values.map((v) => readThreshold(v, 'below', 20)),
      ),
      [1, 5],
    );
  });
});

/** A hand-made history: one reading per session from 2024-03-01 on (weekdays, no holidays in range). */
function handHistory(readings: readonly DayReading[], values: readonly number[] = []): ConditionHistory {
  const dates = ['2024-03-01', '2024-03-04', '2024-03-05', '2024-03-06', '2024-03-07', '2024-03-08'];
  return {
    dates: dates.slice(0, readings.length),
    readings,
    values: readings.map((_, t) => values[t] ?? t),
    valueLabel: 'v',
    fraction: false,
    gap: 2,
  };
}

describe('advancing an alert through new sessions', () => {
  const crash = parseAlertCondition('momentum_crash');

  it('a new alert reads only the latest session: fires when the condition holds there, not for older days', () => {
    const history = handHistory(['holds', 'clear', 'holds']);
    const fresh = advanceAlert(
      { state: NEW_ALERT_STATE, evaluatedThrough: null },
      crash,
      history,
      '2024-03-05',
    );
    assert.deepEqual(fresh, {
      state: { armed: false, clearRun: 0 },
      evaluatedThrough: '2024-03-05',
      fired: { date: '2024-03-05', value: 2 },
    });
    const quiet = advanceAlert(
      { state: NEW_ALERT_STATE, evaluatedThrough: null },
      crash,
      handHistory(['holds', 'clear']),
      '2024-03-05',
    );
    assert.equal(quiet?.fired, null, 'the old firing on 03-01 is not news to a new alert');
  });

  it('steps every unread session up to `through`, keeps the latest firing, and has nothing to do once read', () => {
    const history = handHistory(['clear', 'holds', 'clear', 'clear', 'holds', 'clear']);
    const armed = { state: { armed: true, clearRun: 3 }, evaluatedThrough: '2024-03-01' };
    // 03-04 fires, two clear sessions re-arm (gap 2), 03-07 fires again; 03-08 is after `through`.
    const progress = advanceAlert(armed, crash, history, '2024-03-07');
    assert.deepEqual(progress, {
      state: { armed: false, clearRun: 0 },
      evaluatedThrough: '2024-03-07',
      fired: { date: '2024-03-07', value: 4 },
    });
    assert.equal(
      advanceAlert({ state: progress.state, evaluatedThrough: '2024-03-07' }, crash, history, '2024-03-07'),
      null,
    );
  });

  it('gives the base rate before a firing: fires and sessions since the first readable day, and the previous one', () => {
    const history = handHistory(['unknown', 'holds', 'clear', 'clear', 'holds', 'clear']);
    const rate = alertBaseRate(history, crash, '2024-03-07');
    // Read from 03-04 to 03-06: a new alert fires on 03-04 (the first readable day) and nowhere else.
    assert.equal(rate.previous, '2024-03-04');
    assert.equal(rate.text, 'Since 2024-03-04 it would have fired on 1 of 3 sessions, last on 2024-03-04.');
  });
});

describe('the alert store', () => {
  const open = () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tapewatch-alerts-')), 'user.sqlite');
    return { file, store: new AlertStore(openUserDatabase(file, null).db, file) };
  };
  const now = new Date('2024-03-04T22:00:00Z');
  const server = { scope: 'server', guildId: '10', channelId: '20' } as const;

  it('keeps conditions so that reading them back gives the same condition, thresholds included', () => {
    const { store } = open();
    for (const text of [
      'momentum_spike',
      'washout',
      'breadth.pct_above_200d crosses below 20',
      'SPY moves 2.5%',
      'NVDA above 150',
    ]) {
      const condition = parseAlertCondition(text);
      const saved = store.add({ target: server, condition, universe: 'sp500', createdBy: 'abc' }, now);
      assert.deepEqual(store.get(saved.id)?.condition, condition, text);
    }
    const strict = parseAlertCondition('momentum_crash', 4.5);
    assert.deepEqual(storedCondition(strict), { text: 'momentum_crash', threshold: 4.5 });
    const saved = store.add({ target: server, condition: strict, universe: 'mag7', createdBy: 'abc' }, now);
    assert.deepEqual(store.get(saved.id)?.condition, strict);
  });

  it(`refuses the ${MAX_ALERTS_PER_SERVER + 1}th alert of a server and the ${MAX_ALERTS_PER_USER + 1}th of a user`, () => {
    const { store } = open();
    const condition = parseAlertCondition('washout');
    for (let i = 0; i < MAX_ALERTS_PER_SERVER; i++) {
      store.add({ target: server, condition, universe: 'sp500', createdBy: 'a' }, now);
    }
    assert.throws(
      () => store.add({ target: server, condition, universe: 'sp500', createdBy: 'a' }, now),
      /This server already has 25 alerts; remove one with \/alert remove first\./,
    );
    const user = { scope: 'user', userId: '30', guildId: '10' } as const;
    for (let i = 0; i < MAX_ALERTS_PER_USER; i++) {
      store.add({ target: user, condition, universe: 'sp500', createdBy: 'b' }, now);
    }
    assert.throws(
      () => store.add({ target: user, condition, universe: 'sp500', createdBy: 'b' }, now),
      /You already have 10 alerts of your own/,
    );
    assert.equal(store.visibleTo('10', '30').length, 35, "the server's alerts and the member's own");
    assert.equal(store.visibleTo('11', '31').length, 0);
  });

  it('lets one of two processes write an evaluation and claim its firing; the other is told no', () => {
    const { file, store } = open();
    const other = new AlertStore(openUserDatabase(file, null).db, file);
    const alert = store.add({ target: server, condition: crash(), universe: 'sp500', createdBy: 'a' }, now);
    const progress = {
      state: { armed: false, clearRun: 0 },
      evaluatedThrough: '2024-03-04',
      fired: { date: '2024-03-04', value: -4 },
    };
    assert.deepEqual(
      store.unreadThrough('2024-03-04').map((a) => a.id),
      [alert.id],
      'a new alert has read nothing',
    );
    assert.equal(store.advance(alert, progress, 'posting 2024-03-04'), true);
    assert.deepEqual(store.unreadThrough('2024-03-04'), [], 'read through 2024-03-04');
    assert.equal(store.unreadThrough('2024-03-05').length, 1);
    assert.equal(other.advance(alert, progress, 'posting 2024-03-04'), false, 'read before the first wrote');
    const saved = other.get(alert.id);
    assert.equal(saved?.lastFired, '2024-03-04');
    assert.deepEqual(saved.state, { armed: false, clearRun: 0 });
    assert.equal(store.claimIntraday(alert.id, '2024-03-04'), false, 'the close already fired that session');
    assert.equal(store.claimIntraday(alert.id, '2024-03-05'), true);
    assert.equal(other.claimIntraday(alert.id, '2024-03-05'), false, 'an intraday post is claimed once');
    store.disable(alert.id, 'disabled: the channel no longer exists');
    assert.equal(store.enabled().length, 0);
    assert.equal(other.advance(saved, progress, null), false, 'a disabled alert is not written');
  });
});

function crash() {
  return parseAlertCondition('momentum_crash');
}

describe('alerts scan on real history', { skip: SKIP_WITHOUT_SHARED_DATA, timeout: 60_000 }, () => {
  it('fires the momentum crash alert on 2020-11-09 and on 2009’s crash days, each a down day of the published factor', async () => {
    const source = new CsvMarketData([sharedPath('prices', 'sp500'), sharedPath('prices', 'etf')]);
    const universe = resolveUniverse(sharedPath('prices', 'sp500'), testPolicy().universes);
    const condition = parseAlertCondition('momentum_crash');
    const history = await conditionHistory(
      { marketData: source, endDate: '2021-12-31' },
      condition,
      universe,
    );
    const { fired, sessions } = scanHistory(history, condition, '2005-01-01', '2021-12-31');
    const days = fired.map((f) => f.date);
    assert.ok(days.includes('2020-11-09'), 'the vaccine-day crash');
    const in2009 = days.filter((d) => d.startsWith('2009-'));
    assert.ok(in2009.length >= 2, `2009's crash days: ${in2009.join(', ')}`);
    // Each firing is a crash of 3σ or more, and Kenneth French's momentum factor fell that day too.
    const french = referenceSeries('french_momentum_daily.csv', 0.01);
    for (const { date, value } of fired) {
      assert.ok(value <= -3, `${date}: z ${value}`);
      assert.ok((french.get(date) ?? 0) < 0, `${date}: French UMD ${String(french.get(date))}`);
    }
    // Worth a ping: under 1% of sessions.
    assert.ok(fired.length / sessions < 0.01, `${fired.length} of ${sessions}`);
  });

  it('fires the small-caps split (IWM up 3% while SPY fell) on 2008-10-10 and 2024-07-11 only, from 2005 on', async () => {
    const source = new CsvMarketData([sharedPath('prices', 'etf')]);
    const condition = parseAlertCondition('split_iwm_spy_up');
    assert.deepEqual(condition, { kind: 'event', event: 'split_iwm_spy_up', threshold: 0.03 });
    const history = await conditionHistory(
      { marketData: source, endDate: '2026-06-30' },
      condition,
      resolveUniverse('sp500', testPolicy().universes),
    );
    const { fired } = scanHistory(history, condition, '2005-01-01', '2026-06-30');
    assert.deepEqual(
      fired.map((f) => f.date),
      ['2008-10-10', '2024-07-11'],
    );
    // The value quoted is IWM's own move that day, worked out from the file's adjusted closes.
    const iwm = csvRows(sharedPath('prices', 'etf', 'IWM.csv'), '2024-07-11').slice(-2);
    const move = (iwm[1]?.adj ?? 0) / (iwm[0]?.adj ?? 1) - 1;
    assert.ok(Math.abs((fired[1]?.value ?? 0) - move) < 1e-12, `${fired[1]?.value} vs ${move}`);
    assert.ok(move >= 0.03);
  });

  it('fires quadrant_changes on days the rotation report shows the event after a session without one', async () => {
    const source = new CsvMarketData([sharedPath('prices', 'etf')]);
    const condition = parseAlertCondition('quadrant_changes');
    const history = await conditionHistory(
      { marketData: source, endDate: '2021-12-31' },
      condition,
      resolveUniverse('sp500', testPolicy().universes),
    );
    const { fired, sessions } = scanHistory(history, condition, '2019-01-01', '2021-12-31');
    assert.ok(fired.length >= 1 && fired.length / sessions < 0.05, `${fired.length} of ${sessions}`);
    for (const { date, value } of fired.slice(-3)) {
      const t = history.dates.indexOf(date);
      const day = await buildReport({ marketData: source, endDate: date }, 'rotation');
      const before = await buildReport(
        { marketData: source, endDate: history.dates[t - 1] ?? '' },
        'rotation',
      );
      const event = day.events.find((e) => e.id === 'quadrant_changes');
      assert.equal(event?.stats.changes, value, `${date}: the report counts the same sectors`);
      assert.equal(
        before.events.find((e) => e.id === 'quadrant_changes'),
        undefined,
        `the day before ${date}`,
      );
    }
  });
});
