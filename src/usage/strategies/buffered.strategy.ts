import { Injectable } from '@nestjs/common';
import { BufferedFlusher } from '../buffered/buffered-flusher';
import { CounterCache } from '../buffered/counter-cache';
import { LeaseBroker } from '../buffered/lease-broker';
import { LocalCounter, availableOf } from '../buffered/local-counter';
import { LedgerBatcher } from '../buffered/ledger-batcher';
import { Refused } from '../buffered/refused';
import { CounterRef } from '../counters/counter-key';
import { UsageEventsRepository } from '../ledger/usage-events.repository';
import { UsageEvent } from '../usage-event';
import { unavailable } from '../usage.errors';
import { CountResult, UsageStrategy } from './usage-strategy';

/** Resubmissions after a lease was taken back, before answering 503. */
const MAX_LEASE_RETRIES = 20;
const LEASE_LOST = Symbol('lease lost');

/**
 * Counts in memory, durably. Each event is written to the ledger by a group-committed batch
 * (LedgerBatcher) before it is acknowledged; the counter row is written only by the flush
 * (BufferedFlusher, every USAGE_FLUSH_INTERVAL_MS and on shutdown), which moves the instance's
 * events into `used` exactly once. Limits are held across instances by quota leases
 * (LeaseBroker): an instance accepts only what its lease covers. What the instance knows of each
 * counter is in CounterCache. See docs/buffered-metering.md.
 */
@Injectable()
export class BufferedStrategy implements UsageStrategy {
  /** Keyed events on their way into a batch, so that a concurrent repeat waits for the first. */
  private readonly keysInFlight = new Map<string, Promise<CountResult>>();

  constructor(
    private readonly cache: CounterCache,
    private readonly leases: LeaseBroker,
    private readonly batcher: LedgerBatcher,
    private readonly flusher: BufferedFlusher,
    private readonly ledger: UsageEventsRepository,
  ) {}

  /**
   * Each event is handed over in order (the order they take quota and ledger places in): the next
   * one starts once the one before is in a ledger batch, or settled. No event waits for another's
   * commit, so the events of one request share ledger batches with each other and with every
   * other request's.
   */
  async count(events: UsageEvent[]): Promise<CountResult[]> {
    const atOnce = await this.handOverAtOnce(events);
    if (atOnce) return atOnce;
    const results: Promise<CountResult>[] = [];
    for (const event of events) {
      let handedOver!: () => void;
      const handed = new Promise<void>((resolve) => (handedOver = resolve));
      const result = this.countOne(event, handedOver).catch((error) =>
        error instanceof Refused ? error.refusal : Promise.reject(error),
      );
      results.push(result);
      await Promise.race([handed, result.then(undefined, () => undefined)]);
    }
    return Promise.all(results);
  }

  /**
   * The common case of batch ingestion, without a promise chain per event before the batcher:
   * events without idempotency keys whose counter is in memory and has room for all of them in
   * its lease (or no limit) take their quota together and their places in the ledger batch queue
   * in one synchronous step, in order. undefined: not that case, hand them over one by one.
   */
  private async handOverAtOnce(events: UsageEvent[]): Promise<CountResult[] | undefined> {
    if (events.length < 2 || events.some((e) => e.idempotencyKey !== null)) return undefined;
    if (!this.flusher.accepting) throw unavailable();
    let counter: LocalCounter;
    try {
      counter = await this.cache.get(events[0]);
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      return events.map(() => error.refusal);
    }
    const quantities = events.map((e) => BigInt(e.quantity));
    const total = quantities.reduce((sum, q) => sum + q, 0n);
    if (counter.limit !== null && availableOf(counter) < total) return undefined;
    counter.inFlight += total;
    return Promise.all(events.map((event, i) => this.write(event, counter, quantities[i])));
  }

  /** An event whose quota is reserved, written by the next ledger batch; retried one by one if its lease was taken back. */
  private async write(event: UsageEvent, counter: LocalCounter, quantity: bigint): Promise<CountResult> {
    const result = await this.submit(event, counter, quantity, () => undefined);
    if (result !== LEASE_LOST) return result;
    return this.countOne(event, () => undefined).catch((error) => (error instanceof Refused ? error.refusal : Promise.reject(error)));
  }

  /**
   * Hands an event whose quota is reserved to the ledger batcher and waits for its batch: the
   * result, or LEASE_LOST when another instance took the lease back meanwhile (reserve again).
   * The reservation ends either way: spent on commit (the batcher), given back here otherwise.
   */
  private async submit(
    event: UsageEvent,
    counter: LocalCounter,
    quantity: bigint,
    handedOver: () => void,
  ): Promise<CountResult | typeof LEASE_LOST> {
    let outcome;
    try {
      const submitted = this.batcher.submit({ event, counter, quantity });
      handedOver();
      outcome = await submitted;
    } catch (error) {
      counter.inFlight -= quantity;
      throw error;
    }
    if (outcome.kind === 'accepted') {
      return { kind: 'accepted', used: outcome.usedAfter.toString(), limit: counter.limit?.toString() ?? null };
    }
    counter.inFlight -= quantity;
    if (outcome.kind === 'duplicate') return { kind: 'duplicate' };
    if (outcome.kind === 'closed' || outcome.kind === 'ended') return Refused.closed(counter, outcome.kind).refusal;
    return LEASE_LOST;
  }

  /** Keeps the ledger batch open while a batch request hands its events over (see LedgerBatcher.cork). */
  async inBatch<T>(work: () => Promise<T>): Promise<T> {
    this.batcher.cork();
    try {
      return await work();
    } finally {
      this.batcher.uncork();
    }
  }

  /** This instance's accepted-but-unflushed quantity of a counter, to add to the row's `used`. */
  unflushed(counter: CounterRef): bigint {
    return this.cache.find(counter)?.unflushed ?? 0n;
  }

  private async countOne(event: UsageEvent, handedOver: () => void): Promise<CountResult> {
    if (!this.flusher.accepting) throw unavailable();
    const dedupe = event.idempotencyKey === null ? undefined : `${event.subscriptionId}/${event.idempotencyKey}`;
    if (dedupe) {
      const first = this.keysInFlight.get(dedupe);
      if (first) {
        const outcome = await first.catch(() => undefined);
        if (outcome?.kind === 'accepted' || outcome?.kind === 'duplicate') return { kind: 'duplicate' };
      }
    }
    const result = this.accept(event, handedOver);
    if (dedupe) {
      this.keysInFlight.set(dedupe, result);
      const forget = () => this.keysInFlight.get(dedupe) === result && this.keysInFlight.delete(dedupe);
      result.then(forget, forget);
    }
    return result;
  }

  private async accept(event: UsageEvent, handedOver: () => void): Promise<CountResult> {
    const counter = await this.cache.get(event);
    const quantity = BigInt(event.quantity);
    for (let attempt = 0; attempt < MAX_LEASE_RETRIES; attempt++) {
      if (counter.limit !== null) {
        try {
          await this.leases.reserve(counter, quantity);
        } catch (refusal) {
          // A retry of an event that took the last unit must still be answered as its
          // duplicate, not 429: the key is looked up before the refusal stands.
          if (event.idempotencyKey !== null && (await this.ledger.findByIdempotencyKey(event.subscriptionId, event.idempotencyKey))) {
            return { kind: 'duplicate' };
          }
          throw refusal;
        }
      } else {
        counter.inFlight += quantity;
      }
      const result = await this.submit(event, counter, quantity, handedOver);
      if (result !== LEASE_LOST) return result;
      // The batcher has re-read the lease; reserve again (and ask for more if needed).
    }
    throw unavailable();
  }
}
