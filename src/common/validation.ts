import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { ErrorCode, TallyError } from './errors/tally.error';
import { schemaOf } from './object-schema';
import { stringProblem } from './text';
import { HAS_TIME, parseTimestamp } from './timestamp';

export interface FieldProblem {
  field: string;
  problems: string[];
}

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : parent
        ? `${parent}.${error.property}`
        : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** 400 validation_failed whose message names every bad field; `errors` lists them one by one. */
export function validationFailed(problems: FieldProblem[]): TallyError {
  const message = problems.map((p) => `${p.field}: ${p.problems.join(', ')}`).join('; ');
  return new TallyError(ErrorCode.ValidationFailed, message || 'invalid request', { errors: problems });
}

export function invalidField(field: string, problem: string): TallyError {
  return validationFailed([{ field, problems: [problem] }]);
}

/** The timestamp in `field` (parseTimestamp), or 400 naming the field. `withTime`: a date alone is refused. */
export function timestampField(field: string, text: string, { withTime = false } = {}): Date {
  const date = parseTimestamp(text);
  if (!date || (withTime && !HAS_TIME.test(text))) {
    const example = withTime ? ' with a time, such as 2025-02-01T00:00:00Z' : ', such as 2025-02-01T00:00:00Z';
    throw invalidField(field, `${field} must be an ISO-8601 timestamp${example}`);
  }
  return date;
}

/** No DTO declares them; an own property so named is an unknown field like any other. */
const STRIPPED_KEYS = new Set(['constructor', 'prototype', '__proto__']);

/** Deeper than this, a body is refused before any recursive code (class-transformer) sees it. */
export const MAX_DEPTH = 32;

/**
 * The first problem (as `flatten` names fields) of the strings in `value`, or of its depth: every
 * string must be storable text, and nesting is bounded before anything recursive walks it.
 */
function badInput(value: unknown, path: string, depth = 0): FieldProblem | undefined {
  if (typeof value === 'string') {
    const problem = stringProblem(path, value);
    return problem === undefined ? undefined : { field: path, problems: [problem] };
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > MAX_DEPTH) return { field: path, problems: [`${path} is nested more than ${MAX_DEPTH} levels deep`] };
  for (const [key, child] of Object.entries(value)) {
    const childPath = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    // Nest's ValidationPipe deletes these before validating, so no later check would see them.
    if (!Array.isArray(value) && STRIPPED_KEYS.has(key)) return { field: childPath, problems: [`property ${key} should not exist`] };
    const found = badInput(child, childPath, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

const declared = new WeakMap<Function, Set<string>>();

/** The properties a DTO class declares (has validation rules for); empty for anything else. */
function declaredFields(type: Function): Set<string> {
  let fields = declared.get(type);
  if (!fields) {
    fields = new Set(getMetadataStorage().getTargetValidationMetadatas(type, '', true, false).map((m) => m.propertyName));
    declared.set(type, fields);
  }
  return fields;
}

/**
 * Own properties of the body that its DTO does not declare, at any depth of nested DTOs, found by
 * walking the body beside the DTO instance made from it. class-transformer drops a property
 * whose name the instance already has as a method (`toString`, `hasOwnProperty`, `valueOf`…), and
 * class-validator's whitelist finds such names on Object.prototype: both let them pass unseen.
 */
function unknownFields(plain: unknown, made: unknown, path: string): FieldProblem[] {
  if (Array.isArray(plain)) {
    return Array.isArray(made) ? plain.flatMap((item, i) => unknownFields(item, made[i], `${path}[${i}]`)) : [];
  }
  if (plain === null || typeof plain !== 'object' || made === null || typeof made !== 'object') return [];
  const fields = declaredFields(made.constructor);
  if (fields.size === 0) return [];
  return Object.keys(plain).flatMap((key) => {
    const field = path ? `${path}.${key}` : key;
    if (!fields.has(key)) return [{ field, problems: [`property ${key} should not exist`] }];
    return unknownFields((plain as Record<string, unknown>)[key], (made as Record<string, unknown>)[key], field);
  });
}

const BODY_NOT_AN_OBJECT: FieldProblem = { field: 'body', problems: ['the request body must be a JSON object'] };

/**
 * The house ValidationPipe. A body whose DTO is declared with @SchemaDto (object-schema.ts) is
 * checked by its compiled schema alone, which makes the checks below itself. Any other goes
 * through class-validator, with two checks class-validator does not make:
 * - PostgreSQL text cannot hold U+0000, so a NUL in any string (body, route parameter, query) made
 *   the query fail and the request end in a 500; a lone surrogate became U+FFFD on the way in, so
 *   two different strings were stored alike. Both are a 400 naming the field instead, and so is a
 *   body nested deeper than MAX_DEPTH, before class-transformer's recursion could overflow.
 * - A body that is not a JSON object (an array, a string, a number, null) is named as such, rather
 *   than answered with a complaint about every missing field.
 */
class TallyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const schema = metadata.type === 'body' ? schemaOf(metadata.metatype) : undefined;
    if (schema) {
      const checked = schema.check(value, BODY_NOT_AN_OBJECT);
      if ('problems' in checked) throw validationFailed(checked.problems);
      return checked.value;
    }
    const bad = badInput(value, metadata.data ?? '');
    if (bad !== undefined) {
      const field = bad.field || metadata.type;
      throw validationFailed([{ field, problems: bad.problems.map((p) => (bad.field ? p : `${field}${p}`)) }]);
    }
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    if (metadata.type === 'body' && value !== undefined && !isObject && this.toValidate(metadata)) {
      throw invalidField('body', 'the request body must be a JSON object');
    }
    const made = await super.transform(value, metadata);
    const unknown = unknownFields(value, made, '');
    if (unknown.length > 0) throw validationFailed(unknown);
    return made;
  }
}

export function createValidationPipe(): ValidationPipe {
  return new TallyValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    // Only what the DTO declares is converted: "5" stays a string and fails @IsInt.
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: (errors) => validationFailed(flatten(errors)),
  });
}
