import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Customer } from '../../catalog/customers/customer.entity';
import { notFound } from '../../common/errors/tally.error';
import { TALLY_CONFIG } from '../../config/config.module';
import { TallyConfig } from '../../config/config';
import { PortalSessionResponse, RevokedPortalSessionsResponse } from '../portal.responses';
import { CreatePortalSessionDto, PORTAL_SESSION_DEFAULT_SECONDS } from './dto/create-portal-session.dto';
import { PortalSession, PortalSessionsRepository } from './portal-sessions.repository';
import { hashPortalToken, isPortalTokenShaped, newPortalToken } from './portal-token';

/** Links to a customer's usage page: made, revoked, and resolved back to the customer. */
@Injectable()
export class PortalSessionsService {
  constructor(
    private readonly sessions: PortalSessionsRepository,
    @InjectRepository(Customer) private readonly customers: Repository<Customer>,
    @Inject(TALLY_CONFIG) private readonly config: TallyConfig,
  ) {}

  async create(externalId: string, dto: CreatePortalSessionDto): Promise<PortalSessionResponse> {
    const customer = await this.customer(externalId);
    const token = newPortalToken();
    const expiresAt = await this.sessions.create(
      customer.id,
      hashPortalToken(token),
      dto.expiresInSeconds ?? PORTAL_SESSION_DEFAULT_SECONDS,
      dto.returnUrl ?? null,
    );
    return { url: `${this.config.publicUrl}/portal/${token}`, expiresAt: expiresAt.toISOString() };
  }

  async revokeAll(externalId: string): Promise<RevokedPortalSessionsResponse> {
    const customer = await this.customer(externalId);
    return { revoked: await this.sessions.revokeAll(customer.id) };
  }

  /** The live session of a token; undefined for an unknown, expired or revoked one alike. */
  async resolve(token: string): Promise<PortalSession | undefined> {
    if (!isPortalTokenShaped(token)) return undefined;
    return this.sessions.findLive(hashPortalToken(token));
  }

  private async customer(externalId: string): Promise<Customer> {
    const customer = await this.customers.findOneBy({ externalId });
    if (!customer) throw notFound(`customer '${externalId}'`);
    return customer;
  }
}
