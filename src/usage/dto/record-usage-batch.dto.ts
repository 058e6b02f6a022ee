import { SchemaDto, list, objectSchema } from '../../common/object-schema';
import { RecordUsageDto } from './record-usage.dto';

export const MAX_BATCH_EVENTS = 1000;

/** The body of POST /v1/usage/batch. Its events are checked one by one (usage-event.validation.ts). */
export const USAGE_BATCH = objectSchema({
  events: list({
    minItems: 1,
    maxItems: MAX_BATCH_EVENTS,
    items: () => RecordUsageDto,
    description: 'Usage bodies of POST /v1/usage; each one is validated and judged on its own.',
  }),
});

@SchemaDto(USAGE_BATCH)
export class RecordUsageBatchDto {
  events: unknown[];
}
