import type { ChatInputCommandInteraction } from 'discord.js';
import { isRequestName, REPORTS, type PreparedRequest } from '../../../commands/index.ts';
import type { Logger } from '../../log.ts';
import type { Report, Summary } from '../../reports/types.ts';
import { fitMessage, renderSummaryMessage, textMessage, type RenderedMessage } from '../../render/discord.ts';
import type { Asker, HandlerContext, Outcome } from '../context.ts';
import { describeRequest, DM_HELP, routeDirectMessage } from '../dm-router.ts';
import { acknowledge, NO_MENTIONS, replyPrivately, reportPayload, withCooldown } from '../respond.ts';

const OFF_TOPIC =
  'I can only help with the US stock market: momentum, breadth (how many stocks take part) and sector rotation. Try "how is breadth?" or /help.';

export type Understood =
  | { readonly request: PreparedRequest; readonly understood: string; readonly viaModel: boolean }
  | { readonly reply: string };

/**
 * What a free-form text asks for. Keywords place it, or (for /ask first, for DMs when the keywords
 * miss) the language model picks a report tool within the daily budget. Off-topic questions get a
 * fixed polite answer: the model's own words are never shown.
 */
export async function understand(
  text: string,
  who: Asker,
  modelFirst: boolean,
  { deps }: HandlerContext,
): Promise<Understood> {
  const { runner, questions } = deps;
  const keywords = routeDirectMessage(text);
  if (keywords.kind === 'help' && !keywords.unplaced) return { reply: `${keywords.reason}\n\n${DM_HELP}` };
  if (
    questions &&
    (modelFirst || keywords.kind === 'help') &&
    (await deps.llmBudget.take(who.userId, who.guildId))
  ) {
    const routed = await questions.route(text, runner.today());
    if (routed.kind === 'decline') return { reply: OFF_TOPIC };
    if (routed.kind === 'report' && isRequestName(routed.report)) {
      const request = runner.prepare(routed.report, routed.options, routed.asOf);
      const universe = request.reports.find((report) => report.universe !== null)?.universe?.name ?? null;
      return { request, understood: describeRequest(request.name, universe, request.asOf), viaModel: true };
    }
  }
  if (keywords.kind === 'report') {
    const request = runner.prepare(keywords.report, keywords.options, keywords.asOf);
    return { request, understood: keywords.understood, viaModel: false };
  }
  return { reply: `${keywords.reason}\n\n${DM_HELP}` };
}

/** A summary of each report, the model's calls counted against the asker's and the server's budgets. */
export function summarizeAll(
  reports: readonly Report[],
  who: Asker,
  { deps }: HandlerContext,
): Promise<{ report: Report; summary: Summary }[]> {
  const allowCall = () => deps.llmBudget.take(who.userId, who.guildId);
  return Promise.all(
    reports.map(async (report) => ({
      report,
      summary: await deps.summarizer.summarize(report, REPORTS[report.command].headline, allowCall),
    })),
  );
}

/** A report answer; a question the model placed also gets the grounded summary on top. */
export async function answerWithSummary(
  placed: Extract<Understood, { request: PreparedRequest }>,
  who: Asker,
  context: HandlerContext,
): Promise<RenderedMessage> {
  const { message, reports } = await context.deps.runner.run(placed.request);
  if (!placed.viaModel) return { ...message, content: placed.understood };
  const summaries = renderSummaryMessage(await summarizeAll(reports, who, context));
  return fitMessage({
    content: placed.understood,
    embeds: [...summaries.embeds, ...message.embeds],
    attachment: message.attachment,
    chart: message.chart,
  });
}

/** /ask: a question in the user's own words, answered with the report it places. */
export function answerAsk(
  interaction: ChatInputCommandInteraction,
  context: HandlerContext,
  log: Logger,
): Promise<Outcome> {
  const who = { userId: interaction.user.id, guildId: interaction.guildId };
  return withCooldown(
    context,
    who.userId,
    (text) => replyPrivately(interaction, text),
    async () => {
      if (!(await acknowledge(interaction, () => interaction.deferReply(), context, log))) return 'expired';
      const placed = await understand(interaction.options.getString('question', true), who, true, context);
      if ('reply' in placed) {
        await interaction.editReply({
          content: textMessage(placed.reply).content,
          allowedMentions: NO_MENTIONS,
        });
        return 'help';
      }
      const message = await answerWithSummary(placed, who, context);
      await interaction.editReply(reportPayload(message, placed.request, context));
      return 'ok';
    },
  );
}
