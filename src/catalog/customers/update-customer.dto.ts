import { IsEmail, IsOptional, MaxLength, ValidateIf } from 'class-validator';
import { IsName } from '../../common/dto-rules';

/** Only what is sent changes; `{}` changes nothing and answers the customer as it is. */
export class UpdateCustomerDto {
  /** The new name; it cannot be cleared. */
  // Checked whenever sent: a null name would be a NOT NULL violation (a 500), so it is a 400.
  @ValidateIf((_dto: object, value: unknown) => value !== undefined)
  @IsName()
  name?: string;

  /** The new address; null clears it. */
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  email?: string | null;
}
