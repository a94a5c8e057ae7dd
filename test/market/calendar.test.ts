import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  closeMinutes,
  exchangeInstant,
  isTradingDay,
  marketStatus,
  nyseHolidays,
  previousTradingDay,
  tradingDays,
} from '../../src/market/calendar.ts';
import { SKIP_WITHOUT_SHARED_DATA, sharedPath } from '../helpers/shared-data.ts';

describe('NYSE calendar', () => {
  it('lists the 2024 holidays as published by the NYSE', () => {
    assert.deepEqual([...nyseHolidays(2024).keys()].sort(), [
      '2024-01-01',
      '2024-01-15',
      '2024-02-19',
      '2024-03-29',
      '2024-05-27',
      '2024-06-19',
      '2024-07-04',
      '2024-09-02',
      '2024-11-28',
      '2024-12-25',
    ]);
  });

  it('moves weekend holidays: Saturday to Friday, Sunday to Monday, but never New Year to December 31', () => {
    assert.equal(isTradingDay('2022-06-20'), false, 'Juneteenth 2022 fell on a Sunday, observed Monday');
    assert.equal(isTradingDay('2026-07-03'), false, 'July 4 2026 is a Saturday, observed Friday');
    assert.equal(isTradingDay('2021-12-31'), true, 'New Year 2022 on a Saturday is not observed on Friday');
    assert.equal(isTradingDay('2027-12-24'), false, 'Christmas 2027 is a Saturday, observed Friday');
    assert.equal(isTradingDay('2021-06-18'), true, 'Juneteenth became an NYSE holiday only in 2022');
  });

  it('knows the one-off closures', () => {
    assert.equal(isTradingDay('2012-10-29'), false);
    assert.equal(isTradingDay('2018-12-05'), false);
    assert.equal(isTradingDay('2025-01-09'), false);
  });

  it('closes at 13:00 before Independence Day, after Thanksgiving and on Christmas Eve', () => {
    assert.equal(closeMinutes('2024-07-03'), 13 * 60);
    assert.equal(closeMinutes('2024-11-29'), 13 * 60);
    assert.equal(closeMinutes('2024-12-24'), 13 * 60);
    assert.equal(closeMinutes('2024-12-23'), 16 * 60);
    assert.equal(
      closeMinutes('2026-07-02'),
      16 * 60,
      'July 3 2026 is itself the holiday; no early close on the 2nd',
    );
  });

  it('steps over weekends and holidays', () => {
    assert.equal(previousTradingDay('2024-07-05'), '2024-07-03');
    assert.deepEqual(tradingDays('2024-03-27', '2024-04-02'), [
      '2024-03-27',
      '2024-03-28',
      '2024-04-01',
      '2024-04-02',
    ]);
  });

  it('turns New York wall-clock time into instants across daylight saving', () => {
    assert.equal(exchangeInstant('2026-01-05', 9 * 60 + 30).toISOString(), '2026-01-05T14:30:00.000Z');
    assert.equal(exchangeInstant('2026-07-06', 9 * 60 + 30).toISOString(), '2026-07-06T13:30:00.000Z');
    assert.equal(exchangeInstant('2026-03-09', 16 * 60).toISOString(), '2026-03-09T20:00:00.000Z');
  });

  it('tells whether the market is open, the last closed session and the next open', () => {
    const open = marketStatus(new Date('2026-11-20T15:00:00Z'));
    assert.equal(open.isOpen, true);
    assert.equal(open.lastClosedSession, '2026-11-19');
    assert.equal(open.currentClose?.toISOString(), '2026-11-20T21:00:00.000Z');
    const weekend = marketStatus(new Date('2026-11-22T03:00:00Z'));
    assert.equal(weekend.isOpen, false);
    assert.equal(weekend.lastClosedSession, '2026-11-20');
    assert.equal(weekend.nextOpen.toISOString(), '2026-11-23T14:30:00.000Z');
    const earlyClose = marketStatus(new Date('2026-11-27T18:30:00Z'));
    assert.equal(
      earlyClose.isOpen,
      false,
      '13:30 New York on the day after Thanksgiving is after the early close',
    );
    assert.equal(earlyClose.lastClosedSession, '2026-11-27');
  });

  it(
    'matches every SPY trading day from 2005 to 2026 in the real data, no more and no fewer',
    { skip: SKIP_WITHOUT_SHARED_DATA },
    () => {
      const dates = readFileSync(sharedPath('prices', 'etf', 'SPY.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.slice(0, 10));
      const first = dates[0] ?? '';
      const last = dates[dates.length - 1] ?? '';
      const computed = tradingDays(first, last);
      const spy = new Set(dates);
      const extra = computed.filter((d) => !spy.has(d));
      const missing = dates.filter((d) => !isTradingDay(d));
      assert.deepEqual(missing, [], 'SPY traded on days the calendar calls closed');
      assert.deepEqual(extra, [], 'the calendar has sessions on which SPY did not trade');
      assert.ok(dates.length > 5000);
    },
  );
});
