import { CountResult } from '../strategies/usage-strategy';
import { LocalCounter } from './local-counter';

export type Refusal = Extract<CountResult, { kind: 'refused' }>;

/** Thrown on an event's way through the buffered strategy to end it with its refusal, which count() returns. */
export class Refused {
  constructor(readonly refusal: Refusal) {}

  /** The period is closed, or the subscription ended (a ledger batch or a lease request found either). */
  static closed(counter: Pick<LocalCounter, 'dbUsed' | 'unflushed' | 'limit'>): Refused {
    const used = (counter.dbUsed + counter.unflushed).toString();
    return new Refused({ kind: 'refused', reason: 'closed', used, limit: counter.limit?.toString() ?? null });
  }
}
