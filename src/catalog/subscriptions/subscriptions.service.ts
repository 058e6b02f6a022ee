import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { notFound } from '../../common/errors/tally.error';
import { Page, readPage } from '../../common/paging/page';
import { isUuid } from '../../common/postgres-errors';
import { Rollback, inTransaction } from '../../common/transaction';
import { timestampField } from '../../common/validation';
import { UsageCountersRepository } from '../../usage/counters/usage-counters.repository';
import { OutboxRepository } from '../../webhooks/outbox/outbox.repository';
import { Customer } from '../customers/customer.entity';
import { Plan } from '../plans/plan.entity';
import { periodAt } from './billing-period';
import { ChangeAt } from './change-plan.dto';
import { PlanPhase, segmentAt } from './plan-phases';
import { SubscriptionPlansRepository } from './subscription-plans.repository';
import { CancelAt } from './cancel-subscription.dto';
import { CreateSubscriptionDto } from './create-subscription.dto';
import { ListSubscriptionsQuery } from './list-subscriptions.query';
import { statusAt } from './subscription-status';
import { Subscription } from './subscription.entity';
import { SUBSCRIPTION_CURSOR, SubscriptionPhase, SubscriptionTerms, SubscriptionsRepository } from './subscriptions.repository';

export type { SubscriptionPhase, SubscriptionTerms };
import { SubscriptionResponse } from '../catalog.responses';
import { alreadyCancelled, planChangeRefused } from '../catalog.errors';


@Injectable()
export class SubscriptionsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly counters: UsageCountersRepository,
    private readonly plans: SubscriptionPlansRepository,
    private readonly repository: SubscriptionsRepository,
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
      if (affected !== 1) return false;
      // The counts check the end on their counter rows, under the lock they count with.
      await this.counters.endOpen(manager, terms.id, endsAt);
      // Only the cancel that set the end announces it.
      await this.outbox.emit(manager, 'subscription.cancelled', [view({ ...terms, endsAt, cancelledAt: now }, now)]);
      // A plan change scheduled for a period that will not come is no longer pending.
      await this.plans.removeScheduled(manager, terms.id, endsAt);
      return true;
    });
    if (!cancelled) {
      const current = await this.terms(id);
      throw alreadyCancelled(id, current.endsAt, current.cancelledAt);
    }
    return this.get(id, now);
  }

  /**
   * Moves the subscription to another plan, now or at the end of the running period (see
   * ChangePlanDto). Everything is decided on the subscription as read, and applied only if it is
   * still so (claim: not cancelled, same plan revision), so of two concurrent changes one wins and
   * the other is 409.
   *
   * A change "now" ends the open counters at the change moment exactly as a cancellation does (under
   * their row locks, in this transaction), so a count anywhere that still goes by the old terms is
   * refused as 'ended' and counted again in the new period (UsageService). The moment is the later
   * of the clock and just after the latest usage already counted (usage may be dated up to five
   * minutes ahead): so every event lies on the side of the change its occurredAt says.
   */
  async changePlan(id: string, planKey: string, at: ChangeAt, now = new Date()): Promise<SubscriptionResponse> {
    const terms = await this.terms(id);
    const plan = await this.db.getRepository(Plan).findOneBy({ key: planKey });
    if (!plan) throw notFound(`plan '${planKey}'`);
    if (terms.cancelledAt) {
      throw planChangeRefused(id, 'a cancelled or ended subscription cannot change plan', { endsAt: terms.endsAt?.toISOString() });
    }
    const current = view(terms, now);
    if (current.pendingPlanKey !== null) {
      throw planChangeRefused(id, `a change to plan '${current.pendingPlanKey}' is pending; withdraw it first (DELETE pending-change)`, {
        pendingPlanKey: current.pendingPlanKey,
        pendingPlanFrom: current.pendingPlanFrom,
      });
    }
    if (plan.key === current.planKey) throw planChangeRefused(id, `the subscription is already on plan '${plan.key}'`);
    if (plan.currency !== terms.currency || plan.interval !== terms.interval) {
      throw planChangeRefused(
        id,
        `plan '${plan.key}' bills in ${plan.currency} per ${plan.interval}, the subscription in ${terms.currency} per ${terms.interval}`,
      );
    }
    const changed = await inTransaction<boolean | undefined>(this.db, async (manager) => {
      if (!(await this.plans.claim(manager, terms.id, terms.planRevision))) return undefined;
      await this.counters.lockOpen(manager, terms.id);
      const running = segmentAt(terms.startAt, terms.interval, terms.phases, now < terms.startAt ? terms.startAt : now)!;
      const latest = await this.counters.latestOccurred(manager, terms.id, running.start);
      const moment = new Date(Math.max(now.getTime(), terms.startAt.getTime(), (latest?.getTime() ?? -Infinity) + 1));
      // Usage dated ahead across the period's end: the change would cut (or schedule after) the
      // next period instead of this one. Refused like usage already recorded after the change.
      if (moment >= running.end) throw new Rollback(false);
      const from = at === 'now' ? moment : periodAt(terms.startAt, terms.interval, moment)!.end;
      // A counter already made for a period from `from` on carries the old plan's terms (usage
      // dated ahead of the clock, refused or not); the change would leave it governed by them.
      if (await this.counters.anyFrom(manager, terms.id, from)) throw new Rollback(false);
      if (from.getTime() === terms.startAt.getTime()) {
        await this.plans.replaceFirstPhase(manager, terms.id, plan.id);
      } else {
        await this.plans.addPhase(manager, terms.id, from, plan.id, at === 'period_end');
        if (at === 'now') await this.counters.endOpen(manager, terms.id, from, true);
      }
      await this.outbox.emit(manager, 'subscription.plan_changed', [view(await this.terms(terms.id, manager), now)]);
      return true;
    });
    if (changed === false) {
      throw planChangeRefused(id, 'usage was already recorded in a period after the change moment; retry once it has started');
    }
    if (changed === undefined) {
      const again = await this.terms(id);
      throw planChangeRefused(
        id,
        again.cancelledAt ? 'a cancelled or ended subscription cannot change plan' : 'another plan change was made at the same time',
      );
    }
    return this.get(id, now);
  }

  /**
   * Withdraws a pending change (at period_end): 404 when there is none. Refused (409) once usage
   * was counted under it (dated ahead of the clock, just before the period starts).
   */
  async withdrawPendingChange(id: string, now = new Date()): Promise<SubscriptionResponse> {
    const terms = await this.terms(id);
    const { pendingPlanFrom } = view(terms, now);
    if (pendingPlanFrom === null) throw notFound(`pending plan change of subscription '${id}'`);
    const from = new Date(pendingPlanFrom);
    const withdrawn = await inTransaction(this.db, async (manager) => {
      if (!(await this.plans.claim(manager, terms.id, terms.planRevision))) return false;
      if (await this.counters.anyFrom(manager, terms.id, from)) throw new Rollback(false);
      return (await this.plans.removeScheduled(manager, terms.id, from)) > 0;
    });
    if (!withdrawn) throw planChangeRefused(id, 'the pending change was changed, withdrawn or took effect meanwhile');
    return this.get(id, now);
  }

  /** The subscription with its customer and its plan phases; 404 for an unknown (or malformed) id. */
  async terms(id: string, manager?: EntityManager): Promise<SubscriptionTerms> {
    const terms = isUuid(id) ? await this.repository.find(id, manager) : undefined;
    if (!terms) throw notFound(`subscription '${id}'`);
    return terms;
  }

  /** Newest first; `status` is judged at `now`, as each subscription's own status is. */
  list(query: ListSubscriptionsQuery, now = new Date()): Promise<Page<SubscriptionResponse>> {
    return readPage(
      query,
      SUBSCRIPTION_CURSOR,
      (after, limit) => this.repository.list({ ...query, now, after, limit }),
      (row) => ({ createdAt: row.createdAtKey, id: row.id }),
      (row) => view(row, now),
    );
  }
}

