import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractNumbers, ungroundedNumbers } from '../../src/llm/grounding.ts';

describe('number extraction and matching', () => {
  it('finds numbers with their precision, thousands separators, signs and dates', () => {
    const found = extractNumbers('Fell −7.7% on 2024-07-11, the 3rd time; 1,234 stocks and +0.45 pts.');
    assert.deepEqual(
      found.map((n) => [n.text, n.value, n.decimals]),
      [
        ['2024', 2024, 0],
        ['07', 7, 0],
        ['11', 11, 0],
        ['−7.7', -7.7, 1],
        ['3', 3, 0],
        ['1,234', 1234, 0],
        ['+0.45', 0.45, 2],
      ],
    );
  });

  it('accepts rounding to the stated precision, either sign, and fractions written as percentages', () => {
    const facts = [-0.0771, 63.54, 1234, 2008];
    assert.deepEqual(ungroundedNumbers('The factor fell 7.7% (7.71%, about 8%).', facts), []);
    assert.deepEqual(
      ungroundedNumbers('63.5% of stocks; 64% rounded; 1,234 members; since 2008.', facts),
      [],
    );
    assert.deepEqual(ungroundedNumbers('It fell 7.6% and 63.6% are above.', facts), ['7.6', '63.6']);
    assert.deepEqual(ungroundedNumbers('A 12.3% drop in 2009.', facts), ['12.3', '2009']);
  });
});
