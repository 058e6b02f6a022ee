import { ApiProperty } from '@nestjs/swagger';

export class EntitlementResponse {
  feature: string;
  /** remaining > 0, or unlimited. */
  hasAccess: boolean;
  /** Units used in the period. */
  @ApiProperty({ type: 'integer' })
  used: number;
  /** Units held by reservations: not usage, but not available either. */
  @ApiProperty({ type: 'integer' })
  held: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: unlimited' })
  limit: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'limit − used − held; null: unlimited' })
  remaining: number | null;
}

export class FeatureEntitlementResponse extends EntitlementResponse {
  /** Whether `quantity` more would fit right now (nothing is counted or held by asking). */
  fits: boolean;
}

export class EntitlementsResponse {
  @ApiProperty({ format: 'uuid' })
  subscriptionId: string;
  @ApiProperty({ format: 'date-time' })
  periodStart: string;
  @ApiProperty({ format: 'date-time' })
  periodEnd: string;
  @ApiProperty({ type: () => [EntitlementResponse] })
  features: EntitlementResponse[];
}
