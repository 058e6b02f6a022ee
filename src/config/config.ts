import { validateCronExpression } from 'cron';
import { isIP } from 'node:net';
import { parseIsoDuration } from './iso-duration';

/**
 * Every environment variable Tally reads, parsed and validated once at start-up (loadConfig).
 * A bad value stops the start with one line naming the variable and what it expected.
 */
export interface EnvConfig {
  port: number;
  host: string;
  /** Unset: main.ts starts an embedded PostgreSQL (database/embedded/embedded-database.ts). */
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
  /** Cron expression (UTC) on which the billing rollup runs; null when BILLING_ROLLUP_CRON=off. */
  billingRollupCron: string | null;
  /** BILLING_GRACE_PERIOD in milliseconds: how long an ended period still takes late usage before it is invoiced. */
  billingGracePeriodMs: number;
  /** Bearer keys accepted on /v1 routes; empty: API_KEYS unset, the API is open (a warning says so at start-up). */
  apiKeys: string[];
  /** pino level of the JSON logs. */
  logLevel: LogLevel;
  /** SIGTERM to exit: drain requests, flush, close; past this the process exits 1. */
  shutdownTimeoutMs: number;
  /**
   * The longest a request waits, whatever the database does: statements, lock waits and pool
   * waits are bounded by it, and past it the answer is 503 unavailable.
   */
  requestTimeoutMs: number;
  /** Where clients reach this service: portal links are `<publicUrl>/portal/<token>`. No trailing slash. */
  publicUrl: string;
  /** The CSP frame-ancestors sources of the portal page: who may embed it in a frame. */
  portalFrameAncestors: string;
  /** A webhook POST not answered 2xx within this is a failed attempt (and retried). */
  webhookTimeoutMs: number;
  /** WEBHOOK_RETRY_SCHEDULE: the delay before each retry, in milliseconds; after the last, a delivery is failed. */
  webhookRetryScheduleMs: number[];
  /** How often each instance looks for due deliveries (it also looks right after a local commit that wrote events). */
  webhookPollIntervalMs: number;
  /** Lets webhook URLs reach loopback and private networks (never link-local or metadata addresses). */
  webhookAllowPrivateNetworks: boolean;
}

/**
 * What the app runs on (createApp, and every module through TALLY_CONFIG): the environment's
 * config with the database known, whether DATABASE_URL named it or main.ts started the embedded one.
 */
export interface TallyConfig extends Omit<EnvConfig, 'databaseUrl'> {
  databaseUrl: string;
}

export function resolveConfig(env: EnvConfig, databaseUrl: string): TallyConfig {
  return { ...env, databaseUrl };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    expected: string,
    value: string,
    /** A secret's value is never echoed, only its length. */
    secret = false,
  ) {
    super(`${variable}: expected ${expected}, got ${secret ? `${value.length} characters (not shown)` : JSON.stringify(value)}`);
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
  // user:password@ may be in it: then the value is not echoed.
  const secret = raw.includes('@');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'a postgres:// or postgresql:// URL', raw, secret);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(name, 'a postgres:// or postgresql:// URL', raw, secret);
  }
  return raw;
}

// The cron package is the parser @nestjs/schedule runs the job with, so what passes here also runs there.
function cron(env: Env, name: string, fallback: string): string | null {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (raw.trim() === 'off') return null;
  if (!validateCronExpression(raw.trim()).valid) {
    throw new ConfigError(name, 'a cron expression such as "*/5 * * * *", or "off"', raw);
  }
  return raw.trim();
}

function isoDuration(env: Env, name: string, fallback: string): number {
  const raw = env[name];
  const ms = parseIsoDuration(raw === undefined || raw === '' ? fallback : raw.trim());
  if (ms === undefined) throw new ConfigError(name, 'an ISO-8601 duration such as "PT0S", "PT15M" or "P1D"', raw ?? '');
  return ms;
}

function isoDurations(env: Env, name: string, fallback: string): number[] {
  const raw = env[name];
  const text = raw === undefined || raw.trim() === '' ? fallback : raw;
  const expected = 'comma-separated ISO-8601 durations such as "PT1M,PT5M,PT30M"';
  const values = text.split(',').map((part) => parseIsoDuration(part.trim()));
  if (values.some((ms) => ms === undefined)) throw new ConfigError(name, expected, raw ?? '');
  return values as number[];
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = raw.trim().toLowerCase();
  if (value !== 'true' && value !== 'false') throw new ConfigError(name, 'true or false', raw);
  return value === 'true';
}

