import { PassThrough } from 'node:stream';

/**
 * A stream to hand to createTestApp({ logStream }) and the JSON lines written to it.
 * One app per test file captures: nestjs-pino keeps its out-of-request logger per process
 * (the first app's), so a second app's start-up lines would go to the first one's stream.
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
