import {
  ActionRowBuilder,
  AttachmentBuilder,
  ButtonBuilder,
  ButtonStyle,
  MessageFlags,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
} from 'discord.js';
import type { PreparedRequest } from '../../commands/index.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { RenderedMessage } from '../render/discord.ts';
import type { ButtonAction } from './buttons.ts';
import type { HandlerContext, Outcome } from './context.ts';
import { cooldownMessage, userFacingError, type UserFacingError } from './replies.ts';

/** No message the bot sends may ping anyone: not a symbol, not a user's words, not an LLM's output. */
export const NO_MENTIONS = { parse: [] as never[], repliedUser: false };

/** The files a message carries: its chart (shown in the embed) and the full report as Markdown. */
export function messageFiles(message: RenderedMessage): { name: string; data: Buffer }[] {
  return [
    ...(message.chart ? [{ name: message.chart.name, data: message.chart.png }] : []),
    ...(message.attachment
      ? [{ name: message.attachment.name, data: Buffer.from(message.attachment.text, 'utf8') }]
      : []),
  ];
}

/** A report answer with its files and, under it, Refresh (and Explain when a model is configured). */
export function reportPayload(
  message: RenderedMessage,
  request: PreparedRequest | null,
  { buttons, deps }: HandlerContext,
) {
  const actions: [ButtonAction, string][] = deps.summarizer.enabled
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
                .setCustomId(
                  buttons.customId(action, {
                    name: request.name,
                    options: request.input,
                    asOf: request.asOf,
                  }),
                )
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

/** A reply only the asker sees: refusals, cooldowns, help and schedule answers. */
export async function replyPrivately(
  interaction: ChatInputCommandInteraction | ButtonInteraction,
  content: string,
): Promise<void> {
  await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
}

/**
 * Runs `work` unless the user is cooling down, in which case `refuse` tells them how long to wait.
 * One report at a time per user, whichever surface they ask on.
 */
export async function withCooldown(
  context: HandlerContext,
  userId: string,
  refuse: (text: string) => Promise<unknown>,
  work: () => Promise<Outcome>,
): Promise<Outcome> {
  const wait = await context.deps.cooldown.take(userId);
  if (wait > 0) {
    await refuse(cooldownMessage(wait));
    return 'cooldown';
  }
  return work();
}

/**
 * Sends the acknowledgement (deferral) and says whether it went out. An interaction Discord no longer
 * knows (it expired, 10062) cannot be answered: nothing is computed for it and the user's cooldown is
 * given back, since they got nothing.
 */
export async function acknowledge(
  interaction: { readonly id: string; readonly user: { readonly id: string } },
  defer: () => Promise<unknown>,
  context: HandlerContext,
  log: Logger,
): Promise<boolean> {
  const userId = interaction.user.id;
  try {
    await defer();
    context.acknowledged(interaction.id);
    return true;
  } catch (error) {
    await context.deps.cooldown.refund(userId);
    log.warn({ err: describeError(error) }, 'could not acknowledge the interaction; nothing computed');
    return false;
  }
}

/** Maps a failure to what the user reads and logs it: refusals as info, bugs and outages as errors. */
export function logFailure(log: Logger, error: unknown, reference: string): UserFacingError {
  const failure = userFacingError(error, reference);
  if (failure.expected) log.info({ detail: failure.detail }, 'request refused');
  // The reference the user was given is in this line's bindings; the stack is what a fix needs.
  else
    log.error(
      { err: failure.detail, stack: error instanceof Error ? error.stack : undefined },
      'request failed',
    );
  return failure;
}

/**
 * The one failure path of interactions: the asker alone reads one line (never a stack trace), and a
 * public "thinking…" placeholder that would otherwise stay is deleted.
 */
export async function answerFailure(
  interaction: Interaction,
  error: unknown,
  log: Logger,
  reference: string,
): Promise<Outcome> {
  const failure = logFailure(log, error, reference);
  if (interaction.isRepliable()) {
    try {
      const reply = {
        content: failure.message,
        flags: MessageFlags.Ephemeral,
        allowedMentions: NO_MENTIONS,
      } as const;
      if (interaction.deferred || interaction.replied) {
        if (interaction.isChatInputCommand()) await interaction.deleteReply().catch(() => undefined);
        await interaction.followUp(reply);
      } else {
        await interaction.reply(reply);
      }
    } catch (replyError) {
      log.warn({ err: String(replyError) }, 'could not tell the user about the error');
    }
  }
  return failure.expected ? 'bad_input' : 'error';
}
