import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../src/database/embedded/embedded-database';

const ROOT = resolve(__dirname, '..', '..');
const EMBEDDED = join(ROOT, 'dist', 'src', 'database', 'embedded', 'embedded-database.js');

// The built module, as `npm start` runs it.
const SCRIPT = `
const { EmbeddedDatabase } = require(${JSON.stringify(EMBEDDED)});
const db = new EmbeddedDatabase(process.env.PG_DIR, Number(process.env.PG_PORT));
process.once('SIGTERM', () => db.stop().then(() => process.exit(0), () => process.exit(1)));
db.start().then(() => process.stdout.write('\\nready\\n'), (error) => { console.error(error); process.exit(1); });
`;

/**
 * An embedded PostgreSQL of a test's own, in a child process, that the test can stop and start
 * again on the same data folder and port: a real outage, not a mock. Needs the build (`npx nest build`).
 */
export class EmbeddedServerProcess {
  private child: ChildProcess | undefined;

  constructor(
    private readonly dir: string,
    private readonly port: number,
    /** Removed by remove(). */
    private readonly folder?: string,
  ) {}

  /** One in a fresh folder under the system temp dir, on a free port; not started yet. */
  static async inTempDir(prefix: string): Promise<EmbeddedServerProcess> {
    const folder = mkdtempSync(join(tmpdir(), prefix));
    // As root the server runs as a 'postgres' system user, which must be able to enter the folder.
    chmodSync(folder, 0o755);
    return new EmbeddedServerProcess(join(folder, 'pgdata'), await freePort(), folder);
  }

  get url(): string {
    return `postgres://postgres:postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    if (!existsSync(EMBEDDED)) throw new Error(`${EMBEDDED} is missing: run \`npx nest build\` first (npm test does)`);
    const child = spawn(process.execPath, ['-e', SCRIPT], {
      env: { ...process.env, PG_DIR: this.dir, PG_PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let output = '';
    await new Promise<void>((ready, failed) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (/\nready\n/.test(output)) ready();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('exit', (code) => failed(new Error(`embedded PostgreSQL exited ${code} before it was ready\n${output}`)));
    });
  }

  /** Stops the server (a fast shutdown: sessions are cut) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((gone) => {
      child.once('exit', () => gone());
      child.kill('SIGTERM');
    });
  }

  /** Stops the server and deletes the folder of inTempDir(). */
  async remove(): Promise<void> {
    await this.stop();
    if (this.folder) rmSync(this.folder, { recursive: true, force: true });
  }
}
