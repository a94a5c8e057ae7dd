import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OpenAI-compatible server on loopback for the real openai client (OPENAI_BASE_URL). Each chat
 * completion takes the next scripted reply; every request is recorded.
 */
export type ScriptedReply =
  | { readonly content: string }
  | { readonly status: number; readonly error: string }
  | { readonly delayMs: number; readonly content: string }
  | { readonly raw: string }
  | { readonly toolCall: { readonly name: string; readonly arguments: string }; readonly content?: string }
  /** Answers from the request, e.g. restating the facts it was sent. */
  | { readonly respond: (body: RecordedCompletion['body']) => string };

export interface RecordedCompletion {
  readonly body: {
    model: string;
    messages: { role: string; content: string }[];
    response_format?: { type: string };
    tools?: unknown[];
  };
  readonly authorization: string | undefined;
}

export class FakeOpenAI {
  readonly requests: RecordedCompletion[] = [];
  readonly script: ScriptedReply[] = [];
  readonly #server: Server;

  private constructor() {
    this.#server = createServer((request, response) => {
      void this.#handle(request, response);
    });
  }

  static async start(): Promise<FakeOpenAI> {
    const fake = new FakeOpenAI();
    fake.#server.listen(0, '127.0.0.1');
    await once(fake.#server, 'listening');
    return fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v1`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":{"message":"not found"}}');
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedCompletion['body'];
    this.requests.push({ body, authorization: request.headers.authorization });
    const next = this.script.shift() ?? { status: 500, error: 'the test scripted no reply' };
    if ('toolCall' in next) {
      this.#complete(response, {
        role: 'assistant',
        content: next.content ?? null,
        refusal: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: next.toolCall }],
      });
      return;
    }
    const reply = 'respond' in next ? { content: next.respond(body) } : next;
    if ('status' in reply) {
      response
        .writeHead(reply.status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: reply.error, type: 'test', code: null } }));
      return;
    }
    if ('raw' in reply) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(reply.raw);
      return;
    }
    if ('delayMs' in reply && typeof reply.delayMs === 'number') {
      const { delayMs } = reply;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    if (response.destroyed) return;
    this.#complete(response, { role: 'assistant', content: reply.content, refusal: null });
  }

  #complete(response: ServerResponse, message: Record<string, unknown>): void {
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: 'chatcmpl-test',
        object: 'chat.completion',
        created: 1_700_000_000,
        model: 'test-model',
        choices: [{ index: 0, finish_reason: 'tool_calls' in message ? 'tool_calls' : 'stop', message }],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      }),
    );
  }
}
