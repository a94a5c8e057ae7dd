import { randomUUID } from 'node:crypto';

/**
 * Expected failures carry a stable code and a message that is safe to show a user as it is: one line,
 * no stack trace, no secret. Every surface (CLI, bot) maps them to replies in one place; anything that is
 * not a TapewatchError is a bug and is shown as a generic failure with a reference id.
 */
export type ErrorCode =
  | 'bad_config'
  | 'bad_input'
  | 'unknown_symbol'
  | 'unknown_universe'
  | 'no_data'
  | 'not_enough_data'
  | 'data_file'
  | 'source_unreachable'
  | 'rate_limited'
  | 'source_error'
  /** The bot is still loading market history after a start; the message says how far it is. */
  | 'warming_up'
  | 'store';

export class TapewatchError extends Error {
  override readonly name: string = 'TapewatchError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A symbol the data source does not know (or no longer lists); other symbols in the same request still work. */
export class UnknownSymbolError extends TapewatchError {
  override readonly name = 'UnknownSymbolError';
  readonly symbol: string;
  /** Why, in the source's words ("Yahoo has no data for it; …"), without the symbol. */
  readonly detail: string;

  constructor(symbol: string, detail = 'no data found; it may be misspelt or delisted') {
    super('unknown_symbol', `Unknown symbol "${symbol}": ${detail}.`);
    this.symbol = symbol;
    this.detail = detail;
  }
}

/**
 * One symbol's data cannot be used (a broken price file, a payload that cannot be read): that member is
 * left out with this message as the reason, and the other symbols of the request still work.
 */
export class SymbolDataError extends TapewatchError {
  override readonly name = 'SymbolDataError';
  readonly symbol: string;

  constructor(symbol: string, message: string, options?: { cause?: unknown }) {
    super('data_file', message, options);
    this.symbol = symbol;
  }
}

/**
 * A missing member's reason is a phrase that callers set inside their own sentences ("Missing "X": …."),
 * so the sentence's own full stop goes.
 */
export function reasonOf(error: Error): string {
  return error.message.replace(/\.$/, '');
}

export function isTapewatchError(error: unknown): error is TapewatchError {
  return error instanceof TapewatchError;
}

/** A one-line description of any thrown value, for logs and per-symbol notes. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}

/** A short id that ties what a user is told to the log line with the details. */
export function newReference(): string {
  return randomUUID().slice(0, 8);
}

/**
 * A thrown value as plain data, to cross a thread boundary: structured cloning keeps an Error's message
 * but drops its class and code, which decide what a user is told.
 */
export interface ErrorRecord {
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
  readonly code?: ErrorCode | undefined;
  readonly symbol?: string | undefined;
}

export function errorRecord(error: unknown): ErrorRecord {
  if (error instanceof UnknownSymbolError || error instanceof SymbolDataError) {
    return { name: error.name, message: error.message, code: error.code, symbol: error.symbol };
  }
  if (error instanceof TapewatchError) return { name: error.name, message: error.message, code: error.code };
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

/** The error a record stands for: expected failures keep their class and code, bugs stay bugs. */
export function errorFromRecord(record: ErrorRecord): Error {
  if (record.symbol !== undefined && record.name === 'SymbolDataError') {
    return new SymbolDataError(record.symbol, record.message);
  }
  if (record.symbol !== undefined) {
    const error = new UnknownSymbolError(record.symbol);
    error.message = record.message;
    return error;
  }
  if (record.code !== undefined) return new TapewatchError(record.code, record.message);
  const error = new Error(record.message);
  error.name = record.name;
  if (record.stack !== undefined) error.stack = record.stack;
  return error;
}
