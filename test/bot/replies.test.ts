import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashUserId, userFacingError } from '../../src/bot/replies.ts';
import { TapewatchError } from '../../src/errors.ts';

describe('error replies', () => {
  it('maps errors to one line with a reference, and hashes user ids', () => {
    const expected = userFacingError(new TapewatchError('bad_input', 'Option `top`: too big.'), 'abcd1234');
    assert.equal(expected.message, 'Option `top`: too big. (ref abcd1234)');
    assert.equal(expected.expected, true);
    const bug = userFacingError(
      new TypeError("Cannot read properties of undefined (reading 'x')"),
      'abcd1234',
    );
    assert.equal(
      bug.message,
      'Something went wrong on my side; please try again in a minute (ref abcd1234).',
    );
    assert.equal(bug.expected, false);
    assert.match(bug.detail, /Cannot read properties/);
    assert.match(hashUserId('555555555555555555'), /^[0-9a-f]{12}$/);
    assert.notEqual(hashUserId('1'), hashUserId('2'));
  });
});
