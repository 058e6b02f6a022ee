import { ApiProperty } from '@nestjs/swagger';

export class PortalSessionResponse {
  /** `<PUBLIC_URL>/portal/<token>`: hand it to the customer; it is shown once and never stored. */
  @ApiProperty({ format: 'uri', example: 'https://billing.example.com/portal/9mV0b…' })
  url: string;
  @ApiProperty({ format: 'date-time' })
  expiresAt: string;
}

export class RevokedPortalSessionsResponse {
  /** How many of the customer's sessions were still live and are now revoked. */
  @ApiProperty({ type: 'integer', example: 2 })
  revoked: number;
}
