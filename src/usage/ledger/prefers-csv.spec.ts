import { prefersCsv } from './prefers-csv';

describe('prefersCsv', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['*/*', false],
    ['application/json', false],
    ['text/csv', true],
    ['Text/CSV; charset=utf-8', true],
    ['text/csv, application/json', true],
    ['application/json, text/csv', false],
    ['application/json;q=0.5, text/csv', true],
    ['text/csv;q=0.5, application/json', false],
    ['text/csv;q=0', false],
    ['text/csv;q=0.8, */*;q=0.1', true],
  ])('Accept: %p → %p', (accept, csv) => {
    expect(prefersCsv(accept)).toBe(csv);
  });
});
