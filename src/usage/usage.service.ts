import { Injectable } from '@nestjs/common';
import { isISO8601 } from 'class-validator';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Strategy } from '../catalog/features/feature.entity';
import { Period, periodAt } from '../catalog/subscriptions/billing-period';
import { SubscriptionTerms, SubscriptionsService } from '../catalog/subscriptions/subscriptions.service';
import { ApiExceptionFilter } from '../common/errors/api-exception.filter';
import { notFound } from '../common/errors/tally.error';
import { invalidField } from '../common/validation';
import { UsageMetrics } from '../metrics/usage.metrics';
import { RecordUsageDto } from './dto/record-usage.dto';
import { validateUsageEvent } from './usage-event.validation';
import { AtomicStrategy } from './strategies/atomic.strategy';
import { BufferedStrategy } from './strategies/buffered.strategy';
import { OptimisticStrategy } from './strategies/optimistic.strategy';
import { PessimisticStrategy } from './strategies/pessimistic.strategy';
import { UsageEvent, UsageStrategy } from './usage-event';
import { limitExceeded, periodClosed } from './usage.errors';
import { UsageRepository } from './usage.repository';

export interface UsageAnswer {
  accepted: true;
  duplicate: boolean;
  feature: string;
  used: number;
  limit: number | null;
  remaining: number | null;
  periodStart: string;
  periodEnd: string;
}

export interface PeriodUsage {
  subscriptionId: string;
  periodStart: string;
  periodEnd: string;
  features: { feature: string; used: number; limit: number | null; remaining: number | null }[];
}

export type BatchStatus = 'accepted' | 'duplicate' | 'limit_exceeded' | 'invalid' | 'not_found' | string;

export interface BatchResult {
  index: number;
  status: BatchStatus;
  [field: string]: unknown;
}

/** Subscriptions already read while judging one batch. */
type TermsMemo = Map<string, Promise<SubscriptionTerms>>;

interface FeatureRef {
  id: string;
  key: string;
  strategy: Strategy;
}

const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const remainingOf = (used: string, limit: string | null) =>
  limit === null ? null : Number(BigInt(limit) - BigInt(used));

