import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type InvoiceStatus = 'finalized' | 'void';

/**
 * A line as stored in invoices.lines: the base fee, or one charge of the plan with the ledger's
 * quantity (a bigint, kept as a string) and the feature's key as it was when invoiced.
 * Amounts are rounded, with exactly the currency's minor-unit digits.
 */
export type StoredInvoiceLine =
  | { type: 'base_fee'; amount: string }
  | { type: 'usage'; featureId: string; feature: string; quantity: string; amount: string };
export const INVOICE_STATUSES: readonly InvoiceStatus[] = ['finalized', 'void'];

/** One billed period of one subscription; unique on (subscriptionId, periodStart). */
@Entity('invoices')
export class Invoice {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'subscription_id', type: 'uuid' })
  subscriptionId: string;

  @Column({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  /** The plan version in force when the period began: its limits, pricing and base fee were billed. */
  @Column({ name: 'plan_id', type: 'uuid' })
  planId: string;

  @Column({ name: 'plan_version', type: 'integer' })
  planVersion: number;

  @Column({ name: 'period_start', type: 'timestamptz' })
  periodStart: Date;

  /** The period's end, or the subscription's end when that came first (a short last period). */
  @Column({ name: 'period_end', type: 'timestamptz' })
  periodEnd: Date;

  @Column({ type: 'char', length: 3 })
  currency: string;

  @Column({ type: 'varchar', length: 10 })
  status: InvoiceStatus;

  @Column({ type: 'jsonb' })
  lines: StoredInvoiceLine[];

  /** numeric: the sum of the rounded lines, read as a string. */
  @Column({ type: 'numeric' })
  total: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'voided_at', type: 'timestamptz', nullable: true })
  voidedAt: Date | null;
}
