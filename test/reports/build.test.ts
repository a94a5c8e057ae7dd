import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { episodeStarts } from '../../src/reports/build.ts';

describe('report building helpers', () => {
  it('counts a run of flagged days as one episode', () => {
    assert.deepEqual(episodeStarts([1, 1, 0, 0, 1, 0], 2), [0, 4]);
  });
});
