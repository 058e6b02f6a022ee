import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CounterRef, counterKey } from '../counters/counter-key';
import { PendingEvent } from './local-counter';

const MAX_BATCH_NO = '9223372036854775807';

export interface FlushedCounter {
  key: string;
  used: bigint;
  flushed: bigint;
}

export interface LeaseGrant {
  granted: bigint;
  /** used + sum of every lease's spent: all that has been accepted in the period so far. */
  accepted: bigint;
  /** What was left unleased when nothing could be granted. */
  free: bigint;
  closed: boolean;
}

const keyOf = (row: { subscription_id: string; feature_id: string; period_start: Date }) =>
  counterKey({ subscriptionId: row.subscription_id, featureId: row.feature_id, periodStart: new Date(row.period_start) });

/** Columns of a batch as parallel arrays, for unnest(): one statement for the whole batch. */
function columns(items: PendingEvent[]) {
  return {
    subs: items.map((i) => i.event.subscriptionId),
    features: items.map((i) => i.event.featureId),
    periods: items.map((i) => i.event.periodStart),
    occurred: items.map((i) => i.event.occurredAt),
  };
}

/** The SQL of the buffered strategy: ledger batches, quota leases, flushes and reclaims. */
@Injectable()
export class BufferedUsageRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The counter row as it is now: its flushed `used`, its limit, and whether it is closed. */
  async readCounter(subscriptionId: string, featureId: string, periodStart: Date) {
    const [row] = await this.db.query(
      `SELECT used, "limit", closed_at FROM usage_counters
        WHERE subscription_id = $1 AND feature_id = $2 AND period_start = $3`,
      [subscriptionId, featureId, periodStart],
    );
    return row as { used: string; limit: string | null; closed_at: Date | null } | undefined;
  }

  /** false when the instance was reclaimed as dead: it may no longer accept anything. */
  async holdInstance(manager: EntityManager, instanceId: string): Promise<boolean> {
    const rows = await manager.query(`SELECT 1 FROM usage_instances WHERE id = $1 FOR SHARE`, [instanceId]);
    return rows.length === 1;
  }

  /**
   * Which events of the batch may still be counted: their counter is open and their subscription
   * had not ended when they occurred (the end is on the counter row). The share locks make a
   * concurrent period close or cancellation, which write those rows, wait for this batch to
   * commit, so an event is either in the ledger before the close reads it, or refused.
   */
  async openEvents(
    manager: EntityManager,
    instanceId: string,
    items: PendingEvent[],
  ): Promise<{ open: Set<number>; ended: Set<number> } | null> {
    // Each counter once (a batch is mostly a few hot counters), with its subscription's end.
    const counters = [...new Map(items.map((i) => [i.counter.key, i.counter])).values()];
    const rows: { subscription_id: string; feature_id: string; period_start: Date; ends_at: Date | null }[] =
      await manager.query(
        `WITH instance AS (SELECT 1 FROM usage_instances WHERE id = $4 FOR SHARE)
         SELECT c.subscription_id, c.feature_id, c.period_start, c.ends_at
           FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS v(subscription_id, feature_id, period_start)
           JOIN usage_counters c
             ON c.subscription_id = v.subscription_id AND c.feature_id = v.feature_id
            AND c.period_start = v.period_start
          WHERE c.closed_at IS NULL AND EXISTS (SELECT 1 FROM instance)
          -- Every transaction that locks several counters takes them in key order: no deadlocks.
          ORDER BY c.subscription_id, c.feature_id, c.period_start
            FOR SHARE OF c`,
        [
          counters.map((c) => c.subscriptionId),
          counters.map((c) => c.featureId),
          counters.map((c) => c.periodStart),
          instanceId,
        ],
      );
    // No row at all: every counter closed, or this instance retired. Only the rare case asks which.
    if (rows.length === 0 && !(await this.holdInstance(manager, instanceId))) return null;
    const ends = new Map(rows.map((r) => [keyOf(r), r.ends_at]));
    const open = new Set<number>();
    const ended = new Set<number>();
    items.forEach((item, i) => {
      const endsAt = ends.get(item.counter.key);
      if (endsAt === undefined) return; // closed (invoiced)
      if (endsAt === null || item.event.occurredAt < endsAt) open.add(i);
      else ended.add(i);
    });
    return { open, ended };
  }

  /**
   * Writes the batch in one statement (group commit): one multi-row INSERT into the ledger, and
   * the lease spend of each limited counter, `spent + q <= granted` checked in the UPDATE so that
   * a lease another instance shrank meanwhile cannot be overspent. Returns the batch positions
   * whose idempotency key a committed event already holds, and the counters whose lease was
   * short. The caller rolls back if either list is not empty.
   */
  async writeBatch(
    manager: EntityManager,
    instanceId: string,
    items: PendingEvent[],
    usedAfter: bigint[],
    batchNo: bigint,
  ): Promise<{ duplicates: number[]; shortLeases: string[] }> {
    const c = columns(items);
    const spend = new Map<string, { counter: PendingEvent['counter']; quantity: bigint }>();
    for (const item of items) {
      if (item.counter.limit === null) continue;
      const entry = spend.get(item.counter.key) ?? { counter: item.counter, quantity: 0n };
      entry.quantity += item.quantity;
      spend.set(item.counter.key, entry);
    }
    // In key order, as every transaction that locks several rows takes them.
    const leases = [...spend.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, lease]) => lease);
    const rows: {
      kind: 'event' | 'lease';
      subscription_id: string;
      idempotency_key: string | null;
      feature_id: string | null;
      period_start: Date | null;
    }[] = await manager.query(
      `WITH written AS (
         INSERT INTO usage_events
           (subscription_id, feature_id, period_start, quantity, idempotency_key, occurred_at, used_after,
            instance_id, batch_no)
         SELECT v.subscription_id, v.feature_id, v.period_start, v.quantity, v.idempotency_key, v.occurred_at,
                v.used_after, $8, $13
           FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::bigint[], $5::varchar[], $6::timestamptz[],
                       $7::bigint[])
                AS v(subscription_id, feature_id, period_start, quantity, idempotency_key, occurred_at, used_after)
         ON CONFLICT (subscription_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING subscription_id, idempotency_key
       ), spent AS (
         UPDATE usage_leases l SET spent = l.spent + v.quantity
           FROM unnest($9::uuid[], $10::uuid[], $11::timestamptz[], $12::bigint[])
                AS v(subscription_id, feature_id, period_start, quantity)
          WHERE l.instance_id = $8 AND l.subscription_id = v.subscription_id
            AND l.feature_id = v.feature_id AND l.period_start = v.period_start
            AND l.spent + v.quantity <= l.granted
          RETURNING l.subscription_id, l.feature_id, l.period_start
       )
       SELECT 'event' AS kind, subscription_id, idempotency_key,
              NULL::uuid AS feature_id, NULL::timestamptz AS period_start
         FROM written
       UNION ALL
       SELECT 'lease', subscription_id, NULL, feature_id, period_start FROM spent`,
      [
        c.subs,
        c.features,
        c.periods,
        items.map((i) => i.quantity.toString()),
        items.map((i) => i.event.idempotencyKey),
        c.occurred,
        usedAfter.map(String),
        instanceId,
        leases.map((l) => l.counter.subscriptionId),
        leases.map((l) => l.counter.featureId),
        leases.map((l) => l.counter.periodStart),
        leases.map((l) => l.quantity.toString()),
        batchNo.toString(),
      ],
    );
    const keysWritten = new Set<string>();
    const leasesSpent = new Set<string>();
    for (const row of rows) {
      if (row.kind === 'lease') {
        leasesSpent.add(keyOf(row as { subscription_id: string; feature_id: string; period_start: Date }));
        continue;
      }
      if (row.idempotency_key !== null) keysWritten.add(`${row.subscription_id}/${row.idempotency_key}`);
    }
    // A batch never holds one key twice (the strategy holds a repeat back), so a keyed event
    // that was not written lost its key to an event committed before: a duplicate.
    const duplicates: number[] = [];
    items.forEach((item, ord) => {
      const key = item.event.idempotencyKey;
      if (key !== null && !keysWritten.has(`${item.event.subscriptionId}/${key}`)) duplicates.push(ord);
    });
    return { duplicates, shortLeases: [...spend.keys()].filter((key) => !leasesSpent.has(key)) };
  }

  /** The lease as the database has it (after another instance may have shrunk it). */
  async readLease(instanceId: string, subscriptionId: string, featureId: string, periodStart: Date) {
    const [row] = await this.db.query(
      `SELECT granted, spent FROM usage_leases
        WHERE instance_id = $1 AND subscription_id = $2 AND feature_id = $3 AND period_start = $4`,
      [instanceId, subscriptionId, featureId, periodStart],
    );
    return row ? { granted: BigInt(row.granted), spent: BigInt(row.spent) } : { granted: 0n, spent: 0n };
  }

  /**
   * Leases at least `need` more units of a counter's limit to this instance, holding the counter
   * row lock for the caller's transaction. The grant comes out of limit − used − reserved − held
   * (what reservations hold is no instance's to spend), so the sum of all leases never passes the limit. When that is too little, the unspent part of every other
   * instance's lease is taken back first (their next batch finds its lease shrunk and asks again),
   * so a refusal means the limit really is reached, not that quota sits idle elsewhere.
   * The slice is an eighth of what is free, capped: smaller slices as the limit nears.
   */
  async acquireLease(
    m: EntityManager,
    instanceId: string,
    counter: { subscriptionId: string; featureId: string; periodStart: Date },
    need: bigint,
    maxSlice: bigint,
  ): Promise<LeaseGrant> {
    const pk = [counter.subscriptionId, counter.featureId, counter.periodStart];
    const [row] = await m.query(
      `SELECT used, reserved, held, "limit", closed_at FROM usage_counters
        WHERE subscription_id = $1 AND feature_id = $2 AND period_start = $3 FOR UPDATE`,
      pk,
    );
    if (!row || row.closed_at) return { granted: 0n, accepted: 0n, free: 0n, closed: true };
    let free = BigInt(row.limit) - BigInt(row.used) - BigInt(row.reserved) - BigInt(row.held);
    if (free < need) free += await this.revokeUnspent(m, counter, instanceId);
    if (free < need) {
      const [{ spent }] = await m.query(
        `SELECT coalesce(sum(spent), 0)::text AS spent FROM usage_leases
          WHERE subscription_id = $1 AND feature_id = $2 AND period_start = $3`,
        pk,
      );
      return { granted: 0n, accepted: BigInt(row.used) + BigInt(spent), free, closed: false };
    }
    let slice = (free + 7n) / 8n;
    if (slice > maxSlice) slice = maxSlice;
    const grant = slice > need ? slice : need;
    await m.query(
      `UPDATE usage_counters SET reserved = reserved + $4
        WHERE subscription_id = $1 AND feature_id = $2 AND period_start = $3`,
      [...pk, grant.toString()],
    );
    const [lease] = await m.query(
      `INSERT INTO usage_leases (instance_id, subscription_id, feature_id, period_start, granted)
       VALUES ($4, $1, $2, $3, $5)
       ON CONFLICT (instance_id, subscription_id, feature_id, period_start)
       DO UPDATE SET granted = usage_leases.granted + EXCLUDED.granted
       RETURNING granted`,
      [...pk, instanceId, grant.toString()],
    );
    return { granted: BigInt(lease.granted), accepted: 0n, free: free - grant, closed: false };
  }

  /**
   * Takes the unspent part of the leases on a counter back (`granted = spent`), of every instance
   * but `keep` (null: of all), and returns how much came free. The caller holds the counter's row
   * lock. An instance whose lease shrank finds out at its next batch, which rolls back the events
   * the lease no longer covers and asks for quota again (LedgerBatcher), so nothing it accepted
   * was ever outside the limit.
   */
  async revokeUnspent(m: EntityManager, counter: CounterRef, keep: string | null): Promise<bigint> {
    const pk = [counter.subscriptionId, counter.featureId, counter.periodStart];
    const [revoked] = await m.query(
      `WITH taken AS (
         SELECT instance_id, granted - spent AS unspent FROM usage_leases
          WHERE subscription_id = $1 AND feature_id = $2 AND period_start = $3
            AND instance_id IS DISTINCT FROM $4 AND granted > spent
            FOR UPDATE
       ), shrunk AS (
         UPDATE usage_leases l SET granted = l.spent FROM taken
          WHERE l.instance_id = taken.instance_id AND l.subscription_id = $1
            AND l.feature_id = $2 AND l.period_start = $3
       )
       SELECT coalesce(sum(unspent), 0)::text AS freed FROM taken`,
      [...pk, keep],
    );
    if (revoked.freed === '0') return 0n;
    await m.query(
      `UPDATE usage_counters SET reserved = reserved - $4
        WHERE subscription_id = $1 AND feature_id = $2 AND period_start = $3`,
      [...pk, revoked.freed],
    );
    return BigInt(revoked.freed);
  }

  /**
   * Moves an instance's accepted events of batches (flushed_through, upTo] from its leases into the counter
   * rows, in one statement: `used` grows and `reserved` shrinks by the same amount, and the
   * instance's watermark moves past them, so each event is flushed exactly once — also when the
   * instance died and another one flushes for it.
   */
  async flush(manager: EntityManager, instanceId: string, upTo: bigint | null): Promise<FlushedCounter[]> {
    const limit = (upTo ?? BigInt(MAX_BATCH_NO)).toString();
    // Locks in the order every other transaction takes them — the instance, then its counters in
    // key order — since the statement below updates counters and leases in whatever order its
    // plan visits them. (A batch holds its instance row, then counters; a lease request holds a
    // counter, then leases.)
    await manager.query(`SELECT 1 FROM usage_instances WHERE id = $1 FOR UPDATE`, [instanceId]);
    await manager.query(
      `SELECT 1 FROM usage_counters c
        WHERE (c.subscription_id, c.feature_id, c.period_start) IN (
                SELECT DISTINCT e.subscription_id, e.feature_id, e.period_start
                  FROM usage_events e JOIN usage_instances i ON i.id = e.instance_id
                 WHERE e.instance_id = $1 AND e.batch_no > i.flushed_through AND e.batch_no <= $2
                UNION
                SELECT subscription_id, feature_id, period_start FROM usage_leases WHERE instance_id = $1)
        ORDER BY c.subscription_id, c.feature_id, c.period_start
          FOR UPDATE OF c`,
      [instanceId, limit],
    );
    const rows: { subscription_id: string; feature_id: string; period_start: Date; used: string; q: string }[] =
      await manager.query(
        `WITH inst AS (
           SELECT flushed_through FROM usage_instances WHERE id = $1 FOR UPDATE
         ), ev AS (
           SELECT e.subscription_id, e.feature_id, e.period_start, sum(e.quantity) AS q, max(e.batch_no) AS last_batch
             FROM usage_events e, inst
            WHERE e.instance_id = $1 AND e.batch_no > inst.flushed_through AND e.batch_no <= $2
            GROUP BY 1, 2, 3
         ), counted AS (
           UPDATE usage_counters c
              SET used = c.used + ev.q,
                  reserved = c.reserved - CASE WHEN c."limit" IS NULL THEN 0 ELSE ev.q END
             FROM ev
            WHERE c.subscription_id = ev.subscription_id AND c.feature_id = ev.feature_id
              AND c.period_start = ev.period_start
            RETURNING c.subscription_id, c.feature_id, c.period_start, c.used, ev.q
         ), leased AS (
           UPDATE usage_leases l SET granted = l.granted - ev.q, spent = l.spent - ev.q
             FROM ev
            WHERE l.instance_id = $1 AND l.subscription_id = ev.subscription_id
              AND l.feature_id = ev.feature_id AND l.period_start = ev.period_start
         ), marked AS (
           UPDATE usage_instances SET flushed_through = (SELECT max(last_batch) FROM ev)
            WHERE id = $1 AND EXISTS (SELECT 1 FROM ev)
         )
         SELECT subscription_id, feature_id, period_start, used::text, q::text FROM counted`,
        [instanceId, limit],
      );
    return rows.map((r) => ({ key: keyOf(r), used: BigInt(r.used), flushed: BigInt(r.q) }));
  }

  /** The flushed `used` of the given counters, to show what other instances have flushed. */
  async readUsed(keys: { subscriptionId: string; featureId: string; periodStart: Date }[]) {
    if (keys.length === 0) return new Map<string, bigint>();
    const rows = await this.db.query(
      `SELECT c.subscription_id, c.feature_id, c.period_start, c.used::text
         FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS v(subscription_id, feature_id, period_start)
         JOIN usage_counters c ON c.subscription_id = v.subscription_id
          AND c.feature_id = v.feature_id AND c.period_start = v.period_start`,
      [keys.map((k) => k.subscriptionId), keys.map((k) => k.featureId), keys.map((k) => k.periodStart)],
    );
    return new Map<string, bigint>(rows.map((r: any) => [keyOf(r), BigInt(r.used)]));
  }

  /** Gives the unspent part of this instance's lease on a counter back to the counter. */
  releaseLease(instanceId: string, counter: { subscriptionId: string; featureId: string; periodStart: Date }) {
    return this.db.query(
      `WITH lease AS (
         SELECT granted - spent AS unspent FROM usage_leases
          WHERE instance_id = $1 AND subscription_id = $2 AND feature_id = $3 AND period_start = $4
            FOR UPDATE
       ), shrunk AS (
         UPDATE usage_leases SET granted = spent
          WHERE instance_id = $1 AND subscription_id = $2 AND feature_id = $3 AND period_start = $4
       )
       UPDATE usage_counters SET reserved = reserved - (SELECT unspent FROM lease)
        WHERE subscription_id = $2 AND feature_id = $3 AND period_start = $4 AND EXISTS (SELECT 1 FROM lease)`,
      [instanceId, counter.subscriptionId, counter.featureId, counter.periodStart],
    );
  }

  /**
   * Ends an instance, in the caller's transaction: flushes what it accepted, gives the unspent
   * rest of its leases back to the counters, and deletes it. Used on graceful shutdown, and by a live instance for a dead
   * one. Returns false when another instance got there first.
   */
  async retire(m: EntityManager, instanceId: string): Promise<boolean> {
    const found = await m.query(`SELECT 1 FROM usage_instances WHERE id = $1 FOR UPDATE`, [instanceId]);
    if (found.length === 0) return false;
    await this.flush(m, instanceId, null);
    await m.query(
      `UPDATE usage_counters c SET reserved = c.reserved - l.granted
         FROM usage_leases l
        WHERE l.instance_id = $1 AND c.subscription_id = l.subscription_id
          AND c.feature_id = l.feature_id AND c.period_start = l.period_start`,
      [instanceId],
    );
    await m.query(`DELETE FROM usage_instances WHERE id = $1`, [instanceId]);
    return true;
  }

  /** Which of `ids` are still registered instances (not yet retired). */
  async registeredAmong(manager: EntityManager, ids: readonly string[]): Promise<string[]> {
    const rows: { id: string }[] = await manager.query(`SELECT id FROM usage_instances WHERE id = ANY($1::uuid[])`, [ids]);
    return rows.map((r) => r.id);
  }
}
