import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Decimal from 'decimal.js';
import { DataSource, EntityManager, In, MoreThan } from 'typeorm';
import { isCurrency } from '../../billing/pricing/currency';
import { validateDecimalString, validatePricing } from '../../billing/pricing/validate-pricing';
import { notFound } from '../../common/errors/tally.error';
import { KeysetCursor } from '../../common/paging/keyset-cursor';
import { Page, readPage } from '../../common/paging/page';
import { isUniqueViolation } from '../../common/postgres-errors';
import { FieldProblem, validationFailed } from '../../common/validation';
import { Feature } from '../features/feature.entity';
import { ChargeDto } from './dto/charge.dto';
import { CreatePlanDto } from './dto/create-plan.dto';
import { ListPlansQuery } from './dto/list-plans.query';
import { UpdatePlanDto } from './dto/update-plan.dto';
import { PlanCharge } from './plan-charge.entity';
import { PlanVersion } from './plan-version.entity';
import { Plan } from './plan.entity';
import { PlanResponse } from '../catalog.responses';
import { alreadyExists, chargeFeatureNotFound, planVersionMismatch, planVersionRequired } from '../catalog.errors';
import { Alert, alertProblems, storedAlerts } from './alerts';

/** base_fee is numeric(30, 12): 18 digits before the point. A longer one was a 500 (numeric overflow). */
const BASE_FEE_INTEGER_DIGITS = 18;

function baseFeeOutOfRange(value: string): string | null {
  const integerDigits = value.split('.')[0].replace(/^0+/, '').length;
  return integerDigits > BASE_FEE_INTEGER_DIGITS
    ? `baseFee must be less than 10^${BASE_FEE_INTEGER_DIGITS} (at most ${BASE_FEE_INTEGER_DIGITS} digits before the point)`
    : null;
}

function checkMoneyAndPricing(dto: { baseFee?: unknown; charges?: ChargeDto[] }, currency?: string): void {
  const problems: FieldProblem[] = [];
  if (currency !== undefined && !isCurrency(currency)) {
    problems.push({ field: 'currency', problems: ['currency must be an ISO 4217 code such as "USD" or "KRW"'] });
  }
  if (dto.baseFee !== undefined) {
    const problem = validateDecimalString(dto.baseFee, 'baseFee') ?? baseFeeOutOfRange(dto.baseFee as string);
    if (problem) problems.push({ field: 'baseFee', problems: [problem] });
  }
  const seen = new Set<string>();
  dto.charges?.forEach((charge, i) => {
    if (seen.has(charge.feature)) {
      problems.push({ field: `charges[${i}].feature`, problems: [`feature '${charge.feature}' is charged twice`] });
    }
    seen.add(charge.feature);
    if (charge.pricing !== undefined && charge.pricing !== null) {
      const found = validatePricing(charge.pricing, `charges[${i}].pricing`);
      if (found.length > 0) problems.push({ field: `charges[${i}].pricing`, problems: found });
    }
    problems.push(...alertProblems(charge, i));
  });
  if (problems.length > 0) throw validationFailed(problems);
}

/** `If-Match: *`: whatever version the plan has now (RFC 9110). Versions themselves start at 1. */
const ANY_VERSION = -2;

/** Accepts `3`, `"3"`, `W/"3"` and `*`; anything else matches no version. */
export function parseIfMatch(header: string | undefined): number | undefined | null {
  if (header === undefined || header.trim() === '') return undefined;
  if (header.trim() === '*') return ANY_VERSION;
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  return match ? Number(match[1]) : null;
}

/** A charge as stored: the limit a bigint string, null for unlimited. */
interface StoredCharge {
  feature: string;
  limit: string | null;
  pricing: Record<string, unknown> | null;
  alerts: Alert[] | null;
}

const chargeOf = (row: StoredCharge) => ({
  feature: row.feature,
  limit: row.limit === null ? null : Number(row.limit),
  pricing: row.pricing ?? null,
  alerts: row.alerts ?? [],
});

/** Plans by key, which is unique: it alone is the keyset. */
const PLAN_CURSOR = new KeysetCursor('plans', { key: 'text' });

