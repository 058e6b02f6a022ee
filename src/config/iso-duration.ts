/**
 * An ISO-8601 duration of fixed length, in milliseconds: `PT0S`, `PT15M`, `PT1H30M`, `P1D`,
 * `P2W`, `P1DT12H`, `PT0.5S`. Years and months are refused: they have no fixed length, and a
 * grace period that means 28 days after one period and 31 after the next surprises everyone.
 * Returns undefined for anything else.
 */
export function parseIsoDuration(text: string): number | undefined {
  const match = /^P(?:(\d+)W|(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d{1,3})?)S)?)?)$/.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return undefined;
  const [, weeks, days, hours, minutes, seconds] = match;
  const n = (part: string | undefined) => (part === undefined ? 0 : Number(part.replace(',', '.')));
  const ms = Math.round(
    (((n(weeks) * 7 + n(days)) * 24 + n(hours)) * 60 + n(minutes)) * 60_000 + n(seconds) * 1000,
  );
  return Number.isSafeInteger(ms) ? ms : undefined;
}
