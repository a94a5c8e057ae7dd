import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fillPrompt, loadPrompt } from '../../src/llm/prompts.ts';

describe('prompts', () => {
  it('fills named placeholders and refuses a missing one; the version follows the text', () => {
    const template = loadPrompt('summary');
    const filled = fillPrompt(template, { report: 'breadth', asOf: '2024-07-11' });
    assert.match(filled, /facts of a breadth report as of the close of 2024-07-11/);
    assert.doesNotMatch(filled, /\{\{/);
    assert.throws(() => fillPrompt(template, { report: 'breadth' }), /needs a value for \{\{asOf\}\}/);
    assert.match(template.version, /^[0-9a-f]{12}$/);
    assert.notEqual(fillPrompt({ ...template, text: 'x {{a}}' }, { a: '1' }), filled);
  });
});
