import { ApiProperty } from '@nestjs/swagger';
import { SubscriptionPeriodResponse } from '../../dto/usage.responses';

/** What a counter has left: limit − used − held. */
export class CounterFiguresResponse {
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

export class EntitlementResponse extends CounterFiguresResponse {
  feature: string;
  /** remaining > 0, or unlimited. */
  hasAccess: boolean;
}

export class FeatureEntitlementResponse extends EntitlementResponse {
  /** Whether `quantity` more would fit right now (nothing is counted or held by asking). */
  fits: boolean;
}

export class EntitlementsResponse extends SubscriptionPeriodResponse {
  @ApiProperty({ type: () => [EntitlementResponse] })
  features: EntitlementResponse[];
}
