import { TapewatchError } from '../errors.ts';
import { isIsoDate } from '../market/calendar.ts';
import type { OptionSpec } from '../reports/options.ts';

/**
 * `--from` and `--to` must be real dates, and `--to` no later than `--as-of`: the as-of day would
 * otherwise cut the range short without a word.
 */
export function checkDateFlags(range: { from?: string; to?: string }, asOf: string | null = null): void {
  for (const [flag, value] of [
    ['--from', range.from],
    ['--to', range.to],
  ] as const) {
    if (value !== undefined && !isIsoDate(value))
      throw new TapewatchError('bad_input', `${flag} "${value}" is not a date in the form YYYY-MM-DD.`);
  }
  if (asOf !== null && range.to !== undefined && range.to > asOf) {
    throw new TapewatchError(
      'bad_input',
      `--to ${range.to} is after --as-of ${asOf}: nothing after the as-of day can be shown.`,
    );
  }
}

/**
 * A report flag's value as the option's schema takes it. A number flag that is not a number stays NaN,
 * so the schema refuses it with the flag's name; an absent flag stays undefined and takes the default.
 */
export function flagValue(spec: OptionSpec, raw: unknown): unknown {
  if (raw === undefined) return undefined;
  switch (spec.kind) {
    case 'integer':
    case 'number':
      return Number(raw);
    default:
      return raw;
  }
}
