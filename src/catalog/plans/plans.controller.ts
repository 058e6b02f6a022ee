import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { CreatePlanDto } from './dto/create-plan.dto';
import { UpdatePlanDto } from './dto/update-plan.dto';
import { PlanView, PlansService } from './plans.service';

/** The ETag is the plan version, so a client can send it back unchanged as If-Match. */
const withEtag = (reply: FastifyReply, plan: PlanView): PlanView => {
  reply.header('etag', `"${plan.version}"`);
  return plan;
};

@Controller('v1/plans')
export class PlansController {
  constructor(private readonly plans: PlansService) {}

  @Post()
  @HttpCode(201)
  async create(@Body() dto: CreatePlanDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<PlanView> {
    return withEtag(reply, await this.plans.create(dto));
  }

  @Get(':key')
  async get(@Param('key') key: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<PlanView> {
    return withEtag(reply, await this.plans.get(key));
  }

  @Patch(':key')
  async update(
    @Param('key') key: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body() dto: UpdatePlanDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PlanView> {
    return withEtag(reply, await this.plans.update(key, ifMatch, dto));
  }
}
