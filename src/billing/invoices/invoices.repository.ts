import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Invoice, InvoiceStatus, StoredInvoiceLine } from './entities/invoice.entity';
import { KeysetCursor } from '../../common/paging/keyset-cursor';

export interface InvoiceRow {
  id: string;
  subscription_id: string;
  customer_external_id: string;
  period_start: Date;
  period_end: Date;
  currency: string;
  status: InvoiceStatus;
  lines: StoredInvoiceLine[];
  total: string;
}

/** Where a page of invoices stopped: its last invoice's (periodStart, id), newest first. */
export const INVOICE_CURSOR = new KeysetCursor('invoices', { periodStart: 'timestamp', id: 'uuid' });
export type InvoicePosition = ReturnType<typeof INVOICE_CURSOR.decode>;

export interface InvoiceFilter {
  subscriptionId?: string;
  customerExternalId?: string;
  status?: InvoiceStatus;
  after?: InvoicePosition;
  limit: number;
}

const INVOICE_COLUMNS = `i.id, i.subscription_id, c.external_id AS customer_external_id, i.period_start, i.period_end,
       i.currency, i.status, i.lines, i.total::text AS total`;

@Injectable()
export class InvoicesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Newest period first; (period_start, id) is the keyset, so a page costs the same however deep. */
  async list(filter: InvoiceFilter): Promise<InvoiceRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (filter.subscriptionId) where.push(`i.subscription_id = ${param(filter.subscriptionId)}`);
    if (filter.customerExternalId) where.push(`c.external_id = ${param(filter.customerExternalId)}`);
    if (filter.status) where.push(`i.status = ${param(filter.status)}`);
    if (filter.after) {
      where.push(`(i.period_start, i.id) < (${param(filter.after.periodStart)}::timestamptz, ${param(filter.after.id)})`);
    }
    return this.db.query(
      `SELECT ${INVOICE_COLUMNS}
         FROM invoices i JOIN customers c ON c.id = i.customer_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY i.period_start DESC, i.id DESC
        LIMIT ${param(filter.limit)}`,
      params,
    );
  }

  async find(id: string, manager: EntityManager = this.db.manager): Promise<InvoiceRow | undefined> {
    const [row] = await this.findMany([id], manager);
    return row;
  }

  /** The invoices as GET answers them, read in the caller's transaction (for the events it writes). */
  findMany(ids: readonly string[], manager: EntityManager = this.db.manager): Promise<InvoiceRow[]> {
    return manager.query(
      `SELECT ${INVOICE_COLUMNS} FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE i.id = ANY($1::uuid[])`,
      [ids],
    );
  }

  /**
   * finalized → void. Two concurrent voids both find the invoice finalized; only the one whose
   * UPDATE matched sets voided_at (and writes invoice.voided), the other finds it void already.
   */
  async markVoid(manager: EntityManager, id: string): Promise<'voided' | 'already_void' | 'not_found'> {
    const result = await manager
      .getRepository(Invoice)
      .update({ id, status: 'finalized' }, { status: 'void', voidedAt: new Date() });
    if (result.affected) return 'voided';
    return (await manager.getRepository(Invoice).existsBy({ id })) ? 'already_void' : 'not_found';
  }
}
