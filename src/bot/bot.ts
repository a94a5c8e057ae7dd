import {
  ActionRowBuilder,
  AttachmentBuilder,
  ButtonBuilder,
  ButtonStyle,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  MessageFlags,
  Partials,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  Routes,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type Message,
  type PermissionsBitField,
} from 'discord.js';
import { newReference } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { RenderedMessage } from '../render/discord.ts';
import { fitMessage, renderSummaryMessage, textMessage } from '../render/discord.ts';
import type { Summarizer } from '../llm/summarizer.ts';
import type { Summary } from '../llm/template.ts';
import type { Report } from '../report/types.ts';
import type { QuestionRouter } from '../llm/ask.ts';
import { REPORT_MODULES } from '../../commands/index.ts';
import { NAMED_UNIVERSES } from '../universes/index.ts';
import { ReportButtons, type ButtonAction } from './buttons.ts';
import type { LlmBudget } from './budget.ts';
import { Cooldown } from './cooldown.ts';
import { AS_OF_OPTION, isBotReport, REPORT_OPTIONS, type BotReport } from './definitions.ts';
import { describeRequest, DM_HELP, routeDirectMessage } from './dm-router.ts';
import { cooldownMessage, hashUserId, userFacingError, type UserFacingError } from './replies.ts';
import type { ReportRequest, ReportRunner } from './reports.ts';
import { ChannelUnavailableError, Scheduler } from './scheduler.ts';
import { nextSlot, parseScheduleInput, type ScheduleStore } from './schedules.ts';

/** No message the bot sends may ping anyone: not a symbol, not a user's words, not an LLM's output. */
const NO_MENTIONS = { parse: [] as never[], repliedUser: false };
/** Progress edits at most this often, well under Discord's rate limits for one message. */
const PROGRESS_EVERY_MS = 2_000;
const SHUTDOWN_GRACE_MS = 10_000;

export interface BotDeps {
  readonly token: string;
  readonly apiUrl: string;
  readonly runner: ReportRunner;
  readonly schedules: ScheduleStore;
  readonly cooldownSeconds: number;
  /** Writes Explain's summaries; its button shows only when a language model is configured. */
  readonly summarizer: Summarizer;
  readonly llmBudget: LlmBudget;
  /** Places free-form questions (/ask, DMs the keywords miss) on a report; null without a model. */
  readonly questions: QuestionRouter | null;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly schedulerIntervalMs?: number;
}

export interface Bot {
  /** Logs in and resolves once the gateway session is ready; the scheduler starts with it. */
  start(): Promise<void>;
  /** Stops taking requests, lets replies under way finish (10 s at most), then disconnects. */
  stop(): Promise<void>;
  readonly scheduler: Scheduler;
}

/** Whether a member may change this server's schedules: Manage Server, which Administrator implies. */
export function canManageSchedules(permissions: Readonly<PermissionsBitField> | null): boolean {
  return permissions?.has(PermissionFlagsBits.ManageGuild, true) ?? false;
}

const OFF_TOPIC =
  'I can only help with the US stock market: momentum, breadth (how many stocks take part) and sector rotation. Try "how is breadth?" or /help.';

const HELP_TEXT = [
  '**tapewatch** computes market indicators from daily data and explains what they say.',
  '• `/momentum`: the long-short momentum trade (last year’s winners minus losers): is it up or crashing, and what followed earlier crashes?',
  '• `/breadth`: how many stocks take part: % above moving averages, advance-decline, new highs and lows, concentration in the largest names.',
  '• `/rotation`: sector rotation graph, small caps vs large, value vs growth, cyclicals vs defensives, rare one-day splits.',
  '• `/market`: all three in one screen.',
  '• `/ask`: a question in your own words, answered with the matching report.',
  '• `/schedule add|list|remove`: post a report to a channel on trading days (Manage Server).',
  'Every report takes `as-of:YYYY-MM-DD` to see a past close; the Refresh button recomputes it. You can also DM me, e.g. "how is breadth?".',
  'Numbers come from daily closes (adjusted for dividends and splits); n/a means not enough history. Not investment advice.',
].join('\n');

