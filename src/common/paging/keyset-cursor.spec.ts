import { KeysetCursor } from './keyset-cursor';

const forged = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const ID = '00000000-0000-4000-8000-000000000000';

describe('KeysetCursor', () => {
  const events = new KeysetCursor('events', { at: 'timestamp', id: 'bigint' });
  const customers = new KeysetCursor('customers', { externalId: 'text' });

  it('decodes what it encoded, microseconds and any text included', () => {
    const position = { at: '2025-03-01T10:00:00.123456Z', id: '9223372036854775807' };
    expect(events.decode(events.encode(position))).toEqual(position);
    const awkward = { externalId: 'a|b,"c"\n ünï©ødé 🎉' };
    expect(customers.decode(customers.encode(awkward))).toEqual(awkward);
  });

  it.each([
    ['another list', forged(['customers', '2025-01-01T00:00:00Z', '1'])],
    ['not base64 JSON', 'garbage'],
    ['too few values', forged(['events', '2025-01-01T00:00:00Z'])],
    ['too many values', forged(['events', '2025-01-01T00:00:00Z', '1', '2'])],
    ['a number for a bigint', forged(['events', '2025-01-01T00:00:00Z', 1])],
    ['a bigint past 2^63 − 1', forged(['events', '2025-01-01T00:00:00Z', '9223372036854775808'])],
    ['a date that is not one', forged(['events', '2025-02-29T00:00:00Z', '1'])],
    ['year 0', forged(['events', '0000-01-01T00:00:00Z', '1'])],
    ['an offset', forged(['events', '2025-01-01T00:00:00+01:00', '1'])],
    ['seven decimals', forged(['events', '2025-01-01T00:00:00.1234567Z', '1'])],
  ])('refuses %s with 400 naming cursor', (_what, text) => {
    expect(() => events.decode(text)).toThrow(expect.objectContaining({ code: 'validation_failed', message: expect.stringContaining('cursor') }));
  });

  it('refuses text PostgreSQL cannot take and a malformed uuid', () => {
    expect(() => customers.decode(forged(['customers', 'a\u0000b']))).toThrow(/cursor/);
    expect(() => customers.decode(forged(['customers', '\ud800']))).toThrow(/cursor/);
    const subscriptions = new KeysetCursor('subscriptions', { createdAt: 'timestamp', id: 'uuid' });
    expect(() => subscriptions.decode(forged(['subscriptions', '2025-01-01T00:00:00Z', 'x']))).toThrow(/cursor/);
    expect(subscriptions.decode(forged(['subscriptions', '2025-01-01T00:00:00Z', ID]))).toEqual({ createdAt: '2025-01-01T00:00:00Z', id: ID });
  });
});
