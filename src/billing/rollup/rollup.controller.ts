import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { invalidField, timestampField } from '../../common/validation';
import { NoDeadline } from '../../lifecycle/request-deadline';
import { ApiErrors, ApiV1, BODY_ERRORS } from '../../openapi/api-errors.decorator';
import { BillingRollupService } from './billing-rollup.service';
import { RunRollupDto } from './dto/run-rollup.dto';
import { RollupResultResponse } from '../billing.responses';

@ApiV1('billing')
@Controller('v1/billing')
export class RollupController {
  constructor(private readonly rollup: BillingRollupService) {}

  /**
   * Runs the rollup now and answers when it is done. 200 either way: `skipped: true` means another
   * run (the schedule, or another instance) held the lock and is doing the same work.
   */
  @Post('rollups')
  @NoDeadline()
  @HttpCode(200)
  @ApiOkResponse({ type: RollupResultResponse })
  @ApiErrors(...BODY_ERRORS)
  run(@Body() dto: RunRollupDto = {}): Promise<RollupResultResponse> {
    const now = new Date();
    // With a time: a bare date is too easily read as "that whole day", which would not be invoiced.
    const asOf = dto.asOf === undefined ? now : timestampField('asOf', dto.asOf, { withTime: true });
    // A future asOf would close periods that are still running and turn their usage away.
    if (asOf > now) throw invalidField('asOf', `asOf must not be in the future (now is ${now.toISOString()})`);
    return this.rollup.run({ asOf });
  }
}
