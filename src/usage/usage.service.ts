import { Injectable } from '@nestjs/common';
import { periodAt } from '../catalog/subscriptions/billing-period';
import { SubscriptionsService } from '../catalog/subscriptions/subscriptions.service';
import { timestampField } from '../common/validation';
import { UsageMetrics } from '../metrics/usage.metrics';
import { UsageCountersRepository } from './counters/usage-counters.repository';
import { RecordUsageDto } from './dto/record-usage.dto';
import { UsageEventsRepository } from './ledger/usage-events.repository';
import { UsageStrategies } from './strategies/usage-strategies';
import { CountResult } from './strategies/usage-strategy';
import { UsageEvent } from './usage-event';
import { UsageEventResolver } from './usage-event.resolver';
import { refusalError } from './usage.errors';
import { PeriodUsageResponse, UsageAnswerResponse } from './dto/usage.responses';

const remainingOf = (used: string, limit: string | null) => (limit === null ? null : Number(BigInt(limit) - BigInt(used)));

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
  ) {}

  async record(dto: RecordUsageDto): Promise<UsageAnswerResponse> {
    const event = await this.resolver.resolve(dto);
    const [result] = await this.strategies.of(event.strategy).count([event]);
    return this.metrics.track(event.strategy, this.answer(event, result));
  }

  /**
   * The answer to one counted event: the figures it left, those of the event it repeats, or the
   * contract's error for its refusal.
   */
  async answer(event: UsageEvent, result: CountResult): Promise<UsageAnswerResponse> {
    if (result.kind === 'refused') throw refusalError(event, result);
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

  async periodUsage(subscriptionId: string, atIso: string | undefined): Promise<PeriodUsageResponse> {
    const terms = await this.subscriptions.terms(subscriptionId);
    const at = atIso === undefined ? new Date() : timestampField('at', atIso);
    const period = periodAt(terms.startAt, terms.interval, at < terms.startAt ? terms.startAt : at)!;
    const rows = await this.counters.usageOfPeriod(terms.id, terms.planId, period.start);
    return {
      subscriptionId: terms.id,
      periodStart: period.start.toISOString(),
      periodEnd: period.end.toISOString(),
      features: rows.map((r) => {
        // A buffered feature's row lags by what this instance has not flushed yet.
        const counter = { subscriptionId: terms.id, featureId: r.feature_id, periodStart: period.start };
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
