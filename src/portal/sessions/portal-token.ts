import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes: 256 bits, beyond guessing, as base64url (43 characters, safe in a URL path). */
const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function newPortalToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * What is stored and looked up: the token's SHA-256. A fast hash is enough here (unlike for a
 * password): the token is 256 random bits, so there is nothing to brute-force from the hash.
 */
export function hashPortalToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Whether `text` could be a token at all: anything else is refused without asking the database. */
export function isPortalTokenShaped(text: string): boolean {
  return TOKEN_SHAPE.test(text);
}
