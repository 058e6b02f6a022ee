import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { notFound } from '../../common/errors/tally.error';
import { isUniqueViolation } from '../../common/postgres-errors';
import { CreateCustomerDto } from './create-customer.dto';
import { Customer } from './customer.entity';
import { CustomerResponse } from '../catalog.responses';
import { alreadyExists } from '../catalog.errors';

const customerView = (c: Customer): CustomerResponse => ({
  id: c.id,
  externalId: c.externalId,
  name: c.name,
  email: c.email,
  createdAt: c.createdAt.toISOString(),
});

@Injectable()
export class CustomersService {
  constructor(@InjectRepository(Customer) private readonly customers: Repository<Customer>) {}

  async create(dto: CreateCustomerDto): Promise<CustomerResponse> {
    try {
      const customer = this.customers.create({ externalId: dto.externalId, name: dto.name, email: dto.email ?? null });
      return customerView(await this.customers.save(customer));
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw alreadyExists(`customer '${dto.externalId}'`);
      }
      throw error;
    }
  }

  async get(externalId: string): Promise<CustomerResponse> {
    const customer = await this.customers.findOneBy({ externalId });
    if (!customer) throw notFound(`customer '${externalId}'`);
    return customerView(customer);
  }
}
