import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { EVENT_TYPES, EventType } from '../../event-types';

export const EVENT_TYPES_MESSAGE = `each value in eventTypes must be one of: ${EVENT_TYPES.join(', ')}`;

export class CreateWebhookEndpointDto {
  /** https or http; checked further by the service (credentials, addresses). */
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  url: string;

  /** The types to deliver; absent: every type, also those added later. */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(EVENT_TYPES, { each: true, message: EVENT_TYPES_MESSAGE })
  eventTypes?: EventType[];

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}
