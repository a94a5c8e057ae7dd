/**
 * The grounding check: a summary may only state numbers that are in the report's facts. Numbers are
 * compared by absolute value (a summary says "fell 7.7%" for -7.70%), allowing for rounding to the
 * summary's own precision and for a fraction written as a percentage (0.0123 as 1.2%).
 */
export interface ExtractedNumber {
  /** As written in the text, for messages. */
  readonly text: string;
  readonly value: number;
  /** Digits after the decimal point, which sets the rounding tolerance. */
  readonly decimals: number;
}

const DATE = /\b(\d{4})-(\d{2})-(\d{2})\b/g;
const NUMBER = /[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?/g;

/** Every number in a text; ISO dates count as their parts (2008-10-10 is 2008, 10 and 10). */
export function extractNumbers(text: string): ExtractedNumber[] {
  const numbers: ExtractedNumber[] = [];
  const withoutDates = text.replace(DATE, (_, y: string, m: string, d: string) => {
    for (const part of [y, m, d]) numbers.push({ text: part, value: Number(part), decimals: 0 });
    return ' ';
  });
  for (const match of withoutDates.matchAll(NUMBER)) {
    const written = match[0];
    const plain = written.replace(/,/g, '').replace('−', '-');
    const dot = plain.indexOf('.');
    numbers.push({ text: written, value: Number(plain), decimals: dot < 0 ? 0 : plain.length - dot - 1 });
  }
  return numbers;
}

function matches(stated: ExtractedNumber, fact: number): boolean {
  const tolerance = 0.5 * 10 ** -stated.decimals + 1e-9;
  const value = Math.abs(stated.value);
  const base = Math.abs(fact);
  return [base, base * 100].some((candidate) => Math.abs(value - candidate) <= tolerance);
}

/** The numbers in a text that match no fact; empty means the text is grounded. */
export function ungroundedNumbers(text: string, facts: readonly number[]): string[] {
  return extractNumbers(text)
    .filter((stated) => !facts.some((fact) => matches(stated, fact)))
    .map((stated) => stated.text);
}
