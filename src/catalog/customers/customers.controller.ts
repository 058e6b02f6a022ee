import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/tally.error';
import { ApiErrors, ApiV1, BODY_ERRORS } from '../../openapi/api-errors.decorator';
import { CreateCustomerDto } from './create-customer.dto';
import { CustomersService } from './customers.service';
import { CustomerResponse } from '../catalog.responses';

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

  @Get(':externalId')
  @ApiOkResponse({ type: CustomerResponse })
  @ApiErrors(ErrorCode.NotFound)
  get(@Param('externalId') externalId: string): Promise<CustomerResponse> {
    return this.customers.get(externalId);
  }
}
