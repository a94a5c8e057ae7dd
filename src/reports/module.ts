import type { z } from 'zod';
import { TapewatchError } from '../errors.ts';
import { resolveUniverse, type Universe, type UniverseContext } from '../universes/index.ts';
import type { ReportContext } from './context.ts';
import type { OptionTable } from './options.ts';
import type { Report, ReportCommand } from './types.ts';

/** What a surface brings to validating a request: whose files a universe may name, how it names options. */
export interface RequestPolicy {
  /** The exchange's today: a later as-of is refused. */
  readonly today: string;
  readonly universes: UniverseContext;
  /** How an error names an option of this surface: `--lookback` in the terminal, "Option `lookback`" in Discord. */
  readonly optionLabel: (name: string) => string;
}

/** A report's options validated and its universe resolved: building it needs nothing but the services. */
export interface PreparedReport {
  readonly command: ReportCommand;
  readonly options: Readonly<Record<string, unknown>>;
  readonly universe: Universe | null;
  readonly build: (context: ReportContext) => Promise<Report>;
}

/** Reports with a `universe` option are built for the resolved universe; the others get none. */
type UniverseOf<Table extends OptionTable> = 'universe' extends keyof Table ? Universe : null;

export interface ReportDefinition<Table extends OptionTable, Schema extends z.ZodType> {
  readonly name: ReportCommand;
  readonly description: string;
  readonly options: Table;
  /** The table's schema, with any rule across options (`optionsSchema(table).refine(…)`). */
  readonly schema: Schema;
  /** The metric ids that answer the report's question at a glance, for short surfaces (Discord, briefs). */
  readonly headline: readonly string[];
  readonly build: (
    context: ReportContext,
    options: z.output<Schema>,
    universe: UniverseOf<Table>,
  ) => Promise<Report>;
  /**
   * Refuses, before anything is loaded, a request the report cannot answer whatever the data (a
   * universe too small to sort into legs), so the user hears it at once instead of after a wait.
   */
  readonly check?: (options: z.output<Schema>, universe: UniverseOf<Table>) => void;
  /** The universe option asks for symbols (quote): a lone word is one symbol, not a mistyped universe. */
  readonly loneSymbol?: boolean;
}

/** A report as every surface sees it: its declaration, and the one way to turn raw options into a build. */
export interface ReportModule {
  readonly name: ReportCommand;
  readonly description: string;
  readonly options: OptionTable;
  readonly schema: z.ZodType;
  readonly headline: readonly string[];
  /** Checks the options; `universe`, when given, is the resolved `raw.universe` (a brief resolves it once). */
  readonly prepare: (
    raw: Readonly<Record<string, unknown>>,
    policy: RequestPolicy,
    universe?: Universe,
  ) => PreparedReport;
}

/**
 * The first complaint of a schema as one line naming the option the way the surface shows it, e.g.
 * `--quantile: Too big: expected number to be <=0.5.`
 */
export function optionsError(error: z.ZodError, table: OptionTable, policy: RequestPolicy): TapewatchError {
  const issue = error.issues[0];
  const key = String(issue?.path[0] ?? '');
  const name = table[key]?.name ?? key;
  if (issue?.code === 'unrecognized_keys') {
    const names = issue.keys.map((k) => policy.optionLabel(table[k]?.name ?? k));
    return new TapewatchError(
      'bad_input',
      `${names.join(', ')} ${names.length === 1 ? 'is not an option' : 'are not options'} of this request.`,
    );
  }
  return new TapewatchError(
    'bad_input',
    `${policy.optionLabel(name)} ${issue ? inWords(issue) : 'is not valid'}.`,
  );
}

/** A validation issue as a user reads it ("must be at least 2"), never zod's own wording. */
function inWords(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return issue.inclusive === false
        ? `must be more than ${String(issue.minimum)}`
        : `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return issue.inclusive === false
        ? `must be less than ${String(issue.maximum)}`
        : `must be at most ${String(issue.maximum)}`;
    case 'invalid_type':
      return `must be ${issue.expected === 'int' ? 'a whole number' : issue.expected === 'number' ? 'a number' : `a ${issue.expected}`}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'not_multiple_of':
      return issue.divisor === 1
        ? 'must be a whole number'
        : `must be a multiple of ${String(issue.divisor)}`;
    default:
      return `is not valid (${issue.message.toLowerCase()})`;
  }
}

/** Options left out (undefined) or cleared (null, as Discord sends them) take their defaults. */
export function givenOptions(raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined && value !== null));
}

export function defineReport<Table extends OptionTable, Schema extends z.ZodType>(
  definition: ReportDefinition<Table, Schema>,
): ReportModule {
  const { name, description, options, schema, headline } = definition;
  return {
    name,
    description,
    options,
    schema,
    headline,
    prepare(raw, policy, resolved) {
      const parsed = schema.safeParse(givenOptions(raw));
      if (!parsed.success) throw optionsError(parsed.error, options, policy);
      const values = parsed.data;
      const universe =
        'universe' in options
          ? (resolved ??
            resolveUniverse((values as { universe: string }).universe, {
              ...policy.universes,
              loneSymbol: definition.loneSymbol === true,
            }))
          : null;
      definition.check?.(values, universe as UniverseOf<Table>);
      return {
        command: name,
        options: values as Readonly<Record<string, unknown>>,
        universe,
        build: (context) => definition.build(context, values, universe as UniverseOf<Table>),
      };
    },
  };
}
