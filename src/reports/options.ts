import { z } from 'zod';
import { normalizeSymbol } from '../universes/index.ts';

/**
 * A report option, declared once. Its zod schema validates every surface; the rest of the declaration
 * is what the surfaces show: the CLI flag `--<name> <placeholder>`, the slash option `<name>` (the
 * same word, so a user moving between the terminal and Discord types the same thing), and the help
 * text, which also describes the LLM tool parameter.
 */
export interface OptionSpec<Schema extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly kind: 'universe' | 'symbol' | 'integer' | 'number' | 'boolean';
  readonly help: string;
  /** What the CLI help shows as the value, e.g. `--lookback <months>`; booleans are bare flags. */
  readonly placeholder: string | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly defaultValue: string | number | boolean | null;
  /** Discord offers completions while the user types (universes). */
  readonly autocomplete: boolean;
  readonly schema: Schema;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

type Shape<Table extends OptionTable> = { -readonly [K in keyof Table]: Table[K]['schema'] };
export type OptionsSchema<Table extends OptionTable> = z.ZodObject<Shape<Table>, z.core.$strict>;

/** The zod schema of a table: every key optional with its default, unknown keys refused. */
export function optionsSchema<Table extends OptionTable>(table: Table): OptionsSchema<Table> {
  const shape = Object.fromEntries(Object.entries(table).map(([key, spec]) => [key, spec.schema]));
  return z.strictObject(shape as Shape<Table>);
}

/** The default as help text shows it: `12`, `SPY`, `off` for an unset number or a false flag. */
export function defaultText(spec: OptionSpec): string {
  return spec.defaultValue === null || spec.defaultValue === false ? 'off' : String(spec.defaultValue);
}

/** Help text with its default, as the CLI help, the slash option and the LLM tool parameter show it. */
export function describeOption(spec: OptionSpec): string {
  return `${spec.help} (default ${defaultText(spec)})`;
}

interface Common {
  readonly name: string;
  readonly help: string;
}

interface Bounded extends Common {
  readonly placeholder: string;
  readonly min: number;
  readonly max: number;
}

function spec<Schema extends z.ZodType>(
  fields: Omit<OptionSpec<Schema>, 'schema' | 'autocomplete'> & { autocomplete?: boolean },
  schema: Schema,
): OptionSpec<Schema> {
  const declared = { ...fields, autocomplete: fields.autocomplete ?? false, schema };
  return { ...declared, schema: schema.describe(describeOption(declared)) };
}

/** A whole number within bounds. */
export function integerOption(o: Bounded & { readonly default: number }) {
  return spec(
    { ...o, kind: 'integer', defaultValue: o.default },
    z.number().int().min(o.min).max(o.max).default(o.default),
  );
}

/** A number within bounds; a `null` default means the feature is off unless the user sets a value. */
export function numberOption(
  o: Bounded & { readonly default: number },
): OptionSpec<z.ZodDefault<z.ZodNumber>>;
export function numberOption(
  o: Bounded & { readonly default: null },
): OptionSpec<z.ZodDefault<z.ZodNullable<z.ZodNumber>>>;
export function numberOption(o: Bounded & { readonly default: number | null }): OptionSpec {
  const base = z.number().min(o.min).max(o.max);
  return spec(
    { ...o, kind: 'number', defaultValue: o.default },
    o.default === null ? base.nullable().default(null) : base.default(o.default),
  );
}

/** A yes/no flag, off unless given. */
export function booleanOption(o: Common) {
  return spec(
    { ...o, kind: 'boolean', placeholder: null, min: null, max: null, defaultValue: false },
    z.boolean().default(false),
  );
}

/** A ticker symbol, trimmed and upper-cased. */
export function symbolOption(o: Common & { readonly default: string }) {
  return spec(
    { ...o, kind: 'symbol', placeholder: 'symbol', min: null, max: null, defaultValue: o.default },
    z.string().trim().min(1).default(o.default).transform(normalizeSymbol),
  );
}

/**
 * A list of symbols: a universe name, a comma list, or (resolved by the surface) a watchlist. Resolving
 * the name is the request's job, not the schema's.
 */
export function universeOptionOf(o: Common & { readonly default: string }) {
  return spec(
    {
      ...o,
      kind: 'universe',
      placeholder: 'universe',
      min: null,
      max: null,
      defaultValue: o.default,
      autocomplete: true,
    },
    z.string().trim().min(1).default(o.default),
  );
}

/**
 * The universe a report covers. The CLI takes it as the global `--universe` (quote and series use it
 * too); Discord offers it with autocomplete.
 */
export const universeOption = universeOptionOf({
  name: 'universe',
  help: 'sp500, mag7, sectors, styles, or symbols such as AAPL,MSFT,NVDA',
  default: 'sp500',
});
