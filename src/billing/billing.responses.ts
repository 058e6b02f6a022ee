import { ApiProperty, OmitType } from '@nestjs/swagger';
import { PageOf } from '../common/paging/page';
import { INVOICE_STATUSES, InvoiceStatus } from './invoices/entities/invoice.entity';

/** An invoice line as the service builds it (InvoiceLineResponse documents it). */
export type InvoiceLineView =
  | { type: 'base_fee'; amount: string }
  | { type: 'usage'; feature: string; quantity: number; amount: string };

export class InvoiceLineResponse {
  @ApiProperty({ enum: ['base_fee', 'usage'] })
  type: 'base_fee' | 'usage';
  /** Usage lines only: the feature key. */
  @ApiProperty({ required: false })
  feature?: string;
  /** Usage lines only: units used in the period. */
  @ApiProperty({ type: 'integer', required: false })
  quantity?: number;
  /** A decimal string in the invoice's currency. @example "12.50" */
  amount: string;
}

export class InvoiceResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ format: 'uuid' })
  subscriptionId: string;
  customerExternalId: string;
  @ApiProperty({ format: 'date-time' })
  periodStart: string;
  @ApiProperty({ format: 'date-time' })
  periodEnd: string;
  currency: string;
  @ApiProperty({ enum: INVOICE_STATUSES })
  status: InvoiceStatus;
  @ApiProperty({ type: () => [InvoiceLineResponse] })
  lines: InvoiceLineView[];
  /** A decimal string: the sum of the lines. @example "61.50" */
  total: string;
}

/**
 * GET /v1/subscriptions/:id/upcoming-invoice: an invoice's shape, without an id, for the running
 * period; periodEnd is where that period will end (the next period boundary, a plan change's cut,
 * or the subscription's end).
 */
export class UpcomingInvoiceResponse extends OmitType(InvoiceResponse, ['id', 'status'] as const) {
  @ApiProperty({ enum: ['upcoming'] })
  status: 'upcoming';
}

export class InvoicePageResponse extends PageOf(InvoiceResponse) {}

export class RollupResultResponse {
  @ApiProperty({ type: 'integer' })
  invoicesCreated: number;
  @ApiProperty({ format: 'date-time' })
  asOf: string;
  /** true: another run (the schedule or another instance) held the lock and does the work. */
  skipped: boolean;
  /** Subscriptions whose next period could not be invoiced this run; retried by the next run. */
  @ApiProperty({ type: 'integer' })
  failedSubscriptions: number;
}
