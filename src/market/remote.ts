import type { MessagePort } from 'node:worker_threads';
import { errorFromRecord, errorRecord, type ErrorRecord } from '../errors.ts';
import { untilAborted, type Cancellable } from '../lib/abort.ts';
import { dateOfDay, dayNumber } from './days.ts';
import {
  allocateBars,
  type DailyBars,
  type DateRange,
  type IsoDate,
  type MarketData,
  type QuoteBatch,
} from './types.ts';

/**
 * A source in another thread. The bot's report workers compute while the main thread keeps the one
 * source, its caches and its Yahoo budget; a worker asks for bars over a MessagePort and gets them as
 * views of the same shared memory, never a copy of the prices. Only the dates travel, as day numbers.
 */

/** One column or date list: a view into a shared block the main thread has numbered. */
interface SharedView {
  readonly bufferId: number;
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly length: number;
}

interface WireBars {
  readonly symbol: string;
  /** Dates as yyyymmdd numbers. */
  readonly days: SharedView;
  readonly columns: readonly SharedView[];
  readonly notes: readonly string[] | undefined;
}

type MarketRequest =
  | { readonly kind: 'bars'; readonly id: number; readonly symbol: string; readonly range: DateRange }
  | { readonly kind: 'quotes'; readonly id: number; readonly symbols: readonly string[] };

/** The worker no longer wants the answer to request `id` (its report failed or was abandoned). */
interface AbortRequest {
  readonly kind: 'abort';
  readonly id: number;
}

type MarketReply =
  | { readonly kind: 'reply'; readonly id: number; readonly bars: WireBars }
  | { readonly kind: 'reply'; readonly id: number; readonly quotes: QuoteBatch }
  | { readonly kind: 'reply'; readonly id: number; readonly error: ErrorRecord };

const COLUMNS = ['open', 'high', 'low', 'close', 'adjClose', 'volume'] as const;

/** The main thread's side: numbers shared blocks and copies into one the rare bars that are not in one. */
class BarsSharer {
  readonly #bufferIds = new WeakMap<SharedArrayBuffer, number>();
  readonly #shared = new WeakMap<DailyBars, DailyBars>();
  readonly #days = new WeakMap<readonly IsoDate[], Int32Array<SharedArrayBuffer>>();
  #nextId = 1;

  share(bars: DailyBars): WireBars {
    const shared = this.#inSharedMemory(bars);
    return {
      symbol: shared.symbol,
      days: this.#view(this.#dayNumbers(shared.dates)),
      columns: COLUMNS.map((column) => this.#view(shared[column])),
      notes: bars.notes,
    };
  }

  #inSharedMemory(bars: DailyBars): DailyBars {
    if (COLUMNS.every((column) => bars[column].buffer instanceof SharedArrayBuffer)) return bars;
    let copy = this.#shared.get(bars);
    if (copy === undefined) {
      copy = allocateBars(bars.symbol, bars.dates);
      for (const column of COLUMNS) copy[column].set(bars[column]);
      this.#shared.set(bars, copy);
    }
    return copy;
  }

  #dayNumbers(dates: readonly IsoDate[]): Int32Array<SharedArrayBuffer> {
    const known = this.#days.get(dates);
    if (known !== undefined) return known;
    const days = new Int32Array(new SharedArrayBuffer(dates.length * Int32Array.BYTES_PER_ELEMENT));
    dates.forEach((date, i) => {
      days[i] = dayNumber(date);
    });
    this.#days.set(dates, days);
    return days;
  }

  #view(array: Float64Array | Int32Array): SharedView {
    const buffer = array.buffer as SharedArrayBuffer;
    let bufferId = this.#bufferIds.get(buffer);
    if (bufferId === undefined) {
      bufferId = this.#nextId++;
      this.#bufferIds.set(buffer, bufferId);
    }
    return { bufferId, buffer, byteOffset: array.byteOffset, length: array.length };
  }
}

/** One numbering for the whole process: a worker keeps the blocks it has seen across requests. */
const sharer = new BarsSharer();

/**
 * Answers a worker's requests for bars and quotes from the source. Failures go back as records, so a
 * symbol the source does not know stays an UnknownSymbolError on the other side. A request the worker
 * gives up on, and every request still open when the port closes (the report ended), is aborted: its
 * network requests stop instead of holding the source's slots for a report nobody will read.
 */
export function serveMarketData(port: MessagePort, marketData: MarketData): void {
  const open = new Map<number, AbortController>();
  port.on('close', () => {
    for (const controller of open.values()) controller.abort(new Error('the report ended'));
    open.clear();
  });
  port.on('message', (message: MarketRequest | AbortRequest | { kind: string }) => {
    if (message.kind === 'abort') {
      const { id } = message as AbortRequest;
      open.get(id)?.abort(new Error('the report no longer needs it'));
      open.delete(id);
      return;
    }
    if (message.kind !== 'bars' && message.kind !== 'quotes') return;
    const request = message as MarketRequest;
    const controller = new AbortController();
    open.set(request.id, controller);
    const failed = (error: unknown) =>
      ({ kind: 'reply', id: request.id, error: errorRecord(error) }) as const;
    // Node reads a port's messages in one go while more keep arriving, and a worker asks again as soon
    // as it is answered: served inline, a 500-member load never let timers or sockets run (a 640 ms
    // stall with the demo source). Each request gets its own turn of the event loop instead.
    setImmediate(() => {
      void answer(request, marketData, controller.signal)
        .catch(failed)
        .then((reply: MarketReply) => {
          if (controller.signal.aborted) return;
          open.delete(request.id);
          try {
            port.postMessage(reply);
          } catch (error) {
            // A reply that cannot be cloned must still end the worker's wait.
            port.postMessage(failed(error));
          }
        });
    });
  });
}

