import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsNotEmpty, IsString, MaxLength, ValidateIf } from 'class-validator';
import { EVENT_TYPES, EventType } from '../../event-types';
import { EVENT_TYPES_MESSAGE } from './create-webhook-endpoint.dto';

/** What PATCH may change; absent fields stay as they are. */
export class UpdateWebhookEndpointDto {
  // null is not absent: it would clear a column that must have a value, so it is refused (400).
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  url?: string;

  /** null: every type again. */
  @ValidateIf((_, value) => value !== undefined && value !== null)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(EVENT_TYPES, { each: true, message: EVENT_TYPES_MESSAGE })
  eventTypes?: EventType[] | null;

  /** null clears it. */
  @ValidateIf((_, value) => value !== undefined && value !== null)
  @IsString()
  @MaxLength(500)
  description?: string | null;

  /** false: nothing new is queued for it and nothing queued is sent until it is enabled again. */
  @ValidateIf((_, value) => value !== undefined)
  @IsBoolean()
  enabled?: boolean;
}
