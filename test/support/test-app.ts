import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DestinationStream } from 'pino';
import request from 'supertest';
import { createApp } from '../../src/app.factory';
import { TallyConfig, loadConfig, resolveConfig } from '../../src/config/config';
import { createTestDatabase } from './test-database';

export interface TestApp {
  app: NestFastifyApplication;
  /** Base URL of the app listening on a real port, for concurrent clients. */
  baseUrl: string;
  databaseUrl: string;
  http: () => ReturnType<typeof request>;
  close: () => Promise<void>;
}

/**
 * Boots the app the way main.ts does (createApp: same pipes, filters, migrations) on a real port.
 * Without `databaseUrl`, a fresh database is created and dropped on close; pass the `databaseUrl`
 * of another TestApp to run a second instance on the same database.
 */
export async function createTestApp(
  options: {
    databaseUrl?: string;
    /** Settings as loadConfig() reads them from the environment, e.g. `{ usageFlushIntervalMs: 100 }`. */
    config?: Partial<Omit<TallyConfig, 'databaseUrl'>>;
    /** Capture the JSON log lines (at config.logLevel) here; without it the app logs nothing. */
    logStream?: DestinationStream;
  } = {},
): Promise<TestApp> {
  const owned = options.databaseUrl ? undefined : await createTestDatabase();
  const databaseUrl = options.databaseUrl ?? owned!.url;
  // The rollup schedule is off unless a test asks for it: a tick must not close a backfilled
  // period in the middle of another test.
  const config = resolveConfig({ ...loadConfig({}), billingRollupCron: null, ...options.config, port: 0, host: '127.0.0.1' }, databaseUrl);
  const app = await createApp(config, options.logStream ? { logStream: options.logStream } : false);
  await app.listen(0, '127.0.0.1');
  const baseUrl = await app.getUrl();
  return {
    app,
    baseUrl: baseUrl.replace('[::1]', '127.0.0.1'),
    databaseUrl,
    http: () => request(baseUrl),
    close: async () => {
      await app.close();
      await owned?.drop();
    },
  };
}
