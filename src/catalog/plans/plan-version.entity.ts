import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A plan as it was from `effectiveFrom` on; periods that begin then are metered and billed by it. */
@Entity('plan_versions')
export class PlanVersion {
  @PrimaryColumn({ name: 'plan_id', type: 'uuid' })
  planId: string;

  @PrimaryColumn({ type: 'integer' })
  version: number;

  @Column({ name: 'base_fee', type: 'numeric', precision: 30, scale: 12 })
  baseFee: string;

  @Column({ name: 'effective_from', type: 'timestamptz' })
  effectiveFrom: Date;
}
