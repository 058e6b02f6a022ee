import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQuery } from '../../../common/paging/page.query';
import { INVOICE_STATUSES, InvoiceStatus } from '../entities/invoice.entity';

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
