import pino, { DestinationStream, Logger } from 'pino';
import { LogLevel } from '../config/config';

/** Headers that carry credentials: their values never reach a log line. */
export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["proxy-authorization"]'];

/**
 * The one pino logger of a process: JSON lines on stdout (or `destination`), ISO timestamps,
 * the level as a word. Request logs (nestjs-pino) and Nest's own logs are children of it.
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
