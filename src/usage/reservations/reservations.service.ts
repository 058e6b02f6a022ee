import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { notFound } from '../../common/errors/tally.error';
import { isUuid } from '../../common/postgres-errors';
import { Rollback, inTransaction } from '../../common/transaction';
import { invalidField } from '../../common/validation';
import { ReservationOutcome, ReservationsMetrics } from '../../metrics/reservations.metrics';
import { UsageMetrics } from '../../metrics/usage.metrics';
import { BufferedUsageRepository } from '../buffered/buffered-usage.repository';
import { CounterFigures, UsageCountersRepository } from '../counters/usage-counters.repository';
import { UsageEventsRepository } from '../ledger/usage-events.repository';
import { UsageEvent } from '../usage-event';
import { UsageEventResolver } from '../usage-event.resolver';
import { periodClosed, periodInvoiced } from '../usage.errors';
import { MAX_RESOLVES } from '../usage.service';
import { CommitAnswerResponse, HeldReservationResponse, ReservationResponse } from './dto/reservation.responses';
import { CreateReservationDto, DEFAULT_TTL_SECONDS } from './dto/create-reservation.dto';
import { reservationClosed, reservationExceedsLimit } from './reservations.errors';
import { LockedCounter, Reservation, ReservationStatus, ReservationsRepository } from './reservations.repository';
import { UsageAlerts } from '../alerts/usage-alerts';

/** How many held reservations one sweep transaction expires at most. */
const EXPIRY_CHUNK = 500;

type HoldOutcome =
  | { kind: 'held'; id: string; figures: LockedCounter }
  | { kind: 'limit'; figures: LockedCounter }
  /** The idempotency key is taken: the reservation is the one holding it. */
  | { kind: 'taken' }
  | { kind: 'closed' }
  /** The counter's part of the period ended before now (a plan change "now", a cancellation). */
  | { kind: 'ended' };

type Closing =
  | { kind: 'done'; reservation: Reservation; outcome?: ReservationOutcome }
  | { kind: 'closed'; status: ReservationStatus; expiredNow: boolean }
  | { kind: 'period_closed'; reservation: Reservation };

const remainingOf = (f: { used: bigint; held: bigint; limit: bigint | null }) =>
  f.limit === null ? null : Number(f.limit - f.used - f.held);

/**
 * Reservations: quantity held against a limit while work runs, then committed as usage or
 * released; Tally releases what is left held past its expiresAt. Every change of a reservation's
 * status happens under its row lock, in one transaction with the change of its counter's `held`
 * (under the counter's row lock), so `held` is always the sum of the held reservations and
 * used + reserved + held never passes the limit (the counter's CHECK). See README, "Reservations".
 */
