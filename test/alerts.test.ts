import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  conditionHistory,
  describeCondition,
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
import { CsvMarketData } from '../src/market/csv.ts';
import { resolveUniverse } from '../src/universes/index.ts';
import { testPolicy } from './helpers/reports.ts';
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
      sigma: 3,
    });
    assert.deepEqual(parseAlertCondition('event:Momentum_Spike', 4), {
      kind: 'event',
      event: 'momentum_spike',
      sigma: 4,
    });
    assert.deepEqual(parseAlertCondition('washout'), { kind: 'event', event: 'washout', sigma: null });
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
});
