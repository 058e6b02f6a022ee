import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { KeysetCursor, keysetTimestamp } from '../../common/paging/keyset-cursor';
import { Interval } from './billing-period';
import { PlanPhase } from './plan-phases';
import { SubscriptionStatus } from './subscription-status';

/** A plan phase with the plan's key; `scheduled`: a change at a period's end, pending until it starts. */
export interface SubscriptionPhase extends PlanPhase {
  planKey: string;
  scheduled: boolean;
}

/** What metering and billing need to know of a subscription, read in one query. */
export interface SubscriptionTerms {
  id: string;
  customerExternalId: string;
  interval: Interval;
  currency: string;
  startAt: Date;
  endsAt: Date | null;
  cancelledAt: Date | null;
  /** Which plan governs from when on, oldest first; the first starts at startAt. */
  phases: SubscriptionPhase[];
  /** Bumped by every plan change: a change is applied only to the revision it was decided on. */
  planRevision: number;
}

/** Terms with the text of created_at to the microsecond, for the list's cursor. */
export interface ListedSubscription extends SubscriptionTerms {
  createdAtKey: string;
}

/** Newest first: (created_at, id), both descending; id breaks ties between equal created_at. */
export const SUBSCRIPTION_CURSOR = new KeysetCursor('subscriptions', { createdAt: 'timestamp', id: 'uuid' });

export interface SubscriptionFilter {
  customerExternalId?: string;
  planKey?: string;
  status?: SubscriptionStatus;
  /** The instant `status` is judged at. */
  now: Date;
  after?: Record<'createdAt' | 'id', string>;
  limit: number;
}

// The currency and interval are the first plan's: a plan change keeps both.
const TERMS_COLUMNS = `s.id, c.external_id, p.interval, p.currency, s.start_at, s.ends_at, s.cancelled_at, s.plan_revision,
       (SELECT json_agg(json_build_object('planId', sp.plan_id, 'planKey', pp.key,
                                          'from', extract(epoch FROM sp.effective_from) * 1000,
                                          'scheduled', sp.scheduled) ORDER BY sp.effective_from)
          FROM subscription_plans sp JOIN plans pp ON pp.id = sp.plan_id
         WHERE sp.subscription_id = s.id) AS phases`;

/** status-at-now in SQL, as statusAt() (subscription-status.ts) judges one subscription. */
const STATUS_CONDITION: Record<SubscriptionStatus, (now: string) => string> = {
  ended: (now) => `s.ends_at <= ${now}`,
  cancelled: (now) => `s.cancelled_at IS NOT NULL AND (s.ends_at IS NULL OR s.ends_at > ${now})`,
  active: (now) => `s.cancelled_at IS NULL AND (s.ends_at IS NULL OR s.ends_at > ${now})`,
};

const toTerms = (row: any): SubscriptionTerms => ({
  id: row.id,
  customerExternalId: row.external_id,
  interval: row.interval,
  currency: row.currency,
  startAt: row.start_at,
  endsAt: row.ends_at,
  cancelledAt: row.cancelled_at,
  planRevision: row.plan_revision,
  phases: (row.phases as { planId: string; planKey: string; from: number; scheduled: boolean }[]).map((p) => ({
    ...p,
    from: new Date(Number(p.from)),
  })),
});

@Injectable()
export class SubscriptionsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async find(id: string, manager: EntityManager = this.db.manager): Promise<SubscriptionTerms | undefined> {
    const [row] = await manager.query(
      `SELECT ${TERMS_COLUMNS}
         FROM subscriptions s
         JOIN plans p ON p.id = s.plan_id
         JOIN customers c ON c.id = s.customer_id
        WHERE s.id = $1`,
      [id],
    );
    return row ? toTerms(row) : undefined;
  }

  /**
   * A page newest first. The keyset (created_at, id) walks subscriptions_created_idx, or with a
   * customer or plan filter subscriptions_customer_created_idx / subscriptions_plan_created_idx:
   * a page costs the same however deep, and a subscription created during the walk sorts before
   * the cursor, so it never shifts the pages still to come.
   */
  async list(filter: SubscriptionFilter): Promise<ListedSubscription[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (filter.customerExternalId !== undefined) where.push(`c.external_id = ${param(filter.customerExternalId)}`);
    // The plan in force at `now` (a plan change moves it away from the one it started on).
    if (filter.planKey !== undefined) {
      where.push(`subscription_plan_at(s.id, ${param(filter.now)}::timestamptz) = (SELECT id FROM plans WHERE key = ${param(filter.planKey)})`);
    }
    if (filter.status !== undefined) where.push(STATUS_CONDITION[filter.status](`${param(filter.now)}::timestamptz`));
    if (filter.after) {
      where.push(`(s.created_at, s.id) < (${param(filter.after.createdAt)}::timestamptz, ${param(filter.after.id)}::uuid)`);
    }
    const rows: any[] = await this.db.query(
      `SELECT ${TERMS_COLUMNS}, ${keysetTimestamp('s.created_at')} AS created_at_key
         FROM subscriptions s
         JOIN plans p ON p.id = s.plan_id
         JOIN customers c ON c.id = s.customer_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY s.created_at DESC, s.id DESC
        LIMIT ${param(filter.limit)}`,
      params,
    );
    return rows.map((row) => ({ ...toTerms(row), createdAtKey: row.created_at_key }));
  }
}
