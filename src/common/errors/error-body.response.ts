import { ApiProperty } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/tally.error';

/** Every error of the API: statusCode, code and message, plus details that depend on the code. */
export class ErrorBodyResponse {
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
