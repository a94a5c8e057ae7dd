import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alignBars } from '../../src/indicators/panel.ts';
import { allocateBars } from '../../src/market/types.ts';
import { coverageNote, lastCoveredSession } from '../../src/reports/build.ts';

describe('report building helpers', () => {
  // Two stocks that end on 2024-03-05, and an ETF that goes on for two more sessions.
  const stock = (symbol: string) => {
    const bars = allocateBars(symbol, ['2024-03-04', '2024-03-05']);
    bars.adjClose.set([10, 11]);
    bars.close.set([10, 11]);
    return bars;
  };
  const etf = allocateBars('SPY', ['2024-03-04', '2024-03-05', '2024-03-06', '2024-03-07']);
  etf.adjClose.set([100, 101, 102, 103]);
  etf.close.set([100, 101, 102, 103]);
  const { panel } = alignBars([stock('AAA'), stock('BBB'), etf]);

  it('reports on the last session most members have, and says so when that is not the last one', () => {
    const last = lastCoveredSession(panel, [0, 1]);
    assert.equal(panel.dates[last], '2024-03-05');
    assert.equal(
      coverageNote(panel, last),
      'Fewer than half the members have a price on 2024-03-07, so the report is on 2024-03-05, the last session most of them have.',
    );
    assert.equal(coverageNote(panel, panel.dates.length - 1), null, 'nothing to say on the last session');
  });
});
