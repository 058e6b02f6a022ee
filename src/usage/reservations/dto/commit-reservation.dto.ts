import { SchemaDto, integer, objectSchema } from '../../../common/object-schema';

export const COMMIT_RESERVATION = objectSchema({
  quantity: integer({
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'What was really used, 0 up to the quantity held: counted as usage; the rest is released.',
  }),
});

@SchemaDto(COMMIT_RESERVATION)
export class CommitReservationDto {
  quantity: number;
}
