import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A small Discord on loopback: the REST routes the bot uses, and a gateway WebSocket that speaks
 * HELLO, IDENTIFY, READY, heartbeats and dispatches. It records every HTTP call for assertions.
 */
export const APP_ID = '111111111111111111';
export const BOT_USER_ID = APP_ID;
export const GUILD_ID = '222222222222222222';
export const CHANNEL_ID = '333333333333333333';
export const DM_CHANNEL_ID = '444444444444444444';
export const USER_ID = '555555555555555555';
export const MANAGE_GUILD = 1n << 5n;

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  /** The JSON body, or a multipart message's payload_json. */
  readonly body: unknown;
  readonly fileNames: readonly string[];
  readonly at: number;
  /** Its place among all calls, to ask for calls after a point without relying on the clock's resolution. */
  readonly seq: number;
  readonly authorization: string | undefined;
}

interface Failure {
  readonly status: number;
  readonly code: number;
  readonly message: string;
}

let nextId = 900000000000000000n;
const snowflake = (): string => String(nextId++);

function user(id: string, name: string, bot = false) {
  return { id, username: name, discriminator: '0', global_name: name, avatar: null, bot };
}

function messageObject(
  channelId: string,
  body: Record<string, unknown>,
  author = user(BOT_USER_ID, 'tapewatch', true),
) {
  return {
    id: snowflake(),
    channel_id: channelId,
    author,
    content: typeof body.content === 'string' ? body.content : '',
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: Array.isArray(body.embeds) ? body.embeds : [],
    components: Array.isArray(body.components) ? body.components : [],
    pinned: false,
    type: 0,
    flags: typeof body.flags === 'number' ? body.flags : 0,
  };
}

async function readBody(request: IncomingMessage): Promise<{ body: unknown; fileNames: string[] }> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  if (raw.length === 0) return { body: null, fileNames: [] };
  const type = request.headers['content-type'] ?? '';
  if (type.startsWith('multipart/form-data')) {
    // Response#formData is fine for a test's own small bodies (its deprecation is about untrusted servers).
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
    const fileNames: string[] = [];
    let body: unknown = null;
    for (const [key, value] of form.entries()) {
      if (key === 'payload_json' && typeof value === 'string') body = JSON.parse(value);
      else if (typeof value !== 'string') fileNames.push(value.name);
    }
    return { body, fileNames };
  }
  return { body: JSON.parse(raw.toString('utf8')), fileNames: [] };
}

export interface SlashExtra {
  readonly permissions?: bigint;
  readonly resolved?: unknown;
  readonly userId?: string;
  readonly autocomplete?: boolean;
  /** The server it comes from (GUILD_ID when absent). */
  readonly guildId?: string;
}

export class FakeDiscord {
  readonly calls: RecordedCall[] = [];
  readonly identifies: unknown[] = [];
  /** RESUME payloads the bot sent after a dropped connection. */
  readonly resumes: unknown[] = [];
  /** Channels where posting fails as Discord would say it. */
  readonly failingChannels = new Map<string, Failure>();
  /** Interaction tokens Discord no longer knows: their callbacks fail with 10062, as after 3 seconds. */
  readonly expiredTokens = new Set<string>();
  /** Like Discord, refuse (10062) an acknowledgement that comes later than this after the dispatch. */
  acknowledgeWithinMs = Number.POSITIVE_INFINITY;
  /** How many of the next edits of an answer fail with a 500, as Discord does now and then. */
  failEdits = 0;
  /** How many of the next edits of an answer are refused with 429 and a retry-after of 200 ms. */
  rateLimitEdits = 0;
  /** When each interaction was dispatched, by token. */
  readonly dispatchedAt = new Map<string, number>();
  /** How many of the next file uploads (multipart requests) have their connection reset mid-body. */
  resetUploads = 0;
  /** While set, the gateway drops every connection at once: Discord's gateway gone, REST still up. */
  gatewayDown = false;
  /** When set, every REST call with another token is refused with 401, as Discord refuses a reset token. */
  acceptedToken: string | null = null;
  readonly #server: Server;
  readonly #gateway: WebSocketServer;
  #socket: WebSocket | null = null;
  /** The connection of each shard that identified, by shard id, and how many shards the bot runs. */
  readonly #shards = new Map<number, WebSocket>();
  #shardCount = 1;
  /** What /gateway/bot recommends (SHARD_COUNT=auto asks it). */
  recommendedShards = 1;
  /** Which shard each interaction and DM was sent to, in order. */
  readonly routed: { readonly shard: number; readonly event: string; readonly guildId: string | null }[] = [];
  #sequence = 0;

