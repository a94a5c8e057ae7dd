import {
  Client,
  Events,
  GatewayIntentBits,
  Partials,
  Routes,
  type ChatInputCommandInteraction,
  type Interaction,
} from 'discord.js';
import { isRequestName } from '../../commands/index.ts';
import { describeError, newReference } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { RenderedMessage } from '../render/discord.ts';
import { ReportButtons } from './buttons.ts';
import type { BotDeps, HandlerContext, Outcome } from './context.ts';
import { answerAsk } from './handlers/ask.ts';
import { answerAutocomplete } from './handlers/autocomplete.ts';
import { answerButton } from './handlers/button.ts';
import { answerDirectMessage } from './handlers/dm.ts';
import { helpText } from './handlers/help.ts';
import { answerReport } from './handlers/report.ts';
import { answerWatchlist } from './handlers/watchlist.ts';
import { answerSchedule, permanentPostFailure } from './handlers/schedule.ts';
import { hashUserId } from './replies.ts';
import { answerFailure, messageFiles, NO_MENTIONS, replyPrivately } from './respond.ts';
import { ChannelUnavailableError, Scheduler } from './scheduler.ts';
import { AlertEvaluator } from './alert-evaluator.ts';
import { answerAlert } from './handlers/alert.ts';
import { makeReplayableRequest } from './upload.ts';

export type { BotDeps } from './context.ts';

const SHUTDOWN_GRACE_MS = 10_000;

export interface Bot {
  /** Logs in and resolves once the gateway session is ready; the scheduler starts with it. */
  start(): Promise<void>;
  /** Stops taking requests, lets replies under way finish (10 s at most), then disconnects. */
  stop(): Promise<void>;
  readonly scheduler: Scheduler;
  readonly alerts: AlertEvaluator;
  /** Handles an interaction that came over HTTP (see interactions-endpoint.ts) as one from the gateway. */
  receiveInteraction(raw: unknown): void;
}

/** discord.js's own step that turns a gateway INTERACTION_CREATE into an interaction and emits it. */
interface InteractionAction {
  readonly actions: { readonly InteractionCreate: { handle(data: unknown): void } };
}

type CommandHandler = (
  interaction: ChatInputCommandInteraction,
  context: HandlerContext,
  log: Logger,
) => Promise<Outcome>;

/** Slash commands other than the reports, by name; every report and the brief go to answerReport. */
const COMMANDS: Readonly<Record<string, CommandHandler>> = {
  schedule: (interaction, context) => answerSchedule(interaction, context),
  watchlist: (interaction, context) => answerWatchlist(interaction, context),
  alert: (interaction, context) => answerAlert(interaction, context),
  ask: answerAsk,
  help: async (interaction) => {
    await replyPrivately(interaction, helpText());
    return 'ok';
  },
};

function commandHandler(name: string): CommandHandler | null {
  if (isRequestName(name))
    return (interaction, context, log) => answerReport(interaction, name, context, log);
  return COMMANDS[name] ?? null;
}

