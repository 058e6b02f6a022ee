import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../src/config/config';

const ROOT = resolve(__dirname, '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');

/** Each bad value, the variable it must be refused for, and what the message must say it expected. */
const BAD: [variable: string, value: string, expected: RegExp][] = [
  ['PORT', 'abc', /whole number from 0 to 65535/],
  ['PORT', '70000', /whole number from 0 to 65535/],
  ['PORT', '-1', /whole number/],
  ['PORT', '80.5', /whole number/],
  ['HOST', 'not a host', /IP address or a host name/],
  ['DATABASE_URL', 'mysql://root@localhost/db', /postgres:\/\/ or postgresql:\/\//],
  ['DATABASE_URL', 'not a url', /postgres:\/\//],
  ['DB_POOL_SIZE', '0', /from 1 to 1000/],
  ['EMBEDDED_PG_PORT', '65536', /from 1 to 65535/],
  ['OPTIMISTIC_MAX_ATTEMPTS', 'many', /whole number/],
  ['USAGE_FLUSH_INTERVAL_MS', '5', /from 10 to 3600000/],
  ['USAGE_BATCH_MAX_EVENTS', '10001', /from 1 to 10000/],
  ['USAGE_BATCH_MAX_WAIT_MS', '1e3', /whole number/],
  ['USAGE_LEASE_MAX_SLICE', '0', /whole number/],
  ['BILLING_ROLLUP_CRON', '*/5 * *', /cron expression/],
  ['BILLING_ROLLUP_CRON', '61 * * * *', /cron expression/],
  ['BILLING_GRACE_PERIOD', '15 minutes', /ISO-8601 duration/],
  ['BILLING_GRACE_PERIOD', 'P1M', /ISO-8601 duration/],
  ['API_KEYS', 'has space', /1 to 256 printable ASCII/],
  ['API_KEYS', 'a-long-enough-key-1,,a-long-enough-key-2', /1 to 256/],
  ['API_KEYS', 'a long enough key with spaces', /no spaces/],
  ['LOG_LEVEL', 'verbose', /one of fatal, error, warn, info, debug, trace, silent/],
  ['SHUTDOWN_TIMEOUT_MS', '0', /from 100 to 600000/],
  ['SHUTDOWN_TIMEOUT_MS', 'ten seconds', /whole number/],
  ['PUBLIC_URL', 'billing.example.com', /http:\/\/ or https:\/\/ URL/],
  ['PUBLIC_URL', 'ftp://billing.example.com', /http:\/\/ or https:\/\/ URL/],
  ['PUBLIC_URL', 'https://billing.example.com/?x=1', /without query or fragment/],
  ['PORTAL_FRAME_ANCESTORS', "'none' https://app.example.com", /'none', or space-separated/],
  ['PORTAL_FRAME_ANCESTORS', 'https://app.example.com; script-src *', /'none', or space-separated/],
  ['PORTAL_FRAME_ANCESTORS', '*', /http\(s\) origins/],
  ['WEBHOOK_TIMEOUT_MS', '50', /from 100 to 300000/],
  ['WEBHOOK_RETRY_SCHEDULE', 'PT1M,,PT5M', /comma-separated ISO-8601 durations/],
  ['WEBHOOK_RETRY_SCHEDULE', 'PT1M,P1M', /comma-separated ISO-8601 durations/],
  ['WEBHOOK_POLL_INTERVAL_MS', '0', /from 10 to 3600000/],
  ['WEBHOOK_ALLOW_PRIVATE_NETWORKS', 'yes', /true or false/],
];

describe('configuration', () => {
  it.each(BAD)('refuses %s=%j naming the variable', (variable, value, expected) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toMatch(new RegExp(`^${variable}: expected `));
    expect((error as ConfigError).message).toMatch(expected);
  });

  it('never echoes a DATABASE_URL that may hold a password', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x' })).toThrow(/^DATABASE_URL: .*got 25 characters \(not shown\)$/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x' })).not.toThrow(/hunter2/);
  });

  it('never echoes an API key, even a refused one', () => {
    expect(() => loadConfig({ API_KEYS: 'good-key-0123456789,tiny secret' })).toThrow(/got 11 characters \(not shown\)/);
    expect(() => loadConfig({ API_KEYS: 'good-key-0123456789,tiny secret' })).not.toThrow(/tiny secret/);
  });

  it('takes every default when nothing is set, and good values as given', () => {
    expect(loadConfig({})).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: undefined,
      apiKeys: [],
      logLevel: 'info',
      shutdownTimeoutMs: 10_000,
      requestTimeoutMs: 5000,
      billingRollupCron: '*/5 * * * *',
      billingGracePeriodMs: 0,
      publicUrl: 'http://localhost:3000',
      portalFrameAncestors: "'none'",
      webhookTimeoutMs: 10_000,
      webhookRetryScheduleMs: [60_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      webhookPollIntervalMs: 1000,
      webhookAllowPrivateNetworks: false,
    });
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(
      loadConfig({
        API_KEYS: ' key-one-0123456789abc , key-two-0123456789abc ',
        LOG_LEVEL: 'WARN',
        SHUTDOWN_TIMEOUT_MS: '2500',
        REQUEST_TIMEOUT_MS: '1500',
        HOST: '::1',
        BILLING_ROLLUP_CRON: 'off',
        BILLING_GRACE_PERIOD: 'PT15M',
        PUBLIC_URL: 'https://billing.example.com/tally/',
        PORTAL_FRAME_ANCESTORS: " 'self'  https://app.example.com https://*.example.org:8443 ",
        WEBHOOK_RETRY_SCHEDULE: ' PT0.2S, PT1S ',
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'TRUE',
      }),
    ).toMatchObject({
      apiKeys: ['key-one-0123456789abc', 'key-two-0123456789abc'],
      logLevel: 'warn',
      shutdownTimeoutMs: 2500,
      requestTimeoutMs: 1500,
      host: '::1',
      billingRollupCron: null,
      billingGracePeriodMs: 15 * 60_000,
      publicUrl: 'https://billing.example.com/tally',
      portalFrameAncestors: "'self' https://app.example.com https://*.example.org:8443",
      webhookRetryScheduleMs: [200, 1000],
      webhookAllowPrivateNetworks: true,
    });
  });

  it('a real start with a bad value exits 1 with one stderr line naming the variable', async () => {
    expect(existsSync(MAIN)).toBe(true); // npm test builds first; while developing run `npx nest build`
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: '', SHUTDOWN_TIMEOUT_MS: 'soon', API_KEYS: 'secret-value-that-is-long' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));

    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.split('\n').filter((line) => line !== '');
    expect(lines).toEqual([
      'tally: invalid configuration: SHUTDOWN_TIMEOUT_MS: expected a whole number from 100 to 600000, got "soon"',
    ]);
  });
});
