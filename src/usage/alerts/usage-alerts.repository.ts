import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CounterRef } from '../counters/counter-key';

/**
 * The statements that announce usage alerts (migrations/1764800000000-UsageAlerts.ts): each
 * writes its events to the outbox in the caller's transaction, once per counter and threshold.
 */
@Injectable()
export class UsageAlertsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The thresholds crossed by accepted events (one before/after pair each, in counting order). */
  async announceCrossings(manager: EntityManager, counter: CounterRef, before: bigint[], after: bigint[]): Promise<void> {
    await manager.query(`SELECT tally_announce_crossings($1, $2, $3, $4::bigint[], $5::bigint[])`, [
      counter.subscriptionId,
      counter.featureId,
      counter.periodStart,
      before.map(String),
      after.map(String),
    ]);
  }

  /** A buffered ledger batch's events of one counter: the ledger's running total moved, its crossings announced. */
  async bufferedProgress(manager: EntityManager, counter: CounterRef, quantities: bigint[]): Promise<void> {
    await manager.query(`SELECT tally_buffered_progress($1, $2, $3, $4::bigint[])`, [
      counter.subscriptionId,
      counter.featureId,
      counter.periodStart,
      quantities.map(String),
    ]);
  }

  /** usage.limit_refused, in a statement (a transaction) of its own: a refusal changes nothing else. */
  async announceRefusal(counter: CounterRef, used: string, quantity: string): Promise<void> {
    await this.db.query(`SELECT tally_announce_refusal($1, $2, $3, $4, $5)`, [
      counter.subscriptionId,
      counter.featureId,
      counter.periodStart,
      used,
      quantity,
    ]);
  }
}
