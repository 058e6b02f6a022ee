import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { EmbeddedDatabase, freePort } from '../../src/database/embedded/embedded-database';
import { createScratchDatabase } from '../../src/database/scratch-database';

/**
 * A fresh database for a benchmark: on DATABASE_URL's server when set, else on an embedded
 * PostgreSQL started for the run. `stop()` drops it (and stops the embedded server).
 */
export async function benchDatabase(): Promise<{ url: string; stop: () => Promise<void> }> {
  const embedded = process.env.DATABASE_URL ? undefined : await EmbeddedDatabase.throwaway('tally-bench-');
  const db = await createScratchDatabase(process.env.DATABASE_URL ?? embedded!.url, 'tally_bench');
  return {
    url: db.url,
    stop: async () => {
      await db.drop();
      await embedded?.stop();
    },
  };
}

/** The built server (dist/src/main.js) in a child process, as it runs in production. */
export async function startServer(databaseUrl: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, '..', '..', 'src', 'main.js')], {
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const up = await fetch(`${baseUrl}/v1/features/-`).then(() => true, () => false);
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

export async function post(baseUrl: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A feature counted with `strategy`, on a plan with `limit`, and a subscription to it. */
export async function hotCounter(baseUrl: string, strategy: string, limit: number | null, tag: string) {
  const feature = `${strategy}-${tag}`;
  await post(baseUrl, '/v1/features', { key: feature, name: feature, strategy });
  await post(baseUrl, '/v1/plans', {
    key: `plan-${feature}`,
    name: feature,
    currency: 'USD',
    interval: 'month',
    charges: [{ feature, limit }],
  });
  await post(baseUrl, '/v1/customers', { externalId: `c-${feature}`, name: feature });
  const sub = await post(baseUrl, '/v1/subscriptions', { customerExternalId: `c-${feature}`, planKey: `plan-${feature}` });
  return { subscriptionId: sub.id as string, feature };
}
