import { Inject, Injectable } from '@nestjs/common';
import { TallyConfig } from '../config/config';
import { TALLY_CONFIG } from '../config/config.module';
import { deadlineExceeded } from '../lifecycle/request-deadline';
import { databaseUnavailable, isDatabaseUnavailable } from '../common/errors/database-unavailable';
import { TallyError } from '../common/errors/tally.error';
import { UsageMetrics } from '../metrics/usage.metrics';
import { counterKey } from './counters/counter-key';
import { UsageStrategies } from './strategies/usage-strategies';
import { UsageEvent } from './usage-event';
import { validateUsageEvent } from './usage-event.validation';
import { UsageEventResolver } from './usage-event.resolver';
import { MAX_RESOLVES, UsageService, isEnded } from './usage.service';
import { RecordUsageDto } from './dto/record-usage.dto';
import { CountResult } from './strategies/usage-strategy';
import { BatchResultResponse } from './dto/usage.responses';

export type BatchStatus = 'accepted' | 'duplicate' | 'limit_exceeded' | 'invalid' | 'not_found' | string;

interface Counted {
  index: number;
  event: UsageEvent;
  dto: RecordUsageDto;
  /** Times resolved again after an 'ended' refusal (see UsageService.record). */
  resolves: number;
}

/** What `work` gives, or undefined once `deadline` (epoch ms) has passed first. */
async function beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()))));
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A refusal as the event's result. The database failing under an event is that event's
 * `unavailable` (the events of the batch already committed stay accepted); anything else that is
 * not a TallyError is Tally's own failure and fails the request.
 */
function refusal(index: number, error: unknown): BatchResultResponse {
  if (isDatabaseUnavailable(error)) error = databaseUnavailable();
  if (!(error instanceof TallyError)) throw error;
  return { index, status: error.code, message: error.message, ...error.details };
}

/**
 * POST /v1/usage/batch: each event judged on its own, in array order. The events are grouped
 * by counter and each group goes to its strategy as one hand-over, so a group is counted by as
 * few transactions as its strategy needs (one, for a strict strategy on an idle counter); groups
 * of different counters are counted side by side.
 */
@Injectable()
export class UsageBatchService {
  constructor(
    private readonly resolver: UsageEventResolver,
    private readonly strategies: UsageStrategies,
    private readonly usage: UsageService,
    private readonly metrics: UsageMetrics,
    @Inject(TALLY_CONFIG) private readonly config: TallyConfig,
  ) {}

  async recordBatch(events: unknown[]): Promise<{ results: BatchResultResponse[] }> {
    const results: BatchResultResponse[] = new Array(events.length);
    // One request, one deadline for all of its events. The batch route answers it itself (the
    // deadline hook's whole-request 503 would drop the events already committed): what is not
    // counted by then is `unavailable`, each event on its own.
    const now = Date.now();
    const deadline = now + this.config.requestTimeoutMs;
    const late = (index: number) => (results[index] = refusal(index, deadlineExceeded(this.config.requestTimeoutMs)));
    let round: Counted[] = [];
    for (const [index, raw] of events.entries()) {
      if (Date.now() > deadline) {
        late(index);
        continue;
      }
      const checked = validateUsageEvent(raw);
      if ('problems' in checked) {
        const message = checked.problems.map((p) => `${p.field}: ${p.problems.join(', ')}`).join('; ');
        results[index] = { index, status: 'invalid', message, errors: checked.problems };
        continue;
      }
      try {
        round.push({ index, event: await this.resolver.resolve(checked.dto, now), dto: checked.dto, resolves: 0 });
      } catch (error) {
        results[index] = refusal(index, error);
      }
    }
    while (round.length > 0) {
      const counting = this.countRound(round, results);
      // Marked as handled: past the deadline nobody awaits it, and a failure then is no crash.
      counting.catch(() => undefined);
      const next = await beforeDeadline(counting, deadline);
      if (next === undefined) {
        // Their transactions may still commit: the client retries them with their keys.
        for (const { index } of round) if (results[index] === undefined) late(index);
        break;
      }
      round = next;
    }
    // A copy: what the transactions still running write later is not part of this answer.
    return { results: [...results] };
  }

  /**
   * Counts one round and returns what must wait for the next: an event whose idempotency key an
   * earlier event of another counter carries is judged after that one committed (a repeat on
   * the same counter is judged in its turn inside the same transaction).
   */
  private async countRound(round: Counted[], results: BatchResultResponse[]): Promise<Counted[]> {
    const groups = new Map<string, Counted[]>();
    const keyedCounter = new Map<string, string>();
    const later: Counted[] = [];
    for (const item of round) {
      const counter = counterKey(item.event);
      if (item.event.idempotencyKey !== null) {
        const key = `${item.event.subscriptionId}/${item.event.idempotencyKey}`;
        const first = keyedCounter.get(key);
        if (first !== undefined && first !== counter) {
          later.push(item);
          continue;
        }
        keyedCounter.set(key, counter);
      }
      const group = groups.get(counter) ?? [];
      group.push(item);
      groups.set(counter, group);
    }
    // Handed over inside the batch scope, waited for outside it: a batch held open is not written.
    const counting = await this.strategies.inBatch(async () => [...groups.values()].map((group) => this.countGroup(group, results)));
    for (const again of await Promise.all(counting)) later.push(...again);
    return later;
  }

  /** Counts one counter's events; returns those refused as 'ended' that fresh terms place on another counter. */
  private async countGroup(group: Counted[], results: BatchResultResponse[]): Promise<Counted[]> {
    const { strategy } = group[0].event;
    let counted;
    try {
      counted = await this.strategies.of(strategy).count(group.map((g) => g.event));
    } catch (error) {
      for (const { index } of group) results[index] = refusal(index, error);
      return [];
    }
    const answering: Promise<void>[] = [];
    const again: Counted[] = [];
    group.forEach((item, i) => {
      const { index, event } = item;
      const result = counted[i];
      if (isEnded(result) && item.resolves < MAX_RESOLVES) {
        answering.push(
          this.resolver.resolveAgain(item.dto, event).then(
            (fresh) => (fresh ? void again.push({ ...item, event: fresh, resolves: item.resolves + 1 }) : this.answerWith(item, result, results)),
            (error) => void (results[index] = refusal(index, error)),
          ),
        );
        return;
      }
      // Most events are counted: answered here, without a promise each.
      if (result.kind === 'accepted') {
        this.metrics.count(strategy, 'accepted');
        results[index] = { index, status: 'accepted', ...this.usage.accepted(event, result) };
        return;
      }
      answering.push(this.answerWith(item, result, results));
    });
    await Promise.all(answering);
    return again;
  }

  private answerWith({ index, event }: Counted, result: CountResult, results: BatchResultResponse[]): Promise<void> {
    return this.metrics.track(event.strategy, this.usage.answer(event, result)).then(
      (answer) => void (results[index] = { index, status: answer.duplicate ? 'duplicate' : 'accepted', ...answer }),
      (error) => void (results[index] = refusal(index, error)),
    );
  }
}
