import type { ChatInputCommandInteraction } from 'discord.js';
import { declarationOf, type RequestName } from '../../../commands/index.ts';
import { TapewatchError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { HandlerContext, Outcome } from '../context.ts';
import { AS_OF_OPTION } from '../definitions.ts';
import { busyMessage } from '../replies.ts';
import { acknowledge, NO_MENTIONS, replyPrivately, reportPayload, withCooldown } from '../respond.ts';
import { resolveWatchlistUniverse } from './watchlist.ts';

/** Progress edits at most this often, well under Discord's rate limits for one message. */
const PROGRESS_EVERY_MS = 2_000;

/** The slash options of a report as its schema takes them, read by the kinds its option table declares. */
function slashOptions(interaction: ChatInputCommandInteraction, name: RequestName): Record<string, unknown> {
  const { options } = interaction;
  const raw: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(declarationOf(name).options)) {
    try {
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
    } catch {
      // discord.js refuses a value of another type than asked for: the server still has an older
      // definition of this command.
      throw new TapewatchError(
        'bad_input',
        `Option \`${spec.name}\` arrived as the wrong kind of value; the command may have just changed, so try again in a minute.`,
      );
    }
  }
  return raw;
}

/**
 * Edits the deferred reply with loading progress, never more often than every two seconds, and not at
 * all for an answer that comes within two seconds (data already in memory): "thinking…" says enough.
 */
function progressEditor(interaction: ChatInputCommandInteraction) {
  let lastEdit = Date.now();
  let chain: Promise<unknown> = Promise.resolve();
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
  const options = resolveWatchlistUniverse(
    slashOptions(interaction, name),
    { userId: interaction.user.id, guildId: interaction.guildId },
    context.deps.watchlists,
  );
  const request = runner.prepare(name, options, interaction.options.getString(AS_OF_OPTION));
  const busy = runner.busyFor(request);
  if (busy !== null) {
    await replyPrivately(interaction, busyMessage(busy));
    return 'busy';
  }
  return withCooldown(
    context,
    interaction.user.id,
    (text) => replyPrivately(interaction, text),
    async () => {
      // The request joins (or starts) its flight at once, so identical requests arriving together meet;
      // the work itself begins once a deferral has gone out, and not at all if none does.
      const deferral = interaction.deferReply();
      const progress = progressEditor(interaction);
      const answer = runner.run(request, progress.onProgress, deferral);
      // Whatever happens to the deferral, the shared answer must not count as an unhandled rejection.
      void answer.catch(() => undefined);
      if (!(await acknowledge(interaction, () => deferral, context, log))) return 'expired';
      const { message } = await answer;
      await progress.settled();
      await interaction.editReply(reportPayload(message, request, context));
      log.debug({ embeds: message.embeds.length }, 'report sent');
      return 'ok';
    },
  );
}
