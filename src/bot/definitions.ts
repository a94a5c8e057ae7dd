import {
  ChannelType,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type SlashCommandBooleanOption,
  type SlashCommandIntegerOption,
  type SlashCommandStringOption,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  type SlashCommandOptionsOnlyBuilder,
} from 'discord.js';
import { declarationOf, REQUEST_NAMES, type RequestName } from '../../commands/index.ts';
import { describeOption } from '../reports/options.ts';

/** The slash option that picks a past close; every report and the brief take it. */
export const AS_OF_OPTION = 'as-of';

/** A report's slash command, its options generated from the report's option table. */
function reportCommand(name: RequestName): SlashCommandOptionsOnlyBuilder {
  const declaration = declarationOf(name);
  let builder: SlashCommandOptionsOnlyBuilder = new SlashCommandBuilder()
    .setName(name)
    .setDescription(declaration.description.slice(0, 100));
  for (const spec of Object.values(declaration.options)) {
    const describe = <T extends { setName(n: string): T; setDescription(d: string): T }>(o: T): T =>
      o.setName(spec.name).setDescription(describeOption(spec).slice(0, 100));
    switch (spec.kind) {
      case 'universe':
      case 'symbol':
        builder = builder.addStringOption((o) =>
          describe(o).setMaxLength(200).setAutocomplete(spec.autocomplete),
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
            .addChoices(REQUEST_NAMES.map((name) => ({ name, value: name }))),
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

function watchlistCommand() {
  const nameOption = (o: SlashCommandStringOption) =>
    o.setName('name').setDescription('which list (default: "default")').setMaxLength(32);
  const serverOption = (o: SlashCommandBooleanOption) =>
    o.setName('server').setDescription("the server's list instead of yours (Manage Server to change it)");
  return new SlashCommandBuilder()
    .setName('watchlist')
    .setDescription(
      "your symbol lists (or the server's): quote them, or use one as a universe: watchlist:NAME",
    )
    .addSubcommand((sub) =>
      sub
        .setName('add')
        .setDescription('add symbols to a watchlist, making it if it is new')
        .addStringOption((o) =>
          o.setName('symbols').setDescription('e.g. AAPL MSFT NVDA').setRequired(true).setMaxLength(1000),
        )
        .addStringOption(nameOption)
        .addBooleanOption(serverOption),
    )
    .addSubcommand((sub) =>
      sub
        .setName('remove')
        .setDescription('take symbols off a watchlist, or remove the whole list')
        .addStringOption((o) =>
          o.setName('symbols').setDescription('which symbols (default: the whole list)').setMaxLength(1000),
        )
        .addStringOption(nameOption)
        .addBooleanOption(serverOption),
    )
    .addSubcommand((sub) =>
      sub
        .setName('show')
        .setDescription('a watchlist, or all of them')
        .addStringOption((o) =>
          o.setName('name').setDescription('which list (default: all)').setMaxLength(32),
        )
        .addBooleanOption(serverOption),
    );
}

function alertCommand() {
  const idOption = (o: SlashCommandIntegerOption) =>
    o.setName('id').setDescription('the id from /alert list').setRequired(true).setMinValue(1);
  return new SlashCommandBuilder()
    .setName('alert')
    .setDescription(
      'be told when a market event happens: a momentum crash, a breadth thrust, a level crossed',
    )
    .addSubcommand((sub) =>
      sub
        .setName('add')
        .setDescription('add an alert: to a channel (Manage Server), or without a channel by DM to you')
        .addStringOption((o) =>
          o
            .setName('condition')
            .setDescription('e.g. momentum_crash, breadth.pct_above_200d crosses below 20, SPY moves 2%')
            .setRequired(true)
            .setMaxLength(120)
            .setAutocomplete(true),
        )
        .addChannelOption((o) =>
          o
            .setName('channel')
            .setDescription('post it in this channel (Manage Server); default: DM to you')
            .addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement),
        )
        .addNumberOption((o) =>
          o
            .setName('threshold')
            .setDescription("a momentum event's |z| (default 3), or a split's move (default 0.03)")
            .setMinValue(0.005)
            .setMaxValue(10),
        )
        .addStringOption((o) =>
          o
            .setName('universe')
            .setDescription('the stocks a momentum or breadth condition is read on (default sp500)')
            .setMaxLength(200)
            .setAutocomplete(true),
        ),
    )
    .addSubcommand((sub) =>
      sub.setName('list').setDescription("this server's alerts and yours, with when they last fired"),
    )
    .addSubcommand((sub) => sub.setName('remove').setDescription('stop an alert').addIntegerOption(idOption))
    .addSubcommand((sub) =>
      sub
        .setName('test')
        .setDescription('what the alert would post now, and how often it would have fired')
        .addIntegerOption(idOption),
    );
}

/** Every slash command as Discord's registration API takes it; deploy-commands sends exactly this. */
export function slashCommandDefinitions(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return [
    ...REQUEST_NAMES.map((report) => reportCommand(report).toJSON()),
    scheduleCommand().toJSON(),
    watchlistCommand().toJSON(),
    alertCommand().toJSON(),
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
