import { IsISO8601, IsOptional } from 'class-validator';

export class RunRollupDto {
  /** Invoice what is due as of this instant; defaults to now and may not lie in the future. */
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  asOf?: string;
}
