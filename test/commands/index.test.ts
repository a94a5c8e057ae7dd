import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationCommandOptionType } from 'discord.js';
import type { Command } from 'commander';
import { z } from 'zod';
import {
  buildReports,
  declarationOf,
  prepare,
  REPORTS,
  REQUEST_NAMES,
  type RequestName,
} from '../../commands/index.ts';
import { slashCommandDefinitions } from '../../src/bot/definitions.ts';
import { botRequestPolicy } from '../../src/bot/answer.ts';
import { createProgram, runCli } from '../../src/cli/program.ts';
import { reportTools } from '../../src/llm/ask.ts';
import { DemoMarketData } from '../../src/market/demo.ts';
import { TapewatchError } from '../../src/errors.ts';
import { describeOption, type OptionSpec } from '../../src/reports/options.ts';
import { REPORT_COMMANDS } from '../../src/reports/types.ts';
import { testPolicy } from '../helpers/reports.ts';

const SLASH_TYPES: Readonly<Record<OptionSpec['kind'], ApplicationCommandOptionType>> = {
  universe: ApplicationCommandOptionType.String,
  symbol: ApplicationCommandOptionType.String,
  integer: ApplicationCommandOptionType.Integer,
  number: ApplicationCommandOptionType.Number,
  boolean: ApplicationCommandOptionType.Boolean,
};

const JSON_TYPES: Readonly<Record<OptionSpec['kind'], string>> = {
  universe: 'string',
  symbol: 'string',
  integer: 'integer',
  number: 'number',
  boolean: 'boolean',
};

function entries(name: RequestName): [string, OptionSpec][] {
  return Object.entries(declarationOf(name).options);
}

