import { createRequire } from 'node:module';
import type * as Pino from 'pino';
import type { Bindings, DestinationStream, LevelWithSilent, LogFn } from 'pino';

/** The part of pino's logger the code uses, so that a silent logger needs no pino at all. */
export interface Logger {
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  child(bindings: Bindings): Logger;
}

/** Keys that may hold secrets anywhere in a log object; pino replaces their values before writing. */
const REDACTED_PATHS = [
  'token',
  'apiKey',
  'authorization',
  'cookie',
  '*.token',
  '*.apiKey',
  '*.authorization',
  '*.cookie',
  'headers.authorization',
  'headers.cookie',
];

// pino is some 30 modules (20 ms of a CLI start), and a CLI command without --verbose never logs: it is
// loaded when a logger that writes is first made. pino is CommonJS, so it loads synchronously.
let pinoModule: typeof Pino | null = null;
function loadPino(): typeof Pino {
  pinoModule ??= createRequire(import.meta.url)('pino') as typeof Pino;
  return pinoModule;
}

/**
 * Logs are JSON lines (one object each, for a log shipper) unless they go to a terminal, where a person
 * reads them: then pino-pretty formats them, when it is installed (a development dependency; a
 * production install writes JSON everywhere).
 */
export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  if (level === 'silent') return silentLogger;
  const { pino } = loadPino();
  const options = {
    level,
    base: { app: 'tapewatch' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return pino(options, destination ?? prettyOnTerminal() ?? pino.destination(1));
}

function prettyOnTerminal(): DestinationStream | null {
  if (!process.stdout.isTTY) return null;
  try {
    const pretty = createRequire(import.meta.url)('pino-pretty') as (options: object) => DestinationStream;
    return pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,app' });
  } catch {
    return null;
  }
}

const ignore: LogFn = () => undefined;

export const silentLogger: Logger = {
  fatal: ignore,
  error: ignore,
  warn: ignore,
  info: ignore,
  debug: ignore,
  child: () => silentLogger,
};

/** For the CLI: diagnostics go to stderr so stdout stays clean for the report. */
export function createStderrLogger(level: LevelWithSilent): Logger {
  return createLogger(level, loadPino().destination(2));
}
