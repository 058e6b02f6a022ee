import { TallyError } from './errors/tally.error';
import { parseTimestamp } from './timestamp';
import { timestampField } from './validation';

describe('parseTimestamp', () => {
  it('reads offsets, and a time without one as UTC, never the local zone', () => {
    expect(parseTimestamp('2026-11-30T10:00:00Z')?.toISOString()).toBe('2026-11-30T10:00:00.000Z');
    expect(parseTimestamp('2026-11-30T10:00:00+02:00')?.toISOString()).toBe('2026-11-30T08:00:00.000Z');
    expect(parseTimestamp('2026-11-30T10:00:00.250')?.toISOString()).toBe('2026-11-30T10:00:00.250Z');
    expect(parseTimestamp('2026-11-30')?.toISOString()).toBe('2026-11-30T00:00:00.000Z');
  });

  it('refuses what is not a real ISO-8601 timestamp', () => {
    for (const text of ['yesterday', '', '2025-02-30T00:00:00Z', '2025-13-01T00:00:00Z', '2026-11-30 10:00:00Z', '2026-W48-1']) {
      expect(parseTimestamp(text)).toBeUndefined();
    }
  });
});

describe('timestampField', () => {
  it('names the field in a 400, and can insist on a time', () => {
    expect(() => timestampField('at', 'nope')).toThrow(TallyError);
    expect(() => timestampField('asOf', '2025-01-01', { withTime: true })).toThrow(/asOf must be an ISO-8601 timestamp with a time/);
    expect(timestampField('asOf', '2025-01-01T00:00:00Z', { withTime: true }).toISOString()).toBe('2025-01-01T00:00:00.000Z');
  });
});
