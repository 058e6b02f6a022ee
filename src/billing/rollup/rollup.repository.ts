import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Interval } from '../../catalog/subscriptions/billing-period';
import { PlanPhase } from '../../catalog/subscriptions/plan-phases';
import { Pricing } from '../pricing/pricing.types';
import { DuePeriod } from './due-periods';
import { ChargeTerms, InvoiceDraft, LedgerQuantity } from './invoice-draft';

export interface RollupSubscription {
  id: string;
  /** The plan it started on; each period's own plan is DuePeriod.planId. */
  planId: string;
  customerId: string;
  currency: string;
  interval: Interval;
  startAt: Date;
  endsAt: Date | null;
  lastInvoicedStart: Date | null;
  /** Which plan governs from when on, oldest first (subscription_plans). */
  phases: PlanPhase[];
}

export interface PlanVersionTerms {
  version: number;
  baseFee: string;
  charges: (ChargeTerms & { limit: string | null })[];
}

/** One period of one subscription to close and invoice. */
export interface RollupUnit {
  subscription: RollupSubscription;
  period: DuePeriod;
  terms: PlanVersionTerms;
}

export interface NewInvoice {
  id: string;
  unit: RollupUnit;
  draft: InvoiceDraft;
}

/** A subscription with the start of its latest invoice (found through the unique (subscription_id, period_start) index) and its phases. */
const SUBSCRIPTION_COLUMNS = `s.id, s.plan_id, s.customer_id, p.currency, p.interval, s.start_at, s.ends_at,
       (SELECT i.period_start FROM invoices i
         WHERE i.subscription_id = s.id
         ORDER BY i.period_start DESC LIMIT 1) AS last_invoiced_start,
       (SELECT array_agg(sp.plan_id::text || ' ' || (extract(epoch FROM sp.effective_from) * 1000)::bigint
                         ORDER BY sp.effective_from)
          FROM subscription_plans sp WHERE sp.subscription_id = s.id) AS phases`;

function subscriptionOf(r: any): RollupSubscription {
  return {
    id: r.id,
    planId: r.plan_id,
    customerId: r.customer_id,
    currency: r.currency,
    interval: r.interval,
    startAt: r.start_at,
    endsAt: r.ends_at,
    lastInvoicedStart: r.last_invoiced_start,
    // Milliseconds since the epoch: timestamps inside an array would come back as text.
    phases: (r.phases as string[]).map((phase) => {
      const [planId, ms] = phase.split(' ');
      return { planId, from: new Date(Number(ms)) };
    }),
  };
}

/** The nil UUID sorts before every other: where keyset pagination over subscription ids starts. */
export const FIRST_SUBSCRIPTION_ID = '00000000-0000-0000-0000-000000000000';

/**
 * The set-based SQL of the rollup. Every statement takes a whole chunk of (subscription, period)
 * units as parallel arrays through unnest(), so a chunk costs the same few round trips whether it
 * holds one period or a thousand.
 */
