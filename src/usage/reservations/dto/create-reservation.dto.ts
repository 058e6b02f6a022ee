import { SchemaDto, integer, objectSchema, text } from '../../../common/object-schema';

export const DEFAULT_TTL_SECONDS = 300;

export const CREATE_RESERVATION = objectSchema({
  subscriptionId: text({ maxLength: 100 }),
  feature: text({ maxLength: 100, description: 'The feature key.' }),
  quantity: integer({
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'Whole units to hold against the limit, 1 to 2^53 − 1.',
  }),
  ttlSeconds: integer({
    optional: true,
    minimum: 1,
    maximum: 86_400,
    default: DEFAULT_TTL_SECONDS,
    description: 'Seconds until Tally releases the reservation by itself unless it is committed or released first; default 300.',
  }),
  idempotencyKey: text({
    optional: true,
    maxLength: 255,
    description: 'Scoped to the subscription: a second reservation with the same key is answered 200 with the first one.',
  }),
});

@SchemaDto(CREATE_RESERVATION)
export class CreateReservationDto {
  subscriptionId: string;
  feature: string;
  quantity: number;
  ttlSeconds?: number;
  idempotencyKey?: string;
}
