import { PassThrough } from 'node:stream';

/**
 * A stream to hand to createTestApp({ logStream }) and the JSON lines written to it.
 * One app per test file captures: Nest keeps its logger per process (the last app's), so two
 * apps of one file would write each other's Nest lines.
 */
export function captureLogs() {
  const stream = new PassThrough();
  const lines: string[] = [];
  let partial = '';
  stream.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  return { stream, lines, parsed: () => lines.map((line) => JSON.parse(line)) };
}