function host(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const hostname = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
  if (isIP(raw) === 0 && !hostname.test(raw)) throw new ConfigError(name, 'an IP address or a host name', raw);
  return raw;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = raw.trim().toLowerCase() as T;
  if (!values.includes(value)) throw new ConfigError(name, `one of ${values.join(', ')}`, raw);
  return value;
}

/**
 * Printable ASCII without space or comma (the separator). Length is the operator's choice (a
 * short key in a local setup is theirs to make); what is refused is what cannot be sent intact.
 */
const API_KEY = /^[\x21-\x2b\x2d-\x7e]{1,256}$/;

function apiKeys(env: Env, name: string): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [];
  const keys = raw.split(',').map((key) => key.trim());
  const expected = 'comma-separated keys of 1 to 256 printable ASCII characters, no spaces';
  for (const key of keys) if (!API_KEY.test(key)) throw new ConfigError(name, expected, key, true);
  return [...new Set(keys)];
}

function publicUrl(env: Env, name: string, port: number): string {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return `http://localhost:${port}`;
  const expected = 'an http:// or https:// URL without query or fragment, such as https://billing.example.com';
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(name, expected, raw);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(name, expected, raw);
  }
  // A path prefix (a reverse proxy mounting Tally under /billing) is kept; links append /portal/<token>.
  return url.toString().replace(/\/+$/, '');
}

/**
 * CSP source expressions a SaaS may name as the page's embedders: 'none' alone, or 'self' and
 * http(s) origins (a leading *. for subdomains). Anything else, a `;` or a newline above all, could
 * smuggle another directive into the header.
 */
const FRAME_SOURCE = /^(?:'self'|https?:\/\/(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d{1,5})?)$/;

function frameAncestors(env: Env, name: string): string {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return "'none'";
  const sources = raw.trim().split(/\s+/);
  if (sources.length === 1 && sources[0] === "'none'") return "'none'";
  const expected = `'none', or space-separated 'self' and http(s) origins such as https://app.example.com https://*.example.com`;
  if (!sources.every((source) => FRAME_SOURCE.test(source))) throw new ConfigError(name, expected, raw);
  return sources.join(' ');
}

export function loadConfig(env: Env = process.env): EnvConfig {
  const port = int(env, 'PORT', 3000, 0, 65535);
  return {
    port,
    host: host(env, 'HOST', '0.0.0.0'),
    databaseUrl: postgresUrl(env, 'DATABASE_URL'),
    dbPoolSize: int(env, 'DB_POOL_SIZE', 20, 1, 1000),
    embeddedDataDir: env.EMBEDDED_PG_DIR || '.tally/pgdata',
    embeddedPort: int(env, 'EMBEDDED_PG_PORT', 54329, 1, 65535),
    optimisticMaxAttempts: int(env, 'OPTIMISTIC_MAX_ATTEMPTS', 60, 1, 1000),
    usageFlushIntervalMs: int(env, 'USAGE_FLUSH_INTERVAL_MS', 1000, 10, 3_600_000),
    usageBatchMaxEvents: int(env, 'USAGE_BATCH_MAX_EVENTS', 1000, 1, 10_000),
    usageBatchMaxWaitMs: int(env, 'USAGE_BATCH_MAX_WAIT_MS', 2, 0, 1000),
    usageLeaseMaxSlice: int(env, 'USAGE_LEASE_MAX_SLICE', 1000, 1, 1_000_000_000),
    billingRollupCron: cron(env, 'BILLING_ROLLUP_CRON', '*/5 * * * *'),
    billingGracePeriodMs: isoDuration(env, 'BILLING_GRACE_PERIOD', 'PT0S'),
    apiKeys: apiKeys(env, 'API_KEYS'),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 5000, 100, 600_000),
    publicUrl: publicUrl(env, 'PUBLIC_URL', port),
    portalFrameAncestors: frameAncestors(env, 'PORTAL_FRAME_ANCESTORS'),
    webhookTimeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 300_000),
    webhookRetryScheduleMs: isoDurations(env, 'WEBHOOK_RETRY_SCHEDULE', 'PT1M,PT5M,PT30M,PT2H,PT5H,PT10H,PT10H'),
    webhookPollIntervalMs: int(env, 'WEBHOOK_POLL_INTERVAL_MS', 1000, 10, 3_600_000),
    webhookAllowPrivateNetworks: bool(env, 'WEBHOOK_ALLOW_PRIVATE_NETWORKS', false),
  };
}
