import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { SubscriptionsService } from '../../catalog/subscriptions/subscriptions.service';
import { invalidField, timestampField } from '../../common/validation';
import { Page, readPage } from '../../common/paging/page';
import { UsageEventResponse } from '../dto/usage.responses';
import { ListUsageEventsQuery } from './dto/list-usage-events.query';
import { usageEventsCsv } from './usage-events-csv';
import { LoggedEvent, LoggedEventFilter, USAGE_EVENT_CURSOR, UsageEventsRepository } from './usage-events.repository';

const item = ({ quantity, ...event }: LoggedEvent): UsageEventResponse => ({ ...event, quantity: Number(quantity) });

/** The events behind the counts: the ledger of one subscription, a page at a time or all of it as CSV. */
@Injectable()
export class UsageEventLogService {
  constructor(
    private readonly ledger: UsageEventsRepository,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  async list(query: ListUsageEventsQuery): Promise<Page<UsageEventResponse>> {
    const filter = await this.filterOf(query);
    return readPage(
      query,
      USAGE_EVENT_CURSOR,
      (after, limit) => this.ledger.list({ ...filter, after, limit }),
      (event) => ({ occurredAt: event.occurredAtKey, id: event.id }),
      ({ occurredAtKey: _key, ...event }) => item(event),
    );
  }

  /** Every event of the filter as CSV text, streamed: limit and cursor do not apply. */
  async csv(query: ListUsageEventsQuery): Promise<Readable> {
    const filter = await this.filterOf(query);
    const ledger = this.ledger;
    // The connection is taken at the reply's first read, not before: a reply destroyed before it
    // reads (the client gone, or the request answered 503 at its deadline meanwhile) never runs
    // this body, so it never holds one. Once reading, destroying the reply returns the generator,
    // whose finally destroys the row stream and frees its connection.
    async function* csvLines(): AsyncGenerator<string> {
      const rows = await ledger.stream(filter);
      try {
        yield* usageEventsCsv(rows);
      } finally {
        rows.destroy();
      }
    }
    return Readable.from(csvLines(), { objectMode: false });
  }

  /** 400 for a bad range, 404 for an unknown subscription: an empty log means one that has no events. */
  private async filterOf(query: ListUsageEventsQuery): Promise<LoggedEventFilter> {
    const from = query.from === undefined ? undefined : timestampField('from', query.from);
    const to = query.to === undefined ? undefined : timestampField('to', query.to);
    if (from && to && to < from) throw invalidField('to', 'to must not be before from');
    await this.subscriptions.terms(query.subscriptionId);
    return { subscriptionId: query.subscriptionId, featureKey: query.feature, from, to };
  }
}
