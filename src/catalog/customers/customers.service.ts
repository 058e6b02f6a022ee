import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThan, Repository } from 'typeorm';
import { notFound } from '../../common/errors/tally.error';
import { KeysetCursor } from '../../common/paging/keyset-cursor';
import { Page, readPage } from '../../common/paging/page';
import { isUniqueViolation } from '../../common/postgres-errors';
import { CreateCustomerDto } from './create-customer.dto';
import { Customer } from './customer.entity';
import { ListCustomersQuery } from './list-customers.query';
import { UpdateCustomerDto } from './update-customer.dto';
import { CustomerResponse } from '../catalog.responses';
import { alreadyExists } from '../catalog.errors';

const customerView = (c: Customer): CustomerResponse => ({
  id: c.id,
  externalId: c.externalId,
  name: c.name,
  email: c.email,
  createdAt: c.createdAt.toISOString(),
});

/** Customers by externalId, which is unique: it alone is the keyset. */
const CUSTOMER_CURSOR = new KeysetCursor('customers', { externalId: 'text' });

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

  /** By externalId; with `email`, only the customers with exactly that address (customers_email_idx). */
  list(query: ListCustomersQuery): Promise<Page<CustomerResponse>> {
    return readPage(
      query,
      CUSTOMER_CURSOR,
      (after, limit) =>
        this.customers.find({
          where: {
            ...(query.email !== undefined ? { email: query.email } : {}),
            ...(after ? { externalId: MoreThan(after.externalId) } : {}),
          },
          order: { externalId: 'ASC' },
          take: limit,
        }),
      (customer) => ({ externalId: customer.externalId }),
      customerView,
    );
  }

  /** Changes what the body names: `email: null` clears the address, `{}` changes nothing. */
  async update(externalId: string, dto: UpdateCustomerDto): Promise<CustomerResponse> {
    const changes: Partial<Pick<Customer, 'name' | 'email'>> = {};
    if (dto.name !== undefined) changes.name = dto.name;
    if (dto.email !== undefined) changes.email = dto.email;
    if (Object.keys(changes).length > 0) {
      const { affected } = await this.customers.update({ externalId }, changes);
      if (!affected) throw notFound(`customer '${externalId}'`);
    }
    return this.get(externalId);
  }
}
