import { IsIn } from 'class-validator';

export type CancelAt = 'period_end' | 'now';
export const CANCEL_AT: readonly CancelAt[] = ['period_end', 'now'];

export class CancelSubscriptionDto {
  /** `now`: ends at once, with a short, prorated last period. `period_end`: at the end of the current period. */
  @IsIn(CANCEL_AT, { message: `at must be one of: ${CANCEL_AT.join(', ')}` })
  at: CancelAt;
}
