import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQuery } from '../../../common/page.query';
import { INVOICE_STATUSES, InvoiceStatus } from '../entities/invoice.entity';

export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../../common/page.query';

export class ListInvoicesQuery extends PageQuery {
  @IsOptional()
  @IsUUID()
  subscriptionId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  customerExternalId?: string;

  @IsOptional()
  @IsIn(INVOICE_STATUSES, { message: `status must be one of: ${INVOICE_STATUSES.join(', ')}` })
  status?: InvoiceStatus;
}
