import { LoggerService } from '@nestjs/common';
import { Logger } from 'pino';
import { requestInScope } from './request-scope';

/** Every line says where it comes from, and for which request when one is in scope (request-scope.ts). */
const bindings = (context: string | undefined) => {
  const reqId = requestInScope();
  return reqId === undefined ? { context } : { reqId, context };
};

/**
 * Nest's Logger over the root pino logger: main.ts sets it before the app exists (the embedded
 * database starting), so that stdout is JSON lines from the first one, and createApp gives it to
 * the app. A line costs nothing when its level is off: pino's method for it is a no-op.
 */
export class EarlyLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  log(message: unknown, context?: string): void {
    this.root.info(bindings(context), String(message));
  }
  /** Nest calls it as (message, context) or (message, stack, context). */
  error(message: unknown, ...rest: (string | undefined)[]): void {
    const context = rest.length > 0 ? rest[rest.length - 1] : undefined;
    const trace = rest.length > 1 ? rest[0] : undefined;
    this.root.error({ ...bindings(context), trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.root.warn(bindings(context), String(message));
  }
  debug(message: unknown, context?: string): void {
    this.root.debug(bindings(context), String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.root.trace(bindings(context), String(message));
  }
  fatal(message: unknown, context?: string): void {
    this.root.fatal(bindings(context), String(message));
  }
}