@Injectable()
export class PlansService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(dto: CreatePlanDto): Promise<PlanResponse> {
    checkMoneyAndPricing(dto, dto.currency);
    try {
      const planId = await this.db.transaction(async (manager) => {
        const features = await this.resolveFeatures(manager, dto.charges);
        const plan = await manager.getRepository(Plan).save(
          manager.getRepository(Plan).create({
            key: dto.key,
            name: dto.name,
            currency: dto.currency,
            interval: dto.interval,
            baseFee: dto.baseFee ?? '0',
          }),
        );
        await this.writeVersion(manager, plan.id, plan.version, plan.baseFee, dto.charges, features, plan.createdAt);
        return plan.id;
      });
      return this.view(planId);
    } catch (error) {
      if (isUniqueViolation(error, 'plans_key_key')) {
        throw alreadyExists(`plan '${dto.key}'`);
      }
      throw error;
    }
  }

  /**
   * Optimistic locking on edits: the UPDATE matches only the version the client read, so of two
   * edits made from the same read, exactly one wins and the other is told 412.
   */
  async update(key: string, ifMatch: string | undefined, dto: UpdatePlanDto): Promise<PlanResponse> {
    const expected = parseIfMatch(ifMatch);
    if (expected === undefined) {
      throw planVersionRequired();
    }
    checkMoneyAndPricing(dto);
    const planId = await this.db.transaction(async (manager) => {
      const [rows]: [{ id: string; version: number; base_fee: string; effective_from: Date }[], number] =
        await manager.query(
        `UPDATE plans
            SET name = coalesce($3, name), base_fee = coalesce($4, base_fee),
                version = version + 1, updated_at = now()
          WHERE key = $1 AND (version = $2 OR $2 = ${ANY_VERSION})
          RETURNING id, version, base_fee, now() AS effective_from`,
        [key, expected ?? -1, dto.name ?? null, dto.baseFee ?? null],
      );
      if (rows.length === 0) {
        const current = await manager.getRepository(Plan).findOneBy({ key });
        if (!current) throw notFound(`plan '${key}'`);
        throw planVersionMismatch(key, current.version, String(ifMatch));
      }
      const [{ id, version, base_fee: baseFee, effective_from: effectiveFrom }] = rows;
      const charges = dto.charges ?? (await this.chargesOf(manager, id, version - 1));
      const features = await this.resolveFeatures(manager, charges);
      await this.writeVersion(manager, id, version, baseFee, charges, features, effectiveFrom);
      return id as string;
    });
    return this.view(planId);
  }

  async list(query: ListPlansQuery): Promise<Page<PlanResponse>> {
    const page = await readPage(
      query,
      PLAN_CURSOR,
      (after, limit) =>
        this.db.getRepository(Plan).find({ where: after ? { key: MoreThan(after.key) } : {}, order: { key: 'ASC' }, take: limit }),
      (plan) => ({ key: plan.key }),
      (plan) => plan,
    );
    // The charges of the whole page in one query, not one per plan.
    return { ...page, data: await this.views(page.data) };
  }

  async get(key: string): Promise<PlanResponse> {
    const plan = await this.db.getRepository(Plan).findOneBy({ key });
    if (!plan) throw notFound(`plan '${key}'`);
    return this.view(plan.id);
  }

  private async resolveFeatures(manager: EntityManager, charges: ChargeDto[]): Promise<Map<string, Feature>> {
    const keys = charges.map((c) => c.feature);
    const found = keys.length ? await manager.getRepository(Feature).findBy({ key: In(keys) }) : [];
    const byKey = new Map(found.map((f) => [f.key, f]));
    const missing = charges.findIndex((c) => !byKey.has(c.feature));
    if (missing >= 0) {
      throw chargeFeatureNotFound(missing, keys[missing]);
    }
    return byKey;
  }

  private async writeVersion(
    manager: EntityManager,
    planId: string,
    version: number,
    baseFee: string,
    charges: ChargeDto[],
    features: Map<string, Feature>,
    effectiveFrom: Date,
  ): Promise<void> {
    await manager.getRepository(PlanVersion).insert({ planId, version, baseFee, effectiveFrom });
    if (charges.length === 0) return;
    await manager.getRepository(PlanCharge).insert(
      charges.map((charge, position) => ({
        planId,
        version,
        featureId: features.get(charge.feature)!.id,
        position,
        limit: charge.limit === undefined || charge.limit === null ? null : String(charge.limit),
        pricing: (charge.pricing ?? null) as PlanCharge['pricing'],
        alerts: storedAlerts(charge),
      })),
    );
  }

  private async chargesOf(manager: EntityManager, planId: string, version: number): Promise<ChargeDto[]> {
    const rows: StoredCharge[] = await manager.query(
      `SELECT f.key AS feature, c."limit", c.pricing, c.alerts
         FROM plan_charges c JOIN features f ON f.id = c.feature_id
        WHERE c.plan_id = $1 AND c.version = $2
        ORDER BY c.position`,
      [planId, version],
    );
    return rows.map(chargeOf);
  }

  private async view(planId: string): Promise<PlanResponse> {
    const [plan] = await this.views([await this.db.getRepository(Plan).findOneByOrFail({ id: planId })]);
    return plan;
  }

  /** The plans with their current charges, read in one query for all of them. */
  private async views(plans: Plan[]): Promise<PlanResponse[]> {
    if (plans.length === 0) return [];
    const rows: ({ plan_id: string } & StoredCharge)[] = await this.db.query(
      `SELECT c.plan_id, f.key AS feature, c."limit", c.pricing, c.alerts
         FROM plan_charges c
         JOIN unnest($1::uuid[], $2::int[]) AS current(plan_id, version)
           ON current.plan_id = c.plan_id AND current.version = c.version
         JOIN features f ON f.id = c.feature_id
        ORDER BY c.plan_id, c.position`,
      [plans.map((p) => p.id), plans.map((p) => p.version)],
    );
    return plans.map((plan) => ({
      id: plan.id,
      key: plan.key,
      name: plan.name,
      currency: plan.currency,
      interval: plan.interval,
      baseFee: new Decimal(plan.baseFee).toFixed(),
      charges: rows.filter((row) => row.plan_id === plan.id).map(chargeOf),
      version: plan.version,
      createdAt: plan.createdAt.toISOString(),
      updatedAt: plan.updatedAt.toISOString(),
    }));
  }
}
