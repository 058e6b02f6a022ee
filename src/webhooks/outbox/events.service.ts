import { Injectable } from '@nestjs/common';
import { notFound } from '../../common/errors/tally.error';
import { readPage } from '../../common/paging/page';
import { isUuid } from '../../common/postgres-errors';
import { DeliveryRepository } from '../delivery/delivery.repository';
import { DeliveryResponse, EventPageResponse, EventResponse } from '../webhooks.responses';
import { ListEventsQuery } from './dto/list-events.query';
import { EVENT_CURSOR, EventRow, OutboxRepository } from './outbox.repository';
import { OutboxWakeup } from './outbox-wakeup';

/** 'evt_' and 32 hex digits, as emit_events() makes them. */
const isEventId = (id: string | undefined) => /^evt_[0-9a-f]{32}$/.test(id ?? '');

@Injectable()
export class EventsService {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly wakeup: OutboxWakeup,
  ) {}

  list(query: ListEventsQuery): Promise<EventPageResponse> {
    return readPage(
      query,
      EVENT_CURSOR,
      (after, limit) => this.outbox.list({ type: query.type, after, limit }),
      (row) => ({ createdAt: row.created_at_key, id: row.id }),
      view,
    );
  }

  async get(id: string): Promise<EventResponse> {
    const row = isEventId(id) ? await this.outbox.find(id) : undefined;
    if (!row) throw notFound(`event '${id}'`);
    return view(row);
  }

  /** A new delivery of the event to the endpoint, due now, whatever became of earlier ones. */
  async resend(id: string, endpointId: string): Promise<DeliveryResponse> {
    await this.get(id);
    const row = isUuid(endpointId) ? await this.deliveries.create(id, endpointId) : undefined;
    if (!row) throw notFound(`webhook endpoint '${endpointId}'`);
    this.wakeup.wake();
    return {
      id: row.id,
      eventId: row.event_id,
      endpointId: row.endpoint_id,
      status: row.status,
      nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
    };
  }
}

function view(row: EventRow): EventResponse {
  return { id: row.id, type: row.type, createdAt: row.created_at.toISOString(), data: row.data };
}
