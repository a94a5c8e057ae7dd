import { MessageFlags, type ButtonInteraction } from 'discord.js';
import type { PreparedRequest } from '../../../commands/index.ts';
import type { Logger } from '../../log.ts';
import { renderSummaryMessage } from '../../render/discord.ts';
import type { HandlerContext, Outcome } from '../context.ts';
import { acknowledge, NO_MENTIONS, replyPrivately, reportPayload, withCooldown } from '../respond.ts';
import { summarizeAll } from './ask.ts';

/** Explain answers privately: a summary per report, by the model within the daily budgets. */
async function explain(
  interaction: ButtonInteraction,
  request: PreparedRequest,
  context: HandlerContext,
): Promise<Outcome> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const { reports } = await context.deps.runner.run(request);
  const who = { userId: interaction.user.id, guildId: interaction.guildId };
  const parts = await summarizeAll(reports, who, context);
  const message = renderSummaryMessage(parts);
  await interaction.editReply({ content: '', embeds: [...message.embeds], allowedMentions: NO_MENTIONS });
  return parts.every((p) => p.summary.origin === 'llm') ? 'ok' : 'template';
}

/** Refresh recomputes the answer in place; Explain adds a private summary. */
export async function answerButton(
  interaction: ButtonInteraction,
  context: HandlerContext,
  log: Logger,
): Promise<Outcome> {
  const pressed = context.buttons.request(interaction.customId);
  if (pressed === null) {
    await replyPrivately(
      interaction,
      'This answer is too old for its buttons: ask again with the slash command.',
    );
    return 'expired';
  }
  const { name, options, asOf } = pressed.request;
  const request = context.deps.runner.prepare(name, options, asOf);
  // Explain costs no computation of its own (the report is shared or quick to repeat); the LLM
  // budget limits it instead of the cooldown, which would block it right after the answer it explains.
  if (pressed.action === 'explain') return explain(interaction, request, context);
  return withCooldown(
    context,
    interaction.user.id,
    (text) => replyPrivately(interaction, text),
    async () => {
      if (!(await acknowledge(interaction, () => interaction.deferUpdate(), context, log))) {
        return 'expired';
      }
      const { message } = await context.deps.runner.run(request);
      await interaction.editReply(reportPayload(message, request, context));
      return 'ok';
    },
  );
}
