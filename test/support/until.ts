import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` until it holds; fails, saying what it waited for, after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = 20_000, everyMs = 10 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
