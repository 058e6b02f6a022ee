import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface PortalCustomer {
  name: string;
  externalId: string;
}

export interface ActiveSubscription {
  id: string;
  /** The name of the plan that governs it now (a plan change "now" switches it mid-period). */
  planName: string;
}

export interface PastInvoice {
  periodStart: Date;
  periodEnd: Date;
  currency: string;
  status: string;
  /** Exact decimal, already rounded to the currency's minor unit. */
  total: string;
}

/** The page shows this many past invoices, newest first: about two years of monthly periods. */
export const PAST_INVOICES_SHOWN = 24;

/** What the portal page reads beyond the figures other modules compute. */
@Injectable()
export class PortalViewRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async customer(id: string): Promise<PortalCustomer | undefined> {
    const [row] = await this.db.query(`SELECT name, external_id FROM customers WHERE id = $1`, [id]);
    return row && { name: row.name, externalId: row.external_id };
  }

  /** Started and not ended at `now`, oldest first. */
  async activeSubscriptions(customerId: string, now: Date): Promise<ActiveSubscription[]> {
    const rows: { id: string; plan_name: string }[] = await this.db.query(
      `SELECT s.id, p.name AS plan_name
         FROM subscriptions s
         JOIN plans p ON p.id = subscription_plan_at(s.id, $2)
        WHERE s.customer_id = $1 AND s.start_at <= $2 AND (s.ends_at IS NULL OR s.ends_at > $2)
        ORDER BY s.start_at, s.id`,
      [customerId, now],
    );
    return rows.map((r) => ({ id: r.id, planName: r.plan_name }));
  }

  async featureNames(keys: string[]): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map();
    const rows: { key: string; name: string }[] = await this.db.query(`SELECT key, name FROM features WHERE key = ANY($1)`, [keys]);
    return new Map(rows.map((r) => [r.key, r.name]));
  }

  async pastInvoices(customerId: string): Promise<PastInvoice[]> {
    const rows: any[] = await this.db.query(
      `SELECT period_start, period_end, currency, status, total::text AS total
         FROM invoices WHERE customer_id = $1
        ORDER BY period_start DESC, id DESC
        LIMIT $2`,
      [customerId, PAST_INVOICES_SHOWN],
    );
    return rows.map((r) => ({ periodStart: r.period_start, periodEnd: r.period_end, currency: r.currency, status: r.status, total: r.total }));
  }
}
