import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('plan_charges')
export class PlanCharge {
  @PrimaryColumn({ name: 'plan_id', type: 'uuid' })
  planId: string;

  @PrimaryColumn({ type: 'integer' })
  version: number;

  @PrimaryColumn({ name: 'feature_id', type: 'uuid' })
  featureId: string;

  /** Order of the charge in the plan as it was given. */
  @Column({ type: 'integer' })
  position: number;

  /** bigint: a string from pg; null means unlimited. */
  @Column({ type: 'bigint', nullable: true })
  limit: string | null;

  @Column({ type: 'jsonb', nullable: true })
  pricing: Record<string, any> | null;

  /** `[{ percent } | { units }]`; null: none. */
  @Column({ type: 'jsonb', nullable: true })
  alerts: Record<string, number>[] | null;
}
