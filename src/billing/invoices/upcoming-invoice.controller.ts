import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/tally.error';
import { ApiErrors, ApiV1 } from '../../openapi/api-errors.decorator';
import { BillingRollupService } from '../rollup/billing-rollup.service';
import { UpcomingInvoiceResponse } from '../billing.responses';

@ApiV1('billing')
@Controller('v1/subscriptions')
export class UpcomingInvoiceController {
  constructor(private readonly rollup: BillingRollupService) {}

  /**
   * The invoice the running period would get if it ended now with no more usage: the rollup's
   * pricing of what was counted so far, the base fee as the period's invoice will charge it.
   * 409 conflict for a subscription that has ended.
   */
  @Get(':id/upcoming-invoice')
  @ApiOkResponse({ type: UpcomingInvoiceResponse })
  @ApiErrors(ErrorCode.NotFound, ErrorCode.Conflict)
  upcoming(@Param('id') id: string): Promise<UpcomingInvoiceResponse> {
    return this.rollup.upcoming(id);
  }
}
