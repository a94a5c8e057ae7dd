import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FetchFn } from '../../src/lib/http.ts';
import type { YahooMarket } from './yahoo-market.ts';

/**
 * A fake Yahoo Finance on loopback that replays the recorded real exchanges in ../shared/data/yahoo-http.
 * yahoo-finance2 talks to it through its `fetch` option: `fetch` below rewrites https://HOST/PATH to
 * http://127.0.0.1:PORT/HOST/PATH, so the library, its cookie jar and its crumb handshake run unchanged.
 *
 * The recordings redact cookies, so the fake hands out a working cookie in their place, and it answers
 * the one consent hop the recording does not hold (guce.yahoo.com sends the browser back to the page).
 * Faults can be queued per path prefix: a status (429, 500), a delay longer than the client's timeout,
 * a connection reset, a malformed body, or a well-formed body of another shape.
 */
interface Recording {
  request: { url: string };
  response: { status: number; headers: Record<string, string>; bodyJson?: unknown; bodyText?: string };
}

export type Fault =
  | { status: number; retryAfter?: string }
  | { delayMs: number }
  | { malformed: true }
  /** The connection dropped without an answer. */
  | { reset: true }
  /** A well-formed answer of another shape (an empty result, a payload with fields gone). */
  | { json: unknown };

/** A fetch that sends every Yahoo URL to a fake listening on the port (in this process or another). */
export function loopbackFetch(port: number): FetchFn {
  return (input, init) => {
    const original = new URL(input instanceof Request ? input.url : input.toString());
    return fetch(`http://127.0.0.1:${port}/${original.host}${original.pathname}${original.search}`, init);
  };
}

export const RECORDED_CRUMB = 'haT3oykhHqZ';
const COOKIE = 'A3=fake-session; Domain=.yahoo.com; Path=/; Max-Age=31557600; Secure; HttpOnly';

export class FakeYahoo {
  readonly requests: { host: string; path: string; query: URLSearchParams; cookie: string }[] = [];
  private readonly faults: { prefix: string; fault: Fault }[] = [];
  private readonly recordings: Map<string, Recording>;
  private readonly market: YahooMarket | null;
  /** The crumb the quote endpoint accepts; expireCrumb() hands out a new one, as Yahoo does daily. */
  private validCrumb = RECORDED_CRUMB;
  private server: Server | null = null;
  private port = 0;

  /** With a market, charts and quotes come from its price files; recordings only for symbols it lacks. */
  constructor(recordingDir: string, market: YahooMarket | null = null) {
    this.market = market;
    const load = (name: string): Recording =>
      JSON.parse(readFileSync(path.join(recordingDir, `${name}.json`), 'utf8')) as Recording;
    this.recordings = new Map([
      ['quote-page', load('getCrumb-quote-AAPL')],
      ['getcrumb', load('getCrumb-getcrumb')],
      ['quote:AAPL', load('quote-AAPL')],
      ['quote:AAPL,BABA', load('quote-AAPL-BABA')],
      ['quote:QQQ', load('quote-QQQ')],
      ['chart:AAPL', load('chart-AAPL-2020-08-31-to-2020-11-07')],
      ['chart:TSLA', load('historical-via-chart-dividends-TSLA-no-dividends')],
    ]);
  }

  recording(key: string): Recording {
    const recording = this.recordings.get(key);
    if (!recording) throw new Error(`no recording ${key}`);
    return recording;
  }

  /** Queue a fault for the next request whose path starts with the prefix (e.g. "/v8/finance/chart"). */
  inject(prefix: string, fault: Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push({ prefix, fault });
  }

  /** Forgets faults queued and not yet met, so one test's leftovers never reach the next. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** The session expires: requests with the old crumb get 401 "Invalid Crumb", a new handshake a new one. */
  expireCrumb(): void {
    this.validCrumb = `${RECORDED_CRUMB}-renewed-${this.requestsTo('/v1/test/getcrumb')}`;
  }