export function createBot(deps: BotDeps): Bot {
  const { runner, schedules, logger } = deps;
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.DirectMessages],
    // DM channels are not cached before their first message; without this, DMs are never delivered.
    partials: [Partials.Channel],
    allowedMentions: NO_MENTIONS,
    rest: { api: deps.apiUrl, makeRequest: makeReplayableRequest },
  });
  const inFlight = new Set<Promise<void>>();
  let stopping = false;

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

  async function sendToUser(userId: string, message: RenderedMessage): Promise<void> {
    const channel = (await client.rest.post(Routes.userChannels(), { body: { recipient_id: userId } })) as {
      id: string;
    };
    await sendToChannel(channel.id, message);
  }

  /** A post that can never succeed there (the channel, the permission or the DM is gone) stops for good. */
  async function deliverOrGiveUp(send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (error) {
      const reason = permanentPostFailure(error);
      throw reason === null ? error : new ChannelUnavailableError(reason);
    }
  }

  /** Interactions being handled: what each is and when it arrived, for the latency metrics. */
  const received = new Map<string, { command: string; started: number }>();
  const context: HandlerContext = {
    deps,
    buttons: new ReportButtons(),
    acknowledged: (interactionId) => {
      const arrival = received.get(interactionId);
      if (arrival) deps.metrics?.acknowledged(arrival.command, (performance.now() - arrival.started) / 1000);
    },
    sendToChannel,
    sendToUser,
  };

  const scheduler = new Scheduler({
    store: schedules,
    runner,
    now: deps.now,
    logger: logger.child({ component: 'scheduler' }),
    ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
    ...(deps.schedulerIntervalMs === undefined ? {} : { intervalMs: deps.schedulerIntervalMs }),
    ...(deps.warmingUp === undefined ? {} : { warmingUp: deps.warmingUp }),
    post: (channelId, message) => deliverOrGiveUp(() => sendToChannel(channelId, message)),
  });

  const alerts = new AlertEvaluator({
    store: deps.alerts,
    read: deps.readCondition,
    runner,
    now: deps.now,
    logger: logger.child({ component: 'alerts' }),
    intradayMinutes: deps.alertIntradayMinutes ?? null,
    ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
    ...(deps.schedulerIntervalMs === undefined ? {} : { intervalMs: deps.schedulerIntervalMs }),
    ...(deps.warmingUp === undefined ? {} : { warmingUp: deps.warmingUp }),
    post: (target, message) =>
      deliverOrGiveUp(() =>
        target.scope === 'server'
          ? sendToChannel(target.channelId, message)
          : sendToUser(target.userId, message),
      ),
  });

  function track(work: Promise<void>): void {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  async function dispatch(interaction: Interaction, log: Logger): Promise<Outcome> {
    if (interaction.isAutocomplete()) {
      await answerAutocomplete(interaction, deps.watchlists);
      return 'ok';
    }
    if (!interaction.isChatInputCommand() && !interaction.isButton()) return 'unknown_command';
    if (stopping) {
      await replyPrivately(interaction, 'The bot is restarting; please ask again in a minute.');
      return 'stopping';
    }
    if (interaction.isButton()) return answerButton(interaction, context, log);
    const handler = commandHandler(interaction.commandName);
    if (handler !== null) return handler(interaction, context, log);
    // A command this version does not have: registered by an older one, or not yet deployed.
    await replyPrivately(
      interaction,
      `I do not know \`/${interaction.commandName.slice(0, 32)}\` any more: see /help for what I can do.`,
    );
    return 'unknown_command';
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
    let outcome: Outcome = 'ok';
    received.set(interaction.id, { command, started });
    try {
      outcome = await dispatch(interaction, log);
    } catch (error) {
      outcome = await answerFailure(interaction, error, log, reference);
    } finally {
      received.delete(interaction.id);
      const seconds = (performance.now() - started) / 1000;
      log.info({ outcome, durationMs: Math.round(seconds * 1000) }, 'interaction');
      deps.metrics?.interaction(command, outcome, seconds);
    }
  }

  client.on(Events.InteractionCreate, (interaction) => {
    track(onInteraction(interaction));
  });
  client.on(Events.MessageCreate, (message) => {
    if (!stopping && !message.author.bot && !message.inGuild()) track(answerDirectMessage(message, context));
  });
  client.on(Events.ShardReady, () => deps.health?.gatewayConnected());
  client.on(Events.ShardResume, () => deps.health?.gatewayConnected());
  client.on(Events.ShardReconnecting, () => deps.health?.gatewayLost('reconnecting'));
  client.on(Events.ShardDisconnect, (event) =>
    deps.health?.gatewayLost(`disconnected (close code ${event.code})`),
  );
  client.on(Events.Error, (error) => {
    logger.error({ err: error.message }, 'discord client error');
  });

  return {
    scheduler,
    alerts,
    receiveInteraction(raw) {
      if (stopping) return;
      try {
        (client as unknown as InteractionAction).actions.InteractionCreate.handle(raw);
      } catch (error) {
        logger.warn({ err: describeError(error) }, 'an interaction from the HTTP endpoint could not be read');
      }
    },
    async start() {
      if (deps.gateway === false) {
        // A stateless worker: REST only, for the interactions the HTTP endpoint hands over.
        client.token = deps.token;
        client.rest.setToken(deps.token);
        deps.health?.gatewayConnected();
        logger.info('answering interactions over HTTP only (DISCORD_GATEWAY=off)');
        return;
      }
      const ready = new Promise<void>((resolve) => {
        client.once(Events.ClientReady, () => {
          resolve();
        });
      });
      await client.login(deps.token);
      await ready;
      logger.info({ user: client.user?.tag, shards: client.shard?.ids ?? null }, 'connected to Discord');
      if (deps.runsTimers !== false) {
        scheduler.start();
        alerts.start();
      }
    },
    async stop() {
      stopping = true;
      const grace = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
      await Promise.race([Promise.allSettled([...inFlight, scheduler.stop(), alerts.stop()]), grace]);
      context.buttons.close();
      await client.destroy();
      logger.info('disconnected from Discord');
    },
  };
}

/** What a server owner reads when the bot cannot log in: the setting to fix, never the token. */
export function describeStartFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'TokenInvalid') {
    return 'Discord refused DISCORD_TOKEN (401 Unauthorized): reset the token on the Bot page of your application in the Discord developer portal and set the new one.';
  }
  if (code === 'DisallowedIntents') {
    return 'Discord refused the gateway intents the bot asks for: check the Bot page of the developer portal (tapewatch needs no privileged intent).';
  }
  return `could not connect to Discord: ${describeError(error)}`;
}
