import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CreateFeatureDto } from './create-feature.dto';
import { FeaturesService, FeatureView, featureView } from './features.service';

@Controller('v1/features')
export class FeaturesController {
  constructor(private readonly features: FeaturesService) {}

  @Post()
  @HttpCode(201)
  async create(@Body() dto: CreateFeatureDto): Promise<FeatureView> {
    return featureView(await this.features.create(dto));
  }

  @Get(':key')
  async get(@Param('key') key: string): Promise<FeatureView> {
    return featureView(await this.features.get(key));
  }
}
