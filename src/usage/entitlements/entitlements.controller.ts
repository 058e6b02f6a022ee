import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiQuery } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/tally.error';
import { ApiErrors, ApiV1 } from '../../openapi/api-errors.decorator';
import { EntitlementsResponse, FeatureEntitlementResponse } from './dto/entitlement.responses';
import { EntitlementsService } from './entitlements.service';

@ApiV1('entitlements')
@Controller('v1/subscriptions/:id/entitlements')
export class EntitlementsController {
  constructor(private readonly entitlements: EntitlementsService) {}

  @Get()
  @ApiOkResponse({ type: EntitlementsResponse, description: 'Every charge of the plan version in force now' })
  @ApiErrors(ErrorCode.NotFound)
  all(@Param('id') id: string): Promise<EntitlementsResponse> {
    return this.entitlements.all(id);
  }

  @Get(':feature')
  @ApiQuery({ name: 'quantity', required: false, description: 'Units to ask about for `fits` (default 1)' })
  @ApiOkResponse({ type: FeatureEntitlementResponse, description: 'Nothing is counted or held' })
  @ApiErrors(ErrorCode.ValidationFailed, ErrorCode.NotFound, ErrorCode.PeriodClosed)
  one(@Param('id') id: string, @Param('feature') feature: string, @Query('quantity') quantity?: string): Promise<FeatureEntitlementResponse> {
    return this.entitlements.one(id, feature, quantity);
  }
}
