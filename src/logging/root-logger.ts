import pino, { DestinationStream, Logger } from 'pino';
import { LogLevel } from '../config/config';

/** Headers that carry credentials: their values never reach a log line. */
export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["proxy-authorization"]'];

/**
 * The one pino logger of a process: JSON lines on stdout (or `destination`), ISO timestamps,
 * the level as a word. The request lines (request-log.ts) and Nest's own logs (EarlyLogger) are
 * written by it. Redaction applies to the `req` of a line as the line is written, so it costs
 * nothing for lines the level drops.
 */
export function createRootLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
