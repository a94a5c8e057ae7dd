import {
  DiscordAPIError,
  MessageFlags,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  type ChatInputCommandInteraction,
  type PermissionsBitField,
} from 'discord.js';
import { isRequestName } from '../../../commands/index.ts';
import { textMessage } from '../../render/discord.ts';
import type { HandlerContext, Outcome } from '../context.ts';
import { hashUserId } from '../replies.ts';
import { NO_MENTIONS, replyPrivately } from '../respond.ts';
import { nextSlot, parseScheduleInput } from '../../schedules.ts';

/** Whether a member may change what belongs to the server (schedules, its watchlists): Manage Server, which Administrator implies. */
export function canManageServer(permissions: Readonly<PermissionsBitField> | null): boolean {
  return permissions?.has(PermissionFlagsBits.ManageGuild, true) ?? false;
}

/** The reason a post can never succeed in that channel, or null for a failure worth trying again. */
export function permanentPostFailure(error: unknown): string | null {
  if (!(error instanceof DiscordAPIError)) return null;
  switch (error.code) {
    case RESTJSONErrorCodes.UnknownChannel:
      return 'the channel no longer exists';
    case RESTJSONErrorCodes.MissingAccess:
      return 'the bot can no longer see the channel';
    case RESTJSONErrorCodes.MissingPermissions:
      return 'the bot may no longer post there (it needs Send Messages, Embed Links and Attach Files)';
    case RESTJSONErrorCodes.CannotSendMessagesToThisUser:
      return 'the user does not accept direct messages from the bot';
    default:
      return null;
  }
}

/** /schedule add|list|remove, for members who may manage the server. */
export async function answerSchedule(
  interaction: ChatInputCommandInteraction,
  { deps, sendToChannel }: HandlerContext,
): Promise<Outcome> {
  const { schedules } = deps;
  const ephemeral = (content: string) => replyPrivately(interaction, content);
  if (!interaction.inGuild()) {
    await ephemeral('Schedules belong to a server: use /schedule in a server channel.');
    return 'bad_input';
  }
  if (!canManageServer(interaction.memberPermissions)) {
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
  if (!isRequestName(reportName)) {
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
