import Decimal from 'decimal.js';
import { StoredInvoiceLine } from '../invoices/entities/invoice.entity';
import { formatAmount, roundToCurrency } from '../pricing/currency';
import { ExactDecimal } from '../pricing/exact-decimal';
import { priceCharge } from '../pricing/price-charge';
import { Pricing } from '../pricing/pricing.types';
import { prorate } from '../pricing/prorate';
import { DuePeriod } from './due-periods';

export interface ChargeTerms {
  featureId: string;
  featureKey: string;
  /** Validated when the plan was saved; null: the charge only limits and costs nothing. */
  pricing: Pricing | null;
}

/** What the ledger holds for one feature in one period. */
export interface LedgerQuantity {
  featureKey: string;
  /** sum(quantity), whole units as a decimal string (bigint). */
  quantity: string;
}

export interface InvoiceDraft {
  lines: StoredInvoiceLine[];
  total: string;
  /** Features the ledger has usage of that the plan version does not charge (billed at 0). */
  unchargedFeatures: string[];
}

const MS_PER_SECOND = 1000;

/**
 * The lines of one period's invoice: the base fee (when the plan has one), then one usage line per
 * charge in the plan's order, quantity from the ledger. Each line is priced exactly and rounded
 * half-up once, to the currency's minor unit; the total is the sum of the rounded lines, so the
 * lines always add up to the total a customer sees.
 *
 * A part of a period (the subscription ended inside it, or a plan change "now" cut it) pays the
 * base fee of its plan for its own whole seconds only: fee × its seconds / the whole period's
 * seconds. Usage is never prorated: it was used.
 */
export function draftInvoice(args: {
  currency: string;
  baseFee: string;
  charges: readonly ChargeTerms[];
  /** By feature id. */
  quantities: ReadonlyMap<string, LedgerQuantity>;
  period: Pick<DuePeriod, 'start' | 'end' | 'fullStart' | 'fullEnd'>;
}): InvoiceDraft {
  const { currency, period } = args;
  let total: Decimal = new ExactDecimal(0);
  const money = (exact: Decimal) => {
    const rounded = roundToCurrency(exact, currency);
    total = total.plus(rounded);
    return formatAmount(rounded, currency);
  };
  const lines: StoredInvoiceLine[] = [];

  const baseFee = new ExactDecimal(args.baseFee);
  if (!baseFee.isZero()) {
    const fullSeconds = Math.round((period.fullEnd.getTime() - period.fullStart.getTime()) / MS_PER_SECOND);
    const usedSeconds = Math.floor((period.end.getTime() - period.start.getTime()) / MS_PER_SECOND);
    const part = period.start > period.fullStart || period.end < period.fullEnd;
    const amount = part ? prorate(baseFee, Math.min(usedSeconds, fullSeconds), fullSeconds) : baseFee;
    lines.push({ type: 'base_fee', amount: money(amount) });
  }

  const charged = new Set<string>();
  for (const charge of args.charges) {
    charged.add(charge.featureId);
    const quantity = args.quantities.get(charge.featureId)?.quantity ?? '0';
    lines.push({
      type: 'usage',
      featureId: charge.featureId,
      feature: charge.featureKey,
      quantity,
      amount: money(priceCharge(charge.pricing, quantity)),
    });
  }
  // Cannot happen while counters are only made for charged features; if it ever does, the
  // quantity still shows on the invoice (the ledger is the truth) and nothing is charged for it.
  const unchargedFeatures = [...args.quantities.keys()].filter((id) => !charged.has(id)).sort();
  for (const featureId of unchargedFeatures) {
    const { featureKey, quantity } = args.quantities.get(featureId)!;
    lines.push({ type: 'usage', featureId, feature: featureKey, quantity, amount: money(new ExactDecimal(0)) });
  }
  return { lines, total: formatAmount(total, currency), unchargedFeatures };
}
