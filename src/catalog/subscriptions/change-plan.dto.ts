import { IsIn, IsOptional } from 'class-validator';
import { IsKey } from '../../common/dto-rules';

export type ChangeAt = 'period_end' | 'now';
export const CHANGE_AT: readonly ChangeAt[] = ['period_end', 'now'];

export class ChangePlanDto {
  /** The plan to move to: same currency and interval as the current one. */
  @IsKey()
  planKey: string;

  /**
   * `period_end` (default): the new plan governs from the next period on. `now`: the running
   * period ends here (billed under the old plan, base fee prorated) and a new one starts under the
   * new plan, to the end the old one would have had; limits count from zero.
   */
  @IsOptional()
  @IsIn(CHANGE_AT, { message: `at must be one of: ${CHANGE_AT.join(', ')}` })
  at?: ChangeAt;
}
