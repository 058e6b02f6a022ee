import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/** The statements of a plan change on subscriptions and subscription_plans; each in the caller's transaction. */
@Injectable()
export class SubscriptionPlansRepository {
  /**
   * Takes the subscription for a plan change, if it is still as the caller read it: not cancelled,
   * and at plan revision `revision`. Two concurrent changes both read the same revision; only the
   * one whose UPDATE matched goes on, the other is refused. The row lock it takes also holds off
   * the creation of counter rows (tally_ensure_counter share-locks the row first) until the change
   * commits, so no counter is made from the phases as they were before it.
   */
  async claim(manager: EntityManager, subscriptionId: string, revision: number): Promise<boolean> {
    const [, affected] = await manager.query(
      `UPDATE subscriptions SET plan_revision = plan_revision + 1
        WHERE id = $1 AND plan_revision = $2 AND cancelled_at IS NULL`,
      [subscriptionId, revision],
    );
    return affected === 1;
  }

  /** From `from` on, `planId` governs; `scheduled`: a change at a period's end, which can be withdrawn until then. */
  async addPhase(manager: EntityManager, subscriptionId: string, from: Date, planId: string, scheduled: boolean): Promise<void> {
    await manager.query(
      `INSERT INTO subscription_plans (subscription_id, effective_from, plan_id, scheduled) VALUES ($1, $2, $3, $4)`,
      [subscriptionId, from, planId, scheduled],
    );
  }

  /**
   * A change "now" before the subscription has started: the plan it starts on is replaced (the
   * first phase, and subscriptions.plan_id, which names it).
   */
  async replaceFirstPhase(manager: EntityManager, subscriptionId: string, planId: string): Promise<void> {
    await manager.query(
      `UPDATE subscription_plans sp SET plan_id = $2
         FROM subscriptions s
        WHERE s.id = $1 AND sp.subscription_id = s.id AND sp.effective_from = s.start_at`,
      [subscriptionId, planId],
    );
    await manager.query(`UPDATE subscriptions SET plan_id = $2 WHERE id = $1`, [subscriptionId, planId]);
  }

  /** Withdraws the scheduled changes from `from` on; how many there were. */
  async removeScheduled(manager: EntityManager, subscriptionId: string, from: Date): Promise<number> {
    const [, affected] = await manager.query(
      `DELETE FROM subscription_plans WHERE subscription_id = $1 AND scheduled AND effective_from >= $2`,
      [subscriptionId, from],
    );
    return affected;
  }
}
