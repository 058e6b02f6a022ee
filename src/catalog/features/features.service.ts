import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { notFound } from '../../common/errors/tally.error';
import { isUniqueViolation } from '../../common/postgres-errors';
import { CreateFeatureDto } from './create-feature.dto';
import { Feature } from './feature.entity';
import { FeatureResponse } from '../catalog.responses';
import { alreadyExists } from '../catalog.errors';

export const featureView = (f: Feature): FeatureResponse => ({
  id: f.id,
  key: f.key,
  name: f.name,
  strategy: f.strategy,
  createdAt: f.createdAt.toISOString(),
});

@Injectable()
export class FeaturesService {
  constructor(@InjectRepository(Feature) private readonly features: Repository<Feature>) {}

  async create(dto: CreateFeatureDto): Promise<Feature> {
    try {
      return await this.features.save(
        this.features.create({ key: dto.key, name: dto.name, strategy: dto.strategy ?? 'atomic' }),
      );
    } catch (error) {
      // The unique index decides between two concurrent creations of one key.
      if (isUniqueViolation(error)) throw alreadyExists(`feature '${dto.key}'`);
      throw error;
    }
  }

  async get(key: string): Promise<Feature> {
    const feature = await this.features.findOneBy({ key });
    if (!feature) throw notFound(`feature '${key}'`);
    return feature;
  }
}
