import { MigrationInterface, QueryRunner } from 'typeorm';

export class Invoices1764100000000 implements MigrationInterface {
  name = 'Invoices1764100000000';

  async up(q: QueryRunner): Promise<void> {
    // One invoice per (subscription, period): the unique index is what makes a rollup exactly once,
    // whoever runs it and however often. customer_id is copied from the subscription (which never
    // changes customer) so that listing by customer needs no join through subscriptions.
    //
    // Lines are a jsonb array on the invoice rather than a table of their own: they are written once,
    // with the invoice, and always read with it. A lines table with a foreign key to invoices was
    // measured at 100x slower on a first large rollup: PostgreSQL caches the plan of a foreign-key
    // check per connection, planned while invoices was still empty (a sequential scan), and kept it
    // while the rollup filled the table.
    // Amounts (total, and each line's) are exact decimals already rounded to the currency's minor unit.
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
        lines jsonb NOT NULL CHECK (jsonb_typeof(lines) = 'array'),
        total numeric NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        voided_at timestamptz,
        FOREIGN KEY (plan_id, plan_version) REFERENCES plan_versions (plan_id, version),
        CONSTRAINT invoices_subscription_period_key UNIQUE (subscription_id, period_start)
      )`);
    // Listing is newest period first with a (period_start, id) keyset cursor, optionally per customer.
    await q.query(`CREATE INDEX invoices_period_idx ON invoices (period_start DESC, id DESC)`);
    await q.query(`CREATE INDEX invoices_customer_period_idx ON invoices (customer_id, period_start DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE invoices`);
  }
}
