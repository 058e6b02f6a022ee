import { ApiProperty, IntersectionType } from '@nestjs/swagger';
import { UsageAnswerResponse } from '../../dto/usage.responses';
import { CounterFiguresResponse } from '../../entitlements/dto/entitlement.responses';

export class ReservationResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ format: 'uuid' })
  subscriptionId: string;
  feature: string;
  /** Units held. */
  @ApiProperty({ type: 'integer' })
  quantity: number;
  @ApiProperty({ enum: ['held', 'committed', 'released', 'expired'] })
  status: string;
  /** When it was made: a commit counts as usage that occurred then, in this period. */
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
  @ApiProperty({ format: 'date-time' })
  expiresAt: string;
  @ApiProperty({ format: 'date-time' })
  periodStart: string;
  @ApiProperty({ format: 'date-time' })
  periodEnd: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'What its commit counted; null unless committed' })
  committedQuantity: number | null;
}

/** A reservation as made (201) or found by its idempotencyKey (200), with its counter's figures then (held: all its reservations). */
export class HeldReservationResponse extends IntersectionType(ReservationResponse, CounterFiguresResponse) {}

/** The v1 usage answer of the commit's event, and the reservation it came from. */
export class CommitAnswerResponse extends UsageAnswerResponse {
  @ApiProperty({ format: 'uuid' })
  reservationId: string;
}
