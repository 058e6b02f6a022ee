import { Injectable } from '@nestjs/common';
import { UpcomingInvoiceResponse } from '../../billing/billing.responses';
import { LedgerQuantity } from '../../billing/rollup/invoice-draft';
import { BillingRollupService } from '../../billing/rollup/billing-rollup.service';
import { EntitlementsResponse } from '../../usage/entitlements/dto/entitlement.responses';
import { EntitlementsService } from '../../usage/entitlements/entitlements.service';
import { DailyQuantity, DailyUsageRepository } from '../daily-usage/daily-usage.repository';
import { PortalSession } from '../sessions/portal-sessions.repository';
import { PastInvoice, PortalCustomer, PortalViewRepository } from './portal-view.repository';

export interface FeatureView {
  key: string;
  name: string;
  used: number;
  /** null: unlimited. */
  limit: number | null;
  /** Every UTC day of the period so far, oldest first, with the quantity used that day. */
  daily: { day: string; quantity: number }[];
}

export interface SubscriptionView {
  id: string;
  planName: string;
  periodStart: Date;
  periodEnd: Date;
  features: FeatureView[];
  upcoming: UpcomingInvoiceResponse;
}

export interface PortalView {
  customer: PortalCustomer;
  returnUrl: string | null;
  asOf: Date;
  subscriptions: SubscriptionView[];
  invoices: PastInvoice[];
}

const DAY_MS = 86_400_000;
const periodKey = (subscriptionId: string, periodStart: Date) => `${subscriptionId}|${periodStart.toISOString()}`;

/** Every UTC day (YYYY-MM-DD) from the one holding `from` to the one holding `to`. */
function daysBetween(from: Date, to: Date): string[] {
  const days: string[] = [];
  for (let t = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); t <= to.getTime(); t += DAY_MS) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/**
 * Everything the customer's page shows, read for one session's customer only: every query below
 * is keyed by the session's customer id or by subscriptions found through it.
 */
@Injectable()
export class PortalViewService {
  constructor(
    private readonly views: PortalViewRepository,
    private readonly entitlements: EntitlementsService,
    private readonly rollup: BillingRollupService,
    private readonly daily: DailyUsageRepository,
  ) {}

  /** Used and limit per feature: the page shows what GET /v1/subscriptions/:id/entitlements answers. */
  private figures(subscriptionId: string): Promise<EntitlementsResponse> {
    return this.entitlements.all(subscriptionId);
  }

  async view(session: PortalSession, now = new Date()): Promise<PortalView | undefined> {
    const customer = await this.views.customer(session.customerId);
    if (!customer) return undefined;
    const [active, invoices] = await Promise.all([
      this.views.activeSubscriptions(session.customerId, now),
      this.views.pastInvoices(session.customerId),
    ]);
    const usages = await Promise.all(active.map((s) => this.figures(s.id)));
    const periods = usages.map((u) => ({ subscriptionId: u.subscriptionId, periodStart: new Date(u.periodStart) }));
    const [dailies, names] = await Promise.all([
      this.daily.ofPeriods(periods),
      this.views.featureNames([...new Set(usages.flatMap((u) => u.features.map((f) => f.feature)))]),
    ]);
    const dailyOf = new Map(periods.map((p, i) => [periodKey(p.subscriptionId, p.periodStart), dailies[i]]));

    // The upcoming invoice is priced from the same daily sums the chart shows: the ledger's sums
    // for the period, without reading its events a second time.
    const quantities = async (subscriptionId: string, periodStart: Date): Promise<Map<string, LedgerQuantity>> => {
      const key = periodKey(subscriptionId, periodStart);
      let days = dailyOf.get(key);
      // The period turned over between the two reads: sum the new one.
      if (!days) [days] = await this.daily.ofPeriods([{ subscriptionId, periodStart }]);
      const sums = new Map<string, LedgerQuantity>();
      for (const d of days) {
        const sum = sums.get(d.featureId);
        const quantity = (BigInt(sum?.quantity ?? '0') + BigInt(d.quantity)).toString();
        sums.set(d.featureId, { featureKey: d.featureKey, quantity });
      }
      return sums;
    };
    const upcoming = await Promise.all(active.map((s) => this.rollup.upcoming(s.id, now, quantities)));

    const subscriptions = active.map((s, i): SubscriptionView => {
      const usage = usages[i];
      const periodStart = new Date(usage.periodStart);
      const periodEnd = new Date(upcoming[i].periodEnd);
      const days = daysBetween(periodStart, new Date(Math.min(now.getTime(), periodEnd.getTime() - 1)));
      return {
        id: s.id,
        planName: s.planName,
        periodStart,
        periodEnd,
        upcoming: upcoming[i],
        features: usage.features.map((f) => ({
          key: f.feature,
          name: names.get(f.feature) ?? f.feature,
          used: f.used,
          limit: f.limit,
          daily: dailySeries(days, dailies[i], f.feature),
        })),
      };
    });
    return { customer, returnUrl: session.returnUrl, asOf: now, subscriptions, invoices };
  }
}

function dailySeries(days: string[], quantities: DailyQuantity[], featureKey: string): FeatureView['daily'] {
  const byDay = new Map(quantities.filter((q) => q.featureKey === featureKey).map((q) => [q.day, Number(q.quantity)]));
  return days.map((day) => ({ day, quantity: byDay.get(day) ?? 0 }));
}
