import { IsUUID } from 'class-validator';

export class ResendEventDto {
  /** The endpoint to send the event to (again): any endpoint, subscribed to the type or not. */
  @IsUUID()
  endpointId: string;
}
