import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Logger } from '../log.ts';
import { listen, type Listening } from '../lib/listen.ts';

/** DER prefix of an Ed25519 public key in SubjectPublicKeyInfo form; the 32 key bytes follow it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** Discord's interactions are small; anything bigger is not one. */
const MAX_BODY_BYTES = 256 * 1024;

/** The application's public key (the developer portal's hex string) as Node's crypto reads it. */
export function discordPublicKey(hex: string): KeyObject {
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(hex, 'hex')]),
    format: 'der',
    type: 'spki',
  });
}

/** Whether Discord signed this body at this timestamp: Ed25519 over timestamp + raw body. */
export function signedByDiscord(
  key: KeyObject,
  signatureHex: string | undefined,
  timestamp: string | undefined,
  body: Buffer,
): boolean {
  if (signatureHex === undefined || timestamp === undefined || !/^[0-9a-f]{128}$/i.test(signatureHex)) {
    return false;
  }
  try {
    return verify(
      null,
      Buffer.concat([Buffer.from(timestamp, 'utf8'), body]),
      key,
      Buffer.from(signatureHex, 'hex'),
    );
  } catch {
    return false;
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export type InteractionsEndpoint = Listening;

/**
 * Discord's outgoing webhook for interactions (the portal's Interactions Endpoint URL), at POST
 * /interactions: slash commands and buttons arrive over HTTP, so they can be answered by any number of
 * processes behind a load balancer. Every request must carry Discord's Ed25519 signature: a missing or
 * bad one is refused with 401 and nothing runs. Discord's PING is answered PONG; any other interaction
 * gets 202 with no body and is handed to `deliver`, which answers it through the callback endpoint as
 * interactions from the gateway are (Discord's documented way for HTTP interactions).
 */
export async function startInteractionsEndpoint(
  where: { readonly host: string; readonly port: number },
  publicKeyHex: string,
  deliver: (interaction: unknown) => void,
  logger: Logger,
): Promise<InteractionsEndpoint> {
  const key = discordPublicKey(publicKeyHex);
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/interactions') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: POST /interactions\n');
      return;
    }
    if (request.method !== 'POST') {
      response.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    readBody(request).then(
      (body) => {
        if (body === null) {
          response.writeHead(413).end();
          return;
        }
        const signature = request.headers['x-signature-ed25519'];
        const timestamp = request.headers['x-signature-timestamp'];
        if (
          !signedByDiscord(
            key,
            Array.isArray(signature) ? undefined : signature,
            Array.isArray(timestamp) ? undefined : timestamp,
            body,
          )
        ) {
          logger.warn({ remote: request.socket.remoteAddress }, 'interaction with a bad signature refused');
          response.writeHead(401, { 'content-type': 'text/plain' }).end('invalid request signature\n');
          return;
        }
        let interaction: { type?: unknown };
        try {
          interaction = JSON.parse(body.toString('utf8')) as { type?: unknown };
        } catch {
          response.writeHead(400).end();
          return;
        }
        if (interaction.type === 1) {
          response.writeHead(200, { 'content-type': 'application/json' }).end('{"type":1}');
          return;
        }
        response.writeHead(202).end();
        deliver(interaction);
      },
      () => {
        response.writeHead(400).end();
      },
    );
  });
  const listening = await listen(server, where);
  logger.info({ host: where.host, port: listening.port }, 'interactions endpoint listening');
  return listening;
}