  private constructor() {
    this.#server = createServer((request, response) => {
      if (
        this.resetUploads > 0 &&
        (request.headers['content-type'] ?? '').startsWith('multipart/form-data')
      ) {
        this.resetUploads--;
        this.calls.push({
          method: request.method ?? 'GET',
          path: 'RESET ' + (request.url ?? '/'),
          body: null,
          fileNames: [],
          at: Date.now(),
          seq: this.calls.length,
          authorization: request.headers.authorization,
        });
        // A connection reset while the bot is still sending the files, as a flaky network does it.
        request.on('error', () => undefined);
        request.once('data', () => request.socket.destroy());
        return;
      }
      // A client that gives up mid-request (a reset, a broken retry) is the bot's problem, not the fake's.
      this.#handle(request, response).catch(() => response.destroy());
    });
    this.#gateway = new WebSocketServer({ server: this.#server, path: '/gateway' });
    this.#gateway.on('connection', (socket) => {
      if (this.gatewayDown) {
        socket.terminate();
        return;
      }
      this.#socket = socket;
      this.#ready = false;
      socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 45_000 }, s: null, t: null }));
      socket.on('message', (data) => {
        this.#onGatewayMessage(
          socket,
          JSON.parse(Buffer.from(data as Buffer).toString('utf8')) as { op: number; d: unknown },
        );
      });
    });
  }

  static async start(): Promise<FakeDiscord> {
    const fake = new FakeDiscord();
    fake.#server.listen(0, '127.0.0.1');
    await once(fake.#server, 'listening');
    return fake;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** What DISCORD_API_URL is set to: discord.js appends /v10 itself. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  async close(): Promise<void> {
    for (const client of this.#gateway.clients) client.terminate();
    this.#gateway.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }

  /**
   * Drops the gateway connection as Discord or a network does: 1006 is an abnormal closure (no close
   * frame, as when a connection dies), 4000 an unknown error (resumable), 4009 a timed-out session
   * (the bot must identify again).
   */
  dropGateway(code: 1006 | 4000 | 4009): void {
    if (!this.#socket) throw new Error('the bot has not connected to the fake gateway');
    if (code === 1006) this.#socket.terminate();
    else this.#socket.close(code, 'dropped by the test');
    this.#socket = null;
    // Discord forgets a timed-out session: a RESUME for it is answered "invalid session".
    this.#sessionValid = code !== 4009;
  }

  /** Resolves once the bot is connected again (resumed or identified anew). */
  async waitForGateway(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#socket || !this.#ready) {
      if (Date.now() > deadline) throw new Error(`the bot did not reconnect within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  #ready = false;
  #sessionValid = true;

  #onGatewayMessage(socket: WebSocket, payload: { op: number; d: unknown }): void {
    if (payload.op === 1) socket.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
    if (payload.op === 6 && !this.#sessionValid) {
      socket.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
      return;
    }
    if (payload.op === 6) {
      this.resumes.push(payload.d);
      this.#socket = socket;
      this.#ready = true;
      this.dispatch('RESUMED', {}, socket);
    }
    if (payload.op === 2) {
      this.#sessionValid = true;
      this.identifies.push(payload.d);
      const [shard, count] = (payload.d as { shard?: [number, number] }).shard ?? [0, 1];
      this.#shards.set(shard, socket);
      this.#shardCount = count;
      this.#socket = socket;
      this.#ready = true;
      this.dispatch(
        'READY',
        {
          v: 10,
          user: user(BOT_USER_ID, 'tapewatch', true),
          guilds: [],
          session_id: 'fake-session',
          resume_gateway_url: `ws://127.0.0.1:${this.port}/gateway`,
          application: { id: APP_ID, flags: 0 },
          shard: [shard, count],
        },
        socket,
      );
    }
  }

  /** Sends any text on the gateway, well-formed or not: for malformed-payload tests. */
  sendRaw(text: string): void {
    if (!this.#socket) throw new Error('the bot has not connected to the fake gateway');
    this.#socket.send(text);
  }

  /**
   * Sends a gateway event. As Discord does, an event of a server goes to the shard that server belongs
   * to ((guild id >> 22) % shard count) and a DM to shard 0; READY goes to the connection identifying.
   */
  dispatch(event: string, data: unknown, to?: WebSocket): void {
    const guildId = (data as { guild_id?: string } | null)?.guild_id ?? null;
    const shard = guildId === null ? 0 : Number((BigInt(guildId) >> 22n) % BigInt(this.#shardCount));
    const socket = to ?? (this.#shards.size > 1 ? this.#shards.get(shard) : this.#socket);
    if (!socket) throw new Error('the bot has not connected to the fake gateway');
    if (to === undefined) this.routed.push({ shard, event, guildId });
    this.#sequence++;
    socket.send(JSON.stringify({ op: 0, t: event, s: this.#sequence, d: data }));
  }

  /** Resolves once `count` shards have identified. */
  async waitForShards(count: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#shards.size < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.#shards.size} of ${count} shards connected`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Sends a slash command as a member of the test server; returns the interaction's token. */
  slashCommand(
    name: string,
    options: readonly Record<string, unknown>[] = [],
    extra: SlashExtra = {},
  ): string {
    const { token, payload } = this.slashPayload(name, options, extra);
    this.dispatch('INTERACTION_CREATE', payload);
    return token;
  }

  /**
   * A slash command as Discord sends it, not sent: for the HTTP interactions endpoint, which gets the
   * same payload in a POST. Its answer comes to this fake's REST like any other.
   */
  slashPayload(
    name: string,
    options: readonly Record<string, unknown>[] = [],
    extra: SlashExtra = {},
  ): { token: string; payload: Record<string, unknown> } {
    const token = `token-${snowflake()}`;
    this.dispatchedAt.set(token, Date.now());
    const payload = {
      ...this.#interactionBase(token, extra.permissions ?? 0n, extra.userId ?? USER_ID, extra.guildId),
      // 4 is an autocomplete request: the same command data, with the option being typed marked focused.
      type: extra.autocomplete ? 4 : 2,
      data: {
        id: snowflake(),
        name,
        type: 1,
        options,
        ...(extra.resolved ? { resolved: extra.resolved } : {}),
      },
    };
    return { token, payload };
  }

  /** Presses a button on a message the bot sent; returns the interaction's token. */
  pressButton(customId: string, message: Record<string, unknown>, userId = USER_ID): string {
    const token = `token-${snowflake()}`;
    this.dispatch('INTERACTION_CREATE', {
      ...this.#interactionBase(token, 0n, userId),
      type: 3,
      data: { custom_id: customId, component_type: 2 },
      message: messageObject(CHANNEL_ID, message),
    });
    return token;
  }

  directMessage(content: string, userId = USER_ID): void {
    // Discord marks DMs with channel_type 1, which is how clients tell a DM from a server channel.
    this.dispatch('MESSAGE_CREATE', {
      ...messageObject(DM_CHANNEL_ID, { content }, user(userId, 'trader')),
      channel_type: 1,
    });
  }

  #interactionBase(token: string, permissions: bigint, userId: string, guildId = GUILD_ID) {
    return {
      id: snowflake(),
      application_id: APP_ID,
      token,
      version: 1,
      guild_id: guildId,
      channel_id: CHANNEL_ID,
      channel: { id: CHANNEL_ID, type: 0, guild_id: guildId, name: 'markets' },
      member: {
        user: user(userId, 'trader'),
        roles: [],
        permissions: String(permissions),
        joined_at: '2024-01-01T00:00:00.000Z',
        deaf: false,
        mute: false,
        flags: 0,
      },
      app_permissions: '2248473465835073',
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': guildId },
      context: 0,
    };
  }

  /** Resolves with the first recorded call that matches, waiting up to timeoutMs for it. */
  async waitForCall(match: (call: RecordedCall) => boolean, timeoutMs = 20_000): Promise<RecordedCall> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.calls.find(match);
      if (found) return found;
      if (Date.now() > deadline) {
        const seen = this.calls.map((c) => `${c.method} ${c.path}`).join('\n  ');
        throw new Error(`no matching call within ${timeoutMs} ms; calls so far:\n  ${seen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { body, fileNames } = await readBody(request);
    const path = decodeURIComponent((request.url ?? '/').split('?')[0] ?? '/');
    const method = request.method ?? 'GET';
    this.calls.push({
      method,
      path,
      body,
      fileNames,
      at: Date.now(),
      seq: this.calls.length,
      authorization: request.headers.authorization,
    });
    const json = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    const record = (body ?? {}) as Record<string, unknown>;
    let match: RegExpExecArray | null;
    if (this.acceptedToken !== null && request.headers.authorization !== `Bot ${this.acceptedToken}`) {
      json(401, { message: '401: Unauthorized', code: 0 });
    } else if (method === 'GET' && path === '/api/v10/gateway/bot') {
      json(200, {
        url: `ws://127.0.0.1:${this.port}/gateway`,
        shards: this.recommendedShards,
        session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
      });
    } else if (method === 'GET' && path === '/api/v10/applications/@me') {
      json(200, { id: APP_ID, name: 'tapewatch', description: '', bot_public: true, flags: 0 });
    } else if (method === 'PUT' && /^\/api\/v10\/applications\/\d+(\/guilds\/\d+)?\/commands$/.test(path)) {
      json(
        200,
        (body as Record<string, unknown>[]).map((command) => ({
          ...command,
          id: snowflake(),
          application_id: APP_ID,
        })),
      );
    } else if (
      (match = /^\/api\/v10\/interactions\/\d+\/([^/]+)\/callback$/.exec(path)) &&
      method === 'POST'
    ) {
      const token = match[1] ?? '';
      const late = Date.now() - (this.dispatchedAt.get(token) ?? Date.now()) > this.acknowledgeWithinMs;
      if (late) this.expiredTokens.add(token);
      if (this.expiredTokens.has(token)) json(404, { message: 'Unknown interaction', code: 10062 });
      else response.writeHead(204).end();
    } else if (/^\/api\/v10\/webhooks\/\d+\/[^/]+\/messages\/@original$/.test(path)) {
      if (method === 'PATCH' && this.rateLimitEdits > 0) {
        this.rateLimitEdits--;
        response.writeHead(429, {
          'content-type': 'application/json',
          'retry-after': '1',
          'x-ratelimit-scope': 'user',
          'x-ratelimit-reset-after': '0.2',
        });
        response.end(
          JSON.stringify({ message: 'You are being rate limited.', retry_after: 0.2, global: false }),
        );
      } else if (method === 'PATCH' && this.failEdits > 0) {
        this.failEdits--;
        json(500, { message: '500: Internal Server Error', code: 0 });
      } else if (method === 'DELETE') response.writeHead(204).end();
      else json(200, messageObject(CHANNEL_ID, record));
    } else if (method === 'POST' && /^\/api\/v10\/webhooks\/\d+\/[^/]+$/.test(path)) {
      json(200, messageObject(CHANNEL_ID, record));
    } else if (method === 'POST' && path === '/api/v10/users/@me/channels') {
      // Opening a DM: every user's DM with the bot is DM_CHANNEL_ID here.
      json(200, { id: DM_CHANNEL_ID, type: 1, recipients: [user(String(record.recipient_id), 'trader')] });
    } else if (method === 'POST' && (match = /^\/api\/v10\/channels\/(\d+)\/messages$/.exec(path))) {
      const channelId = match[1] ?? '';
      const failure = this.failingChannels.get(channelId);
      if (failure) json(failure.status, { message: failure.message, code: failure.code });
      else json(200, messageObject(channelId, record));
    } else {
      json(404, { message: '404: Not Found', code: 0 });
    }
  }
}

const CALLBACK_PATH = /^\/api\/v10\/interactions\/\d+\/(token-\d+)\/callback$/;

/**
 * What the user read of an interaction: the immediate reply's content, the deferred reply's final edit
 * (its content, else its embeds as JSON), or the ephemeral follow-up a failure after the deferral gets.
 */
export async function answerTo(discord: FakeDiscord, token: string, timeoutMs = 30_000): Promise<string> {
  const call = await discord.waitForCall(
    (c: RecordedCall) =>
      (c.method === 'POST' &&
        CALLBACK_PATH.exec(c.path)?.[1] === token &&
        (c.body as { type: number }).type === 4) ||
      (c.method === 'PATCH' && c.path.endsWith(`/${token}/messages/@original`)) ||
      (c.method === 'POST' && c.path.endsWith(`/webhooks/${APP_ID}/${token}`)),
    timeoutMs,
  );
  const body = call.body as {
    data?: { content?: string };
    content?: string;
    embeds?: unknown[];
  };
  if (call.method === 'POST') return body.data?.content ?? body.content ?? '';
  return body.content || JSON.stringify(body.embeds ?? []);
}