interface JsonProperty {
  type?: string;
  anyOf?: { type?: string; minimum?: number; maximum?: number }[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description?: string;
}

/** The bounds and type of a JSON schema property, looking through `anyOf [number, null]`. */
function jsonShape(property: JsonProperty): { type?: string; minimum?: number; maximum?: number } {
  return property.anyOf?.find((member) => member.type !== 'null') ?? property;
}

const cliIo = {
  env: {},
  cwd: process.cwd(),
  stdout: () => undefined,
  stderr: () => undefined,
  stderrIsTty: false,
  now: () => new Date('2026-11-21T12:00:00Z'),
  fetch: () => Promise.reject(new TypeError('no network in tests')),
};

describe('one declaration per report, the same on every surface', () => {
  it('the zod schema has exactly the table’s keys, with its types, bounds and defaults', () => {
    for (const name of REPORT_COMMANDS) {
      const json = z.toJSONSchema(REPORTS[name].schema, { io: 'input', unrepresentable: 'any' }) as {
        properties: Record<string, JsonProperty>;
        additionalProperties: boolean;
      };
      assert.deepEqual(Object.keys(json.properties), Object.keys(REPORTS[name].options), name);
      assert.equal(json.additionalProperties, false, `${name} refuses unknown options`);
      for (const [key, spec] of entries(name)) {
        const property = json.properties[key] ?? {};
        const shape = jsonShape(property);
        assert.equal(shape.type, JSON_TYPES[spec.kind], `${name}.${key} type`);
        assert.equal(shape.minimum, spec.min ?? undefined, `${name}.${key} min`);
        assert.equal(shape.maximum, spec.max ?? undefined, `${name}.${key} max`);
        assert.equal(property.default, spec.defaultValue, `${name}.${key} default`);
      }
    }
  });

  it('the CLI has one flag per option, named and described as declared', () => {
    const program = createProgram(cliIo, () => Promise.resolve());
    const global = program.options.map((option) => option.long);
    for (const name of REPORT_COMMANDS) {
      const command = program.commands.find((c: Command) => c.name() === name);
      assert.ok(command, `a ${name} subcommand`);
      // quote's own command takes its symbols as arguments (or --watchlist, or --universe).
      if (name === 'quote') {
        assert.deepEqual(
          command.registeredArguments.map((a) => a.name()),
          ['symbols'],
        );
        continue;
      }
      const flags = command.options.map((option) => [option.long, option.description, option.required]);
      // A `symbol` option is the command's argument: `tapewatch chart NVDA`.
      const expected = entries(name)
        .filter(([key, spec]) => spec.kind !== 'universe' && key !== 'symbol')
        .map(([, spec]) => [`--${spec.name}`, describeOption(spec), spec.kind !== 'boolean']);
      assert.deepEqual(flags, expected, name);
      assert.deepEqual(
        command.registeredArguments.map((a) => a.name()),
        'symbol' in REPORTS[name].options ? ['symbol'] : [],
        name,
      );
      if ('universe' in REPORTS[name].options) assert.ok(global.includes('--universe'));
    }
  });

  it('each slash command has one option per table entry (plus as-of), with its type, bounds and autocomplete', () => {
    const definitions = slashCommandDefinitions();
    for (const name of REQUEST_NAMES) {
      const command = definitions.find((d) => d.name === name);
      assert.ok(command, `/${name}`);
      const options = (command.options ?? []) as {
        name: string;
        type: ApplicationCommandOptionType;
        description: string;
        min_value?: number;
        max_value?: number;
        autocomplete?: boolean;
      }[];
      assert.deepEqual(
        options.map((o) => o.name),
        [...entries(name).map(([, spec]) => spec.name), 'as-of'],
        name,
      );
      for (const [, spec] of entries(name)) {
        const option = options.find((o) => o.name === spec.name);
        assert.equal(option?.type, SLASH_TYPES[spec.kind], `${name} ${spec.name} type`);
        assert.equal(option.description, describeOption(spec).slice(0, 100));
        assert.equal(option.min_value, spec.min ?? undefined, `${name} ${spec.name} min`);
        assert.equal(option.max_value, spec.max ?? undefined, `${name} ${spec.name} max`);
        assert.equal(option.autocomplete ?? false, spec.autocomplete, `${name} ${spec.name} autocomplete`);
      }
    }
  });

  it('each LLM tool has one parameter per option (plus asOf), with its bounds, default and help', () => {
    const tools = reportTools();
    assert.deepEqual(
      tools.map((tool) => (tool.type === 'function' ? tool.function.name : '')),
      [...REQUEST_NAMES],
    );
    for (const name of REQUEST_NAMES) {
      const tool = tools.find((t) => t.type === 'function' && t.function.name === name);
      assert.ok(tool?.type === 'function');
      const properties = (tool.function.parameters as { properties: Record<string, JsonProperty> })
        .properties;
      assert.deepEqual(Object.keys(properties), [...entries(name).map(([key]) => key), 'asOf'], name);
      for (const [key, spec] of entries(name)) {
        const property = properties[key] ?? {};
        assert.equal(property.description, describeOption(spec), `${name}.${key} description`);
        assert.equal(jsonShape(property).minimum, spec.min ?? undefined);
        assert.equal(jsonShape(property).maximum, spec.max ?? undefined);
      }
    }
  });

  it('an out-of-bounds value is refused on the CLI and in Discord, each naming the option its own way', async () => {
    const discordPolicy = botRequestPolicy('2026-11-21', '/nonexistent-tapewatch-home');
    for (const name of REPORT_COMMANDS) {
      for (const [key, spec] of entries(name)) {
        if (spec.max === null) continue;
        const tooBig = spec.max * 2;
        let err = '';
        const code = await runCli([name, '--source', 'demo', `--${spec.name}`, String(tooBig)], {
          ...cliIo,
          stderr: (text) => {
            err += text;
          },
        });
        assert.equal(code, 2, `${name} --${spec.name} ${tooBig}`);
        assert.equal(err, `tapewatch: --${spec.name} must be at most ${spec.max}.\n`, "in words, not zod's");
        assert.throws(
          () => prepare(name, { [key]: tooBig }, null, discordPolicy),
          (error: unknown) =>
            error instanceof TapewatchError &&
            error.code === 'bad_input' &&
            error.message === `Option \`${spec.name}\` must be at most ${spec.max}.`,
        );
      }
    }
  });
});

describe('one request path', () => {
  it('prepare fills defaults, resolves the universe and as-of day once, and keys identical requests alike', () => {
    const policy = testPolicy('2026-11-21');
    const a = prepare('momentum', { universe: 'sectors', lookbackMonths: 6 }, '2024-07-13', policy);
    assert.equal(a.endDate, '2024-07-12', 'a Saturday falls back to Friday');
    assert.match(a.asOfNote ?? '', /2024-07-13 was not a trading day/);
    assert.deepEqual(a.input, { universe: 'sectors', lookbackMonths: 6 });
    const [momentum] = a.reports;
    assert.equal(momentum?.options.skipMonths, 1, 'defaults filled');
    assert.equal(momentum.universe?.symbols.length, 11, 'the eleven sector ETFs resolved');
    const b = prepare(
      'momentum',
      { universe: 'sectors', lookbackMonths: 6, skipMonths: 1 },
      '2024-07-12',
      policy,
    );
    assert.equal(b.key, a.key, 'the same reports on the same day share a key');
    const c = prepare('momentum', { universe: 'sectors' }, '2024-07-12', policy);
    assert.notEqual(c.key, a.key);
  });

  it('the brief prepares all three reports, momentum and breadth on the given universe', () => {
    const brief = prepare('market', { universe: 'sectors' }, null, testPolicy('2026-11-21'));
    assert.deepEqual(
      brief.reports.map((r) => [r.command, r.universe?.name ?? null]),
      [
        ['momentum', 'sectors'],
        ['breadth', 'sectors'],
        ['rotation', null],
      ],
    );
    assert.equal(brief.reports[0]?.universe, brief.reports[1]?.universe, 'resolved once for both');
    assert.throws(
      () => prepare('market', { top: 3 }, null, testPolicy()),
      /^TapewatchError: --top is not an option of this request\.$/,
    );
  });

  it('leaves out of the brief what the universe cannot answer, says why, and shows the rest', async () => {
    const small = prepare('market', { universe: 'AAPL,MSFT,NVDA' }, '2024-07-11', testPolicy('2026-11-21'));
    assert.deepEqual(
      small.reports.map((r) => r.command),
      ['breadth', 'rotation'],
    );
    assert.match(small.omitted[0]?.reason ?? '', /has 3 members; the momentum factor needs at least 10/);
    const demo = new DemoMarketData(20240711, () => new Date('2026-11-20T22:00:00Z'));
    const built = await buildReports(small, { marketData: demo });
    assert.deepEqual(
      built.reports.map((r) => r.command),
      ['rotation'],
      'breadth needs five members with data',
    );
    assert.deepEqual(
      built.omitted.map((o) => o.command),
      ['momentum', 'breadth'],
    );
    const single = prepare('breadth', { universe: 'AAPL,MSFT,NVDA' }, '2024-07-11', testPolicy('2026-11-21'));
    await assert.rejects(
      buildReports(single, { marketData: demo }),
      /members/,
      'a lone report fails as it fails',
    );
  });

  it('refuses a future as-of day and an unknown universe before anything is built', () => {
    assert.throws(
      () => prepare('breadth', {}, '2027-01-04', testPolicy('2026-11-21')),
      /--as-of 2027-01-04 is in the future/,
    );
    assert.throws(
      () => prepare('breadth', { universe: 'nasdaq-everything' }, null, testPolicy()),
      (error: unknown) => error instanceof TapewatchError && error.code === 'unknown_universe',
    );
  });

  it('builds an as-of request on data up to that day only', async () => {
    const demo = new DemoMarketData(20240711, () => new Date('2026-11-20T22:00:00Z'));
    const request = prepare('rotation', {}, '2024-07-11', testPolicy('2026-11-20'));
    const [report] = (await buildReports(request, { marketData: demo })).reports;
    assert.equal(report?.asOf, '2024-07-11');
    assert.ok(
      report.series.every((s) => s.dates.every((d) => d <= '2024-07-11')),
      'no later bar',
    );
  });
});
