/** The rules every string of the API obeys, whichever route it comes through. */

/** A UTF-16 surrogate without its pair: not a character, and two different ones read back alike. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with a string for the API, or undefined. */
export function stringProblem(field: string, value: string): string | undefined {
  if (value.includes('\u0000')) return `${field} must not contain NUL (\\u0000) characters`;
  if (LONE_SURROGATE.test(value)) return `${field} must be well-formed Unicode (a lone surrogate is not a character)`;
  return undefined;
}
