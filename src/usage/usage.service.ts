import { Injectable } from '@nestjs/common';
import { segmentAt } from '../catalog/subscriptions/plan-phases';
import { SubscriptionsService } from '../catalog/subscriptions/subscriptions.service';
import { timestampField } from '../common/validation';
import { UsageMetrics } from '../metrics/usage.metrics';
import { PeriodCounterRow, UsageCountersRepository } from './counters/usage-counters.repository';
import { RecordUsageDto } from './dto/record-usage.dto';
import { UsageEventsRepository } from './ledger/usage-events.repository';
import { UsageStrategies } from './strategies/usage-strategies';
import { CountResult } from './strategies/usage-strategy';
import { UsageEvent } from './usage-event';
import { UsageEventResolver } from './usage-event.resolver';
import { UsageAlerts } from './alerts/usage-alerts';
import { refusalError } from './usage.errors';
import { PeriodUsageResponse, SubscriptionPeriodResponse, UsageAnswerResponse } from './dto/usage.responses';

const remainingOf = (used: string, limit: string | null) => (limit === null ? null : Number(BigInt(limit) - BigInt(used)));

/**
 * How often an event refused as 'ended' is resolved again from fresh terms: each time is a plan
 * change (or cancellation) this instance learnt of late, so more than a few means something else.
 */
export const MAX_RESOLVES = 3;

/** A refusal that may come from stale terms: the counter's period part ended before the event. */
export const isEnded = (result: CountResult) => result.kind === 'refused' && result.reason === 'ended';

/** The events of one period share their period's Date objects (UsageEventResolver): format each once. */
const isoStrings = new WeakMap<Date, string>();
function iso(date: Date): string {
  let text = isoStrings.get(date);
  if (text === undefined) {
    text = date.toISOString();
    isoStrings.set(date, text);
  }
  return text;
}

/** Recording one event, and reading a period's usage. */
@Injectable()
export class UsageService {
  constructor(
    private readonly resolver: UsageEventResolver,
    private readonly strategies: UsageStrategies,
    private readonly subscriptions: SubscriptionsService,
    private readonly counters: UsageCountersRepository,
    private readonly ledger: UsageEventsRepository,
    private readonly metrics: UsageMetrics,
    private readonly alerts: UsageAlerts,
  ) {}

  async record(dto: RecordUsageDto): Promise<UsageAnswerResponse> {
    let event = await this.resolver.resolve(dto);
    let [result] = await this.strategies.of(event.strategy).count([event]);
    for (let attempt = 0; attempt < MAX_RESOLVES && isEnded(result); attempt++) {
      const again = await this.resolver.resolveAgain(dto, event);
      if (!again) break;
      event = again;
      [result] = await this.strategies.of(event.strategy).count([event]);
    }
    return this.metrics.track(event.strategy, this.answer(event, result));
  }

  /**
   * The answer to one counted event: the figures it left, those of the event it repeats, or the
   * contract's error for its refusal.
   */
  async answer(event: UsageEvent, result: CountResult): Promise<UsageAnswerResponse> {
    if (result.kind === 'refused') {
      if (result.reason === 'limit') await this.alerts.refused(event, result.used, event.quantity);
      throw refusalError(event, result);
    }
    if (result.kind === 'accepted') return this.accepted(event, result);
    // A repeat is answered with the figures of the event it repeats, whatever the repeat carries.
    const original = await this.ledger.findByIdempotencyKey(event.subscriptionId, event.idempotencyKey!);
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

  /** The answer to a counted event: the figures it left. */
  accepted(event: UsageEvent, result: Extract<CountResult, { kind: 'accepted' }>): UsageAnswerResponse {
    return {
      accepted: true,
      duplicate: false,
      feature: event.featureKey,
      used: Number(result.used),
      limit: result.limit === null ? null : Number(result.limit),
      remaining: remainingOf(result.used, result.limit),
      periodStart: iso(event.periodStart),
      periodEnd: iso(event.periodEnd),
    };
  }

  /**
   * The period containing `at` (its start, before the subscription starts) and the counter of each
   * charge of the plan version governing it, for the answers that list a period's features.
   */
  /** `ended`: the subscription had ended by `at` (nothing more can be counted in it). */
  async periodCounters(
    subscriptionId: string,
    at: Date,
  ): Promise<{ period: SubscriptionPeriodResponse; rows: PeriodCounterRow[]; ended: boolean }> {
    const terms = await this.subscriptions.terms(subscriptionId);
    const segment = segmentAt(terms.startAt, terms.interval, terms.phases, at < terms.startAt ? terms.startAt : at)!;
    const rows = await this.counters.usageOfPeriod(terms.id, segment.planId, segment.start);
    return {
      period: { subscriptionId: terms.id, periodStart: segment.start.toISOString(), periodEnd: segment.end.toISOString() },
      rows,
      ended: terms.endsAt !== null && terms.endsAt <= at,
    };
  }

  async periodUsage(subscriptionId: string, atIso: string | undefined): Promise<PeriodUsageResponse> {
    const at = atIso === undefined ? new Date() : timestampField('at', atIso);
    const { period, rows } = await this.periodCounters(subscriptionId, at);
    return {
      ...period,
      features: rows.map((r) => {
        // A buffered feature's row lags by what this instance has not flushed yet.
        const counter = { subscriptionId: period.subscriptionId, featureId: r.feature_id, periodStart: new Date(period.periodStart) };
        const used = (BigInt(r.used) + this.strategies.unflushed(counter)).toString();
        return {
          feature: r.feature,
          used: Number(used),
          limit: r.limit === null ? null : Number(r.limit),
          remaining: remainingOf(used, r.limit),
        };
      }),
    };
  }
}