@Injectable()
export class ReservationsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly resolver: UsageEventResolver,
    private readonly reservations: ReservationsRepository,
    private readonly counters: UsageCountersRepository,
    private readonly leases: BufferedUsageRepository,
    private readonly ledger: UsageEventsRepository,
    private readonly metrics: ReservationsMetrics,
    private readonly usageMetrics: UsageMetrics,
    private readonly alerts: UsageAlerts,
  ) {
    metrics.watchHeld(() => reservations.heldQuantity());
  }

  /** The reservation made (created: true), or the one its idempotencyKey already names. */
  async create(dto: CreateReservationDto): Promise<{ reservation: HeldReservationResponse; created: boolean }> {
    const usage = { subscriptionId: dto.subscriptionId, feature: dto.feature, quantity: dto.quantity };
    let event = await this.resolver.resolve(usage);
    const key = dto.idempotencyKey ?? null;
    if (key !== null) {
      const known = await this.reservations.findByKey(event.subscriptionId, key);
      if (known) return { reservation: await this.withFigures(known), created: false };
    }
    const quantity = BigInt(dto.quantity);
    const ttlMs = (dto.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000;
    for (let resolves = 0; ; resolves++) {
      const createdAt = event.occurredAt;
      const expiresAt = new Date(createdAt.getTime() + ttlMs);
      const outcome = await inTransaction(this.db, (m) => this.hold(m, event, { quantity, idempotencyKey: key, createdAt, expiresAt }));
      switch (outcome.kind) {
        case 'held': {
          this.metrics.count('held');
          const reservation: Reservation = {
            id: outcome.id,
            subscriptionId: event.subscriptionId,
            featureId: event.featureId,
            featureKey: event.featureKey,
            strategy: event.strategy,
            limit: outcome.figures.limit,
            periodStart: event.periodStart,
            periodEnd: event.periodEnd,
            quantity,
            status: 'held',
            createdAt,
            expiresAt,
            committedQuantity: null,
            usedAfter: null,
          };
          return { reservation: this.held(reservation, { ...outcome.figures, held: outcome.figures.held + quantity }), created: true };
        }
        case 'taken':
        case 'limit': {
          // A repeat of a reservation made meanwhile is that reservation, not a refusal.
          const known = key === null ? undefined : await this.reservations.findByKey(event.subscriptionId, key);
          if (known) return { reservation: await this.withFigures(known), created: false };
          if (outcome.kind === 'taken') throw new Error(`idempotency key vanished: ${key}`);
          throw reservationExceedsLimit(event.featureKey, { ...outcome.figures, limit: outcome.figures.limit! }, quantity);
        }
        case 'closed':
          throw periodInvoiced(event);
        case 'ended': {
          const again = resolves < MAX_RESOLVES ? await this.resolver.resolveAgain(usage, event) : undefined;
          if (!again) throw periodClosed(`the subscription ended before ${createdAt.toISOString()}`, {});
          event = again;
        }
      }
    }
  }

  /**
   * One reservation's transaction: under the counter's row lock, the quantity fits if limit −
   * used − reserved − held leaves room for it. For a buffered counter `reserved` is quota leased
   * to instances; what they have not spent is taken back first (as a lease request does), so a
   * refusal means the limit is really reached. Then `held` grows and the row is written, or the
   * idempotency key turns out taken and all of it rolls back.
   */
  private async hold(
    m: EntityManager,
    event: UsageEvent,
    r: { quantity: bigint; idempotencyKey: string | null; createdAt: Date; expiresAt: Date },
  ): Promise<HoldOutcome> {
    const figures = await this.reservations.lockCounter(m, event);
    if (!figures || figures.closedAt) return { kind: 'closed' };
    if (figures.endsAt && figures.endsAt <= event.occurredAt) return { kind: 'ended' };
    if (figures.free !== null) {
      let free = figures.free;
      if (free < r.quantity && figures.reserved > 0n) free += await this.leases.revokeUnspent(m, event, null);
      if (free < r.quantity) return { kind: 'limit', figures };
    }
    const id = await this.reservations.hold(m, event, r);
    if (id === undefined) throw new Rollback<HoldOutcome>({ kind: 'taken' });
    return { kind: 'held', id, figures };
  }

  /** Commits what was really used: usage counted in the reservation's period, the rest released. */
  async commit(id: string, quantity: number): Promise<{ answer: CommitAnswerResponse; duplicate: boolean }> {
    const used = BigInt(quantity);
    const closing = await this.close(id, 'committed', async (m, r) => {
      if (used > r.quantity) {
        throw invalidField('quantity', `quantity must not be more than the ${r.quantity} held by reservation '${r.id}'`);
      }
      const counter = await this.reservations.lockCounter(m, r);
      if (!counter || counter.closedAt) return { kind: 'period_closed', reservation: r };
      const usedAfter = counter.used + used;
      await this.reservations.settle(m, r, 'committed', { quantity: used, usedAfter });
      // As an event that occurred when the quantity was first held: it counts in that period.
      if (used > 0n) {
        await this.ledger.insert(m, r, [{ quantity: used.toString(), idempotencyKey: null, occurredAt: r.createdAt, usedAfter: usedAfter.toString() }]);
        // The committed quantity is usage: the thresholds it crosses are announced with it.
        await this.alerts.committed(m, r, r.strategy, used, usedAfter);
      }
      return { kind: 'done', reservation: { ...r, status: 'committed', committedQuantity: used, usedAfter }, outcome: 'committed' };
    });
    if (closing.kind === 'period_closed') throw periodInvoiced(closing.reservation);
    const r = closing.reservation;
    const duplicate = closing.outcome === undefined;
    if (!duplicate) this.usageMetrics.count(r.strategy, 'accepted');
    const usedAfter = r.usedAfter!;
    return {
      duplicate,
      answer: {
        accepted: true,
        duplicate,
        feature: r.featureKey,
        used: Number(usedAfter),
        limit: r.limit === null ? null : Number(r.limit),
        remaining: r.limit === null ? null : Number(r.limit - usedAfter),
        periodStart: r.periodStart.toISOString(),
        periodEnd: r.periodEnd.toISOString(),
        reservationId: r.id,
      },
    };
  }

  /** Gives the held quantity back. Releasing a released reservation again answers the same. */
  async release(id: string): Promise<ReservationResponse> {
    const closing = await this.close(id, 'released', async (m, r) => {
      await this.reservations.settle(m, r, 'released');
      return { kind: 'done', reservation: { ...r, status: 'released' }, outcome: 'released' };
    });
    return this.view((closing as Extract<Closing, { kind: 'done' }>).reservation);
  }

  async get(id: string): Promise<ReservationResponse> {
    const r = isUuid(id) ? await this.reservations.find(id) : undefined;
    if (!r) throw notFound(`reservation '${id}'`);
    return this.view(r);
  }

  /**
   * Releases every held reservation past its expiresAt, in chunks, each in a transaction of its
   * own. Idempotent, and safe on every instance at once (SKIP LOCKED: each claims other rows).
   */
  async expireDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const { expired } = await inTransaction(this.db, (m) => this.reservations.expireDue(m, EXPIRY_CHUNK));
      this.metrics.count('expired', expired);
      total += expired;
      if (expired < EXPIRY_CHUNK) return total;
    }
  }

  /**
   * The transaction that ends a reservation: locks it, and hands it to `end` only while it is
   * held and not past its expiresAt. One past it is expired right here (as the sweep would do a
   * moment later) and answered as expired. One already in the `to` status is a repeat, answered
   * as done without an outcome; any other status is reservation_closed.
   */
  private async close(
    id: string,
    to: 'committed' | 'released',
    end: (m: EntityManager, r: Reservation) => Promise<Closing>,
  ): Promise<Extract<Closing, { kind: 'done' | 'period_closed' }>> {
    if (!isUuid(id)) throw notFound(`reservation '${id}'`);
    const closing = await inTransaction<Closing>(this.db, async (m) => {
      const r = await this.reservations.lock(m, id);
      if (!r) throw notFound(`reservation '${id}'`);
      if (r.status === to) return { kind: 'done', reservation: r };
      if (r.status !== 'held') return { kind: 'closed', status: r.status, expiredNow: false };
      if (r.expiresAt.getTime() <= Date.now()) {
        await this.reservations.settle(m, r, 'expired');
        return { kind: 'closed', status: 'expired', expiredNow: true };
      }
      return end(m, r);
    });
    if (closing.kind !== 'closed') {
      if (closing.kind === 'done' && closing.outcome) this.metrics.count(closing.outcome);
      return closing;
    }
    if (closing.expiredNow) this.metrics.count('expired');
    throw reservationClosed(id, closing.status);
  }

  private view(r: Reservation): ReservationResponse {
    // Past its expiresAt a held reservation holds nothing a commit could use: the sweep is on its way.
    const status = r.status === 'held' && r.expiresAt.getTime() <= Date.now() ? 'expired' : r.status;
    return {
      id: r.id,
      subscriptionId: r.subscriptionId,
      feature: r.featureKey,
      quantity: Number(r.quantity),
      status,
      createdAt: r.createdAt.toISOString(),
      expiresAt: r.expiresAt.toISOString(),
      periodStart: r.periodStart.toISOString(),
      periodEnd: r.periodEnd.toISOString(),
      committedQuantity: r.committedQuantity === null ? null : Number(r.committedQuantity),
    };
  }

  private held(r: Reservation, figures: CounterFigures): HeldReservationResponse {
    return {
      ...this.view(r),
      used: Number(figures.used),
      held: Number(figures.held),
      limit: figures.limit === null ? null : Number(figures.limit),
      remaining: remainingOf(figures),
    };
  }

  private async withFigures(r: Reservation): Promise<HeldReservationResponse> {
    return this.held(r, (await this.counters.figures(r))!);
  }
}
