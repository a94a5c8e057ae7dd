import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReportButtons } from '../../src/bot/buttons.ts';

describe('Refresh and Explain buttons', () => {
  it('round-trips Refresh buttons, keeps long requests in memory, and refuses anything else', () => {
    const buttons = new ReportButtons();
    try {
      const short = { name: 'breadth' as const, options: { universe: 'mag7', top: 3 }, asOf: '2024-07-11' };
      const id = buttons.customId('refresh', short);
      assert.ok(id.length <= 100);
      assert.deepEqual(buttons.request(id), { action: 'refresh', request: short });
      assert.deepEqual(buttons.request(buttons.customId('explain', short)), {
        action: 'explain',
        request: short,
      });
      const long = {
        name: 'momentum' as const,
        options: { universe: 'AAPL,'.repeat(40) + 'MSFT' },
        asOf: null,
      };
      const longId = buttons.customId('refresh', long);
      assert.ok(longId.length <= 100);
      assert.deepEqual(buttons.request(longId), { action: 'refresh', request: long });
      assert.equal(buttons.request('refresh:breadth:#no-such-key'), null);
      assert.equal(buttons.request('refresh:nonsense:e30'), null);
      assert.equal(buttons.request('refresh:breadth:not-base64-json'), null);
      assert.equal(buttons.request('something-else'), null);
    } finally {
      buttons.close();
    }
  });
});
