import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CreateCustomerDto } from './create-customer.dto';
import { CustomersService, CustomerView } from './customers.service';

@Controller('v1/customers')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Post()
  @HttpCode(201)
  create(@Body() dto: CreateCustomerDto): Promise<CustomerView> {
    return this.customers.create(dto);
  }

  @Get(':externalId')
  get(@Param('externalId') externalId: string): Promise<CustomerView> {
    return this.customers.get(externalId);
  }
}
