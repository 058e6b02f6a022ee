import { IsEmail, IsOptional, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/paging/page.query';

export class ListCustomersQuery extends PageQuery {
  /** Only the customers with exactly this e-mail address. */
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  email?: string;
}
