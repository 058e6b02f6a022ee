import { ArrayMaxSize, ArrayMinSize, IsArray } from 'class-validator';

export const MAX_BATCH_EVENTS = 1000;

export class RecordUsageBatchDto {
  /** Usage bodies of POST /v1/usage; each one is validated and judged on its own. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_EVENTS)
  events: unknown[];
}
