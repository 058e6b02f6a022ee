import { FieldProblem } from '../common/validation';
import { RecordUsageDto, USAGE_EVENT } from './dto/record-usage.dto';

const NOT_AN_OBJECT: FieldProblem = { field: 'event', problems: ['each event must be a JSON object'] };

/**
 * One event of a batch, checked by the same compiled USAGE_EVENT that checks the body of
 * POST /v1/usage (through the validation pipe): the two routes cannot disagree on an event.
 */
export function validateUsageEvent(raw: unknown): { dto: RecordUsageDto } | { problems: FieldProblem[] } {
  const checked = USAGE_EVENT.check(raw, NOT_AN_OBJECT);
  return 'problems' in checked ? checked : { dto: checked.value };
}
