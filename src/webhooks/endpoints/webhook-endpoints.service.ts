import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { notFound } from '../../common/errors/tally.error';
import { readPage } from '../../common/paging/page';
import { PageQuery } from '../../common/paging/page.query';
import { isUuid } from '../../common/postgres-errors';
import { TallyConfig } from '../../config/config';
import { TALLY_CONFIG } from '../../config/config.module';
import { ATTEMPT_CURSOR, DeliveryRepository } from '../delivery/delivery.repository';
import { EVENT_TYPES } from '../event-types';
import {
  DeliveryAttemptPageResponse,
  WebhookEndpointPageResponse,
  WebhookEndpointResponse,
  WebhookEndpointWithSecretResponse,
} from '../webhooks.responses';
import { CreateWebhookEndpointDto } from './dto/create-webhook-endpoint.dto';
import { UpdateWebhookEndpointDto } from './dto/update-webhook-endpoint.dto';
import { ENDPOINT_CURSOR, EndpointRow, WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { checkWebhookUrl } from './webhook-url';

/** After a rotation, how long the old secret still signs: time to roll the new one out to receivers. */
const ROTATION_OVERLAP_MS = 24 * 3_600_000;

/** `whsec_` + 32 random bytes, base64url. */
const newSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;


@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly deliveries: DeliveryRepository,
    @Inject(TALLY_CONFIG) private readonly config: TallyConfig,
  ) {}

  async create(dto: CreateWebhookEndpointDto): Promise<WebhookEndpointWithSecretResponse> {
    const url = checkWebhookUrl(dto.url, this.config.webhookAllowPrivateNetworks);
    const secret = newSecret();
    const row = await this.endpoints.create({ url, eventTypes: dto.eventTypes ?? null, description: dto.description ?? null, secret });
    return { ...view(row), secret };
  }

  list(query: PageQuery): Promise<WebhookEndpointPageResponse> {
    return readPage(
      query,
      ENDPOINT_CURSOR,
      (after, limit) => this.endpoints.list(after, limit),
      (row) => ({ createdAt: row.created_at_key, id: row.id }),
      view,
    );
  }

  async get(id: string): Promise<WebhookEndpointResponse> {
    return view(await this.found(id));
  }

  async update(id: string, dto: UpdateWebhookEndpointDto): Promise<WebhookEndpointResponse> {
    // Checked before anything is looked up or changed: a refused URL changes nothing.
    const url = dto.url === undefined ? undefined : checkWebhookUrl(dto.url, this.config.webhookAllowPrivateNetworks);
    const row = isUuid(id) ? await this.endpoints.update(id, { ...dto, url }) : undefined;
    if (!row) throw notFound(`webhook endpoint '${id}'`);
    return view(row);
  }

  async delete(id: string): Promise<void> {
    if (!isUuid(id) || !(await this.endpoints.delete(id))) throw notFound(`webhook endpoint '${id}'`);
  }

  async rotateSecret(id: string): Promise<WebhookEndpointWithSecretResponse> {
    const secret = newSecret();
    const row = isUuid(id) ? await this.endpoints.rotateSecret(id, secret, ROTATION_OVERLAP_MS) : undefined;
    if (!row) throw notFound(`webhook endpoint '${id}'`);
    return { ...view(row), secret };
  }

  async attempts(id: string, query: PageQuery): Promise<DeliveryAttemptPageResponse> {
    await this.found(id);
    return readPage(
      query,
      ATTEMPT_CURSOR,
      (after, limit) => this.deliveries.attempts(id, after, limit),
      (row) => ({ createdAt: row.created_at_key, id: row.id }),
      (r) => ({
        deliveryId: r.delivery_id,
        eventId: r.event_id,
        attempt: r.attempt,
        status: r.status,
        responseStatus: r.response_status,
        durationMs: r.duration_ms,
        error: r.error,
        nextAttemptAt: r.next_attempt_at?.toISOString() ?? null,
        createdAt: r.created_at.toISOString(),
      }),
    );
  }

  private async found(id: string): Promise<EndpointRow> {
    const row = isUuid(id) ? await this.endpoints.find(id) : undefined;
    if (!row) throw notFound(`webhook endpoint '${id}'`);
    return row;
  }
}

function view(row: EndpointRow): WebhookEndpointResponse {
  return {
    id: row.id,
    url: row.url,
    eventTypes: row.event_types ?? [...EVENT_TYPES],
    description: row.description,
    enabled: row.enabled,
    createdAt: row.created_at.toISOString(),
  };
}
