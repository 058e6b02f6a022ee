import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type Strategy = 'atomic' | 'pessimistic' | 'optimistic' | 'buffered';
export const STRATEGIES: readonly Strategy[] = ['atomic', 'pessimistic', 'optimistic', 'buffered'];

@Entity('features')
export class Feature {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 100, unique: true })
  key: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  /** How this feature's usage is counted: see src/usage/strategies/. */
  @Column({ type: 'varchar', length: 20 })
  strategy: Strategy;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
