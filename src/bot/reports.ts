import type { PreparedRequest, RequestName } from '../../commands/index.ts';
import { prepare } from '../../commands/index.ts';
import { createHash } from 'node:crypto';
import type { Logger } from '../log.ts';
import { describeError } from '../errors.ts';
import { fromSharedJson, toSharedJson, type SharedText } from '../lib/shared-text.ts';
import { cacheTtlSeconds, DEFAULT_CACHE_POLICY } from '../market/cache.ts';
import pLimit, { type LimitFunction } from 'p-limit';
import { exchangeDateOf } from '../market/calendar.ts';
import type { MarketData } from '../market/types.ts';
import { botRequestPolicy, type ReportAnswer } from './answer.ts';
import type { ReportPool } from './report-pool.ts';

export interface ReportRunnerDeps {
  readonly marketData: MarketData;
  readonly homeDir: string;
  readonly now: () => Date;
  /**
   * The worker threads that compute, one report each at a time; the runner decides when. More at once
   * only slows each and multiplies memory (100 distinct as-of dates in flight together took 2.4 GB), so
   * the rest wait their turn in the runner's queue.
   */
  readonly pool: Pick<ReportPool, 'answer' | 'threads'>;
  readonly logger: Logger;
  /**
   * A request that would wait longer than this for its turn (judged from how long reports took
   * lately) is turned away at once with "busy, ask again in N s". Default 60 s (BOT_MAX_WAIT_SECONDS).
   */
  readonly maxWaitSeconds?: number;
  /** Answers shared with the other bot processes (Redis): one computes, the others read it. */
  readonly shared?: SharedText;
}

type Progress = (done: number, total: number) => void;

interface Flight {
  readonly promise: Promise<ReportAnswer>;
  readonly listeners: Set<Progress>;
  /** Counts the askers' acknowledgements: the first to go out starts the work, all failing cancel it. */
  readonly acknowledged: (acknowledgement: Promise<unknown>) => void;
}

/** Every asker's interaction expired before it was acknowledged: nobody is left to answer. */
export class NobodyWaitingError extends Error {
  override readonly name = 'NobodyWaitingError';
}

/**
 * Runs reports for every bot surface (slash commands, buttons, DMs, schedules) through the same report
 * code as the CLI. Identical requests arriving together share one computation and its progress.
 */
export class ReportRunner {
  readonly #deps: ReportRunnerDeps;
  readonly #flights = new Map<string, Flight>();
  readonly #limit: LimitFunction;
  readonly #maxWaitSeconds: number;
  /** Average seconds one computation took lately, for the wait a busy reply announces. */
  #averageSeconds = 2;

  constructor(deps: ReportRunnerDeps) {
    this.#deps = deps;
    this.#limit = pLimit(deps.pool.threads);
    this.#maxWaitSeconds = deps.maxWaitSeconds ?? 60;
  }

  /**
   * When the request would only wait in a full queue: the seconds to suggest before asking again.
   * Null when it can run or wait its turn, or joins an identical request already under way.
   */
  busyFor(request: PreparedRequest): number | null {
    if (this.#flights.has(request.key)) return null;
    const ahead = this.#limit.pendingCount + this.#limit.activeCount;
    const waitSeconds = (ahead / this.#limit.concurrency) * this.#averageSeconds;
    return waitSeconds > this.#maxWaitSeconds ? Math.ceil(waitSeconds) : null;
  }

  /** Checks a request before anything is computed, so bad input is answered at once. */
  prepare(name: RequestName, raw: Readonly<Record<string, unknown>>, asOf: string | null): PreparedRequest {
    return prepare(name, raw, asOf, botRequestPolicy(this.today(), this.#deps.homeDir));
  }

  today(): string {
    return exchangeDateOf(this.#deps.now());
  }

  /**
   * The reply for a prepared request; shares the computation with an identical one in progress, so
   * identical requests arriving together meet. Work starts once an asker's acknowledgement (the Discord
   * deferral) has gone out: report code can hold the CPU for a while, and Discord's 3-second
   * acknowledgement must not wait behind it. If every asker's acknowledgement fails (the interactions
   * expired), nothing is computed. Without an acknowledgement (schedules, DMs), work starts at once.
   */
  run(
    request: PreparedRequest,
    onProgress?: Progress,
    acknowledgement?: Promise<unknown>,
  ): Promise<ReportAnswer> {
    let flight = this.#flights.get(request.key);
    if (!flight) {
      flight = this.#startFlight(request);
      this.#flights.set(request.key, flight);
    } else {
      this.#deps.logger.debug({ report: request.name }, 'joined an identical request in progress');
    }
    if (onProgress) flight.listeners.add(onProgress);
    flight.acknowledged(acknowledgement ?? Promise.resolve());
    return flight.promise;
  }

  #startFlight(request: PreparedRequest): Flight {
    const listeners = new Set<Progress>();
    let waiting = 0;
    let begin = (): void => undefined;
    let giveUp = (): void => undefined;
    const started = new Promise<void>((resolve, reject) => {
      begin = resolve;
      giveUp = () => {
        reject(new NobodyWaitingError('every interaction for this request expired'));
      };
    });
    const promise = started
      .then(async () => {
        const shared = await this.#fromShared(request);
        if (shared !== null) return shared;
        const answer = await this.#limit(async () => {
          const begun = performance.now();
          try {
            return await this.#compute(request, (done, total) => {
              for (const listener of listeners) listener(done, total);
            });
          } finally {
            const seconds = (performance.now() - begun) / 1000;
            this.#averageSeconds = 0.8 * this.#averageSeconds + 0.2 * seconds;
          }
        });
        await this.#toShared(request, answer);
        return answer;
      })
      .finally(() => this.#flights.delete(request.key));
    return {
      promise,
      listeners,
      acknowledged: (acknowledgement) => {
        waiting++;
        acknowledgement.then(begin, () => {
          if (--waiting === 0) giveUp();
        });
      },
    };
  }

  #sharedKey(request: PreparedRequest): string {
    return `report:${createHash('sha256').update(request.key).digest('hex')}`;
  }

  /** An answer another process computed for the same request, while it is fresh. */
  async #fromShared(request: PreparedRequest): Promise<ReportAnswer | null> {
    const shared = this.#deps.shared;
    if (shared === undefined) return null;
    try {
      const text = await shared.get(this.#sharedKey(request));
      return text === null ? null : (fromSharedJson(text) as ReportAnswer);
    } catch (error) {
      this.#deps.logger.warn({ err: describeError(error) }, 'shared reports unavailable');
      return null;
    }
  }

  /**
   * Keeps the answer for the other processes as long as its data stays the same: a minute while the
   * market is open for today's report, until the next open once it has closed (as the market cache).
   */
  async #toShared(request: PreparedRequest, answer: ReportAnswer): Promise<void> {
    const shared = this.#deps.shared;
    if (shared === undefined) return;
    const now = this.#deps.now();
    const kind = request.endDate === exchangeDateOf(now) ? 'quote' : 'bars';
    try {
      await shared.set(
        this.#sharedKey(request),
        toSharedJson(answer),
        cacheTtlSeconds(now, DEFAULT_CACHE_POLICY, kind),
      );
    } catch (error) {
      this.#deps.logger.warn({ err: describeError(error) }, 'report not shared');
    }
  }

  async #compute(request: PreparedRequest, onProgress: Progress): Promise<ReportAnswer> {
    const { answer, warnings } = await this.#deps.pool.answer(request, this.#deps.marketData, onProgress);
    for (const warning of warnings) this.#deps.logger.warn({ report: request.name }, warning);
    return answer;
  }
}
