import { Client, ClientConfig, types } from 'pg';
import { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations';
import { TallyConfig } from '../config/config';

// int8 stays a string from pg; counts are converted where they are read, never silently truncated.
types.setTypeParser(types.builtins.INT8, (value) => value);

/** How long a connection attempt (or a wait for a free pooled connection) may take at most. */
const CONNECT_TIMEOUT_MS = 5000;
/** How long past the server's statement_timeout a query may go unanswered before its connection is cut. */
const UNANSWERED_GRACE_MS = 500;

/**
 * How Tally connects to PostgreSQL: the pool's connections and those kept outside it for advisory
 * locks (advisory-locks.ts) are made alike, so that both reach the same server the same way.
 */
export function connectionConfig(config: Pick<TallyConfig, 'databaseUrl'>): ClientConfig {
  return { connectionString: config.databaseUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true };
}

/**
 * A pooled connection that gives up on a query the server never answers (a network black hole:
 * statement_timeout cannot fire where no byte arrives). Cutting the connection fails the query,
 * and the pool drops the connection instead of handing out one with a query still in flight; the
 * server rolls back whatever transaction was open on it.
 */
function clientGivingUpAfter(ms: number): typeof Client {
  return class DeadlineClient extends Client {
    constructor(config?: string | ClientConfig) {
      super(config);
      // A connection the server terminated may report it after TypeORM has let go of the client
      // and before the pool has: an 'error' event with no listener would end the process. The
      // query that was running, if any, fails on its own; the pool drops the connection.
      this.on('error', () => undefined);
    }

    query(...args: unknown[]): any {
      const result = (super.query as (...a: unknown[]) => any)(...args);
      // Submittables (cursors, streams) pace themselves; promises are what requests wait on.
      if (!result || typeof result.then !== 'function') return result;
      const timer = setTimeout(() => (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy(), ms);
      const settled = () => clearTimeout(timer);
      (result as Promise<unknown>).then(settled, settled);
      return result;
    }
  } as typeof Client;
}

/**
 * The pool's connections carry the request deadline (REQUEST_TIMEOUT_MS): a statement, a lock
 * wait, a connection attempt and a wait for a free connection each end by it, so that no request
 * waits on the database longer than the deadline whatever the database does.
 */
function deadlineSettings(timeoutMs: number) {
  return {
    statement_timeout: timeoutMs,
    lock_timeout: timeoutMs,
    connectionTimeoutMillis: Math.min(CONNECT_TIMEOUT_MS, timeoutMs),
    Client: clientGivingUpAfter(timeoutMs + UNANSWERED_GRACE_MS),
  };
}

type PoolConfig = Pick<TallyConfig, 'databaseUrl' | 'dbPoolSize'> & Partial<Pick<TallyConfig, 'requestTimeoutMs'>>;

/** `requestTimeoutMs` unset: no deadlines (the migrations, the CLI). */
export function dataSourceOptions(config: PoolConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.databaseUrl,
    entities: [__dirname + '/../**/*.entity.{ts,js}'],
    migrations,
    migrationsTableName: 'migrations',
    // The schema is the migrations' alone; they run at start-up under an advisory lock (migrate.ts).
    synchronize: false,
    migrationsRun: false,
    // TypeORM hands `extra` to pg's Pool as it is.
    extra: {
      ...connectionConfig(config),
      max: config.dbPoolSize,
      ...(config.requestTimeoutMs === undefined ? {} : deadlineSettings(config.requestTimeoutMs)),
    },
  };
}
