import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThan, Repository } from 'typeorm';
import { notFound } from '../../common/errors/tally.error';
import { KeysetCursor } from '../../common/paging/keyset-cursor';
import { Page, readPage } from '../../common/paging/page';
import { isUniqueViolation } from '../../common/postgres-errors';
import { CreateFeatureDto } from './create-feature.dto';
import { Feature } from './feature.entity';
import { ListFeaturesQuery } from './list-features.query';
import { UpdateFeatureDto } from './update-feature.dto';
import { FeatureResponse } from '../catalog.responses';
import { alreadyExists } from '../catalog.errors';

export const featureView = (f: Feature): FeatureResponse => ({
  id: f.id,
  key: f.key,
  name: f.name,
  strategy: f.strategy,
  createdAt: f.createdAt.toISOString(),
});

/** Features by key: the key is unique, so it alone is the keyset. */
const FEATURE_CURSOR = new KeysetCursor('features', { key: 'text' });

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

  list(query: ListFeaturesQuery): Promise<Page<FeatureResponse>> {
    return readPage(
      query,
      FEATURE_CURSOR,
      (after, limit) =>
        this.features.find({ where: after ? { key: MoreThan(after.key) } : {}, order: { key: 'ASC' }, take: limit }),
      (feature) => ({ key: feature.key }),
      featureView,
    );
  }

  /** Only the name changes; the DTO refuses a strategy. */
  async update(key: string, dto: UpdateFeatureDto): Promise<Feature> {
    const { affected } = await this.features.update({ key }, { name: dto.name });
    if (!affected) throw notFound(`feature '${key}'`);
    return this.get(key);
  }
}
