import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { invalidField } from '../../common/validation';
import { ApiErrors, ApiV1, BODY_ERRORS } from '../../openapi/api-errors.decorator';
import { RollupResultResponse } from '../../openapi/responses/billing.responses';
import { BillingRollupService, RollupResult } from './billing-rollup.service';
import { RunRollupDto } from './dto/run-rollup.dto';

@ApiV1('billing')
@Controller('v1/billing')
export class RollupController {
  constructor(private readonly rollup: BillingRollupService) {}

  /**
   * Runs the rollup now and answers when it is done. 200 either way: `skipped: true` means another
   * run (the schedule, or another instance) held the lock and is doing the same work.
   */
  @Post('rollups')
  @HttpCode(200)
  @ApiOkResponse({ type: RollupResultResponse })
  @ApiErrors(...BODY_ERRORS)
  run(@Body() dto: RunRollupDto = {}): Promise<RollupResult> {
    const now = new Date();
    const asOf = dto.asOf === undefined ? now : new Date(dto.asOf);
    if (dto.asOf !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(dto.asOf) || Number.isNaN(asOf.getTime()))) {
      throw invalidField('asOf', 'asOf must be an ISO-8601 timestamp with a time, such as 2025-02-01T00:00:00Z');
    }
    // A future asOf would close periods that are still running and turn their usage away.
    if (asOf > now) throw invalidField('asOf', `asOf must not be in the future (now is ${now.toISOString()})`);
    return this.rollup.run({ asOf });
  }
}
