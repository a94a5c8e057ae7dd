import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routeDirectMessage } from '../../src/bot/dm-router.ts';

describe('direct-message router', () => {
  it('routes direct messages by keyword and says what it understood', () => {
    const route = (text: string) => {
      const intent = routeDirectMessage(text);
      return intent.kind === 'report'
        ? [intent.report, intent.options.universe ?? null, intent.asOf]
        : intent.kind;
    };
    assert.deepEqual(route('how is breadth?'), ['breadth', null, null]);
    assert.deepEqual(route('momentum'), ['momentum', null, null]);
    assert.deepEqual(route('small caps vs nasdaq'), ['rotation', null, null]);
    assert.deepEqual(route('Breadth of the Mag 7 on 2024-07-11'), ['breadth', 'mag7', '2024-07-11']);
    assert.deepEqual(route('how is the market today'), ['market', null, null]);
    assert.deepEqual(route('momentum and breadth'), ['market', null, null], 'a tie gives the brief');
    assert.equal(route('what is the weather'), 'help');
    assert.equal(route('help'), 'help');
    assert.equal(route('🚀🚀🚀'), 'help');
    assert.equal(route('a'.repeat(501)), 'help');
    const understood = routeDirectMessage('sector rotation');
    assert.equal(
      understood.kind === 'report' ? understood.understood : '',
      'I understood: the rotation report.',
    );
  });

  it('finds the symbols of a quote or a chart: $tickers in any case, or words in capitals', () => {
    const route = (text: string) => {
      const intent = routeDirectMessage(text);
      return intent.kind === 'report' ? [intent.report, intent.options, intent.understood] : intent.kind;
    };
    assert.deepEqual(route('quote NVDA and AAPL'), [
      'quote',
      { universe: 'NVDA,AAPL' },
      'I understood: a quote for NVDA,AAPL.',
    ]);
    assert.deepEqual(route('can I see a chart of $tsla'), [
      'chart',
      { symbol: 'TSLA' },
      'I understood: a chart for TSLA.',
    ]);
    assert.deepEqual(route('Chart BRK.B vs SPY'), [
      'chart',
      { symbol: 'BRK.B' },
      'I understood: a chart for BRK.B.',
    ]);
    assert.deepEqual(route('quotes please'), ['quote', {}, 'I understood: a quote.'], 'the default list');
  });
});
