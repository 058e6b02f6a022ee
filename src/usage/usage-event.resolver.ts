import { Injectable } from '@nestjs/common';
import { Period, periodAt } from '../catalog/subscriptions/billing-period';
import { FeaturesService } from '../catalog/features/features.service';
import { SubscriptionTerms } from '../catalog/subscriptions/subscriptions.repository';
import { SubscriptionsService } from '../catalog/subscriptions/subscriptions.service';
import { Strategy } from '../catalog/features/feature.entity';
import { notFound } from '../common/errors/tally.error';
import { invalidField, timestampField } from '../common/validation';
import { UsageCountersRepository } from './counters/usage-counters.repository';
import { RecordUsageDto } from './dto/record-usage.dto';
import { UsageEvent } from './usage-event';
import { periodClosed } from './usage.errors';

/** As Stripe's meter events do: a little clock skew is fine, usage from the future is not. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Enough for every hot subscription; a full cache starts over rather than tracking recency. */
const MAX_CACHED = 100_000;

interface FeatureRef {
  id: string;
  key: string;
  strategy: Strategy;
}

/**
 * Turns a usage body into the event to count: its feature, its subscription's period, and a
 * counter row to count on. What it reads cannot change under it, so it is cached: features
 * never change strategy and are never deleted; a subscription's plan, start and interval are
 * fixed. What can change (the subscription's end, the period's close) is on the counter row,
 * where the count checks it under its own lock.
 */
@Injectable()
export class UsageEventResolver {
  private readonly features = new Map<string, FeatureRef>();
  private readonly terms = new Map<string, Promise<SubscriptionTerms>>();
  /** Per subscription, the period the last event fell in: most events fall in the same one. */
  private readonly lastPeriod = new Map<string, Period>();

  constructor(
    private readonly featuresService: FeaturesService,
    private readonly subscriptions: SubscriptionsService,
    private readonly counters: UsageCountersRepository,
  ) {}

  /** The event, or the 400/404/409 that says why there is none. */
  async resolve(dto: RecordUsageDto, now = Date.now()): Promise<UsageEvent> {
    const occurredAt = dto.occurredAt === undefined ? new Date(now) : timestampField('occurredAt', dto.occurredAt);
    // Usage from the future would open a later period's counter with today's plan before an
    // edit meant for that period.
    if (occurredAt.getTime() > now + MAX_CLOCK_SKEW_MS) {
      throw invalidField('occurredAt', 'occurredAt must not be more than 5 minutes in the future');
    }
    const feature = await this.feature(dto.feature);
    const terms = await this.subscription(dto.subscriptionId);
    const period = this.periodOf(terms, occurredAt);
    if (!period) {
      throw periodClosed(`occurredAt ${occurredAt.toISOString()} is before the subscription's start`, {
        startAt: terms.startAt.toISOString(),
      });
    }
    // An end once set never moves, so a cached one is still right; one set since is on the counter.
    if (terms.endsAt && occurredAt >= terms.endsAt) {
      throw periodClosed(`the subscription ended at ${terms.endsAt.toISOString()}`, { endsAt: terms.endsAt.toISOString() });
    }
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
    if (!(await this.counters.ensure(event))) {
      throw notFound(`feature '${feature.key}' in the plan of subscription '${terms.id}'`);
    }
    return event;
  }

  /** The period containing `at` (the same Date objects for every event of one period). */
  private periodOf(terms: SubscriptionTerms, at: Date): Period | undefined {
    const last = this.lastPeriod.get(terms.id);
    if (last && at >= last.start && at < last.end) return last;
    const period = periodAt(terms.startAt, terms.interval, at);
    if (period) {
      if (this.lastPeriod.size >= MAX_CACHED) this.lastPeriod.clear();
      this.lastPeriod.set(terms.id, period);
    }
    return period;
  }

  private async feature(key: string): Promise<FeatureRef> {
    const cached = this.features.get(key);
    if (cached) return cached;
    const { id, strategy } = await this.featuresService.get(key);
    const feature = { id, key, strategy };
    this.features.set(key, feature);
    return feature;
  }

  /** Concurrent first requests for a subscription share one read; a failed read is not kept. */
  private subscription(id: string): Promise<SubscriptionTerms> {
    let terms = this.terms.get(id);
    if (!terms) {
      if (this.terms.size >= MAX_CACHED) this.terms.clear();
      terms = this.subscriptions.terms(id);
      this.terms.set(id, terms);
      const cached = terms;
      cached.catch(() => this.terms.get(id) === cached && this.terms.delete(id));
    }
    return terms;
  }
}
