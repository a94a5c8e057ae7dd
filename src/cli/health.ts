import { TapewatchError } from '../errors.ts';
import type { CliContext } from './context.ts';

/** The bot answers /healthz at once; a hung bot is as unhealthy as a stopped one. */
const HEALTH_TIMEOUT_MS = 3_000;

/**
 * `tapewatch health`: asks the running bot's /healthz (HEALTH_PORT, HEALTH_HOST from the same settings
 * the bot reads) and exits 0 when it is healthy, 1 with the reasons when not. Docker's HEALTHCHECK
 * runs it, so the image needs no curl.
 */
export async function runHealth(context: CliContext): Promise<void> {
  const where = context.config.discord.health;
  if (where === null) {
    throw new TapewatchError('bad_config', 'HEALTH_PORT is not set, so the bot serves no /healthz to ask.');
  }
  // A bot listening on every address is reached on the loopback one.
  const host = where.host === '0.0.0.0' || where.host === '::' ? '127.0.0.1' : where.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${where.port}/healthz`;
  let response: Response;
  try {
    response = await context.io.fetch(url, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
  } catch (error) {
    throw new TapewatchError('source_unreachable', `No answer from the bot at ${url}.`, { cause: error });
  }
  const body = (await response.json().catch(() => ({}))) as { reasons?: unknown };
  const reasons = Array.isArray(body.reasons) ? body.reasons.map(String) : [];
  if (response.status !== 200) {
    throw new TapewatchError(
      'source_unreachable',
      `The bot is not healthy (HTTP ${response.status}): ${reasons.join('; ') || 'no reason given'}.`,
    );
  }
  context.io.stdout('healthy\n');
}
