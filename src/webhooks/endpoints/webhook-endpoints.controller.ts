import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/tally.error';
import { PageQuery } from '../../common/paging/page.query';
import { ApiErrors, ApiV1, BODY_ERRORS } from '../../openapi/api-errors.decorator';
import {
  DeliveryAttemptPageResponse,
  WebhookEndpointPageResponse,
  WebhookEndpointResponse,
  WebhookEndpointWithSecretResponse,
} from '../webhooks.responses';
import { CreateWebhookEndpointDto } from './dto/create-webhook-endpoint.dto';
import { UpdateWebhookEndpointDto } from './dto/update-webhook-endpoint.dto';
import { WebhookEndpointsService } from './webhook-endpoints.service';

@ApiV1('webhooks')
@Controller('v1/webhook-endpoints')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  /** 201 with the signing `secret`, shown this once. */
  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({ type: WebhookEndpointWithSecretResponse })
  @ApiErrors(...BODY_ERRORS)
  create(@Body() dto: CreateWebhookEndpointDto): Promise<WebhookEndpointWithSecretResponse> {
    return this.endpoints.create(dto);
  }

  @Get()
  @ApiOkResponse({ type: WebhookEndpointPageResponse, description: 'Newest first' })
  @ApiErrors(ErrorCode.ValidationFailed)
  list(@Query() query: PageQuery): Promise<WebhookEndpointPageResponse> {
    return this.endpoints.list(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: WebhookEndpointResponse })
  @ApiErrors(ErrorCode.NotFound)
  get(@Param('id') id: string): Promise<WebhookEndpointResponse> {
    return this.endpoints.get(id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: WebhookEndpointResponse })
  @ApiErrors(...BODY_ERRORS, ErrorCode.NotFound)
  update(@Param('id') id: string, @Body() dto: UpdateWebhookEndpointDto): Promise<WebhookEndpointResponse> {
    return this.endpoints.update(id, dto);
  }

  /** Deliveries still pending to it are dropped; its events stay. */
  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiErrors(ErrorCode.NotFound)
  delete(@Param('id') id: string): Promise<void> {
    return this.endpoints.delete(id);
  }

  /** 200 with the new secret; for 24 hours deliveries are signed with both the new and the old one. */
  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookEndpointWithSecretResponse })
  @ApiErrors(ErrorCode.NotFound)
  rotateSecret(@Param('id') id: string): Promise<WebhookEndpointWithSecretResponse> {
    return this.endpoints.rotateSecret(id);
  }

  /** Every POST made to the endpoint, newest first. */
  @Get(':id/deliveries')
  @ApiOkResponse({ type: DeliveryAttemptPageResponse })
  @ApiErrors(ErrorCode.ValidationFailed, ErrorCode.NotFound)
  deliveries(@Param('id') id: string, @Query() query: PageQuery): Promise<DeliveryAttemptPageResponse> {
    return this.endpoints.attempts(id, query);
  }
}
