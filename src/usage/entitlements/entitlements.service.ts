import { Injectable } from '@nestjs/common';
import { invalidField } from '../../common/validation';
import { deadlineExceeded } from '../../lifecycle/request-deadline';
import { counterKey } from '../counters/counter-key';
import { CounterFigures, UsageCountersRepository } from '../counters/usage-counters.repository';
import { CounterQueue } from '../strategies/counter-queue';
import { UsageEvent } from '../usage-event';
import { UsageEventResolver } from '../usage-event.resolver';
import { MAX_RESOLVES, UsageService } from '../usage.service';
import { EntitlementResponse, EntitlementsResponse, FeatureEntitlementResponse } from './dto/entitlement.responses';

const WHOLE_NUMBER = /^[0-9]{1,16}$/;

function entitlement(feature: string, f: Pick<CounterFigures, 'used' | 'held' | 'limit'>): EntitlementResponse {
  const remaining = f.limit === null ? null : f.limit - f.used - f.held;
  return {
    feature,
    hasAccess: remaining === null || remaining > 0n,
    used: Number(f.used),
    held: Number(f.held),
    limit: f.limit === null ? null : Number(f.limit),
    remaining: remaining === null ? null : Number(remaining),
  };
}

/** `?quantity=`: whole units, 1 to 2^53 − 1; default 1. */
function quantityOf(text: string | undefined): bigint {
  if (text === undefined) return 1n;
  const quantity = WHOLE_NUMBER.test(text) ? Number(text) : NaN;
  if (!(quantity >= 1 && quantity <= Number.MAX_SAFE_INTEGER)) {
    throw invalidField('quantity', 'quantity must be a whole number from 1 to 9007199254740991');
  }
  return BigInt(quantity);
}

/**
 * "May this customer use the feature?", without counting or holding anything. Answered from the
 * counter rows in one snapshot each: `used` is what every instance has accepted (for buffered
 * counters the flushed count plus what the leases of all instances spent, unflushed), `held`
 * what reservations hold. So used + held is exact across instances at the moment of the read, and
 * `fits` says what a record of that quantity would do if nothing else happened in between.
 */
@Injectable()
export class EntitlementsService {
  /**
   * Checks of one counter that arrive while a read of it is in flight wait for the next read and
   * share it: every answer still comes from a snapshot taken after its request arrived (so a
   * client that recorded and then asks sees its record), and a hot counter costs one query per
   * round trip instead of one per check.
   */
  private readonly reads = new CounterQueue<UsageEvent, CounterFigures | undefined>(async (events) => {
    const figures = await this.counters.figures(events[0]);
    return events.map(() => figures);
  }, deadlineExceeded);

  constructor(
    private readonly usage: UsageService,
    private readonly counters: UsageCountersRepository,
    private readonly resolver: UsageEventResolver,
  ) {}

  /** Every charge of the plan version in force now. */
  async all(subscriptionId: string): Promise<EntitlementsResponse> {
    const { period, rows, ended } = await this.usage.periodCounters(subscriptionId, new Date());
    return {
      ...period,
      features: rows.map((r) => {
        const item = entitlement(r.feature, {
          used: BigInt(r.used) + BigInt(r.spent),
          held: BigInt(r.held),
          limit: r.limit === null ? null : BigInt(r.limit),
        });
        // As the one-feature check says: nothing is usable once the subscription has ended.
        return ended ? { ...item, hasAccess: false } : item;
      }),
    };
  }

  /**
   * One feature, and whether `quantity` more fits. It resolves the feature's counter as a usage
   * event now would (404 when the plan has no charge for it), so it asks about the counter that
   * event would count on, and, like a count, looks again when that counter has ended meanwhile.
   */
  async one(subscriptionId: string, feature: string, quantityText: string | undefined): Promise<FeatureEntitlementResponse> {
    const quantity = quantityOf(quantityText);
    const usage = { subscriptionId, feature, quantity: 1 };
    let event = await this.resolver.resolve(usage);
    let figures = await this.read(event);
    for (let resolves = 0; resolves < MAX_RESOLVES && figures.endsAt !== null && figures.endsAt <= event.occurredAt; resolves++) {
      const again = await this.resolver.resolveAgain(usage, event);
      if (!again) break;
      event = again;
      figures = await this.read(event);
    }
    const open = figures.closedAt === null && (figures.endsAt === null || figures.endsAt > event.occurredAt);
    const item = entitlement(event.featureKey, figures);
    return {
      ...item,
      hasAccess: open && item.hasAccess,
      fits: open && (figures.limit === null || figures.used + figures.held + quantity <= figures.limit),
    };
  }

  /** The counter's figures, read after this call (the resolver made sure the row exists). */
  private async read(event: UsageEvent): Promise<CounterFigures> {
    const [figures] = await this.reads.submit(counterKey(event), [event], event.deadline);
    return figures!;
  }
}
