import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/tally.error';
import { ApiErrors, ApiV1, BODY_ERRORS } from '../../openapi/api-errors.decorator';
import { CreateFeatureDto } from './create-feature.dto';
import { FeaturesService, featureView } from './features.service';
import { FeatureResponse } from '../catalog.responses';

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

  @Get(':key')
  @ApiOkResponse({ type: FeatureResponse })
  @ApiErrors(ErrorCode.NotFound)
  async get(@Param('key') key: string): Promise<FeatureResponse> {
    return featureView(await this.features.get(key));
  }
}
