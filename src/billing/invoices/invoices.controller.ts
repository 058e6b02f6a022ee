import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/tally.error';
import { ApiErrors, ApiV1 } from '../../openapi/api-errors.decorator';
import { ListInvoicesQuery } from './dto/list-invoices.query';
import { InvoicesService } from './invoices.service';
import { InvoicePageResponse, InvoiceResponse } from '../billing.responses';

@ApiV1('billing')
@Controller('v1/invoices')
export class InvoicesController {
  constructor(private readonly invoices: InvoicesService) {}

  @Get()
  @ApiOkResponse({ type: InvoicePageResponse, description: 'Newest period first' })
  @ApiErrors(ErrorCode.ValidationFailed)
  list(@Query() query: ListInvoicesQuery): Promise<InvoicePageResponse> {
    return this.invoices.list(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: InvoiceResponse })
  @ApiErrors(ErrorCode.NotFound)
  get(@Param('id') id: string): Promise<InvoiceResponse> {
    return this.invoices.get(id);
  }

  @Post(':id/void')
  @HttpCode(200)
  @ApiOkResponse({ type: InvoiceResponse })
  @ApiErrors(ErrorCode.NotFound)
  void(@Param('id') id: string): Promise<InvoiceResponse> {
    return this.invoices.void(id);
  }
}
