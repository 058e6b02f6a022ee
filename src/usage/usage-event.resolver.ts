import { Inject, Injectable } from '@nestjs/common';
import { BillingSegment, segmentAt } from '../catalog/subscriptions/plan-phases';
import { FeaturesService } from '../catalog/features/features.service';
import { SubscriptionTerms } from '../catalog/subscriptions/subscriptions.repository';
import { SubscriptionsService } from '../catalog/subscriptions/subscriptions.service';
import { Strategy } from '../catalog/features/feature.entity';
import { notFound } from '../common/errors/tally.error';
import { TallyConfig } from '../config/config';
import { TALLY_CONFIG } from '../config/config.module';
import { invalidField, timestampField } from '../common/validation';
import { counterKey } from './counters/counter-key';
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
 * counter row to count on. What it reads is cached: features never change strategy and are never
 * deleted; a subscription's start and interval are fixed. Its plan phases and end can change, and
 * another instance may change them, so they are never trusted alone: whatever a count must respect
 * is on the counter row, checked under the count's own lock. A change "now" or a cancellation
 * writes its moment onto the open counters as their end, so a count made from stale terms is
 * refused as 'ended'; the caller then asks resolveAgain(), which reads the terms afresh, and counts
 * the event in the period it really falls in (UsageService, UsageBatchService).
 */
@Injectable()
export class UsageEventResolver {
  private readonly features = new Map<string, FeatureRef>();
  private readonly terms = new Map<string, Promise<SubscriptionTerms>>();
  /** Per subscription, the segment the last event fell in: most events fall in the same one. */
  private readonly lastSegment = new Map<string, BillingSegment>();

  constructor(
    private readonly featuresService: FeaturesService,
    private readonly subscriptions: SubscriptionsService,
    private readonly counters: UsageCountersRepository,
    @Inject(TALLY_CONFIG) private readonly config: TallyConfig,
  ) {}

  /**
   * The event, or the 400/404/409 that says why there is none. `now`: when the request carrying
   * it arrived (its deadline counts from then).
   */
  async resolve(dto: RecordUsageDto, now = Date.now()): Promise<UsageEvent> {
    const occurredAt = dto.occurredAt === undefined ? new Date(now) : timestampField('occurredAt', dto.occurredAt);
    // Usage from the future would open a later period's counter with today's plan before an
    // edit meant for that period.
    if (occurredAt.getTime() > now + MAX_CLOCK_SKEW_MS) {
      throw invalidField('occurredAt', 'occurredAt must not be more than 5 minutes in the future');
    }
    return this.resolveAt(dto, occurredAt, now + this.config.requestTimeoutMs, false);
  }

  /**
   * The event again, after a count refused it as 'ended': from terms read afresh, at the same
   * occurredAt. undefined when it resolves to the same counter: the refusal stands (the
   * subscription really ended, or the period's part really ended before it).
   */
  async resolveAgain(dto: RecordUsageDto, refused: UsageEvent): Promise<UsageEvent | undefined> {
    // Another refused event may have refreshed the terms already: a burst of them reads them once.
    let event = await this.resolveAt(dto, refused.occurredAt, refused.deadline, false);
    if (counterKey(event) === counterKey(refused)) {
      this.forget(refused.subscriptionId);
      event = await this.resolveAt(dto, refused.occurredAt, refused.deadline, true);
    }
    return counterKey(event) === counterKey(refused) ? undefined : event;
  }

  private async resolveAt(dto: RecordUsageDto, occurredAt: Date, deadline: number, fresh: boolean): Promise<UsageEvent> {
    const feature = await this.feature(dto.feature);
    const terms = await this.subscription(dto.subscriptionId);
    const segment = this.segmentOf(terms, occurredAt);
    if (!segment) {
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
      featureId: feature.id,
      featureKey: feature.key,
      strategy: feature.strategy,
      periodStart: segment.start,
      periodEnd: segment.end,
      quantity: String(dto.quantity ?? 1),
      idempotencyKey: dto.idempotencyKey ?? null,
      occurredAt,
      deadline,
      alerts: null,
    };
    if (!(await this.counters.ensure(event))) {
      // Cached terms may miss a plan change that made the feature part of the plan: ask once more.
      if (!fresh) {
        this.forget(terms.id);
        return this.resolveAt(dto, occurredAt, deadline, true);
      }
      throw notFound(`feature '${feature.key}' in the plan of subscription '${terms.id}'`);
    }
    // Read with the ensure, before anything else can run: the counter cache may be cleared later.
    event.alerts = this.counters.alertsOf(event);
    return event;
  }

  /** The segment containing `at` (the same Date objects for every event of one segment). */
  private segmentOf(terms: SubscriptionTerms, at: Date): BillingSegment | undefined {
    const last = this.lastSegment.get(terms.id);
    if (last && at >= last.start && at < last.end) return last;
    const segment = segmentAt(terms.startAt, terms.interval, terms.phases, at);
    if (segment) {
      if (this.lastSegment.size >= MAX_CACHED) this.lastSegment.clear();
      this.lastSegment.set(terms.id, segment);
    }
    return segment;
  }

  private forget(subscriptionId: string): void {
    this.terms.delete(subscriptionId);
    this.lastSegment.delete(subscriptionId);
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
