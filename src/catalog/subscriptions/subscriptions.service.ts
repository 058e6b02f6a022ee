import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { notFound } from '../../common/errors/tally.error';
import { isUuid } from '../../common/postgres-errors';
import { inTransaction } from '../../common/transaction';
import { timestampField } from '../../common/validation';
import { UsageCountersRepository } from '../../usage/counters/usage-counters.repository';
import { OutboxRepository } from '../../webhooks/outbox/outbox.repository';
import { Customer } from '../customers/customer.entity';
import { Plan } from '../plans/plan.entity';
import { Interval, periodAt, periodByIndex } from './billing-period';
import { CancelAt } from './cancel-subscription.dto';
import { CreateSubscriptionDto } from './create-subscription.dto';
import { Subscription } from './subscription.entity';
import { SubscriptionResponse } from '../catalog.responses';
import { alreadyCancelled } from '../catalog.errors';

/** What metering and billing need to know of a subscription, read in one query. */
export interface SubscriptionTerms {
  id: string;
  planId: string;
  customerExternalId: string;
  planKey: string;
  interval: Interval;
  currency: string;
  startAt: Date;
  endsAt: Date | null;
  cancelledAt: Date | null;
}

@Injectable()
export class SubscriptionsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly counters: UsageCountersRepository,
    private readonly outbox: OutboxRepository,
  ) {}

  async create(dto: CreateSubscriptionDto): Promise<SubscriptionResponse> {
    const startAt = dto.startAt === undefined ? new Date() : timestampField('startAt', dto.startAt);
    const customer = await this.db.getRepository(Customer).findOneBy({ externalId: dto.customerExternalId });
    if (!customer) throw notFound(`customer '${dto.customerExternalId}'`);
    const plan = await this.db.getRepository(Plan).findOneBy({ key: dto.planKey });
    if (!plan) throw notFound(`plan '${dto.planKey}'`);
    // subscription.created commits with the subscription, its data as GET answers it.
    return inTransaction(this.db, async (manager) => {
      const saved = await manager
        .getRepository(Subscription)
        .save({ customerId: customer.id, planId: plan.id, startAt, endsAt: null, cancelledAt: null });
      const created = view(await this.terms(saved.id, manager), new Date());
      await this.outbox.emit(manager, 'subscription.created', [created]);
      return created;
    });
  }

  async get(id: string, now = new Date()): Promise<SubscriptionResponse> {
    return view(await this.terms(id), now);
  }

  /**
   * Sets the subscription's end: now, or the end of the period running now (the first period, for a
   * subscription that has not started). No usage is accepted from then on, and the rollup bills a
   * last, possibly short period ending there.
   *
   * A subscription is cancelled once: a second cancel is 409 conflict with the end already set,
   * whatever its `at`. Moving an end would reopen or cut a period that may already be invoiced, and
   * a retried "now" would otherwise end the subscription later than the first attempt did.
   */
  async cancel(id: string, at: CancelAt, now = new Date()): Promise<SubscriptionResponse> {
    const terms = await this.terms(id);
    let endsAt: Date;
    if (at === 'now') {
      endsAt = now < terms.startAt ? terms.startAt : now;
    } else {
      endsAt = periodAt(terms.startAt, terms.interval, now < terms.startAt ? terms.startAt : now)!.end;
    }
    const cancelled = await inTransaction(this.db, async (manager) => {
      // Two concurrent cancels both read an uncancelled subscription; only the one whose UPDATE
      // matched set the end, the other is told it was already cancelled.
      const [, affected] = await manager.query(
        `UPDATE subscriptions SET ends_at = $2, cancelled_at = $3 WHERE id = $1 AND cancelled_at IS NULL`,
        [terms.id, endsAt, now],
      );
      // The counts check the end on their counter rows, under the lock they count with.
      if (affected === 1) await this.counters.endOpen(manager, terms.id, endsAt);
      // Only the cancel that set the end announces it.
      if (affected === 1) await this.outbox.emit(manager, 'subscription.cancelled', [view({ ...terms, endsAt, cancelledAt: now }, now)]);
      return affected === 1;
    });
    if (!cancelled) {
      const current = await this.terms(id);
      throw alreadyCancelled(id, current.endsAt, current.cancelledAt);
    }
    return view({ ...terms, endsAt, cancelledAt: now }, now);
  }

  /** The subscription joined with its plan and customer; 404 for an unknown (or malformed) id. */
  async terms(id: string, manager: EntityManager = this.db.manager): Promise<SubscriptionTerms> {
    if (!isUuid(id)) throw notFound(`subscription '${id}'`);
    const [row] = await manager.query(
      `SELECT s.id, s.plan_id, c.external_id, p.key AS plan_key, p.interval, p.currency,
              s.start_at, s.ends_at, s.cancelled_at
         FROM subscriptions s
         JOIN plans p ON p.id = s.plan_id
         JOIN customers c ON c.id = s.customer_id
        WHERE s.id = $1`,
      [id],
    );
    if (!row) throw notFound(`subscription '${id}'`);
    return {
      id: row.id,
      planId: row.plan_id,
      customerExternalId: row.external_id,
      planKey: row.plan_key,
      interval: row.interval,
      currency: row.currency,
      startAt: row.start_at,
      endsAt: row.ends_at,
      cancelledAt: row.cancelled_at,
    };
  }
}

function view(terms: SubscriptionTerms, now: Date): SubscriptionResponse {
  // Before its start, the "current" period is the first one; after its end, the last one.
  let at = now < terms.startAt ? terms.startAt : now;
  if (terms.endsAt && at >= terms.endsAt) at = new Date(Math.max(terms.endsAt.getTime() - 1, terms.startAt.getTime()));
  const period = periodAt(terms.startAt, terms.interval, at) ?? periodByIndex(terms.startAt, terms.interval, 0);
  const ended = terms.endsAt !== null && now >= terms.endsAt;
  return {
    id: terms.id,
    customerExternalId: terms.customerExternalId,
    planKey: terms.planKey,
    status: ended ? 'ended' : terms.cancelledAt ? 'cancelled' : 'active',
    startAt: terms.startAt.toISOString(),
    endsAt: terms.endsAt?.toISOString() ?? null,
    currentPeriodStart: period.start.toISOString(),
    currentPeriodEnd: period.end.toISOString(),
  };
}
