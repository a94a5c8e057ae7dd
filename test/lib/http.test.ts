import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { sleep } from '../../src/lib/abort.ts';
import {
  createRetryingFetch,
  HttpFailure,
  RequestBudget,
  type HttpEvent,
  type RetryPolicy,
} from '../../src/lib/http.ts';
import { silentLogger } from '../../src/log.ts';

/** One scripted answer: a status (with Retry-After), or a delay longer than the client waits. */
type Answer = { status: number; retryAfter?: string } | { delayMs: number };

/**
 * A loopback server that answers each request with the next scripted answer and then 200, so the
 * retrying fetch is tested over real HTTP in every clone, with no recording needed.
 */
describe('retrying fetch against a scripted server on loopback', () => {
  let server: Server;
  let base = '';
  let script: Answer[] = [];
  let hits = 0;
  let sleeps: number[] = [];

  before(async () => {
    server = createServer((_request, response) => {
      hits++;
      const answer = script.shift();
      if (answer && 'delayMs' in answer) {
        const timer = setTimeout(() => response.end('late'), answer.delayMs);
        response.on('close', () => {
          clearTimeout(timer);
        });
        return;
      }
      const status = answer?.status ?? 200;
      response.writeHead(status, answer?.retryAfter ? { 'retry-after': answer.retryAfter } : {});
      response.end(status === 200 ? 'ok' : `error ${status}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    script = [];
    hits = 0;
    sleeps = [];
  });

  function retrying(policy: Partial<RetryPolicy> = {}, observe?: (event: HttpEvent) => void) {
    return createRetryingFetch(
      globalThis.fetch,
      {
        timeoutMs: 2_000,
        retries: 2,
        baseDelayMs: 250,
        maxDelayMs: 8_000,
        maxRetryAfterMs: 60_000,
        maxRateLimitWaitMs: 300_000,
        ...policy,
      },
      {
        logger: silentLogger,
        random: () => 0.5,
        sleep: (ms) => {
          sleeps.push(ms);
          return Promise.resolve();
        },
        ...(observe === undefined ? {} : { observe }),
      },
    );
  }

  it('tells its observer of each attempt, retry and 429, and whether the request got an answer', async () => {
    const events: HttpEvent[] = [];
    const observe = (event: HttpEvent) => events.push(event);
    script = [{ status: 429 }, { status: 503 }];
    await retrying({}, observe)(`${base}/chart`);
    assert.deepEqual(events, ['attempt', 'rate_limited', 'attempt', 'retry', 'attempt', 'answered']);
    events.length = 0;
    script = [{ status: 404 }];
    await assert.rejects(retrying({}, observe)(`${base}/chart`));
    assert.deepEqual(events, ['attempt', 'answered'], 'a 404 is an answer: the server is there');
    events.length = 0;
    script = [{ status: 500 }, { status: 500 }];
    await assert.rejects(retrying({ retries: 1 }, observe)(`${base}/chart`));
    assert.deepEqual(events, ['attempt', 'retry', 'attempt', 'unanswered']);
  });

  it('retries 503 with exponential backoff and full jitter, then returns the answer', async () => {
    script = [{ status: 503 }, { status: 503 }];
    const response = await retrying()(`${base}/chart`);
    assert.equal(await response.text(), 'ok');
    assert.equal(hits, 3);
    assert.deepEqual(sleeps, [125, 250], 'half of 250 ms, then half of 500 ms');
  });

  it('waits out 429s without using up the retries, backing off at least half the ceiling each time', async () => {
    script = [{ status: 429 }, { status: 429 }, { status: 429 }, { status: 429 }, { status: 503 }];
    const response = await retrying()(`${base}/chart`);
    assert.equal(await response.text(), 'ok');
    assert.equal(hits, 6, 'four 429s and a 503 with 2 retries: the 429s did not count');
    assert.deepEqual(sleeps, [187.5, 375, 750, 1500, 125], '3/4 of 250, 500, 1000, 2000 ms; then the 503');
  });

  it('waits as long as Retry-After says, in seconds or as a date', async () => {
    script = [{ status: 429, retryAfter: '2' }];
    await retrying()(`${base}/chart`);
    assert.deepEqual(sleeps, [2000]);
    sleeps = [];
    script = [{ status: 503, retryAfter: new Date(Date.now() + 5_000).toUTCString() }];
    await retrying()(`${base}/chart`);
    assert.equal(sleeps.length, 1);
    assert.ok((sleeps[0] ?? 0) > 3_000 && (sleeps[0] ?? 0) <= 5_000, `waited ${sleeps[0]} ms`);
  });

  it('waits a Retry-After in full beyond the backoff ceiling, and fails at once past its own cap', async () => {
    script = [{ status: 429, retryAfter: '30' }];
    await retrying()(`${base}/chart`);
    assert.deepEqual(sleeps, [30_000], 'not cut to the 8 s backoff ceiling');
    sleeps = [];
    hits = 0;
    script = [{ status: 429, retryAfter: '3600' }];
    await assert.rejects(
      retrying()(`${base}/chart`),
      (error: unknown) =>
        error instanceof HttpFailure && error.kind === 'rate_limited' && error.retryAfterMs === 3_600_000,
    );
    assert.equal(hits, 1, 'not asked again early');
    assert.deepEqual(sleeps, []);
  });

  it('does not retry a 404: the symbol does not exist, asking again will not help', async () => {
    script = [{ status: 404 }];
    await assert.rejects(
      retrying()(`${base}/chart`),
      (error: unknown) =>
        error instanceof HttpFailure && error.kind === 'client_error' && error.status === 404,
    );
    assert.equal(hits, 1);
    assert.deepEqual(sleeps, []);
  });

  it('gives up after the retries, saying why and after how many attempts', async () => {
    script = [{ status: 500 }, { status: 500 }, { status: 500 }];
    await assert.rejects(
      retrying()(`${base}/chart?crumb=secret`),
      (error: unknown) =>
        error instanceof HttpFailure &&
        error.kind === 'server_error' &&
        error.attempts === 3 &&
        error.message === `HTTP 500 from ${base}/chart`,
    );
    assert.equal(hits, 3);
    hits = 0;
    script = [{ status: 429 }, { status: 429 }, { status: 429 }];
    await assert.rejects(
      retrying({ maxRateLimitWaitMs: 1_000 })(`${base}/chart`),
      (error: unknown) =>
        error instanceof HttpFailure && error.kind === 'rate_limited' && error.attempts === 3,
    );
    assert.equal(hits, 3, 'the third 429 would have taken the waiting past 1 s');
  });

  it('times out an attempt that does not answer, and retries it', async () => {
    script = [{ delayMs: 1_000 }];
    const started = Date.now();
    const response = await retrying({ timeoutMs: 150, retries: 1 })(`${base}/chart`);
    assert.equal(await response.text(), 'ok');
    assert.ok(Date.now() - started < 900, 'the first attempt was abandoned before the server answered');
    script = [{ delayMs: 1_000 }];
    await assert.rejects(
      retrying({ timeoutMs: 150, retries: 0 })(`${base}/chart`),
      (error: unknown) =>
        error instanceof HttpFailure && error.kind === 'timeout' && /within 150 ms/.test(error.message),
    );
  });

  it('stops at once when its caller gives up, during an attempt or a wait between attempts', async () => {
    const patient = createRetryingFetch(
      globalThis.fetch,
      {
        timeoutMs: 30_000,
        retries: 3,
        baseDelayMs: 20_000,
        maxDelayMs: 20_000,
        maxRetryAfterMs: 60_000,
        maxRateLimitWaitMs: 300_000,
      },
      { logger: silentLogger, random: () => 1, sleep },
    );
    for (const answer of [{ delayMs: 30_000 }, { status: 503 }]) {
      script = [answer];
      hits = 0;
      const caller = new AbortController();
      const started = performance.now();
      const request = patient(`${base}/chart`, { signal: caller.signal });
      await new Promise((resolve) => setTimeout(resolve, 100));
      caller.abort(new Error('report abandoned'));
      await assert.rejects(request, /report abandoned/);
      const seconds = (performance.now() - started) / 1000;
      assert.ok(
        seconds < 2,
        `gave up after ${seconds.toFixed(1)} s, not after the ${JSON.stringify(answer)}`,
      );
      assert.equal(hits, 1, 'no attempt after the caller left');
    }
  });

  it('treats a refused connection as a network failure worth retrying', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(
      retrying()(`http://127.0.0.1:${port}/chart`),
      (error: unknown) => error instanceof HttpFailure && error.kind === 'network' && error.attempts === 3,
    );
    assert.equal(sleeps.length, 2);
  });
});

describe('request budget (token bucket)', () => {
  /** A clock that sleeping moves forward, so waits are exact and instant. */
  function budget(perMinute: number, burst: number) {
    let now = 0;
    const slept: number[] = [];
    const bucket = new RequestBudget(perMinute, burst, {
      now: () => now,
      sleep: (ms) => {
        slept.push(ms);
        now += ms;
        return Promise.resolve();
      },
    });
    return { bucket, slept, at: () => now };
  }

  it('lets a burst through at once, then one request per 60/perMinute seconds', async () => {
    const { bucket, at } = budget(60, 3);
    const granted: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, () =>
        bucket.take().then(() => {
          granted.push(at());
        }),
      ),
    );
    assert.deepEqual(granted, [0, 0, 0, 1000, 2000, 3000]);
  });

  it('pauses every waiting request when one is told to wait, then goes on at its pace', async () => {
    const { bucket, at } = budget(600, 1);
    await bucket.take();
    bucket.pauseFor(5_000);
    const granted: number[] = [];
    await Promise.all(
      [1, 2].map(() =>
        bucket.take().then(() => {
          granted.push(at());
        }),
      ),
    );
    assert.deepEqual(granted, [5_000, 5_100], 'nobody before the pause ends; then 100 ms apart');
  });

  it('lets a waiting request leave the line the moment its caller gives up', async () => {
    // A clock that never moves: only an abort can end a wait.
    const bucket = new RequestBudget(60, 1, {
      now: () => 0,
      sleep: (_ms, signal) =>
        new Promise((_, reject) => {
          signal?.addEventListener('abort', () => {
            reject(signal.reason as Error);
          });
        }),
    });
    await bucket.take();
    const caller = new AbortController();
    const waiting = bucket.take(caller.signal);
    caller.abort(new Error('gone'));
    await assert.rejects(waiting, /gone/);
  });

  it('lets a request whose caller gave up leave the line without holding up the next', async () => {
    const { bucket } = budget(60, 1);
    await bucket.take();
    const gone = new AbortController();
    gone.abort();
    await assert.rejects(bucket.take(gone.signal), { name: 'AbortError' });
    await bucket.take();
  });
});