function view(terms: SubscriptionTerms, now: Date): SubscriptionResponse {
  // Before its start, the "current" period is the first one; after its end, the last one.
  let at = now < terms.startAt ? terms.startAt : now;
  // A change "now" may start a moment ahead of the clock (after usage dated ahead of it): it is
  // the current plan from the moment it was made.
  const lastCut = terms.phases.filter((p) => !p.scheduled).at(-1)!;
  if (lastCut.from > at && !(terms.endsAt && lastCut.from >= terms.endsAt)) at = lastCut.from;
  if (terms.endsAt && at >= terms.endsAt) at = new Date(Math.max(terms.endsAt.getTime() - 1, terms.startAt.getTime()));
  const segment = segmentAt(terms.startAt, terms.interval, terms.phases, at)!;
  const phase = terms.phases.filter((p) => p.from <= at).at(-1) ?? terms.phases[0];
  const pending = terms.phases.find((p) => p.scheduled && p.from > at && !(terms.endsAt && p.from >= terms.endsAt));
  return {
    id: terms.id,
    customerExternalId: terms.customerExternalId,
    planKey: phase.planKey,
    status: statusAt(terms, now),
    startAt: terms.startAt.toISOString(),
    endsAt: terms.endsAt?.toISOString() ?? null,
    currentPeriodStart: segment.start.toISOString(),
    currentPeriodEnd: segment.end.toISOString(),
    pendingPlanKey: pending?.planKey ?? null,
    pendingPlanFrom: pending?.from.toISOString() ?? null,
  };
}
