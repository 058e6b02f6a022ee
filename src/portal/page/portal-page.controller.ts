import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { TALLY_CONFIG } from '../../config/config.module';
import { TallyConfig } from '../../config/config';
import { PortalSessionsService } from '../sessions/portal-sessions.service';
import { portalHeaders } from './portal-headers';
import { expiredPage, portalPage } from './portal-page.html';
import { PortalViewService } from './portal-view.service';

/**
 * The customer's usage page. Outside /v1 and its API keys: the token in the path is the credential
 * (the request log redacts it, logging/request-log.ts).
 */
@ApiTags('portal')
@Controller('portal')
export class PortalPageController {
  private readonly headers: Record<string, string>;

  constructor(
    private readonly sessions: PortalSessionsService,
    private readonly views: PortalViewService,
    @Inject(TALLY_CONFIG) config: TallyConfig,
  ) {
    this.headers = portalHeaders(config.portalFrameAncestors);
  }

  @Get(':token')
  @ApiOperation({
    summary:
      "A customer's usage page (HTML), opened by a link from POST /v1/customers/{externalId}/portal-sessions; no API key",
  })
  @ApiProduces('text/html')
  @ApiResponse({ status: 200, description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } })
  @ApiResponse({
    status: 401,
    description: 'The link is unknown, expired or revoked (the page does not say which)',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  // The token is read from the request, not through @Param and the validation pipe: whatever the
  // path holds (a NUL too), a link that opens nothing gets the one 401 page, never an API error.
  async page(@Req() request: FastifyRequest<{ Params: { token: string } }>, @Res() reply: FastifyReply): Promise<void> {
    const session = await this.sessions.resolve(request.params.token);
    const view = session && (await this.views.view(session));
    reply.headers(this.headers);
    if (!view) {
      reply.code(401).send(expiredPage());
      return;
    }
    reply.code(200).send(portalPage(view));
  }
}
