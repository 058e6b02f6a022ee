import { SchemaDto, integer, objectSchema, text, timestamp } from '../../common/object-schema';

/**
 * A usage event: the body of POST /v1/usage and each event of POST /v1/usage/batch. Declared
 * once; compiled, it checks both routes' events, and it is their OpenAPI schema.
 */
export const USAGE_EVENT = objectSchema({
  subscriptionId: text({ maxLength: 100 }),
  feature: text({ maxLength: 100, description: 'The feature key.' }),
  quantity: integer({
    optional: true,
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    default: 1,
    description: 'Whole units, 1 to 2^53 − 1 (the largest a JSON number carries exactly); default 1.',
  }),
  idempotencyKey: text({
    optional: true,
    maxLength: 255,
    description: 'Scoped to the subscription: a second event with the same key is a duplicate, never a second count.',
  }),
  occurredAt: timestamp({ optional: true, description: 'Picks the period the usage counts in; defaults to now.' }),
});

@SchemaDto(USAGE_EVENT)
export class RecordUsageDto {
  subscriptionId: string;
  feature: string;
  quantity?: number;
  idempotencyKey?: string;
  occurredAt?: string;
}
