import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray } from 'class-validator';
import { RecordUsageDto } from './record-usage.dto';

export const MAX_BATCH_EVENTS = 1000;

export class RecordUsageBatchDto {
  /** Usage bodies of POST /v1/usage; each one is validated and judged on its own. */
  @ApiProperty({ type: () => [RecordUsageDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_EVENTS)
  events: unknown[];
}
