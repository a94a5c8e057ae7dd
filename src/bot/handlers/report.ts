import type { ChatInputCommandInteraction } from 'discord.js';
import { declarationOf, type RequestName } from '../../../commands/index.ts';
import type { Logger } from '../../log.ts';
import type { HandlerContext, Outcome } from '../context.ts';
import { AS_OF_OPTION } from '../definitions.ts';
import { NO_MENTIONS, replyPrivately, reportPayload, withCooldown } from '../respond.ts';

/** Progress edits at most this often, well under Discord's rate limits for one message. */
const PROGRESS_EVERY_MS = 2_000;

/** The slash options of a report as its schema takes them, read by the kinds its option table declares. */
function slashOptions(interaction: ChatInputCommandInteraction, name: RequestName): Record<string, unknown> {
  const { options } = interaction;
  const raw: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(declarationOf(name).options)) {
    switch (spec.kind) {
      case 'integer':
        raw[key] = options.getInteger(spec.name);
        break;
      case 'number':
        raw[key] = options.getNumber(spec.name);
        break;
      case 'boolean':
        raw[key] = options.getBoolean(spec.name);
        break;
      default:
        raw[key] = options.getString(spec.name);
    }
  }
  return raw;
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

/** /momentum, /breadth, /rotation and /market: checked before the deferral, computed after it. */
export async function answerReport(
  interaction: ChatInputCommandInteraction,
  name: RequestName,
  context: HandlerContext,
  log: Logger,
): Promise<Outcome> {
  const { runner } = context.deps;
  const request = runner.prepare(
    name,
    slashOptions(interaction, name),
    interaction.options.getString(AS_OF_OPTION),
  );
  return withCooldown(
    context,
    interaction.user.id,
    (text) => replyPrivately(interaction, text),
    async () => {
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
      await interaction.editReply(reportPayload(message, request, context));
      log.debug({ embeds: message.embeds.length }, 'report sent');
      return 'ok';
    },
  );
}