function payload(
  message: RenderedMessage,
  request: ReportRequest | null,
  buttons: ReportButtons,
  explain: boolean,
) {
  const actions: [ButtonAction, string][] = explain
    ? [
        ['refresh', 'Refresh'],
        ['explain', 'Explain'],
      ]
    : [['refresh', 'Refresh']];
  const components =
    request === null
      ? []
      : [
          new ActionRowBuilder<ButtonBuilder>().addComponents(
            actions.map(([action, label]) =>
              new ButtonBuilder()
                .setCustomId(buttons.customId(action, request))
                .setLabel(label)
                .setStyle(ButtonStyle.Secondary),
            ),
          ),
        ];
  return {
    content: message.content,
    embeds: [...message.embeds],
    files: messageFiles(message).map((file) => new AttachmentBuilder(file.data, { name: file.name })),
    attachments: [],
    components,
    allowedMentions: NO_MENTIONS,
  };
}

/** Maps a failure to what the user reads and logs it: refusals as info, bugs and outages as errors. */
function logFailure(log: Logger, error: unknown, reference: string): UserFacingError {
  const failure = userFacingError(error, reference);
  if (failure.expected) log.info({ detail: failure.detail }, 'request refused');
  else log.error({ err: failure.detail }, 'request failed');
  return failure;
}

/** The files a message carries: its chart (shown in the embed) and the full report as Markdown. */
function messageFiles(message: RenderedMessage): { name: string; data: Buffer }[] {
  return [
    ...(message.chart ? [{ name: message.chart.name, data: message.chart.png }] : []),
    ...(message.attachment
      ? [{ name: message.attachment.name, data: Buffer.from(message.attachment.text, 'utf8') }]
      : []),
  ];
}

/** A reply only the asker sees: refusals, cooldowns, help and schedule answers. */
async function replyPrivately(
  interaction: ChatInputCommandInteraction | ButtonInteraction,
  content: string,
): Promise<void> {
  await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
}

function reportOptions(interaction: ChatInputCommandInteraction, report: BotReport): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const spec of REPORT_OPTIONS[report]) {
    const { options } = interaction;
    raw[spec.key] =
      spec.type === 'string'
        ? options.getString(spec.name)
        : spec.type === 'integer'
          ? options.getInteger(spec.name)
          : spec.type === 'number'
            ? options.getNumber(spec.name)
            : options.getBoolean(spec.name);
  }
  return raw;
}

function permanentPostFailure(error: unknown): string | null {
  if (!(error instanceof DiscordAPIError)) return null;
  switch (error.code) {
    case RESTJSONErrorCodes.UnknownChannel:
      return 'the channel no longer exists';
    case RESTJSONErrorCodes.MissingAccess:
      return 'the bot can no longer see the channel';
    case RESTJSONErrorCodes.MissingPermissions:
      return 'the bot may no longer post there (it needs Send Messages, Embed Links and Attach Files)';
    default:
      return null;
  }
}

