import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ErrorCode, TallyError } from './errors/tally.error';

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

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    // Only what the DTO declares is converted: "5" stays a string and fails @IsInt.
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: (errors) => validationFailed(flatten(errors)),
  });
}
