import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/tally.error';
import { ApiErrors, ApiV1, BODY_ERRORS } from '../../openapi/api-errors.decorator';
import { DeliveryResponse, EventPageResponse, EventResponse } from '../webhooks.responses';
import { ListEventsQuery } from './dto/list-events.query';
import { ResendEventDto } from './dto/resend-event.dto';
import { EventsService } from './events.service';

@ApiV1('webhooks')
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @ApiOkResponse({ type: EventPageResponse, description: 'Newest first' })
  @ApiErrors(ErrorCode.ValidationFailed)
  list(@Query() query: ListEventsQuery): Promise<EventPageResponse> {
    return this.events.list(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: EventResponse })
  @ApiErrors(ErrorCode.NotFound)
  get(@Param('id') id: string): Promise<EventResponse> {
    return this.events.get(id);
  }

  /** 202: a new delivery of the event to the endpoint, sent by the delivery workers. */
  @Post(':id/resend')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: DeliveryResponse })
  @ApiErrors(...BODY_ERRORS, ErrorCode.NotFound)
  resend(@Param('id') id: string, @Body() dto: ResendEventDto): Promise<DeliveryResponse> {
    return this.events.resend(id, dto.endpointId);
  }
}
