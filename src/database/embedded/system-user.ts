import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** The user the embedded server runs as: PostgreSQL refuses to run as root. */
export interface ServerUser {
  uid: number;
  gid: number;
  groups: number[];
}

const NAME = 'postgres';

/**
 * As root, the `postgres` system user (created when missing, as a system account without a home
 * or a login shell); otherwise undefined: the server runs as whoever runs Tally.
 */
export function serverUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const ids = () => {
    const uid = Number(execFileSync('id', ['-u', NAME], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const groups = execFileSync('id', ['-G', NAME], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    const gid = Number(execFileSync('id', ['-g', NAME], { encoding: 'utf8' }));
    return { uid, gid, groups };
  };
  try {
    return ids();
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', NAME], {
      stdio: 'ignore',
    });
    return ids();
  }
}

/** Whether `user` may use the permission `bit` (1 = execute, 4 = read) on `path`, from its mode bits. */
function permits(user: ServerUser, path: string, bit: number): boolean {
  const { mode, uid, gid } = statSync(path);
  if (uid === user.uid) return (mode & (bit << 6)) !== 0;
  if (user.groups.includes(gid) || gid === user.gid) return (mode & (bit << 3)) !== 0;
  return (mode & bit) !== 0;
}

/** Whether `user` can enter every folder on the way to `path` (the folder `path` itself included). */
export function canReach(user: ServerUser, path: string): boolean {
  let dir = resolve(path);
  for (;;) {
    try {
      if (!permits(user, dir, 1)) return false;
    } catch {
      return false;
    }
    const parent = dirname(dir);
    if (parent === dir) return true;
    dir = parent;
  }
}

/** mkdir -p whose new folders are mode 755 whatever the umask, so that the server's user can enter them. */
export function mkdirOpen(path: string): void {
  const first = mkdirSync(path, { recursive: true });
  if (!first) return;
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    chmodSync(dir, 0o755);
    if (dir === first) return;
  }
}
