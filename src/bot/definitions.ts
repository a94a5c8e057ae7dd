import {
  ChannelType,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  type SlashCommandOptionsOnlyBuilder,
} from 'discord.js';
import { REPORT_MODULES } from '../../commands/index.ts';
import { REPORT_COMMANDS } from '../report/types.ts';

/** What a user can ask the bot for: one of the three reports, or the brief made of all three. */
export const BOT_REPORTS = [...REPORT_COMMANDS, 'market'] as const;
export type BotReport = (typeof BOT_REPORTS)[number];

export function isBotReport(name: string): name is BotReport {
  return (BOT_REPORTS as readonly string[]).includes(name);
}

/** A slash option and the report option (schema key) it fills. */
export interface OptionSpec {
  readonly name: string;
  readonly key: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean';
  readonly description: string;
  readonly min?: number;
  readonly max?: number;
  readonly autocomplete?: boolean;
}

const UNIVERSE: OptionSpec = {
  name: 'universe',
  key: 'universe',
  type: 'string',
  description: 'sp500 (default), mag7, sectors, styles, or symbols such as AAPL,MSFT,NVDA',
  autocomplete: true,
};

/** Options of each report, mirroring its zod schema; the schema still validates every value. */
export const REPORT_OPTIONS: Readonly<Record<BotReport, readonly OptionSpec[]>> = {
  momentum: [
    UNIVERSE,
    {
      name: 'lookback',
      key: 'lookbackMonths',
      type: 'integer',
      description: 'ranking window in months (default 12)',
      min: 2,
      max: 24,
    },
    {
      name: 'skip',
      key: 'skipMonths',
      type: 'integer',
      description: 'latest months left out of the ranking (default 1)',
      min: 0,
      max: 3,
    },
    {
      name: 'quantile',
      key: 'quantile',
      type: 'number',
      description: 'share of stocks in each leg (default 0.2)',
      min: 0.05,
      max: 0.5,
    },
    {
      name: 'sector-neutral',
      key: 'sectorNeutral',
      type: 'boolean',
      description: 'rank within sectors (default false)',
    },
    {
      name: 'vol-target',
      key: 'volTarget',
      type: 'number',
      description: 'scale to this annual volatility, e.g. 0.12 (default off)',
      min: 0.01,
      max: 1,
    },
    {
      name: 'event-sigma',
      key: 'eventSigma',
      type: 'number',
      description: 'z-score that makes a day a crash or spike (default 3)',
      min: 1,
      max: 10,
    },
  ],
  breadth: [
    UNIVERSE,
    {
      name: 'index',
      key: 'index',
      type: 'string',
      description: 'ETF of the index to compare with (default SPY)',
    },
    {
      name: 'top',
      key: 'top',
      type: 'integer',
      description: 'how many largest members are the leaders (default 7)',
      min: 1,
      max: 50,
    },
  ],
  rotation: [
    {
      name: 'benchmark',
      key: 'benchmark',
      type: 'string',
      description: 'benchmark ETF of the rotation graph (default SPY)',
    },
    {
      name: 'tail-weeks',
      key: 'tailWeeks',
      type: 'integer',
      description: 'weeks in each sector tail (default 5)',
      min: 1,
      max: 26,
    },
    {
      name: 'split-threshold',
      key: 'splitThreshold',
      type: 'number',
      description: 'one-day move that counts as a split, 0.03 is 3% (default)',
      min: 0.005,
      max: 0.2,
    },
  ],
  market: [UNIVERSE],
};

export const AS_OF_OPTION = 'as-of';

/** Slash option names keyed by schema key, so a schema's complaint names what the user typed. */
export const OPTION_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.values(REPORT_OPTIONS).flatMap((specs) => specs.map((spec) => [spec.key, spec.name])),
);

