import { ApiProperty } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/tally.error';
import { ErrorBody } from '../../common/errors/api-exception.filter';

/** Every error of the API: statusCode, code and message, plus details that depend on the code. */
export class ErrorBodyResponse implements ErrorBody {
  [detail: string]: unknown;

  /** The HTTP status, repeated. */
  @ApiProperty({ example: 404 })
  statusCode: number;

  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode', example: ErrorCode.NotFound })
  code: ErrorCode;

  /** For people: what went wrong, naming the field or the thing. */
  @ApiProperty({ example: "feature 'messages' not found" })
  message: string;
}
