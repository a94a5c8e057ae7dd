import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tradingDays } from '../../src/market/calendar.ts';
import { cli } from '../helpers/cli.ts';
import { SKIP_WITHOUT_SHARED_DATA, sharedPath } from '../helpers/shared-data.ts';

describe('tapewatch alerts scan', { timeout: 60_000 }, () => {
  it(
    'lists the days a price move would have fired, with counts by year, as text and JSON',
    {
      skip: SKIP_WITHOUT_SHARED_DATA,
    },
    async () => {
      const args = [
        'alerts',
        'scan',
        '--condition',
        'SPY moves 4%',
        '--from',
        '2008-09-01',
        '--to',
        '2008-12-31',
        '--data-dir',
        sharedPath('prices', 'etf'),
      ];
      const json = await cli([...args, '--format', 'json']);
      assert.equal(json.code, 0, json.err);
      const scan = JSON.parse(json.out) as {
        fired: { date: string; value: number }[];
        perYear: Record<string, number>;
        sessions: number;
      };
      // Each firing day moved at least 4% either way.
      for (const { value } of scan.fired) assert.ok(Math.abs(value) >= 0.04);
      assert.ok(
        scan.fired.some((f) => f.date === '2008-10-13'),
        'SPY +14.5% on 2008-10-13',
      );
      assert.deepEqual(scan.perYear, { '2008': scan.fired.length });
      const sessions = tradingDays('2008-09-01', '2008-12-31').length;
      assert.equal(scan.sessions, sessions, 'every NYSE session of the range is read');
      const text = await cli(args);
      assert.equal(text.code, 0);
      assert.match(text.out, /^Alert scan: SPY moves 4% · 2008-09-01 to 2008-12-31 · CSV files/);
      assert.match(text.out, new RegExp(`Would have fired on ${scan.fired.length} of ${sessions} sessions`));
      assert.match(text.out, /^2008-10-13\s+\+14\.52%$/m);
    },
  );

  it('refuses a condition it cannot read, and an option that does not apply, in one line with exit 2', async () => {
    const bad = await cli(['alerts', 'scan', '--condition', 'moonshot', '--source', 'demo']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^tapewatch: Condition "moonshot": not an event \(momentum_crash, .*\n$/);
    const chart = await cli([
      'alerts',
      'scan',
      '--condition',
      'washout',
      '--source',
      'demo',
      '--chart',
      'x.png',
    ]);
    assert.equal(chart.code, 2);
    assert.equal(chart.err, 'tapewatch: --chart does not apply to alerts scan.\n');
  });
});
