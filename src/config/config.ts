/**
 * Every environment variable Tally reads, parsed and validated once at start-up.
 * A bad value stops the start with one line naming the variable and what it expected.
 */
export interface TallyConfig {
  port: number;
  host: string;
  /** Unset: an embedded PostgreSQL is started (see database/embedded-database.ts). */
  databaseUrl: string | undefined;
  dbPoolSize: number;
  /** Where the embedded server keeps its data when DATABASE_URL is unset. */
  embeddedDataDir: string;
  embeddedPort: number;
  /** Attempts of the optimistic strategy before it answers 503 contention. */
  optimisticMaxAttempts: number;
  /** Buffered strategy: how often counts kept in memory are written to the counter rows. */
  usageFlushIntervalMs: number;
  /** Buffered strategy: a ledger batch closes after this many events… */
  usageBatchMaxEvents: number;
  /** …or this many milliseconds after its first event, whichever comes first. */
  usageBatchMaxWaitMs: number;
  /** Buffered strategy: the largest slice of a limit one instance leases at a time. */
  usageLeaseMaxSlice: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    expected: string,
    value: string,
  ) {
    super(`${variable}: expected ${expected}, got ${JSON.stringify(value)}`);
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `a whole number from ${min} to ${max}`, raw);
  }
  return value;
}

function postgresUrl(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'a postgres:// or postgresql:// URL', raw);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(name, 'a postgres:// or postgresql:// URL', raw);
  }
  return raw;
}

export function loadConfig(env: Env = process.env): TallyConfig {
  return {
    port: int(env, 'PORT', 3000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    databaseUrl: postgresUrl(env, 'DATABASE_URL'),
    dbPoolSize: int(env, 'DB_POOL_SIZE', 20, 1, 1000),
    embeddedDataDir: env.EMBEDDED_PG_DIR || '.tally/pgdata',
    embeddedPort: int(env, 'EMBEDDED_PG_PORT', 54329, 1, 65535),
    optimisticMaxAttempts: int(env, 'OPTIMISTIC_MAX_ATTEMPTS', 12, 1, 1000),
    usageFlushIntervalMs: int(env, 'USAGE_FLUSH_INTERVAL_MS', 1000, 10, 3_600_000),
    usageBatchMaxEvents: int(env, 'USAGE_BATCH_MAX_EVENTS', 1000, 1, 10_000),
    usageBatchMaxWaitMs: int(env, 'USAGE_BATCH_MAX_WAIT_MS', 2, 0, 1000),
    usageLeaseMaxSlice: int(env, 'USAGE_LEASE_MAX_SLICE', 1000, 1, 1_000_000_000),
  };
}
