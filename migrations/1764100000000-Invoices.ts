import { MigrationInterface, QueryRunner } from 'typeorm';

export class Invoices1764100000000 implements MigrationInterface {
  name = 'Invoices1764100000000';

  async up(q: QueryRunner): Promise<void> {
    // One invoice per (subscription, period): the unique index is what makes a rollup exactly once,
    // whoever runs it and however often. customer_id is copied from the subscription (which never
    // changes customer) so that listing by customer needs no join through subscriptions.
    // Amounts are unconstrained numeric: exact, already rounded to the currency's minor unit.
    await q.query(`
      CREATE TABLE invoices (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        subscription_id uuid NOT NULL REFERENCES subscriptions (id),
        customer_id uuid NOT NULL REFERENCES customers (id),
        plan_id uuid NOT NULL,
        plan_version integer NOT NULL,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL CHECK (period_end > period_start),
        currency char(3) NOT NULL,
        status varchar(10) NOT NULL DEFAULT 'finalized' CHECK (status IN ('finalized', 'void')),
        total numeric NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        voided_at timestamptz,
        FOREIGN KEY (plan_id, plan_version) REFERENCES plan_versions (plan_id, version),
        CONSTRAINT invoices_subscription_period_key UNIQUE (subscription_id, period_start)
      )`);
    // Listing is newest period first with a (period_start, id) keyset cursor, optionally per customer.
    await q.query(`CREATE INDEX invoices_period_idx ON invoices (period_start DESC, id DESC)`);
    await q.query(`CREATE INDEX invoices_customer_period_idx ON invoices (customer_id, period_start DESC, id DESC)`);

    await q.query(`
      CREATE TABLE invoice_lines (
        invoice_id uuid NOT NULL REFERENCES invoices (id),
        position integer NOT NULL,
        type varchar(10) NOT NULL CHECK (type IN ('base_fee', 'usage')),
        feature_id uuid REFERENCES features (id),
        quantity bigint CHECK (quantity >= 0),
        amount numeric NOT NULL,
        PRIMARY KEY (invoice_id, position),
        CHECK ((type = 'usage') = (feature_id IS NOT NULL AND quantity IS NOT NULL))
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE invoice_lines`);
    await q.query(`DROP TABLE invoices`);
  }
}
