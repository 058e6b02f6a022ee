import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { RecordUsageBatchDto } from './dto/record-usage-batch.dto';
import { RecordUsageDto } from './dto/record-usage.dto';
import { BatchResult, PeriodUsage, UsageAnswer, UsageService } from './usage.service';

@Controller('v1')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  /** 201 when counted; 200 when the idempotency key was accepted before (nothing counted again). */
  @Post('usage')
  async record(@Body() dto: RecordUsageDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<UsageAnswer> {
    const answer = await this.usage.record(dto);
    reply.status(answer.duplicate ? 200 : 201);
    return answer;
  }

  /** Up to 1000 events, each judged on its own, in order; always 200 with one result per event. */
  @Post('usage/batch')
  @HttpCode(200)
  recordBatch(@Body() dto: RecordUsageBatchDto): Promise<{ results: BatchResult[] }> {
    return this.usage.recordBatch(dto.events);
  }

  @Get('subscriptions/:id/usage')
  periodUsage(@Param('id') id: string, @Query('at') at?: string): Promise<PeriodUsage> {
    return this.usage.periodUsage(id, at);
  }
}
