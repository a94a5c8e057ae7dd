import { createServer, type Server } from 'node:http';
import type { HttpEvent } from '../lib/http.ts';
import type { Metrics } from '../lib/metrics.ts';
import type { Logger } from '../log.ts';
import { listen, type Listening } from '../lib/listen.ts';

/**
 * A Yahoo that has not answered for this long makes the bot unhealthy. Shorter outages are left to
 * the retries: a supervisor restarting the bot for every blip would only lose its warm cache.
 */
export const DATA_FAILURE_GRACE_MS = 5 * 60_000;

/**
 * What a supervisor (Docker's HEALTHCHECK, Kubernetes, a load balancer) needs to know: is the bot
 * connected to Discord's gateway, and does its data source answer? Only live data can stop answering;
 * local files and the demo market always do.
 */
export class Health {
  readonly #now: () => Date;
  #gateway: { connected: boolean; since: Date; why: string };
  /** When the data source stopped answering (its first unanswered request since the last answer). */
  #dataFailingSince: Date | null = null;

  constructor(now: () => Date) {
    this.#now = now;
    this.#gateway = { connected: false, since: now(), why: 'not connected yet' };
  }

  gatewayConnected(): void {
    this.#gateway = { connected: true, since: this.#now(), why: '' };
  }

  gatewayLost(why: string): void {
    if (this.#gateway.connected) this.#gateway = { connected: false, since: this.#now(), why };
  }

  /** Fed every Yahoo HTTP event: the outcome of each request says whether the source answers. */
  observeData(event: HttpEvent): void {
    if (event === 'answered') this.#dataFailingSince = null;
    else if (event === 'unanswered') this.#dataFailingSince ??= this.#now();
  }

  /** Healthy, or the reasons it is not, each one plain sentence. */
  check(): { healthy: boolean; reasons: string[] } {
    const now = this.#now();
    const reasons: string[] = [];
    if (!this.#gateway.connected) {
      reasons.push(`Discord gateway: ${this.#gateway.why} (since ${this.#gateway.since.toISOString()})`);
    }
    const failing = this.#dataFailingSince;
    if (failing !== null && now.getTime() - failing.getTime() >= DATA_FAILURE_GRACE_MS) {
      reasons.push(`data source: no answer from Yahoo Finance since ${failing.toISOString()}`);
    }
    return { healthy: reasons.length === 0, reasons };
  }
}

export type HealthServer = Listening;

/**
 * Serves GET /healthz (200 or 503, a JSON body with the reasons) and GET /metrics (Prometheus text) on
 * `host:port`. Off unless HEALTH_PORT is set; it binds 127.0.0.1 unless HEALTH_HOST says otherwise,
 * since the metrics name servers' activity and the endpoint needs no audience beyond the machine.
 */
export async function startHealthServer(
  where: { readonly host: string; readonly port: number },
  health: Health,
  metrics: Metrics,
  logger: Logger,
): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      const { healthy, reasons } = health.check();
      response
        .writeHead(healthy ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify({ status: healthy ? 'ok' : 'unavailable', reasons }) + '\n');
      return;
    }
    if (path === '/metrics') {
      metrics.text().then(
        (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (error: unknown) => {
          logger.error({ err: String(error) }, 'metrics could not be collected');
          response.writeHead(500).end();
        },
      );
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: try /healthz or /metrics\n');
  });
  const listening = await listen(server, where);
  logger.info({ host: where.host, port: listening.port }, 'health and metrics endpoint listening');
  return listening;
}