@Injectable()
export class RollupRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The next page of subscriptions by id (keyset: no OFFSET, so each page costs the same), with the
   * start of each one's latest invoice, found through the unique (subscription_id, period_start) index.
   */
  async subscriptionsPage(afterId: string, limit: number, asOf: Date): Promise<RollupSubscription[]> {
    const rows: any[] = await this.db.query(
      `SELECT ${SUBSCRIPTION_COLUMNS}
         FROM subscriptions s
         JOIN plans p ON p.id = s.plan_id
        WHERE s.id > $1 AND s.start_at < $2
        ORDER BY s.id
        LIMIT $3`,
      [afterId, asOf.toISOString(), limit],
    );
    return rows.map(subscriptionOf);
  }

  /** One subscription as the rollup sees it, with its customer's external id; undefined when unknown. */
  async subscription(id: string): Promise<(RollupSubscription & { customerExternalId: string }) | undefined> {
    const [row] = await this.db.query(
      `SELECT ${SUBSCRIPTION_COLUMNS}, c.external_id
         FROM subscriptions s
         JOIN plans p ON p.id = s.plan_id
         JOIN customers c ON c.id = s.customer_id
        WHERE s.id = $1`,
      [id],
    );
    return row && { ...subscriptionOf(row), customerExternalId: row.external_id };
  }

  /** Every version of the given plans with its charges in the plan's order, oldest version first. */
  async planVersions(planIds: string[]): Promise<Map<string, PlanVersionTerms[]>> {
    const rows: any[] = await this.db.query(
      `SELECT v.plan_id, v.version, v.base_fee::text AS base_fee,
              c.feature_id, f.key AS feature_key, c."limit", c.pricing
         FROM plan_versions v
         LEFT JOIN plan_charges c ON c.plan_id = v.plan_id AND c.version = v.version
         LEFT JOIN features f ON f.id = c.feature_id
        WHERE v.plan_id = ANY($1::uuid[])
        ORDER BY v.plan_id, v.version, c.position`,
      [planIds],
    );
    const plans = new Map<string, PlanVersionTerms[]>();
    for (const r of rows) {
      const versions = plans.get(r.plan_id) ?? [];
      plans.set(r.plan_id, versions);
      let terms = versions.at(-1);
      if (!terms || terms.version !== r.version) {
        terms = { version: r.version, baseFee: r.base_fee, charges: [] };
        versions.push(terms);
      }
      if (r.feature_id) {
        terms.charges.push({ featureId: r.feature_id, featureKey: r.feature_key, limit: r.limit, pricing: r.pricing as Pricing | null });
      }
    }
    return plans;
  }

  /**
   * Step 2 of a close (after UsageCountersRepository.closePeriods): each unit's quantities from the ledger, by feature. Run as a new statement after the
   * close, so that under READ COMMITTED its snapshot holds every usage transaction the close waited
   * for. Returned by unit index.
   */
  async ledgerSums(manager: EntityManager, units: readonly RollupUnit[]): Promise<Map<string, LedgerQuantity>[]> {
    const rows: { unit: string; feature_id: string; feature_key: string; quantity: string }[] = await manager.query(
      `SELECT s.unit, s.feature_id, f.key AS feature_key, s.quantity
         FROM (SELECT u.i AS unit, e.feature_id, sum(e.quantity)::text AS quantity
                 FROM unnest($1::uuid[], $2::timestamptz[]) WITH ORDINALITY AS u(subscription_id, period_start, i)
                 JOIN usage_events e ON e.subscription_id = u.subscription_id AND e.period_start = u.period_start
                GROUP BY u.i, e.feature_id) s
         JOIN features f ON f.id = s.feature_id`,
      [units.map((u) => u.subscription.id), units.map((u) => u.period.start.toISOString())],
    );
    const sums = units.map(() => new Map<string, LedgerQuantity>());
    for (const r of rows) sums[Number(r.unit) - 1].set(r.feature_id, { featureKey: r.feature_key, quantity: r.quantity });
    return sums;
  }

  /**
   * Step 3 of a close: the invoices with their lines. ON CONFLICT on (subscription_id, period_start) makes a
   * second writer of the same period a no-op, whoever it is; returns the ids actually created.
   */
  async insertInvoices(manager: EntityManager, invoices: readonly NewInvoice[]): Promise<Set<string>> {
    // An INSERT answers its RETURNING rows through TypeORM (UPDATE and DELETE answer [rows, count]).
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO invoices
         (id, subscription_id, customer_id, plan_id, plan_version, period_start, period_end, currency, lines, total)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::int[],
                            $6::timestamptz[], $7::timestamptz[], $8::char(3)[], $9::jsonb[], $10::numeric[])
       ON CONFLICT (subscription_id, period_start) DO NOTHING
       RETURNING id`,
      [
        invoices.map((i) => i.id),
        invoices.map((i) => i.unit.subscription.id),
        invoices.map((i) => i.unit.subscription.customerId),
        invoices.map((i) => i.unit.period.planId),
        invoices.map((i) => i.unit.terms.version),
        invoices.map((i) => i.unit.period.start.toISOString()),
        invoices.map((i) => i.unit.period.end.toISOString()),
        invoices.map((i) => i.unit.subscription.currency),
        invoices.map((i) => JSON.stringify(i.draft.lines)),
        invoices.map((i) => i.draft.total),
      ],
    );
    return new Set(rows.map((r) => r.id));
  }
}
