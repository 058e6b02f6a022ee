import { DataSource, EntityManager } from 'typeorm';
import { PG_DEADLOCK, PG_SERIALIZATION_FAILURE } from './postgres-errors';

/** Thrown inside a unit of work to roll it back and still hand `value` to the caller. */
export class Rollback<T> {
  constructor(readonly value: T) {}
}

const RETRYABLE = new Set([PG_SERIALIZATION_FAILURE, PG_DEADLOCK]);

/**
 * The owner of a unit of work opens the transaction here and passes `manager` down; nothing
 * below opens another. Serialization failures and deadlocks are retried a bounded number of times.
 */
export async function inTransaction<T>(
  db: DataSource,
  work: (manager: EntityManager) => Promise<T>,
  attempts = 3,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      if (error instanceof Rollback) return error.value as T;
      const code = (error as { code?: string; driverError?: { code?: string } })?.driverError?.code ?? (error as any)?.code;
      if (!RETRYABLE.has(code) || attempt >= attempts) throw error;
    }
  }
}
