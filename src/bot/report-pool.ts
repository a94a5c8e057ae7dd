import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { PreparedRequest } from '../../commands/index.ts';
import { errorFromRecord } from '../errors.ts';
import { serveMarketData } from '../market/remote.ts';
import { liveSession } from '../market/session.ts';
import type { MarketData } from '../market/types.ts';
import type { ComputedAnswer } from './answer.ts';
import type { AlertCondition, ConditionHistory } from '../alerts.ts';
import type { IsoDate } from '../market/types.ts';
import type {
  AnswerOutcome,
  AnswerTask,
  HistoryOutcome,
  HistoryTask,
  ProgressMessage,
} from './report-worker.ts';

export interface ReportPoolOptions {
  /** Worker threads, each computing one report at a time. */
  readonly threads: number;
  /** Where the bot's own universe files are. */
  readonly homeDir: string;
  /** BAD_TICK_FACTOR, for the reports' data check. */
  readonly badTickFactor: number;
  /** The clock that says whether a session is under way, so its prices come from quotes. */
  readonly now: () => Date;
}

/** The worker module beside this one, whether the bot runs from its TypeScript or from a build. */
const WORKER = new URL(`./report-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;

/**
 * Report computation in worker threads: panel alignment, indicators and charts hold the CPU for up to a
 * few hundred milliseconds per report, and on the main thread that delayed every other user's Discord
 * acknowledgement. The source stays on the main thread (one cache, one Yahoo budget); workers read its
 * prices in place from shared memory (see market/remote.ts). A worker that dies fails only the request it
 * was computing, and piscina starts another.
 */
export class ReportPool {
  readonly #pool: Piscina;
  readonly #homeDir: string;
  readonly #badTickFactor: number;
  readonly #now: () => Date;
  readonly threads: number;

  constructor(options: ReportPoolOptions) {
    this.#homeDir = options.homeDir;
    this.#badTickFactor = options.badTickFactor;
    this.#now = options.now;
    this.threads = options.threads;
    this.#pool = new Piscina({
      filename: WORKER,
      minThreads: options.threads,
      maxThreads: options.threads,
      // The runner queues requests itself (to answer "busy" with a wait time), so this queue stays short.
      concurrentTasksPerWorker: 1,
    });
  }

  async answer(
    request: PreparedRequest,
    marketData: MarketData,
    onProgress: (done: number, total: number) => void,
  ): Promise<ComputedAnswer> {
    const outcome = await this.#inWorker<AnswerOutcome>(
      'default',
      marketData,
      (port) => ({
        name: request.name,
        input: request.input,
        asOf: request.asOf,
        today: request.today,
        port,
      }),
      (message) => {
        if (message.kind === 'progress') {
          const progress = message as ProgressMessage;
          onProgress(progress.done, progress.total);
        }
      },
    );
    if (!outcome.ok) throw errorFromRecord(outcome.error);
    const { chart } = outcome.answer.message;
    // Structured cloning hands a Buffer back as a plain Uint8Array.
    const message =
      chart === undefined
        ? outcome.answer.message
        : {
            ...outcome.answer.message,
            chart: {
              ...chart,
              png: Buffer.from(chart.png.buffer, chart.png.byteOffset, chart.png.byteLength),
            },
          };
    return { answer: { ...outcome.answer, message }, warnings: outcome.warnings };
  }

  /** An alert condition's history up to endDate, computed in a worker like a report. */
  async history(
    condition: AlertCondition,
    universe: string,
    endDate: IsoDate,
    marketData: MarketData,
  ): Promise<ConditionHistory> {
    const outcome = await this.#inWorker<HistoryOutcome>('history', marketData, (port) => ({
      condition,
      universe,
      endDate,
      port,
    }));
    if (!outcome.ok) throw errorFromRecord(outcome.error);
    return outcome.history;
  }

  /**
   * Runs a worker function with the source served to it through a port of its own, and the settings
   * every task carries; the worker's messages (progress) go to onMessage.
   */
  async #inWorker<Outcome>(
    name: 'default' | 'history',
    marketData: MarketData,
    task: (port: MessagePort) => Record<string, unknown>,
    onMessage?: (message: ProgressMessage | { readonly kind: string }) => void,
  ): Promise<Outcome> {
    const { port1, port2 } = new MessageChannel();
    serveMarketData(port1, marketData);
    if (onMessage) port1.on('message', onMessage);
    const settings = {
      homeDir: this.#homeDir,
      badTickFactor: this.#badTickFactor,
      session: liveSession(marketData.source, this.#now()),
      source: { name: marketData.source, label: marketData.label },
    };
    try {
      return (await this.#pool.run(
        { ...task(port2), ...settings } satisfies Partial<AnswerTask | HistoryTask>,
        {
          name,
          transferList: [port2],
        },
      )) as Outcome;
    } finally {
      port1.close();
    }
  }

  /** Stops the workers once their current reports are done. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}