const REPORT_DESCRIPTIONS: Readonly<Record<BotReport, string>> = {
  momentum: REPORT_MODULES.momentum.description,
  breadth: REPORT_MODULES.breadth.description,
  rotation: REPORT_MODULES.rotation.description,
  market: 'a one-screen brief: momentum, breadth and rotation together',
};

function reportCommand(report: BotReport): SlashCommandOptionsOnlyBuilder {
  let builder: SlashCommandOptionsOnlyBuilder = new SlashCommandBuilder()
    .setName(report)
    .setDescription(REPORT_DESCRIPTIONS[report].slice(0, 100));
  for (const spec of REPORT_OPTIONS[report]) {
    const describe = <T extends { setName(n: string): T; setDescription(d: string): T }>(o: T): T =>
      o.setName(spec.name).setDescription(spec.description);
    switch (spec.type) {
      case 'string':
        builder = builder.addStringOption((o) =>
          describe(o)
            .setMaxLength(200)
            .setAutocomplete(spec.autocomplete ?? false),
        );
        break;
      case 'integer':
        builder = builder.addIntegerOption((o) =>
          describe(o)
            .setMinValue(spec.min ?? 0)
            .setMaxValue(spec.max ?? 1000),
        );
        break;
      case 'number':
        builder = builder.addNumberOption((o) =>
          describe(o)
            .setMinValue(spec.min ?? 0)
            .setMaxValue(spec.max ?? 1000),
        );
        break;
      case 'boolean':
        builder = builder.addBooleanOption((o) => describe(o));
        break;
    }
  }
  return builder.addStringOption((o) =>
    o
      .setName(AS_OF_OPTION)
      .setDescription('show a past close, YYYY-MM-DD (default: latest)')
      .setMaxLength(40),
  );
}

function scheduleCommand() {
  return new SlashCommandBuilder()
    .setName('schedule')
    .setDescription('post a report to a channel at a set time on trading days (Manage Server)')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addSubcommand((sub) =>
      sub
        .setName('add')
        .setDescription('post a report to a channel at a time on trading days')
        .addChannelOption((o) =>
          o
            .setName('channel')
            .setDescription('where to post')
            .setRequired(true)
            .addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement),
        )
        .addStringOption((o) =>
          o.setName('time').setDescription('HH:MM, 24-hour, e.g. 16:15').setRequired(true).setMaxLength(20),
        )
        .addStringOption((o) =>
          o
            .setName('report')
            .setDescription('which report')
            .setRequired(true)
            .addChoices(BOT_REPORTS.map((name) => ({ name, value: name }))),
        )
        .addStringOption((o) =>
          o
            .setName('days')
            .setDescription('weekdays (default) or a list such as mon,wed,fri')
            .setMaxLength(40),
        )
        .addStringOption((o) =>
          o
            .setName('timezone')
            .setDescription('IANA time zone (default America/New_York)')
            .setMaxLength(60)
            .setAutocomplete(true),
        ),
    )
    .addSubcommand((sub) =>
      sub.setName('list').setDescription("this server's schedules and how they last ran"),
    )
    .addSubcommand((sub) =>
      sub
        .setName('remove')
        .setDescription('stop a schedule')
        .addIntegerOption((o) =>
          o.setName('id').setDescription('the id from /schedule list').setRequired(true).setMinValue(1),
        ),
    );
}

/** Every slash command as Discord's registration API takes it; deploy-commands sends exactly this. */
export function slashCommandDefinitions(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return [
    ...BOT_REPORTS.map((report) => reportCommand(report).toJSON()),
    scheduleCommand().toJSON(),
    new SlashCommandBuilder()
      .setName('ask')
      .setDescription('a market question in your own words, answered with the matching report')
      .addStringOption((o) =>
        o
          .setName('question')
          .setDescription('e.g. how many stocks are above their 200-day average?')
          .setRequired(true)
          .setMaxLength(500),
      )
      .toJSON(),
    new SlashCommandBuilder()
      .setName('help')
      .setDescription('what tapewatch can do and how to read it')
      .toJSON(),
  ];
}
