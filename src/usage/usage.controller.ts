import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiQuery } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ErrorCode } from '../common/errors/tally.error';
import { NoDeadline } from '../lifecycle/request-deadline';
import { ApiErrors, ApiV1, BODY_ERRORS } from '../openapi/api-errors.decorator';
import { RecordUsageBatchDto } from './dto/record-usage-batch.dto';
import { RecordUsageDto } from './dto/record-usage.dto';
import { UsageBatchService } from './usage-batch.service';
import { UsageService } from './usage.service';
import { BatchResultResponse, BatchResultsResponse, PeriodUsageResponse, UsageAnswerResponse } from './dto/usage.responses';

@ApiV1('usage')
@Controller('v1')
export class UsageController {
  constructor(
    private readonly usage: UsageService,
    private readonly batches: UsageBatchService,
  ) {}

  /** 201 when counted; 200 when the idempotency key was accepted before (nothing counted again). */
  @Post('usage')
  @ApiCreatedResponse({ type: UsageAnswerResponse, description: 'Counted' })
  @ApiOkResponse({ type: UsageAnswerResponse, description: 'duplicate: true: the idempotencyKey was accepted before; nothing counted again' })
  @ApiErrors(
    ...BODY_ERRORS,
    ErrorCode.NotFound,
    ErrorCode.PeriodClosed,
    ErrorCode.LimitExceeded,
    ErrorCode.Contention,
    ErrorCode.Unavailable,
  )
  async record(@Body() dto: RecordUsageDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<UsageAnswerResponse> {
    const answer = await this.usage.record(dto);
    reply.status(answer.duplicate ? 200 : 201);
    return answer;
  }

  /** Up to 1000 events, each judged on its own, in order; always 200 with one result per event. */
  @Post('usage/batch')
  // It answers its deadline itself, event by event (UsageBatchService).
  @NoDeadline()
  @HttpCode(200)
  @ApiOkResponse({ type: BatchResultsResponse })
  @ApiErrors(...BODY_ERRORS)
  recordBatch(@Body() dto: RecordUsageBatchDto): Promise<{ results: BatchResultResponse[] }> {
    return this.batches.recordBatch(dto.events);
  }

  @Get('subscriptions/:id/usage')
  @ApiQuery({ name: 'at', required: false, description: 'ISO-8601 instant; the period containing it (default now)' })
  @ApiOkResponse({ type: PeriodUsageResponse })
  @ApiErrors(ErrorCode.ValidationFailed, ErrorCode.NotFound)
  periodUsage(@Param('id') id: string, @Query('at') at?: string): Promise<PeriodUsageResponse> {
    return this.usage.periodUsage(id, at);
  }
}
