/** What a count must know of its counter row, read inside the transaction that counts. */
export interface CounterState {
  used: bigint;
  /** What open reservations hold: taken from the limit as `used` is, but not usage. */
  held: bigint;
  /** null: unlimited. */
  limit: bigint | null;
  /** Set when the period is invoiced: nothing counts after. */
  closedAt: Date | null;
  /** The subscription's end: events that occurred at or after it do not count. */
  endsAt: Date | null;
  /** Moved by every optimistic write. */
  version: number;
}

export interface CounterRow {
  used: string;
  held: string;
  limit: string | null;
  closed_at: Date | null;
  ends_at: Date | null;
  version: number;
}

export const counterState = (row: CounterRow): CounterState => ({
  used: BigInt(row.used),
  held: BigInt(row.held),
  limit: row.limit === null ? null : BigInt(row.limit),
  closedAt: row.closed_at,
  endsAt: row.ends_at,
  version: row.version,
});
