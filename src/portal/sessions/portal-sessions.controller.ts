import { Body, Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/tally.error';
import { ApiErrors, ApiV1, BODY_ERRORS } from '../../openapi/api-errors.decorator';
import { PortalSessionResponse, RevokedPortalSessionsResponse } from '../portal.responses';
import { CreatePortalSessionDto } from './dto/create-portal-session.dto';
import { PortalSessionsService } from './portal-sessions.service';

@ApiV1('portal')
@Controller('v1/customers/:externalId/portal-sessions')
export class PortalSessionsController {
  constructor(private readonly sessions: PortalSessionsService) {}

  /**
   * A link to the customer's usage page (GET /portal/{token}): read-only, for this customer only,
   * working until `expiresAt`. The token is in the URL and nowhere else: Tally keeps its hash.
   */
  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({ type: PortalSessionResponse })
  @ApiErrors(...BODY_ERRORS, ErrorCode.NotFound)
  create(@Param('externalId') externalId: string, @Body() dto: CreatePortalSessionDto): Promise<PortalSessionResponse> {
    return this.sessions.create(externalId, dto);
  }

  /** Revokes every live link of the customer at once: their pages answer 401 from now on. */
  @Delete()
  @HttpCode(200)
  @ApiOkResponse({ type: RevokedPortalSessionsResponse })
  @ApiErrors(ErrorCode.NotFound)
  revoke(@Param('externalId') externalId: string): Promise<RevokedPortalSessionsResponse> {
    return this.sessions.revokeAll(externalId);
  }
}
