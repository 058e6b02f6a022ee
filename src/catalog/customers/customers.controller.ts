import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/tally.error';
import { ApiErrors, ApiV1, BODY_ERRORS } from '../../openapi/api-errors.decorator';
import { CreateCustomerDto } from './create-customer.dto';
import { CustomersService } from './customers.service';
import { CustomerPageResponse, CustomerResponse } from '../catalog.responses';
import { ListCustomersQuery } from './list-customers.query';
import { UpdateCustomerDto } from './update-customer.dto';

@ApiV1('catalog')
@Controller('v1/customers')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({ type: CustomerResponse })
  @ApiErrors(...BODY_ERRORS, ErrorCode.AlreadyExists)
  create(@Body() dto: CreateCustomerDto): Promise<CustomerResponse> {
    return this.customers.create(dto);
  }

  @Get()
  @ApiOkResponse({ type: CustomerPageResponse, description: 'By externalId' })
  @ApiErrors(ErrorCode.ValidationFailed)
  list(@Query() query: ListCustomersQuery): Promise<CustomerPageResponse> {
    return this.customers.list(query);
  }

  @Get(':externalId')
  @ApiOkResponse({ type: CustomerResponse })
  @ApiErrors(ErrorCode.NotFound)
  get(@Param('externalId') externalId: string): Promise<CustomerResponse> {
    return this.customers.get(externalId);
  }

  /** `{ name?, email? }`: only what is sent changes; `email: null` clears it; `{}` answers the customer unchanged. */
  @Patch(':externalId')
  @ApiOkResponse({ type: CustomerResponse })
  @ApiErrors(...BODY_ERRORS, ErrorCode.NotFound)
  update(@Param('externalId') externalId: string, @Body() dto: UpdateCustomerDto): Promise<CustomerResponse> {
    return this.customers.update(externalId, dto);
  }
}
