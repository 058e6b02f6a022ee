import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ErrorCode } from '../../common/errors/tally.error';
import { ApiErrors, ApiV1, BODY_ERRORS } from '../../openapi/api-errors.decorator';
import { CreatePlanDto } from './dto/create-plan.dto';
import { UpdatePlanDto } from './dto/update-plan.dto';
import { PlansService } from './plans.service';
import { PlanPageResponse, PlanResponse } from '../catalog.responses';
import { ListPlansQuery } from './dto/list-plans.query';

/** The ETag is the plan version, so a client can send it back unchanged as If-Match. */
const withEtag = (reply: FastifyReply, plan: PlanResponse): PlanResponse => {
  reply.header('etag', `"${plan.version}"`);
  return plan;
};

@ApiV1('catalog')
@Controller('v1/plans')
export class PlansController {
  constructor(private readonly plans: PlansService) {}

  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({ type: PlanResponse, description: 'The plan, version 1; ETag: its version' })
  @ApiErrors(...BODY_ERRORS, ErrorCode.NotFound, ErrorCode.AlreadyExists)
  async create(@Body() dto: CreatePlanDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<PlanResponse> {
    return withEtag(reply, await this.plans.create(dto));
  }

  /** By key; each plan as GET /v1/plans/:key answers it (its version, not an ETag, says which). */
  @Get()
  @ApiOkResponse({ type: PlanPageResponse, description: 'By key' })
  @ApiErrors(ErrorCode.ValidationFailed)
  list(@Query() query: ListPlansQuery): Promise<PlanPageResponse> {
    return this.plans.list(query);
  }

  @Get(':key')
  @ApiOkResponse({ type: PlanResponse, description: 'ETag: the plan version, to send back as If-Match' })
  @ApiErrors(ErrorCode.NotFound)
  async get(@Param('key') key: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<PlanResponse> {
    return withEtag(reply, await this.plans.get(key));
  }

  @Patch(':key')
  @ApiHeader({ name: 'If-Match', required: true, description: 'The version (ETag) the edit is based on, quoted or not' })
  @ApiOkResponse({ type: PlanResponse, description: 'The plan with its new version; ETag: that version' })
  @ApiErrors(...BODY_ERRORS, ErrorCode.NotFound, ErrorCode.VersionMismatch, ErrorCode.PreconditionRequired)
  async update(
    @Param('key') key: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body() dto: UpdatePlanDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PlanResponse> {
    return withEtag(reply, await this.plans.update(key, ifMatch, dto));
  }
}
