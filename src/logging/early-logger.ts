import { LoggerService } from '@nestjs/common';
import { Logger } from 'pino';

/**
 * Nest's Logger over the root pino logger, for the lines main.ts writes before the app exists
 * (the embedded database starting), so that stdout is JSON lines from the first one. Once the app
 * is up, app.useLogger hands over to nestjs-pino, which adds the request id inside requests.
 */
export class EarlyLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  log(message: unknown, context?: string): void {
    this.root.info({ context }, String(message));
  }
  /** Nest calls it as (message, context) or (message, stack, context). */
  error(message: unknown, ...rest: (string | undefined)[]): void {
    const context = rest.length > 0 ? rest[rest.length - 1] : undefined;
    const trace = rest.length > 1 ? rest[0] : undefined;
    this.root.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.root.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.root.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.root.trace({ context }, String(message));
  }
  fatal(message: unknown, context?: string): void {
    this.root.fatal({ context }, String(message));
  }
}
