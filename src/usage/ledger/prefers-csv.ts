/** The q of each media range of an Accept header (RFC 9110 §12.5.1); a range without q is 1. */
function qualities(accept: string): Map<string, number> {
  const ranges = new Map<string, number>();
  for (const part of accept.split(',')) {
    const [range, ...parameters] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!range) continue;
    const q = parameters.find((p) => p.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    ranges.set(range, Number.isFinite(value) ? value : 0);
  }
  return ranges;
}

/**
 * Whether the client asks for CSV rather than JSON: text/csv is acceptable and not ranked below
 * JSON. JSON stays the answer to no Accept header, to `*\/*`, and to a tie that names JSON first.
 */
export function prefersCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = qualities(accept);
  const csv = ranges.get('text/csv') ?? 0;
  if (csv <= 0) return false;
  const json = ranges.get('application/json') ?? ranges.get('application/*') ?? 0;
  if (csv !== json) return csv > json;
  return [...ranges.keys()].indexOf('text/csv') < [...ranges.keys()].indexOf('application/json');
}
