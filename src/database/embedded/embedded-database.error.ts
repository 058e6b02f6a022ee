/**
 * The embedded server could not start (or stop). The message is one line that names the cause and
 * what to do; main.ts prints it and exits 1 instead of a stack trace.
 */
export class EmbeddedDatabaseError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'EmbeddedDatabaseError';
  }
}

/** What to set instead, appended to every start failure. */
export const WHAT_TO_SET =
  'set EMBEDDED_PG_PORT or EMBEDDED_PG_DIR, or DATABASE_URL to use a PostgreSQL server of your own';
