import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EmbeddedDatabaseError } from './embedded-database.error';
import { ServerUser, mkdirOpen } from './system-user';

/** Where root keeps what the `postgres` user must reach: copies of the binaries, relocated data. */
export const ROOT_HOME = '/var/lib/tally/embedded-postgres';

export interface PostgresBinaries {
  /** The folder holding bin/, lib/ and share/. */
  home: string;
  initdb: string;
  postgres: string;
  /** The major version the binaries run, e.g. "17". */
  major: string;
}

function binaries(home: string, version: string): PostgresBinaries {
  return {
    home,
    initdb: join(home, 'bin', 'initdb'),
    postgres: join(home, 'bin', 'postgres'),
    major: version.split('.')[0],
  };
}

/**
 * The PostgreSQL build that the `embedded-postgres` package installs for this platform, as
 * `@embedded-postgres/<platform>-<arch>`. Only its files are used: Tally runs the processes itself.
 */
function installed(): { home: string; version: string } {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new EmbeddedDatabaseError(
      `no embedded PostgreSQL for ${process.platform}-${process.arch} (${name} is not installed): set DATABASE_URL to use a PostgreSQL server of your own`,
    );
  }
  const pkg = join(dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string };
  return { home: join(pkg, 'native'), version };
}

/** Whether `user` can run the server binary where it lies (every folder on the way enterable, the files readable). */
function runsAs(user: ServerUser | undefined, bin: PostgresBinaries): boolean {
  const run = spawnSync(bin.postgres, ['--version'], { uid: user?.uid, gid: user?.gid, stdio: 'ignore', timeout: 10_000 });
  return run.status === 0;
}

/** Folders a+rx, files a+r (a+x where the owner may execute), symlinks as they are. */
function openToAll(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    chmodSync(path, 0o755);
    for (const child of readdirSync(path)) openToAll(join(path, child));
  } else {
    chmodSync(path, stat.mode & 0o100 ? 0o755 : 0o644);
  }
}

/**
 * The binaries, where the server's user can run them. As root the server runs as `postgres`,
 * which cannot run files under a folder only root may enter (a mode-700 checkout, /root/…): then
 * the build is copied once to ROOT_HOME/<version> and run from there.
 */
export function postgresBinaries(user: ServerUser | undefined): PostgresBinaries {
  const { home, version } = installed();
  const inPlace = binaries(home, version);
  if (!user || runsAs(user, inPlace)) return inPlace;

  const copy = binaries(join(ROOT_HOME, `${version}-${process.platform}-${process.arch}`), version);
  if (!existsSync(copy.home)) {
    mkdirOpen(ROOT_HOME);
    // Copied aside and renamed into place, so that two starts at once never run a half copy.
    const partial = `${copy.home}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    cpSync(home, partial, { recursive: true, verbatimSymlinks: true });
    openToAll(partial);
    try {
      renameSync(partial, copy.home);
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another start renamed its copy first
    }
  }
  if (!runsAs(user, copy)) {
    throw new EmbeddedDatabaseError(
      `the postgres user cannot run the embedded PostgreSQL binaries copied to ${copy.home}: set DATABASE_URL to use a PostgreSQL server of your own`,
    );
  }
  return copy;
}
