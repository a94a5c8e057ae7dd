import type { MessagePort } from 'node:worker_threads';
import { prepare, type RequestName } from '../../commands/index.ts';
import { conditionHistory, type AlertCondition, type ConditionHistory } from '../alerts.ts';
import { errorRecord, type ErrorRecord } from '../errors.ts';
import { RemoteMarketData } from '../market/remote.ts';
import type { IsoDate, MarketData } from '../market/types.ts';
import { PanelCache } from '../reports/context.ts';
import { resolveUniverse } from '../universes/index.ts';
import { botRequestPolicy, computeAnswer, type ComputedAnswer } from './answer.ts';

/**
 * A report worker thread (run by piscina, see report-pool.ts). Everything here may hold the CPU for
 * hundreds of milliseconds; none of it may run on the thread that talks to Discord.
 */

export interface AnswerTask {
  readonly name: RequestName;
  readonly input: Readonly<Record<string, unknown>>;
  readonly asOf: string | null;
  readonly today: IsoDate;
  readonly homeDir: string;
  readonly badTickFactor: number;
  /** The session under way at the source when the request was taken (see liveSession). */
  readonly session: IsoDate | null;
  readonly source: { readonly name: MarketData['source']; readonly label: string };
  /** Bars and quotes come from the main thread's source through it; progress goes back through it. */
  readonly port: MessagePort;
}

export type AnswerOutcome =
  ({ readonly ok: true } & ComputedAnswer) | { readonly ok: false; readonly error: ErrorRecord };

export interface ProgressMessage {
  readonly kind: 'progress';
  readonly done: number;
  readonly total: number;
}

/**
 * Aligned panels kept between this worker's requests: enough for today's momentum, breadth and rotation
 * panels (what the brief and most requests use). A panel of the S&P 500 and what is derived from it take
 * 100-200 MB, so each worker keeps fewer than the single-threaded bot did (8).
 */
const panels = new PanelCache(3);

export default async function answer(task: AnswerTask): Promise<AnswerOutcome> {
  try {
    const request = prepare(task.name, task.input, task.asOf, botRequestPolicy(task.today, task.homeDir));
    const computed = await computeAnswer(request, {
      marketData: new RemoteMarketData(task.port, task.source),
      panels,
      badTickFactor: task.badTickFactor,
      session: task.session,
      onProgress: (done, total) => {
        task.port.postMessage({ kind: 'progress', done, total } satisfies ProgressMessage);
      },
    });
    return { ok: true, ...computed };
  } catch (error) {
    return { ok: false, error: errorRecord(error) };
  } finally {
    task.port.close();
  }
}

export interface HistoryTask {
  readonly condition: AlertCondition;
  readonly universe: string;
  readonly endDate: IsoDate;
  readonly homeDir: string;
  readonly badTickFactor: number;
  readonly session: IsoDate | null;
  readonly source: { readonly name: MarketData['source']; readonly label: string };
  readonly port: MessagePort;
}

export type HistoryOutcome =
  | { readonly ok: true; readonly history: ConditionHistory }
  | { readonly ok: false; readonly error: ErrorRecord };

/** An alert condition's reading on every session up to endDate: the alert evaluator's work, off the main thread. */
export async function history(task: HistoryTask): Promise<HistoryOutcome> {
  try {
    const universe = resolveUniverse(task.universe, botRequestPolicy(task.endDate, task.homeDir).universes);
    const computed = await conditionHistory(
      {
        marketData: new RemoteMarketData(task.port, task.source),
        endDate: task.endDate,
        panels,
        badTickFactor: task.badTickFactor,
        session: task.session,
      },
      task.condition,
      universe,
    );
    return { ok: true, history: computed };
  } catch (error) {
    return { ok: false, error: errorRecord(error) };
  } finally {
    task.port.close();
  }
}
