import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Prompt templates live in prompts/ as Markdown with {{named}} placeholders, versioned with the code.
 * A template's version is a hash of its text, so a changed prompt never reuses cached summaries.
 */
export interface PromptTemplate {
  readonly name: string;
  readonly text: string;
  readonly version: string;
}

const PROMPTS_DIR = path.resolve(import.meta.dirname, '../../prompts');

export function loadPrompt(name: string): PromptTemplate {
  const text = readFileSync(path.join(PROMPTS_DIR, `${name}.md`), 'utf8');
  return { name, text, version: createHash('sha256').update(text).digest('hex').slice(0, 12) };
}

/** Fills every placeholder; a placeholder without a value is a bug in the caller, so it throws. */
export function fillPrompt(template: PromptTemplate, values: Readonly<Record<string, string>>): string {
  return template.text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`prompt ${template.name} needs a value for {{${key}}}`);
    return value;
  });
}
