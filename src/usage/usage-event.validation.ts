import { isISO8601 } from 'class-validator';
import { FieldProblem } from '../common/validation';
import { RecordUsageDto } from './dto/record-usage.dto';

const FIELDS = new Set(['subscriptionId', 'feature', 'quantity', 'idempotencyKey', 'occurredAt']);

function text(value: unknown, field: string, max: number, problems: FieldProblem[]): void {
  if (typeof value !== 'string') problems.push({ field, problems: [`${field} must be a string`] });
  else if (value.length === 0) problems.push({ field, problems: [`${field} should not be empty`] });
  else if (value.length > max) problems.push({ field, problems: [`${field} must be at most ${max} characters`] });
}

/**
 * The rules of RecordUsageDto, checked by hand for the events of a batch: a thousand events
 * through class-validator cost more than writing them to the database. The bad-input tests run
 * the same table through both paths, so the two cannot drift apart unnoticed.
 */
export function validateUsageEvent(raw: unknown): { dto: RecordUsageDto } | { problems: FieldProblem[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { problems: [{ field: 'event', problems: ['each event must be a JSON object'] }] };
  }
  const body = raw as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const key of Object.keys(body)) {
    if (!FIELDS.has(key)) problems.push({ field: key, problems: [`property ${key} should not exist`] });
  }
  text(body.subscriptionId, 'subscriptionId', 100, problems);
  text(body.feature, 'feature', 100, problems);
  const q = body.quantity;
  if (q !== undefined) {
    if (typeof q !== 'number' || !Number.isInteger(q)) {
      problems.push({ field: 'quantity', problems: ['quantity must be an integer number'] });
    } else if (q < 1 || q > Number.MAX_SAFE_INTEGER) {
      problems.push({ field: 'quantity', problems: [`quantity must be from 1 to ${Number.MAX_SAFE_INTEGER}`] });
    }
  }
  if (body.idempotencyKey !== undefined) {
    text(body.idempotencyKey, 'idempotencyKey', 255, problems);
  }
  const at = body.occurredAt;
  if (at !== undefined) {
    if (typeof at !== 'string' || !isISO8601(at, { strict: true, strictSeparator: true })) {
      problems.push({ field: 'occurredAt', problems: ['occurredAt must be a valid ISO 8601 date string'] });
    }
  }
  if (problems.length > 0) return { problems };
  const dto = new RecordUsageDto();
  dto.subscriptionId = body.subscriptionId as string;
  dto.feature = body.feature as string;
  if (typeof q === 'number') dto.quantity = q;
  if (typeof body.idempotencyKey === 'string') dto.idempotencyKey = body.idempotencyKey;
  if (typeof at === 'string') dto.occurredAt = at;
  return { dto };
}