@Injectable()
export class UsageService {
  /** Features never change strategy and are never deleted, so they are cached once found. */
  private readonly features = new Map<string, FeatureRef>();
  private readonly termsCache: TermsMemo = new Map();
  private readonly strategies: Record<Strategy, UsageStrategy>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly subscriptions: SubscriptionsService,
    private readonly usage: UsageRepository,
    atomic: AtomicStrategy,
    pessimistic: PessimisticStrategy,
    optimistic: OptimisticStrategy,
    private readonly buffered: BufferedStrategy,
    private readonly metrics: UsageMetrics,
  ) {
    this.strategies = { atomic, pessimistic, optimistic, buffered };
  }

  async record(dto: RecordUsageDto): Promise<UsageAnswer> {
    const event = await this.resolve(dto);
    return this.metrics.track(event.strategy, this.judge(event));
  }

  private async judge(event: UsageEvent): Promise<UsageAnswer> {
    const result = await this.strategies[event.strategy].count(event);
    if (result.kind === 'accepted') return this.answer(event, result.used, result.limit, false);
    if (result.kind === 'duplicate') return this.duplicateOf(event);
    return this.explainRefusal(event);
  }

  async periodUsage(subscriptionId: string, atIso: string | undefined): Promise<PeriodUsage> {
    const terms = await this.subscriptions.terms(subscriptionId);
    const at = atIso === undefined ? new Date() : new Date(atIso);
    if (atIso !== undefined && (!isISO8601(atIso, { strict: true, strictSeparator: true }) || Number.isNaN(at.getTime()))) {
      throw invalidField('at', 'at must be an ISO-8601 timestamp');
    }
    const period = periodAt(terms.startAt, terms.interval, at < terms.startAt ? terms.startAt : at)!;
    const rows = await this.usage.usageOfPeriod(terms.id, terms.planId, period.start);
    return {
      subscriptionId: terms.id,
      periodStart: period.start.toISOString(),
      periodEnd: period.end.toISOString(),
      features: rows.map((r) => {
        // A buffered feature's row lags by what this instance has not flushed yet.
        const used = (BigInt(r.used) + this.buffered.unflushed(terms.id, r.feature_id, period.start)).toString();
        return {
          feature: r.feature,
          used: Number(used),
          limit: r.limit === null ? null : Number(r.limit),
          remaining: remainingOf(used, r.limit),
        };
      }),
    };
  }

  /**
   * Judges each event on its own, in array order: one bad event does not sink the rest. Buffered
   * events are handed over without waiting for the one before, so they share ledger batches;
   * the others are counted one after another.
   */
  async recordBatch(events: unknown[]): Promise<{ results: BatchResult[] }> {
    const memo: TermsMemo = new Map();
    const pending: Promise<BatchResult>[] = [];
    this.buffered.cork();
    try {
      await this.handOver(events, memo, pending);
    } finally {
      this.buffered.uncork();
    }
    return { results: await Promise.all(pending) };
  }

  private async handOver(events: unknown[], memo: TermsMemo, pending: Promise<BatchResult>[]): Promise<void> {
    for (const [index, raw] of events.entries()) {
      const checked = validateUsageEvent(raw);
      if ('problems' in checked) {
        const message = checked.problems.map((p) => `${p.field}: ${p.problems.join(', ')}`).join('; ');
        pending.push(Promise.resolve({ index, status: 'invalid', message, errors: checked.problems }));
        continue;
      }
      let event: UsageEvent;
      try {
        event = await this.resolve(checked.dto, memo);
      } catch (error) {
        pending.push(Promise.resolve(this.batchError(index, error)));
        continue;
      }
      const result = this.metrics.track(event.strategy, this.judge(event)).then(
        (answer): BatchResult => ({ index, status: answer.duplicate ? 'duplicate' : 'accepted', ...answer }),
        (error) => this.batchError(index, error),
      );
      pending.push(result);
      // Buffered events are resolved in order and handed over in order, which is the order they
      // take quota in; they are not awaited one by one, so they share ledger batches.
      if (event.strategy !== 'buffered') await result.catch(() => undefined);
    }
  }

  private readonly errors = new ApiExceptionFilter();

  /** An event's refusal as its batch result; a failure of Tally itself still fails the request. */
  private batchError(index: number, error: unknown): BatchResult {
    const { body } = this.errors.toBody(error);
    if (body.statusCode === 500) throw error;
    const { statusCode: _status, code, ...details } = body;
    return { index, status: code, ...details };
  }

  /** Subscription, feature and period of a request, or the 404/409 that says why there is none. */
  private async resolve(dto: RecordUsageDto, memo?: TermsMemo): Promise<UsageEvent> {
    const now = Date.now();
    const occurredAt = dto.occurredAt === undefined ? new Date(now) : new Date(dto.occurredAt);
    if (Number.isNaN(occurredAt.getTime())) throw invalidField('occurredAt', 'occurredAt must be an ISO-8601 timestamp');
    // As Stripe's meter events do: a little clock skew is fine, usage from the future is not. It
    // would open a later period's counter with today's plan before an edit meant for that period.
    if (occurredAt.getTime() > now + MAX_CLOCK_SKEW_MS) {
      throw invalidField('occurredAt', 'occurredAt must not be more than 5 minutes in the future');
    }
    const feature = await this.feature(dto.feature);
    const terms = await this.terms(dto.subscriptionId, memo, feature.strategy === 'buffered');
    const period = this.periodOf(terms, occurredAt);
    const event: UsageEvent = {
      subscriptionId: terms.id,
      planId: terms.planId,
      featureId: feature.id,
      featureKey: feature.key,
      strategy: feature.strategy,
      periodStart: period.start,
      periodEnd: period.end,
      quantity: String(dto.quantity ?? 1),
      idempotencyKey: dto.idempotencyKey ?? null,
      occurredAt,
    };
    if (!(await this.usage.ensureCounter(event))) {
      throw notFound(`feature '${feature.key}' in the plan of subscription '${terms.id}'`);
    }
    return event;
  }

  /**
   * A subscription's terms. The buffered strategy may take them from memory: its ledger batch
   * re-checks the one that can change (the end of a cancelled subscription) under a row lock.
   */
  private terms(subscriptionId: string, memo?: TermsMemo, cached = false): Promise<SubscriptionTerms> {
    if (cached) {
      memo ??= this.termsCache;
      if (memo.size > 100_000) memo.clear();
    }
    if (!memo) return this.subscriptions.terms(subscriptionId);
    let terms = memo.get(subscriptionId);
    if (!terms) {
      terms = this.subscriptions.terms(subscriptionId);
      memo.set(subscriptionId, terms);
      const table = memo;
      terms.catch(() => table.delete(subscriptionId));
    }
    return terms;
  }

  private periodOf(terms: SubscriptionTerms, occurredAt: Date): Period {
    const period = periodAt(terms.startAt, terms.interval, occurredAt);
    if (!period) {
      throw periodClosed(`occurredAt ${occurredAt.toISOString()} is before the subscription's start`, {
        startAt: terms.startAt.toISOString(),
      });
    }
    if (terms.endsAt && occurredAt >= terms.endsAt) {
      throw periodClosed(`the subscription ended at ${terms.endsAt.toISOString()}`, {
        endsAt: terms.endsAt.toISOString(),
      });
    }
    return period;
  }

  private async feature(key: string): Promise<FeatureRef> {
    const cached = this.features.get(key);
    if (cached) return cached;
    const [row] = await this.db.query('SELECT id, key, strategy FROM features WHERE key = $1', [key]);
    if (!row) throw notFound(`feature '${key}'`);
    this.features.set(key, row);
    return row;
  }

  private answer(event: UsageEvent, used: string, limit: string | null, duplicate: boolean): UsageAnswer {
    return {
      accepted: true,
      duplicate,
      feature: event.featureKey,
      used: Number(used),
      limit: limit === null ? null : Number(limit),
      remaining: remainingOf(used, limit),
      periodStart: event.periodStart.toISOString(),
      periodEnd: event.periodEnd.toISOString(),
    };
  }

  /** A repeat is answered with the figures of the event it repeats, whatever the repeat carries. */
  private async duplicateOf(event: UsageEvent): Promise<UsageAnswer> {
    const original = await this.usage.findByIdempotencyKey(event.subscriptionId, event.idempotencyKey!);
    if (!original) throw new Error(`idempotency key vanished: ${event.idempotencyKey}`);
    return {
      accepted: true,
      duplicate: true,
      feature: original.featureKey,
      used: Number(original.usedAfter),
      limit: original.limit === null ? null : Number(original.limit),
      remaining: remainingOf(original.usedAfter, original.limit),
      periodStart: original.periodStart.toISOString(),
      periodEnd: original.periodEnd.toISOString(),
    };
  }

  /**
   * A strategy refused to count: either the key was accepted before (a retry of an event that
   * took the last unit must still be answered as a duplicate, not 429), the period is closed,
   * or the limit would be passed. Each is read after the refusal, from committed state.
   */
  private async explainRefusal(event: UsageEvent): Promise<never | UsageAnswer> {
    if (event.idempotencyKey !== null) {
      const original = await this.usage.findByIdempotencyKey(event.subscriptionId, event.idempotencyKey);
      if (original) return this.duplicateOf(event);
    }
    const counter = await this.usage.findCounter(event);
    if (counter?.ended) {
      throw periodClosed(`the subscription ended before occurredAt ${event.occurredAt.toISOString()}`);
    }
    if (!counter || counter.closed_at) {
      throw periodClosed(`the period starting ${event.periodStart.toISOString()} is closed (invoiced)`, {
        periodStart: event.periodStart.toISOString(),
        periodEnd: event.periodEnd.toISOString(),
      });
    }
    throw limitExceeded(event.featureKey, counter.used, counter.limit ?? '0', event.quantity);
  }
}
