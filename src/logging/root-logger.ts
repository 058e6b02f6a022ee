import pino, { DestinationStream, Logger } from 'pino';
import { LogLevel } from '../config/config';

/** Query parameters a key is sometimes sent in by mistake (the API takes it only as a Bearer header). */
export const SECRET_QUERY_PARAMETERS = ['api_key', 'apikey', 'token', 'key'];

/** Headers that carry credentials: their values never reach a log line (query parameters: request-log.ts). */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
];

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
