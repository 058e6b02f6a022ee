import { ApiHideProperty } from '@nestjs/swagger';
import { IsName, Unchangeable } from '../../common/dto-rules';

export class UpdateFeatureDto {
  @IsName()
  name: string;

  /** Never accepted: events already counted one way cannot be recounted another. Not in the document, which lists what may be sent. */
  @ApiHideProperty()
  @Unchangeable("a feature's strategy is fixed when it is created")
  strategy?: unknown;
}
