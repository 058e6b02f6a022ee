import { integer, objectSchema, text, timestamp } from './object-schema';

const BODY = { field: 'body', problems: ['the request body must be a JSON object'] };
const schema = objectSchema({
  name: text({ maxLength: 5 }),
  count: integer({ optional: true, minimum: 1, maximum: 10 }),
  at: timestamp({ optional: true }),
});
const fields = (raw: unknown) => {
  const checked = schema.check(raw, BODY);
  return 'problems' in checked ? checked.problems.map((p) => p.field) : [];
};

describe('objectSchema', () => {
  it('gives a fresh object of the declared fields that are present', () => {
    const raw = { name: 'abc', count: 3 };
    const checked = schema.check(raw, BODY);
    expect(checked).toEqual({ value: { name: 'abc', count: 3 } });
    expect((checked as { value: unknown }).value).not.toBe(raw);
  });

  it.each([
    ['null', null],
    ['an array', [{ name: 'abc' }]],
    ['a string', 'abc'],
    ['a number', 5],
    ['undefined', undefined],
  ])('refuses %s as a whole, with the caller’s wording', (_, raw) => {
    expect(schema.check(raw, BODY)).toEqual({ problems: [BODY] });
  });

  it.each(['toString', 'constructor', 'hasOwnProperty', '__defineGetter__', 'valueOf', 'extra'])(
    'refuses the unknown field %s, even when Object.prototype has it',
    (key) => {
      const raw = JSON.parse(`{"name":"abc","${key}":1}`);
      expect(schema.check(raw, BODY)).toEqual({ problems: [{ field: key, problems: [`property ${key} should not exist`] }] });
    },
  );

  it.each<[string, unknown, string]>([
    ['missing', {}, 'name is required'],
    ['a number', { name: 5 }, 'name must be a string'],
    ['null', { name: null }, 'name must be a string'],
    ['empty', { name: '' }, 'name should not be empty'],
    ['too long', { name: 'abcdef' }, 'name must be at most 5 characters'],
    ['with a NUL', { name: 'a\u0000b' }, 'name must not contain NUL (\\u0000) characters'],
  ])('text %s', (_, raw, message) => {
    expect(schema.check(raw, BODY)).toEqual({ problems: [{ field: 'name', problems: [message] }] });
  });

  it.each<[unknown, string | undefined]>([
    [undefined, undefined],
    [1, undefined],
    [10, undefined],
    [0, 'count must be from 1 to 10'],
    [11, 'count must be from 1 to 10'],
    [1.5, 'count must be an integer number'],
    ['5', 'count must be an integer number'],
    [null, 'count must be an integer number'],
    [Infinity, 'count must be an integer number'],
    [NaN, 'count must be an integer number'],
  ])('integer %p', (count, message) => {
    const checked = schema.check({ name: 'a', count }, BODY);
    expect(checked).toEqual(message ? { problems: [{ field: 'count', problems: [message] }] } : { value: expect.any(Object) });
  });

  it.each<[unknown, boolean]>([
    ['2025-01-31T10:00:00Z', true],
    ['2025-01-31T10:00:00.123+02:00', true],
    ['2025-02-30T00:00:00Z', false],
    ['2025-13-01T00:00:00Z', false],
    ['yesterday', false],
    ['', false],
    [1735689600000, false],
    [null, false],
  ])('timestamp %p', (at, ok) => {
    expect(fields({ name: 'a', at })).toEqual(ok ? [] : ['at']);
  });

  it('names every bad field, unknown ones first', () => {
    expect(fields({ bogus: 1, count: 0, at: 'x' })).toEqual(['bogus', 'name', 'count', 'at']);
  });
});
