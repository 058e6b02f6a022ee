import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCode, TallyError } from '../common/errors/tally.error';

const digest = (key: string) => createHash('sha256').update(key, 'utf8').digest();

/** The API_KEYS an instance accepts, and the one check of an Authorization header against them. */
export class ApiKeys {
  /** SHA-256 of each key: comparing digests of equal length leaks neither the key nor its length. */
  private readonly digests: Buffer[];

  constructor(keys: string[]) {
    this.digests = keys.map(digest);
  }

  /** No keys configured: the API is open. */
  get open(): boolean {
    return this.digests.length === 0;
  }

  get count(): number {
    return this.digests.length;
  }

  /** Throws 401 unauthorized unless the header carries one of the keys. */
  verify(authorization: string | undefined): void {
    if (this.open) return;
    const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
    if (!match) throw unauthorized('an API key is required: send Authorization: Bearer <key>');
    if (!this.known(match[1])) throw unauthorized('the API key is not valid');
  }

  /** Compares with every key, without stopping at a match: the time taken says nothing about which. */
  private known(key: string): boolean {
    const presented = digest(key);
    let found = false;
    for (const expected of this.digests) found = timingSafeEqual(expected, presented) || found;
    return found;
  }
}

const unauthorized = (message: string) =>
  new TallyError(ErrorCode.Unauthorized, message, {}, { 'www-authenticate': 'Bearer realm="tally"' });
