import { AttachmentBuilder, MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import {
  advanceAlert,
  alertReport,
  alertValueText,
  describeCondition,
  parseAlertCondition,
  readsUniverse,
  scanHistory,
  type Alert,
  type AlertCondition,
  type AlertTarget,
  type ConditionHistory,
} from '../../alerts.ts';
import { addDays } from '../../market/calendar.ts';
import { textMessage } from '../../render/discord.ts';
import { alertMessage } from '../alert-evaluator.ts';
import type { HandlerContext, Outcome } from '../context.ts';
import { hashUserId } from '../replies.ts';
import { messageFiles, NO_MENTIONS, replyPrivately } from '../respond.ts';
import { canManageServer, permanentPostFailure } from './schedule.ts';
import { resolveWatchlistUniverse } from './watchlist.ts';

/** How far back /alert add and /alert test count an alert's firings: "how noisy would it be?". */
const PREVIEW_YEARS = 5;

function where(target: AlertTarget): string {
  return target.scope === 'server' ? `posted in <#${target.channelId}>` : 'sent to you by DM';
}

function describeAlert(alert: Alert): string {
  const on = readsUniverse(alert.condition) ? ` on ${alert.universe}` : '';
  const to = alert.target.scope === 'server' ? `in <#${alert.target.channelId}>` : 'by DM to its owner';
  return `**#${alert.id}** ${describeCondition(alert.condition)}${on}, ${to}`;
}

/** What the alert's history says about it: how often it would have fired lately, and how it reads now. */
function preview(condition: AlertCondition, history: ConditionHistory): string {
  const last = history.dates.at(-1);
  if (last === undefined) return 'There is no data for it yet.';
  const from = addDays(last, -Math.round(PREVIEW_YEARS * 365.25));
  const { fired } = scanHistory(history, condition, from, last);
  const reading = history.readings.at(-1) ?? 'unknown';
  const value = alertValueText(history, history.values.at(-1) ?? Number.NaN);
  const now =
    reading === 'holds'
      ? `It holds at the latest close (${last}, ${history.valueLabel} ${value}).`
      : `At the latest close (${last}) it does not hold (${history.valueLabel} ${value}).`;
  const latest = fired.at(-1)?.date;
  return `In the ${PREVIEW_YEARS} years to ${last} it would have fired ${fired.length} times${latest === undefined ? '' : `, last on ${latest}`}. ${now}`;
}

/** May this member change this alert: their own DM alert, or a channel alert of this server with Manage Server. */
function mayChange(alert: Alert, interaction: ChatInputCommandInteraction): boolean {
  if (alert.target.scope === 'user') return alert.target.userId === interaction.user.id;
  return alert.target.guildId === interaction.guildId && canManageServer(interaction.memberPermissions);
}

/** May this member see this alert: their own, or one of this server's. */
function maySee(alert: Alert, interaction: ChatInputCommandInteraction): boolean {
  if (alert.target.scope === 'user') return alert.target.userId === interaction.user.id;
  return alert.target.guildId === interaction.guildId;
}

/**
 * /alert add|list|remove|test. A channel alert belongs to the server (Manage Server); without a channel
 * the alert is the member's own and comes by DM.
 */
export async function answerAlert(
  interaction: ChatInputCommandInteraction,
  context: HandlerContext,
): Promise<Outcome> {
  const { deps } = context;
  const ephemeral = (content: string) => replyPrivately(interaction, textMessage(content).content);
  const sub = interaction.options.getSubcommand();
  if (sub === 'list') {
    const alerts = deps.alerts.visibleTo(interaction.guildId, interaction.user.id);
    const lines = alerts.map((alert) =>
      [
        describeAlert(alert),
        alert.disabledReason ??
          (alert.lastFired === null ? 'not fired yet' : `last fired ${alert.lastFired}`),
        alert.evaluatedThrough === null ? null : `read through ${alert.evaluatedThrough}`,
        alert.lastOutcome === null || alert.disabledReason !== null ? null : `last: ${alert.lastOutcome}`,
      ]
        .filter((part) => part !== null)
        .join(' · '),
    );
    await ephemeral(lines.length === 0 ? 'No alerts here yet: add one with /alert add.' : lines.join('\n'));
    return 'ok';
  }
  if (sub === 'remove' || sub === 'test') {
    const id = interaction.options.getInteger('id', true);
    const alert = deps.alerts.get(id);
    if (alert === null || !maySee(alert, interaction)) {
      await ephemeral(`There is no alert #${id} of yours or this server's; see /alert list.`);
      return 'bad_input';
    }
    if (sub === 'remove') {
      if (!mayChange(alert, interaction)) {
        await ephemeral("Only members with the Manage Server permission can remove the server's alerts.");
        return 'forbidden';
      }
      deps.alerts.remove(id);
      await ephemeral(`Alert #${id} removed.`);
      return 'ok';
    }
    return testAlert(interaction, context, alert);
  }
  return addAlert(interaction, context);
}

async function addAlert(interaction: ChatInputCommandInteraction, context: HandlerContext): Promise<Outcome> {
  const { deps } = context;
  const condition = parseAlertCondition(
    interaction.options.getString('condition', true),
    interaction.options.getNumber('threshold'),
  );
  const channel = interaction.options.getChannel('channel');
  if (channel !== null) {
    if (!interaction.inGuild()) {
      await replyPrivately(interaction, 'Channel alerts belong to a server: add them in a server channel.');
      return 'bad_input';
    }
    if (!canManageServer(interaction.memberPermissions)) {
      await replyPrivately(
        interaction,
        'Only members with the Manage Server permission can add channel alerts; leave out the channel for an alert by DM to yourself.',
      );
      return 'forbidden';
    }
  }
  const asker = { userId: interaction.user.id, guildId: interaction.guildId };
  const rawUniverse = interaction.options.getString('universe') ?? 'sp500';
  const resolved = resolveWatchlistUniverse({ universe: rawUniverse }, asker, deps.watchlists).universe;
  const universe = typeof resolved === 'string' ? resolved : rawUniverse;
  // The post's report, checked now: a universe too small or a symbol list too long is refused here.
  const report = alertReport(condition, universe);
  deps.runner.prepare(report.name, report.options, null);
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  context.acknowledged(interaction.id);
  // Reading its history checks the symbol and tells the member how often it would have pinged.
  const history = await deps.readCondition(condition, universe, deps.runner.today());
  const target: AlertTarget =
    channel === null
      ? { scope: 'user', userId: interaction.user.id, guildId: interaction.guildId }
      : { scope: 'server', guildId: interaction.guildId ?? '', channelId: channel.id };
  const described = `${describeCondition(condition)}${readsUniverse(condition) ? ` on ${universe}` : ''}`;
  // The announcement proves the bot may post there (or DM the member) before anything is stored.
  try {
    const announcement = textMessage(
      target.scope === 'server'
        ? `From now on, the alert "${described}" is posted here when it fires (read after each NYSE close).`
        : `I will send you the alert "${described}" here when it fires (read after each NYSE close).`,
    );
    if (target.scope === 'server') await context.sendToChannel(target.channelId, announcement);
    else await context.sendToUser(target.userId, announcement);
  } catch (error) {
    const reason = permanentPostFailure(error);
    if (reason === null) throw error;
    await interaction.editReply({
      content:
        target.scope === 'server'
          ? `I cannot post in <#${target.channelId}>: ${reason.replace('the bot', 'I')}. Give me View Channel, Send Messages, Embed Links and Attach Files there, then try again.`
          : "I cannot send you direct messages: allow DMs from this server's members (Privacy Settings) and try again, or ask a server manager for a channel alert.",
      allowedMentions: NO_MENTIONS,
    });
    return 'bad_input';
  }
  const alert = deps.alerts.add(
    { target, condition, universe, createdBy: hashUserId(interaction.user.id) },
    deps.now(),
  );
  await interaction.editReply({
    content: textMessage(`Alert #${alert.id}: ${described}, ${where(target)}. ${preview(condition, history)}`)
      .content,
    allowedMentions: NO_MENTIONS,
  });
  return 'ok';
}

/** What the alert would post now: its latest reading, whether that fires, and the post itself. */
async function testAlert(
  interaction: ChatInputCommandInteraction,
  { deps, acknowledged }: HandlerContext,
  alert: Alert,
): Promise<Outcome> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  acknowledged(interaction.id);
  const history = await deps.readCondition(alert.condition, alert.universe, deps.runner.today());
  const last = history.dates.at(-1);
  if (last === undefined) {
    await interaction.editReply({
      content: 'There is no data for this alert yet.',
      allowedMentions: NO_MENTIONS,
    });
    return 'ok';
  }
  const progress = advanceAlert(alert, alert.condition, history, last);
  const fires = progress?.fired?.date === last;
  const verdict = fires
    ? `Test of alert #${alert.id}: it would fire on ${last}; this is the post.`
    : `Test of alert #${alert.id}: it would not fire on ${last}. ${preview(alert.condition, history)} This is how its post looks:`;
  const report = alertReport(alert.condition, alert.universe);
  const { message } = await deps.runner.run(deps.runner.prepare(report.name, report.options, last));
  const post = alertMessage(
    alert,
    history,
    { date: last, value: history.values.at(-1) ?? Number.NaN },
    message,
  );
  await interaction.editReply({
    content: textMessage(`${verdict}\n${post.content}`).content.slice(0, 2000),
    embeds: [...post.embeds],
    files: messageFiles(post).map((file) => new AttachmentBuilder(file.data, { name: file.name })),
    allowedMentions: NO_MENTIONS,
  });
  return 'ok';
}