export function createBot(deps: BotDeps): Bot {
  const { runner, schedules, logger } = deps;
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.DirectMessages],
    // DM channels are not cached before their first message; without this, DMs are never delivered.
    partials: [Partials.Channel],
    allowedMentions: NO_MENTIONS,
    rest: { api: deps.apiUrl },
  });
  const cooldown = new Cooldown(deps.cooldownSeconds, deps.now);
  const buttons = new ReportButtons();
  const { summarizer } = deps;
  const inFlight = new Set<Promise<void>>();
  let stopping = false;

  /** Sends to a channel through REST, so DMs and schedules share one path with explicit allowed_mentions. */
  async function sendToChannel(channelId: string, message: RenderedMessage): Promise<void> {
    const body = {
      ...(message.content === '' ? {} : { content: message.content }),
      embeds: message.embeds,
      allowed_mentions: { parse: [] },
    };
    const files = messageFiles(message);
    await client.rest.post(Routes.channelMessages(channelId), {
      body,
      ...(files.length > 0 ? { files } : {}),
    });
  }

  const scheduler = new Scheduler({
    store: schedules,
    runner,
    now: deps.now,
    logger: logger.child({ component: 'scheduler' }),
    ...(deps.schedulerIntervalMs === undefined ? {} : { intervalMs: deps.schedulerIntervalMs }),
    post: async (channelId, message) => {
      try {
        await sendToChannel(channelId, message);
      } catch (error) {
        const reason = permanentPostFailure(error);
        throw reason === null ? error : new ChannelUnavailableError(reason);
      }
    },
  });

  function track(work: Promise<void>): void {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  /** Edits the deferred reply with loading progress, never more often than every two seconds. */
  function progressEditor(interaction: ChatInputCommandInteraction, deferral: Promise<unknown>) {
    let lastEdit = 0;
    let chain: Promise<unknown> = deferral.catch(() => undefined);
    return {
      onProgress: (done: number, total: number) => {
        const now = Date.now();
        if (now - lastEdit < PROGRESS_EVERY_MS || done === total) return;
        lastEdit = now;
        chain = chain
          .then(() =>
            interaction.editReply({
              content: `Loading prices… ${done}/${total}`,
              allowedMentions: NO_MENTIONS,
            }),
          )
          .catch(() => undefined);
      },
      settled: () => chain,
    };
  }

  async function answerReport(
    interaction: ChatInputCommandInteraction,
    report: BotReport,
    log: Logger,
  ): Promise<string> {
    const request = runner.validate(
      report,
      reportOptions(interaction, report),
      interaction.options.getString(AS_OF_OPTION),
    );
    const wait = cooldown.take(interaction.user.id);
    if (wait > 0) {
      await replyPrivately(interaction, cooldownMessage(wait));
      return 'cooldown';
    }
    // The request joins (or starts) its flight at once, so identical requests arriving together meet;
    // the work itself begins once the deferral has gone out.
    const deferral = interaction.deferReply();
    const progress = progressEditor(interaction, deferral);
    const answer = runner.run(request, progress.onProgress, deferral);
    // A failure before the deferral lands must still be answered as a follow-up, so wait for it first;
    // this handler only keeps an early rejection from counting as unhandled meanwhile.
    void answer.catch(() => undefined);
    await deferral;
    const { message } = await answer;
    await progress.settled();
    await interaction.editReply(payload(message, request, buttons, summarizer.enabled));
    log.debug({ embeds: message.embeds.length }, 'report sent');
    return 'ok';
  }

  async function answerSchedule(interaction: ChatInputCommandInteraction): Promise<string> {
    const ephemeral = (content: string) => replyPrivately(interaction, content);
    if (!interaction.inGuild()) {
      await ephemeral('Schedules belong to a server: use /schedule in a server channel.');
      return 'bad_input';
    }
    if (!canManageSchedules(interaction.memberPermissions)) {
      await ephemeral('Only members with the Manage Server permission can change schedules.');
      return 'forbidden';
    }
    const sub = interaction.options.getSubcommand();
    if (sub === 'list') {
      const now = deps.now();
      const list = schedules.list(interaction.guildId);
      const lines = list.map((s) => {
        const next = s.disabledReason === null ? nextSlot(s, now) : null;
        return [
          `**#${s.id}** ${s.report} in <#${s.channelId}> at ${s.time} ${s.timeZone}, ${s.days}`,
          s.disabledReason ?? (next ? `next ${next.date}` : 'no slot in the next two weeks'),
          s.lastOutcome === null ? null : `last: ${s.lastOutcome}`,
        ]
          .filter((part) => part !== null)
          .join(' · ');
      });
      await ephemeral(
        lines.length === 0
          ? 'No schedules in this server yet: add one with /schedule add.'
          : textMessage(lines.join('\n')).content,
      );
      return 'ok';
    }
    if (sub === 'remove') {
      const id = interaction.options.getInteger('id', true);
      const removed = schedules.remove(interaction.guildId, id);
      await ephemeral(
        removed
          ? `Schedule #${id} removed.`
          : `There is no schedule #${id} in this server; see /schedule list.`,
      );
      return removed ? 'ok' : 'bad_input';
    }
    const channel = interaction.options.getChannel('channel', true);
    const reportName = interaction.options.getString('report', true);
    if (!isBotReport(reportName)) {
      await ephemeral(
        `Option \`report\`: "${reportName.slice(0, 20)}" is not a report; use market, momentum, breadth or rotation.`,
      );
      return 'bad_input';
    }
    const input = parseScheduleInput({
      time: interaction.options.getString('time', true),
      days: interaction.options.getString('days'),
      timeZone: interaction.options.getString('timezone'),
    });
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const draft = {
      guildId: interaction.guildId,
      channelId: channel.id,
      report: reportName,
      ...input,
      createdBy: hashUserId(interaction.user.id),
    };
    // Posting the announcement proves the bot may post there before anything is stored.
    try {
      await sendToChannel(
        channel.id,
        textMessage(
          `From now on, the ${reportName} report is posted here at ${input.time} ${input.timeZone} on trading days (${input.days}).`,
        ),
      );
    } catch (error) {
      const reason = permanentPostFailure(error);
      if (reason === null) throw error;
      await interaction.editReply({
        content: `I cannot post in <#${channel.id}>: ${reason.replace('the bot', 'I')}. Give me View Channel, Send Messages, Embed Links and Attach Files there, then try again.`,
        allowedMentions: NO_MENTIONS,
      });
      return 'bad_input';
    }
    const saved = schedules.add(draft, deps.now());
    const next = nextSlot(saved, deps.now());
    await interaction.editReply({
      content: `Schedule #${saved.id}: ${saved.report} in <#${saved.channelId}> at ${saved.time} ${saved.timeZone}, ${saved.days}.${next ? ` First post ${next.date}.` : ''}`,
      allowedMentions: NO_MENTIONS,
    });
    return 'ok';
  }

  async function autocomplete(interaction: AutocompleteInteraction): Promise<void> {
    const focused = interaction.options.getFocused(true);
    const typed = focused.value.trim().toLowerCase();
    if (focused.name === 'timezone') {
      const zones = Intl.supportedValuesOf('timeZone').filter((zone) => zone.toLowerCase().includes(typed));
      await interaction.respond(zones.slice(0, 25).map((zone) => ({ name: zone, value: zone })));
      return;
    }
    const named = NAMED_UNIVERSES.filter((name) => name.includes(typed)).map((name) => ({
      name,
      value: name,
    }));
    // What the user typed, offered as the symbol list it would be read as (ma → MA, Mastercard).
    const symbols = typed.toUpperCase().replace(/\s+/g, '').slice(0, 100);
    const asTyped =
      /^[A-Z0-9.^=-]+(,[A-Z0-9.^=-]+)*,?$/.test(symbols) && !named.some((choice) => choice.value === typed)
        ? [{ name: symbols, value: symbols }]
        : [];
    await interaction.respond([...named, ...asTyped].slice(0, 25));
  }

  /**
   * What a free-form text asks for. Keywords place it, or (for /ask first, for DMs when the keywords
   * miss) the language model picks a report tool within the daily budget. Off-topic questions get a
   * fixed polite answer: the model's own words are never shown.
   */
  async function understand(
    text: string,
    who: { userId: string; guildId: string | null },
    modelFirst: boolean,
  ): Promise<{ request: ReportRequest; understood: string; viaModel: boolean } | { reply: string }> {
    const keywords = routeDirectMessage(text);
    if (keywords.kind === 'help' && !keywords.unplaced) return { reply: `${keywords.reason}\n\n${DM_HELP}` };
    const { questions } = deps;
    if (
      questions &&
      (modelFirst || keywords.kind === 'help') &&
      deps.llmBudget.take(who.userId, who.guildId)
    ) {
      const routed = await questions.route(text, runner.today());
      if (routed.kind === 'decline') return { reply: OFF_TOPIC };
      if (routed.kind === 'report' && isBotReport(routed.report)) {
        const request = runner.validate(routed.report, routed.options, routed.asOf);
        const universe = typeof request.options.universe === 'string' ? request.options.universe : null;
        return {
          request,
          understood: describeRequest(request.report, universe, request.asOf),
          viaModel: true,
        };
      }
    }
    if (keywords.kind === 'report') {
      const request = runner.validate(keywords.report, keywords.options, keywords.asOf);
      return { request, understood: keywords.understood, viaModel: false };
    }
    return { reply: `${keywords.reason}\n\n${DM_HELP}` };
  }

  /** A summary of each report, the model's calls counted against the asker's and the server's budgets. */
  function summarizeAll(
    reports: readonly Report[],
    who: { userId: string; guildId: string | null },
  ): Promise<{ report: Report; summary: Summary }[]> {
    const allowCall = () => deps.llmBudget.take(who.userId, who.guildId);
    return Promise.all(
      reports.map(async (report) => ({
        report,
        summary: await summarizer.summarize(report, REPORT_MODULES[report.command].headline, allowCall),
      })),
    );
  }

  /** A report answer; a question the model placed also gets the grounded summary on top. */
  async function answerWithSummary(
    request: ReportRequest,
    understood: string,
    viaModel: boolean,
    who: { userId: string; guildId: string | null },
  ): Promise<RenderedMessage> {
    const { message, reports } = await runner.run(request);
    if (!viaModel) return { ...message, content: understood };
    const summaries = renderSummaryMessage(await summarizeAll(reports, who));
    return fitMessage({
      content: understood,
      embeds: [...summaries.embeds, ...message.embeds],
      attachment: message.attachment,
      chart: message.chart,
    });
  }

  async function answerAsk(interaction: ChatInputCommandInteraction): Promise<string> {
    const who = { userId: interaction.user.id, guildId: interaction.guildId };
    const wait = cooldown.take(who.userId);
    if (wait > 0) {
      await replyPrivately(interaction, cooldownMessage(wait));
      return 'cooldown';
    }
    await interaction.deferReply();
    const understood = await understand(interaction.options.getString('question', true), who, true);
    if ('reply' in understood) {
      await interaction.editReply({
        content: textMessage(understood.reply).content,
        allowedMentions: NO_MENTIONS,
      });
      return 'help';
    }
    const message = await answerWithSummary(
      understood.request,
      understood.understood,
      understood.viaModel,
      who,
    );
    await interaction.editReply(payload(message, understood.request, buttons, summarizer.enabled));
    return 'ok';
  }

  /** Explain answers privately: a summary per report, by the model within the daily budgets. */
  async function explain(interaction: ButtonInteraction, request: ReportRequest): Promise<string> {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const { reports } = await runner.run(request);
    const parts = await summarizeAll(reports, { userId: interaction.user.id, guildId: interaction.guildId });
    const message = renderSummaryMessage(parts);
    await interaction.editReply({ content: '', embeds: [...message.embeds], allowedMentions: NO_MENTIONS });
    return parts.every((p) => p.summary.origin === 'llm') ? 'ok' : 'template';
  }

  async function onButton(interaction: ButtonInteraction): Promise<string> {
    const pressed = buttons.request(interaction.customId);
    if (pressed === null) {
      await replyPrivately(
        interaction,
        'This answer is too old for its buttons: ask again with the slash command.',
      );
      return 'expired';
    }
    const { request } = pressed;
    const validated = runner.validate(request.report, request.options, request.asOf);
    // Explain costs no computation of its own (the report is shared or quick to repeat); the LLM
    // budget limits it instead of the cooldown, which would block it right after the answer it explains.
    if (pressed.action === 'explain') return explain(interaction, validated);
    const wait = cooldown.take(interaction.user.id);
    if (wait > 0) {
      await replyPrivately(interaction, cooldownMessage(wait));
      return 'cooldown';
    }
    await interaction.deferUpdate();
    const { message } = await runner.run(validated);
    await interaction.editReply(payload(message, validated, buttons, summarizer.enabled));
    return 'ok';
  }

  async function onInteraction(interaction: Interaction): Promise<void> {
    const started = performance.now();
    const reference = newReference();
    const command =
      interaction.isCommand() || interaction.isAutocomplete()
        ? interaction.commandName
        : interaction.isButton()
          ? 'button'
          : 'other';
    const log = logger.child({ command, user: hashUserId(interaction.user.id), reference });
    let outcome = 'ok';
    try {
      if (interaction.isAutocomplete()) {
        await autocomplete(interaction);
        return;
      }
      if (!interaction.isChatInputCommand() && !interaction.isButton()) return;
      if (stopping) {
        await replyPrivately(interaction, 'The bot is restarting; please ask again in a minute.');
        outcome = 'stopping';
        return;
      }
      if (interaction.isButton()) outcome = await onButton(interaction);
      else if (isBotReport(interaction.commandName))
        outcome = await answerReport(interaction, interaction.commandName, log);
      else if (interaction.commandName === 'schedule') outcome = await answerSchedule(interaction);
      else if (interaction.commandName === 'ask') outcome = await answerAsk(interaction);
      else if (interaction.commandName === 'help') {
        await replyPrivately(interaction, HELP_TEXT);
      } else outcome = 'unknown_command';
    } catch (error) {
      const failure = logFailure(log, error, reference);
      outcome = failure.expected ? 'bad_input' : 'error';
      if (interaction.isRepliable()) {
        try {
          const reply = {
            content: failure.message,
            flags: MessageFlags.Ephemeral,
            allowedMentions: NO_MENTIONS,
          } as const;
          if (interaction.deferred || interaction.replied) {
            // A public "thinking…" placeholder would otherwise stay; the error itself is for the asker only.
            if (interaction.isChatInputCommand()) await interaction.deleteReply().catch(() => undefined);
            await interaction.followUp(reply);
          } else {
            await interaction.reply(reply);
          }
        } catch (replyError) {
          log.warn({ err: String(replyError) }, 'could not tell the user about the error');
        }
      }
    } finally {
      log.info({ outcome, durationMs: Math.round(performance.now() - started) }, 'interaction');
    }
  }

  async function onDirectMessage(message: Message): Promise<void> {
    if (message.author.bot || message.inGuild()) return;
    const started = performance.now();
    const reference = newReference();
    const log = logger.child({ command: 'dm', user: hashUserId(message.author.id), reference });
    let outcome = 'ok';
    try {
      const who = { userId: message.author.id, guildId: null };
      const wait = cooldown.take(who.userId);
      if (wait > 0) {
        outcome = 'cooldown';
        await sendToChannel(message.channelId, textMessage(cooldownMessage(wait)));
        return;
      }
      const understood = await understand(message.content, who, false);
      if ('reply' in understood) {
        outcome = 'help';
        await sendToChannel(message.channelId, textMessage(understood.reply));
        return;
      }
      await sendToChannel(
        message.channelId,
        await answerWithSummary(understood.request, understood.understood, understood.viaModel, who),
      );
    } catch (error) {
      const failure = logFailure(log, error, reference);
      outcome = failure.expected ? 'bad_input' : 'error';
      await sendToChannel(message.channelId, textMessage(failure.message)).catch((sendError: unknown) => {
        log.warn({ err: String(sendError) }, 'could not tell the user about the error');
      });
    } finally {
      log.info({ outcome, durationMs: Math.round(performance.now() - started) }, 'direct message');
    }
  }

  client.on(Events.InteractionCreate, (interaction) => {
    track(onInteraction(interaction));
  });
  client.on(Events.MessageCreate, (message) => {
    if (!stopping) track(onDirectMessage(message));
  });
  client.on(Events.Error, (error) => {
    logger.error({ err: error.message }, 'discord client error');
  });

  return {
    scheduler,
    async start() {
      const ready = new Promise<void>((resolve) => {
        client.once(Events.ClientReady, () => {
          resolve();
        });
      });
      await client.login(deps.token);
      await ready;
      logger.info({ user: client.user?.tag }, 'connected to Discord');
      scheduler.start();
    },
    async stop() {
      stopping = true;
      const grace = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
      await Promise.race([Promise.allSettled([...inFlight, scheduler.stop()]), grace]);
      buttons.close();
      await client.destroy();
      logger.info('disconnected from Discord');
    },
  };
}
