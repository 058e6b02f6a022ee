import { ApiProperty } from '@nestjs/swagger';
import { EVENT_TYPES, EventType } from './event-types';

const STATUSES = ['pending', 'succeeded', 'failed'];

export class EventResponse {
  /** Unique forever: deduplicate deliveries by it (it is also the Tally-Event-Id header). @example "evt_3f1c…" */
  id: string;
  @ApiProperty({ enum: EVENT_TYPES })
  type: EventType;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
  /** invoice.*: the invoice as GET /v1/invoices/:id returns it; subscription.*: the subscription as its GET returns it. */
  @ApiProperty({ type: 'object', additionalProperties: true })
  data: Record<string, unknown>;
}

export class EventPageResponse {
  @ApiProperty({ type: () => [EventResponse] })
  data: EventResponse[];
  /** Pass as `cursor` for the next page; null on the last page. */
  @ApiProperty({ type: 'string', nullable: true })
  nextCursor: string | null;
}

export class WebhookEndpointResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  url: string;
  /** The event types delivered to it. */
  @ApiProperty({ enum: EVENT_TYPES, isArray: true })
  eventTypes: EventType[];
  @ApiProperty({ type: 'string', nullable: true })
  description: string | null;
  enabled: boolean;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class WebhookEndpointWithSecretResponse extends WebhookEndpointResponse {
  /** Signs deliveries (Tally-Signature). Shown here only: keep it. @example "whsec_…" */
  secret: string;
}

export class WebhookEndpointPageResponse {
  @ApiProperty({ type: () => [WebhookEndpointResponse] })
  data: WebhookEndpointResponse[];
  @ApiProperty({ type: 'string', nullable: true })
  nextCursor: string | null;
}

export class DeliveryResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  eventId: string;
  @ApiProperty({ format: 'uuid' })
  endpointId: string;
  @ApiProperty({ enum: STATUSES })
  status: 'pending' | 'succeeded' | 'failed';
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  nextAttemptAt: string | null;
}

/** One POST made to an endpoint. */
export class DeliveryAttemptResponse {
  @ApiProperty({ format: 'uuid' })
  deliveryId: string;
  eventId: string;
  /** 1 for the first attempt of the delivery. */
  @ApiProperty({ type: 'integer' })
  attempt: number;
  /** succeeded; pending: this attempt failed and the next is due at nextAttemptAt; failed: it failed and no retry is left. */
  @ApiProperty({ enum: STATUSES })
  status: 'pending' | 'succeeded' | 'failed';
  @ApiProperty({ type: 'integer', nullable: true })
  responseStatus: number | null;
  @ApiProperty({ type: 'integer' })
  durationMs: number;
  @ApiProperty({ type: 'string', nullable: true })
  error: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  nextAttemptAt: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class DeliveryAttemptPageResponse {
  @ApiProperty({ type: () => [DeliveryAttemptResponse] })
  data: DeliveryAttemptResponse[];
  @ApiProperty({ type: 'string', nullable: true })
  nextCursor: string | null;
}
