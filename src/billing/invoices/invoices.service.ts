import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { inTransaction } from '../../common/transaction';
import { OutboxRepository } from '../../webhooks/outbox/outbox.repository';
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
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly invoices: InvoicesRepository,
    private readonly outbox: OutboxRepository,
  ) {}

  list(query: ListInvoicesQuery): Promise<InvoicePageResponse> {
    return readPage(
      query,
      INVOICE_CURSOR,
      (after, limit) => this.invoices.list({ ...query, after, limit }),
      (row) => ({ periodStart: row.period_start.toISOString(), id: row.id }),
      invoiceView,
    );
  }

  async get(id: string): Promise<InvoiceResponse> {
    const row = isUuid(id) ? await this.invoices.find(id) : undefined;
    if (!row) throw notFound(`invoice '${id}'`);
    return invoiceView(row);
  }

  /**
   * Voids an invoice; voiding a void invoice answers it as it is (void is final and takes no
   * arguments, so a retry can only mean the same thing). The period stays closed and the ledger
   * keeps every event: a void invoice is not re-issued by the rollup. invoice.voided is written
   * with the change, once: only by the void that changed the status.
   */
  async void(id: string): Promise<InvoiceResponse> {
    if (!isUuid(id)) throw notFound(`invoice '${id}'`);
    const voided = await inTransaction(this.db, async (manager) => {
      const outcome = await this.invoices.markVoid(manager, id);
      if (outcome === 'not_found') return undefined;
      const invoice = invoiceView((await this.invoices.find(id, manager))!);
      if (outcome === 'voided') await this.outbox.emit(manager, 'invoice.voided', [invoice]);
      return invoice;
    });
    if (!voided) throw notFound(`invoice '${id}'`);
    return voided;
  }
}

/** An invoice as the API answers it: GET, lists, and the data of invoice events. */
export function invoiceView(row: InvoiceRow): InvoiceResponse {
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
