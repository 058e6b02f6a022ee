import { readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EmbeddedDatabaseError } from './embedded-database.error';

/** Whether process `pid` is alive (a zombie waiting to be reaped counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** Waits until `pid` is gone; false when it is still there after `ms`. */
export async function gone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > until) return false;
    await sleep(50);
  }
  return true;
}

/**
 * The postmaster that `postmaster.pid` in `dataDir` names, if it is alive and serves that folder.
 * A process killed with SIGKILL leaves its embedded server running; a machine restarted leaves only
 * the file (and its pid may since belong to another process).
 */
function runningOn(dataDir: string): number | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  try {
    // The postmaster's working folder is its data folder.
    if (resolve(readlinkSync(`/proc/${pid}/cwd`)) !== resolve(dataDir)) return undefined;
  } catch {
    if (resolve(lines[1] ?? '') !== resolve(dataDir)) return undefined;
  }
  return pid;
}

/**
 * Stops a server left running on `dataDir` by a Tally process that was killed, so that this start
 * can take the folder over. A fast shutdown (SIGINT) ends its sessions and checkpoints; if it does
 * not end in time, an immediate one (SIGQUIT), after which the next start replays the WAL. Either
 * way nothing committed is lost.
 */
export async function stopOrphan(dataDir: string): Promise<boolean> {
  const pid = runningOn(dataDir);
  if (pid === undefined) {
    // A stale file of a server that is gone; one whose pid was reused would stop postgres starting.
    rmSync(join(dataDir, 'postmaster.pid'), { force: true });
    return false;
  }
  const stop = (signal: NodeJS.Signals, ms: number) => {
    try {
      process.kill(pid, signal);
    } catch {
      return Promise.resolve(false); // another user's server: not ours to stop
    }
    return gone(pid, ms);
  };
  if ((await stop('SIGINT', 15_000)) || (await stop('SIGQUIT', 5_000))) return true;
  throw new EmbeddedDatabaseError(
    `an earlier embedded PostgreSQL (pid ${pid}) still runs on ${dataDir} and did not stop: stop it, or set EMBEDDED_PG_DIR to another folder`,
  );
}