  requestsTo(prefix: string): number {
    return this.requests.filter((r) => r.path.startsWith(prefix)).length;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve) => {
      this.server?.listen(0, '127.0.0.1', resolve);
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.server?.close(() => {
        resolve();
      });
    });
  }

  /** The fetch to hand to yahoo-finance2: every Yahoo URL goes to this server instead. */
  readonly fetch: FetchFn = (input, init) => loopbackFetch(this.port)(input, init);

  get listeningPort(): number {
    return this.port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const [, host = '', ...rest] = url.pathname.split('/');
    const route = `/${rest.join('/')}`;
    const cookie = req.headers.cookie ?? '';
    this.requests.push({ host, path: route, query: url.searchParams, cookie });

    const index = this.faults.findIndex((f) => route.startsWith(f.prefix));
    if (index >= 0) {
      const fault = this.faults.splice(index, 1)[0]?.fault ?? { status: 500 };
      if ('delayMs' in fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      else if ('json' in fault)
        return this.send(res, 200, { 'content-type': 'application/json' }, JSON.stringify(fault.json));
      else if ('reset' in fault) {
        req.socket.destroy();
        return false;
      } else if ('malformed' in fault)
        return this.send(res, 200, { 'content-type': 'application/json' }, '{"chart": {"result": [{"meta": ');
      else
        return this.send(
          res,
          fault.status,
          { 'content-type': 'text/plain', ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}) },
          'fault',
        );
      if (res.destroyed) return false;
    }

    if (host === 'finance.yahoo.com' && route.startsWith('/quote/')) {
      if (cookie.includes('A3='))
        return this.send(res, 200, { 'content-type': 'text/html' }, '<html>quote page</html>');
      return this.replay(res, this.recording('quote-page'), { 'set-cookie': COOKIE });
    }
    if (host === 'guce.yahoo.com') {
      return this.send(
        res,
        302,
        { location: url.searchParams.get('done') ?? 'https://finance.yahoo.com/' },
        '',
      );
    }
    if (route === '/v1/test/getcrumb') {
      if (!cookie.includes('A3=')) return this.send(res, 401, { 'content-type': 'text/plain' }, 'no cookie');
      if (this.validCrumb !== RECORDED_CRUMB)
        return this.send(res, 200, { 'content-type': 'text/plain' }, this.validCrumb);
      return this.replay(res, this.recording('getcrumb'));
    }
    if (route === '/v7/finance/quote') {
      if (url.searchParams.get('crumb') !== this.validCrumb)
        return this.send(
          res,
          401,
          { 'content-type': 'application/json' },
          '{"finance":{"result":null,"error":{"code":"Unauthorized","description":"Invalid Crumb"}}}',
        );
      const symbols = url.searchParams.get('symbols') ?? '';
      if (this.market) return this.sendJson(res, await this.market.quotes(symbols.split(',')));
      const recorded = this.recordings.get(`quote:${symbols}`);
      if (recorded) return this.replay(res, recorded);
      // Yahoo answers unknown symbols by leaving them out of the result.
      return this.send(
        res,
        200,
        { 'content-type': 'application/json' },
        JSON.stringify({ quoteResponse: { result: [], error: null } }),
      );
    }
    if (route.startsWith('/v8/finance/chart/')) {
      const symbol = decodeURIComponent(route.slice('/v8/finance/chart/'.length));
      const charted = await this.market?.chart(
        symbol,
        Number(url.searchParams.get('period1')),
        Number(url.searchParams.get('period2')),
      );
      if (charted) return this.sendJson(res, charted);
      const recorded = this.recordings.get(`chart:${symbol}`);
      if (recorded) return this.replay(res, recorded);
      return this.send(
        res,
        404,
        { 'content-type': 'application/json' },
        JSON.stringify({
          chart: {
            result: null,
            error: { code: 'Not Found', description: 'No data found, symbol may be delisted' },
          },
        }),
      );
    }
    return this.send(
      res,
      404,
      { 'content-type': 'text/plain' },
      `fake yahoo has no route for ${host}${route}`,
    );
  }

  private replay(res: ServerResponse, recording: Recording, override: Record<string, string> = {}): boolean {
    const { status, headers, bodyJson, bodyText } = recording.response;
    const body = bodyJson === undefined ? (bodyText ?? '') : JSON.stringify(bodyJson);
    const kept = Object.fromEntries(
      Object.entries(headers).filter(
        ([name]) => !['set-cookie', 'content-length', 'content-encoding', 'transfer-encoding'].includes(name),
      ),
    );
    return this.send(res, status, { ...kept, ...override }, body);
  }

  private sendJson(res: ServerResponse, body: unknown): boolean {
    return this.send(res, 200, { 'content-type': 'application/json' }, JSON.stringify(body));
  }

  /** Returns whether the answer was sent (a client that timed out has gone away). */
  private send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): boolean {
    if (res.destroyed) return false;
    res.writeHead(status, headers);
    res.end(body);
    return true;
  }
}
