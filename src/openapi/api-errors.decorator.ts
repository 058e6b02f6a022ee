import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { statusOf } from '../common/errors/api-exception.filter';
import { ErrorCode } from '../common/errors/tally.error';
import { ErrorBodyResponse } from '../common/errors/error-body.response';

/** The security scheme of DocumentBuilder.addBearerAuth in openapi.ts. */
export const API_KEY_AUTH = 'api-key';

/** When each code is answered, for the document; every code of the contract is here. */
const WHEN: Record<ErrorCode, string> = {
  [ErrorCode.ValidationFailed]: 'a field is missing or malformed; `errors` lists each field and its problems',
  [ErrorCode.Unauthorized]: 'no `Authorization: Bearer <key>`, or a key that is not one of API_KEYS',
  [ErrorCode.NotFound]: 'the thing named in the path or the body does not exist',
  [ErrorCode.AlreadyExists]: 'the key (or externalId) is taken',
  [ErrorCode.VersionMismatch]: 'If-Match names an older version of the plan: read it again and retry',
  [ErrorCode.PreconditionRequired]: 'If-Match with the plan version (its ETag) is missing',
  [ErrorCode.LimitExceeded]: 'used + quantity would pass the limit; nothing was counted. Carries `used` and `limit`',
  [ErrorCode.PeriodClosed]: 'the period is before the subscription start, after its end, or already invoiced',
  [ErrorCode.ReservationClosed]: 'the reservation was released, expired, or committed (release): nothing changed. Carries its `status`',
  [ErrorCode.Conflict]: 'the state does not allow it (e.g. a subscription already cancelled)',
  [ErrorCode.Contention]: 'optimistic strategy: too many concurrent writers on one counter; nothing counted. Retry-After says when to retry',
  [ErrorCode.Unavailable]: 'the database (or buffered metering) is unavailable, or the instance is shutting down; Retry-After',
  [ErrorCode.PayloadTooLarge]: 'the body is larger than 1 MiB',
  [ErrorCode.UnsupportedMediaType]: 'the body is not sent as Content-Type: application/json',
  [ErrorCode.MethodNotAllowed]: 'the path exists, the method does not',
  [ErrorCode.Internal]: 'a fault of Tally; logged, answered without internals',
};

/** What every request with a JSON body may be answered besides its own errors. */
export const BODY_ERRORS = [ErrorCode.ValidationFailed, ErrorCode.PayloadTooLarge, ErrorCode.UnsupportedMediaType];

/** Documents the error answers of a route (or, on a class, of all its routes) with the contract's body. */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
  return applyDecorators(
    ApiExtraModels(ErrorBodyResponse),
    ...[...byStatus].map(([status, group]) =>
      ApiResponse({
        status,
        description: group.map((code) => `\`${code}\`: ${WHEN[code]}`).join('\n\n'),
        content: {
          'application/json': {
            schema: { $ref: getSchemaPath(ErrorBodyResponse) },
            examples: Object.fromEntries(
              group.map((code) => [code, { value: { statusCode: status, code, message: WHEN[code] } }]),
            ),
          },
        },
      }),
    ),
  );
}

/** A controller of the v1 API: tagged, behind the API key, and what any of its routes may answer. */
export function ApiV1(tag: string): ClassDecorator {
  return applyDecorators(
    ApiTags(tag),
    ApiBearerAuth(API_KEY_AUTH),
    ApiErrors(ErrorCode.Unauthorized, ErrorCode.Unavailable, ErrorCode.Internal),
  );
}
