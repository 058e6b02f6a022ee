import { Injectable } from '@nestjs/common';
import { notFound } from '../../common/errors/tally.error';
import { isUuid } from '../../common/postgres-errors';
import { ExactDecimal } from '../pricing/exact-decimal';
import { formatAmount } from '../pricing/currency';
import { readPage } from '../../common/paging/page';
import { ListInvoicesQuery } from './dto/list-invoices.query';
import { InvoiceStatus, StoredInvoiceLine } from './entities/invoice.entity';
import { INVOICE_CURSOR, InvoiceRow, InvoicesRepository } from './invoices.repository';
import { InvoiceLineView, InvoicePageResponse, InvoiceResponse } from '../billing.responses';

@Injectable()
export class InvoicesService {
  constructor(private readonly invoices: InvoicesRepository) {}

  list(query: ListInvoicesQuery): Promise<InvoicePageResponse> {
    return readPage(
      query,
      INVOICE_CURSOR,
      (after, limit) => this.invoices.list({ ...query, after, limit }),
      (row) => ({ periodStart: row.period_start.toISOString(), id: row.id }),
      view,
    );
  }

  async get(id: string): Promise<InvoiceResponse> {
    const row = isUuid(id) ? await this.invoices.find(id) : undefined;
    if (!row) throw notFound(`invoice '${id}'`);
    return view(row);
  }

  /**
   * Voids an invoice; voiding a void invoice answers it as it is (void is final and takes no
   * arguments, so a retry can only mean the same thing). The period stays closed and the ledger
   * keeps every event: a void invoice is not re-issued by the rollup.
   */
  async void(id: string): Promise<InvoiceResponse> {
    if (!isUuid(id) || !(await this.invoices.markVoid(id))) throw notFound(`invoice '${id}'`);
    return this.get(id);
  }
}

function view(row: InvoiceRow): InvoiceResponse {
  // Stored amounts are already rounded; formatting only fixes the digits ("49" → "49.00").
  const money = (amount: string) => formatAmount(new ExactDecimal(amount), row.currency);
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    customerExternalId: row.customer_external_id,
    periodStart: row.period_start.toISOString(),
    periodEnd: row.period_end.toISOString(),
    currency: row.currency,
    status: row.status,
    lines: linesView(row.lines, row.currency),
    total: money(row.total),
  };
}

/** Stored lines as the API shows them: amounts in the currency's digits, quantities as numbers. */
export function linesView(lines: StoredInvoiceLine[], currency: string): InvoiceLineView[] {
  // Stored amounts are already rounded; formatting only fixes the digits ("49" → "49.00").
  const money = (amount: string) => formatAmount(new ExactDecimal(amount), currency);
  return lines.map((line) =>
    line.type === 'base_fee'
      ? { type: 'base_fee', amount: money(line.amount) }
      : { type: 'usage', feature: line.feature, quantity: Number(line.quantity), amount: money(line.amount) },
  );
}
