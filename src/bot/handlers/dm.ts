import type { Message } from 'discord.js';
import { newReference } from '../../errors.ts';
import { textMessage } from '../../render/discord.ts';
import type { HandlerContext, Outcome } from '../context.ts';
import { hashUserId } from '../replies.ts';
import { logFailure, withCooldown } from '../respond.ts';
import { answerWithSummary, understand } from './ask.ts';

/** A direct message: placed on a report like /ask (keywords first), answered in the same DM. */
export async function answerDirectMessage(message: Message, context: HandlerContext): Promise<void> {
  const started = performance.now();
  const reference = newReference();
  const log = context.deps.logger.child({ command: 'dm', user: hashUserId(message.author.id), reference });
  const send = (text: string) => context.sendToChannel(message.channelId, textMessage(text));
  let outcome: Outcome = 'ok';
  try {
    const who = { userId: message.author.id, guildId: null };
    outcome = await withCooldown(context, who.userId, send, async () => {
      const placed = await understand(message.content, who, false, context);
      if ('reply' in placed) {
        await send(placed.reply);
        return 'help';
      }
      await context.sendToChannel(message.channelId, await answerWithSummary(placed, who, context));
      return 'ok';
    });
  } catch (error) {
    const failure = logFailure(log, error, reference);
    outcome = failure.expected ? 'bad_input' : 'error';
    await send(failure.message).catch((sendError: unknown) => {
      log.warn({ err: String(sendError) }, 'could not tell the user about the error');
    });
  } finally {
    log.info({ outcome, durationMs: Math.round(performance.now() - started) }, 'direct message');
  }
}
