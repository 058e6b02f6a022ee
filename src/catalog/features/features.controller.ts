import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/tally.error';
import { ApiErrors, ApiV1, BODY_ERRORS } from '../../openapi/api-errors.decorator';
import { CreateFeatureDto } from './create-feature.dto';
import { FeaturesService, featureView } from './features.service';
import { FeaturePageResponse, FeatureResponse } from '../catalog.responses';
import { ListFeaturesQuery } from './list-features.query';
import { UpdateFeatureDto } from './update-feature.dto';

@ApiV1('catalog')
@Controller('v1/features')
export class FeaturesController {
  constructor(private readonly features: FeaturesService) {}

  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({ type: FeatureResponse })
  @ApiErrors(...BODY_ERRORS, ErrorCode.AlreadyExists)
  async create(@Body() dto: CreateFeatureDto): Promise<FeatureResponse> {
    return featureView(await this.features.create(dto));
  }

  @Get()
  @ApiOkResponse({ type: FeaturePageResponse, description: 'By key' })
  @ApiErrors(ErrorCode.ValidationFailed)
  list(@Query() query: ListFeaturesQuery): Promise<FeaturePageResponse> {
    return this.features.list(query);
  }

  @Get(':key')
  @ApiOkResponse({ type: FeatureResponse })
  @ApiErrors(ErrorCode.NotFound)
  async get(@Param('key') key: string): Promise<FeatureResponse> {
    return featureView(await this.features.get(key));
  }

  /** Renames a feature; its strategy cannot change (400 naming `strategy`). */
  @Patch(':key')
  @ApiOkResponse({ type: FeatureResponse })
  @ApiErrors(...BODY_ERRORS, ErrorCode.NotFound)
  async update(@Param('key') key: string, @Body() dto: UpdateFeatureDto): Promise<FeatureResponse> {
    return featureView(await this.features.update(key, dto));
  }
}
