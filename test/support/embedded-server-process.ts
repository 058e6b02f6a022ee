import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

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
  ) {}

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
}
