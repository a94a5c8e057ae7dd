import { pino, type Logger, type DestinationStream, type LevelWithSilent } from 'pino';

export type { Logger };

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

export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { app: 'tapewatch' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

export const silentLogger: Logger = pino({ level: 'silent' });

/** For the CLI: diagnostics go to stderr so stdout stays clean for the report. */
export function createStderrLogger(level: LevelWithSilent): Logger {
  return createLogger(level, pino.destination(2));
}