async function answer(
  request: MarketRequest,
  marketData: MarketData,
  signal: AbortSignal,
): Promise<MarketReply> {
  signal.throwIfAborted();
  if (request.kind === 'bars') {
    const bars = await marketData.getDailyBars(request.symbol, request.range, { signal });
    return { kind: 'reply', id: request.id, bars: sharer.share(bars) };
  }
  return { kind: 'reply', id: request.id, quotes: await marketData.getQuotes(request.symbols, { signal }) };
}

/**
 * The worker's side. A shared block is adopted once and reused while anything still holds it, so bars of
 * an unchanged history are views of the very same buffer from one request to the next, and a report
 * worker's panel cache recognises them (see PanelCache).
 */
class BarsReceiver {
  readonly #buffers = new Map<number, WeakRef<SharedArrayBuffer>>();
  readonly #forget = new FinalizationRegistry<number>((bufferId) => {
    if (this.#buffers.get(bufferId)?.deref() === undefined) this.#buffers.delete(bufferId);
  });
  /** Date lists already decoded, by length, first and last day: most members share one calendar. */
  readonly #calendars = new Map<string, { readonly days: Int32Array; readonly dates: readonly IsoDate[] }>();

  receive(wire: WireBars): DailyBars {
    const days = new Int32Array(this.#adopt(wire.days), wire.days.byteOffset, wire.days.length);
    const dates = this.#dates(days);
    const [open, high, low, close, adjClose, volume] = wire.columns.map(
      (view) => new Float64Array(this.#adopt(view), view.byteOffset, view.length),
    ) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    const bars = { symbol: wire.symbol, dates, open, high, low, close, adjClose, volume };
    return wire.notes === undefined ? bars : { ...bars, notes: wire.notes };
  }

  #adopt(view: SharedView): SharedArrayBuffer {
    const known = this.#buffers.get(view.bufferId)?.deref();
    if (known !== undefined) return known;
    this.#buffers.set(view.bufferId, new WeakRef(view.buffer));
    this.#forget.register(view.buffer, view.bufferId);
    return view.buffer;
  }

  /**
   * Members on the same calendar share one list of dates: 500 members' own lists were 20 MB for every
   * request, and a worker's panel cache kept them alive.
   */
  #dates(days: Int32Array): readonly IsoDate[] {
    const key = `${days.length}:${days[0]}:${days.at(-1)}`;
    const known = this.#calendars.get(key);
    if (known !== undefined && sameDays(known.days, days)) return known.dates;
    const dates = Array.from(days, dateOfDay);
    this.#calendars.delete(key);
    this.#calendars.set(key, { days: days.slice(), dates });
    if (this.#calendars.size > MAX_CALENDARS) {
      const oldest = this.#calendars.keys().next().value;
      if (oldest !== undefined) this.#calendars.delete(oldest);
    }
    return dates;
  }
}

function sameDays(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Enough for the few calendars of a universe at a few as-of dates each. */
const MAX_CALENDARS = 64;
const receiver = new BarsReceiver();

/** A source answered from another thread through `port` (see serveMarketData). */
export class RemoteMarketData implements MarketData {
  readonly source: MarketData['source'];
  readonly label: string;
  readonly #port: MessagePort;
  readonly #pending = new Map<number, (reply: MarketReply) => void>();
  #nextId = 1;

  constructor(port: MessagePort, source: { readonly name: MarketData['source']; readonly label: string }) {
    this.#port = port;
    this.source = source.name;
    this.label = source.label;
    port.on('message', (message: MarketReply | { kind: string }) => {
      if (message.kind !== 'reply') return;
      const reply = message as MarketReply;
      this.#pending.get(reply.id)?.(reply);
      this.#pending.delete(reply.id);
    });
  }

  async getDailyBars(symbol: string, range: DateRange, options?: Cancellable): Promise<DailyBars> {
    const reply = await this.#ask({ kind: 'bars', id: this.#nextId++, symbol, range }, options?.signal);
    if ('bars' in reply) return receiver.receive(reply.bars);
    throw this.#failure(reply);
  }

  async getQuotes(symbols: readonly string[], options?: Cancellable): Promise<QuoteBatch> {
    const reply = await this.#ask({ kind: 'quotes', id: this.#nextId++, symbols }, options?.signal);
    if ('quotes' in reply) return reply.quotes;
    throw this.#failure(reply);
  }

  #ask(request: MarketRequest, signal: AbortSignal | undefined): Promise<MarketReply> {
    signal?.throwIfAborted();
    const asked = new Promise<MarketReply>((resolve) => {
      this.#pending.set(request.id, resolve);
      this.#port.postMessage(request);
    });
    if (signal === undefined) return asked;
    const giveUp = () => {
      if (!this.#pending.delete(request.id)) return;
      this.#port.postMessage({ kind: 'abort', id: request.id } satisfies AbortRequest);
    };
    signal.addEventListener('abort', giveUp, { once: true });
    return untilAborted(asked, signal).finally(() => {
      signal.removeEventListener('abort', giveUp);
    });
  }

  #failure(reply: MarketReply): Error {
    return 'error' in reply
      ? errorFromRecord(reply.error)
      : new Error('unexpected reply from the market thread');
  }
}
