import { CountResult } from '../strategies/usage-strategy';
import { LocalCounter } from './local-counter';

export type Refusal = Extract<CountResult, { kind: 'refused' }>;

/** Thrown on an event's way through the buffered strategy to end it with its refusal, which count() returns. */
export class Refused {
  constructor(readonly refusal: Refusal) {}

  /** The period is closed (invoiced), or with `reason` 'ended' the subscription had ended when the event occurred. */
  static closed(counter: Pick<LocalCounter, 'dbUsed' | 'unflushed' | 'limit'>, reason: 'closed' | 'ended' = 'closed'): Refused {
    const used = (counter.dbUsed + counter.unflushed).toString();
    return new Refused({ kind: 'refused', reason, used, limit: counter.limit?.toString() ?? null });
  }
}
