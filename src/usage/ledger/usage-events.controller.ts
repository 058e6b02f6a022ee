import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiOkResponse, getSchemaPath } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { ErrorCode } from '../../common/errors/tally.error';
import { ApiErrors, ApiV1 } from '../../openapi/api-errors.decorator';
import { UsageEventPageResponse } from '../dto/usage.responses';
import { CSV_COLUMNS } from './usage-events-csv';
import { ListUsageEventsQuery } from './dto/list-usage-events.query';
import { UsageEventLogService } from './usage-event-log.service';
import { prefersCsv } from './prefers-csv';

@ApiV1('usage')
@Controller('v1/usage/events')
export class UsageEventsController {
  constructor(private readonly log: UsageEventLogService) {}

  /**
   * The ledger of one subscription, newest first (occurredAt, then id). `from` is inclusive, `to`
   * exclusive. With `Accept: text/csv`, every matching event as CSV, streamed, without pages.
   */
  @Get()
  @ApiHeader({ name: 'Accept', required: false, description: '`text/csv`: every matching event as CSV, without pages' })
  @ApiExtraModels(UsageEventPageResponse)
  @ApiOkResponse({
    description: `Newest first. As CSV: a header line (${CSV_COLUMNS.join(',')}), then one CRLF-terminated line per event (RFC 4180 quoting)`,
    content: {
      'application/json': { schema: { $ref: getSchemaPath(UsageEventPageResponse) } },
      'text/csv': { schema: { type: 'string' } },
    },
  })
  @ApiErrors(ErrorCode.ValidationFailed, ErrorCode.NotFound)
  async list(
    @Query() query: ListUsageEventsQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UsageEventPageResponse | Readable> {
    if (!prefersCsv(accept)) return this.log.list(query);
    const csv = await this.log.csv(query);
    reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="usage-events-${query.subscriptionId}.csv"`);
    return csv;
  }
}
