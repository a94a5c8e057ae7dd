import NodeCache from 'node-cache';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { REQUEST_NAMES, type RequestName } from '../../commands/index.ts';

/**
 * A button under an answer (Refresh, Explain) carries its action and request in its custom id, so it
 * keeps working after a restart. Discord allows 100 characters there; a request too long for that
 * (a long symbol list) is kept in memory for a day under a short key instead.
 */
const CUSTOM_ID_LIMIT = 100;
export const BUTTON_ACTIONS = ['refresh', 'explain'] as const;
export type ButtonAction = (typeof BUTTON_ACTIONS)[number];
/** What a button asks for again: checked by `prepare` like any request, since a custom id is user input. */
export interface ButtonRequest {
  readonly name: RequestName;
  readonly options: Readonly<Record<string, unknown>>;
  readonly asOf: string | null;
}

const requestSchema = z.object({
  name: z.enum(REQUEST_NAMES),
  options: z.record(z.string(), z.unknown()),
  asOf: z.string().nullable(),
});

export class ReportButtons {
  readonly #overflow = new NodeCache({ stdTTL: 24 * 3600, checkperiod: 600, useClones: false });

  customId(action: ButtonAction, request: ButtonRequest): string {
    const encoded = Buffer.from(JSON.stringify([request.options, request.asOf])).toString('base64url');
    const id = `${action}:${request.name}:${encoded}`;
    if (id.length <= CUSTOM_ID_LIMIT) return id;
    const key = randomUUID();
    this.#overflow.set(key, request);
    return `${action}:${request.name}:#${key}`;
  }

  /** The action and request behind a button, or null when it is not ours or has expired. */
  request(customId: string): { action: ButtonAction; request: ButtonRequest } | null {
    const [name, report, payload] = customId.split(':');
    const action = BUTTON_ACTIONS.find((a) => a === name);
    if (action === undefined || report === undefined || payload === undefined) return null;
    try {
      if (payload.startsWith('#')) {
        const stored = requestSchema.safeParse(this.#overflow.get(payload.slice(1)));
        return stored.success ? { action, request: stored.data } : null;
      }
      const decoded: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const [options, asOf] = z
        .tuple([z.record(z.string(), z.unknown()), z.string().nullable()])
        .parse(decoded);
      const parsed = requestSchema.safeParse({ name: report, options, asOf });
      return parsed.success ? { action, request: parsed.data } : null;
    } catch {
      return null;
    }
  }

  close(): void {
    this.#overflow.close();
  }
}
