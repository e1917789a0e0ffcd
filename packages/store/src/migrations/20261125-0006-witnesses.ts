import { type Kysely, sql } from 'kysely';
import type { AccordMigration } from './index.ts';
import { appendOnly } from './index.ts';

// Frozen once released. The witnesses module: witnesses known by a pseudonym, their real identity
// (a separate row, filed in a protection compartment), and three histories that are append-only,
// enforced by triggers: the consent given and withdrawn, the statements taken, the risk assessments.
export const m20261125_0006_witnesses: AccordMigration = (dialect) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('witnesses')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
      .addColumn('pseudonym', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('languages', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('witnesses_case_pseudonym', ['case_id', 'pseudonym'])
      .execute();
    // W-0001 and w-0001 are the same witness to people: one of them only, even when two requests race.
    await sql`create unique index witnesses_case_pseudonym_ci on witnesses (case_id, lower(pseudonym))`.execute(
      db,
    );
    await db.schema
      .createIndex('witnesses_case_idx')
      .on('witnesses')
      .columns(['case_id', 'created_at'])
      .execute();

    await db.schema
      .createTable('witness_identities')
      .addColumn('witness_id', 'text', (c) => c.primaryKey().references('witnesses.id'))
      .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
      .addColumn('compartment_id', 'text', (c) => c.notNull().references('case_compartments.id'))
      .addColumn('full_name', 'text', (c) => c.notNull())
      .addColumn('other_names', 'text', (c) => c.notNull())
      .addColumn('date_of_birth', 'text')
      .addColumn('contact', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('witness_identities_case_idx')
      .on('witness_identities')
      .column('case_id')
      .execute();

    await db.schema
      .createTable('consent_events')
      .addColumn('seq', dialect === 'sqlite' ? 'integer' : 'bigint', (c) =>
        dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedAlwaysAsIdentity(),
      )
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('witness_id', 'text', (c) => c.notNull().references('witnesses.id'))
      .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('recorded_by', 'text')
      .addColumn('via', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('consent_events_witness_idx')
      .on('consent_events')
      .columns(['witness_id', 'seq'])
      .execute();
    await appendOnly(db, dialect, 'consent_events');

    await db.schema
      .createTable('witness_statements')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('witness_id', 'text', (c) => c.notNull().references('witnesses.id'))
      .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
      .addColumn('item_id', 'text', (c) => c.references('items.id'))
      .addColumn('taken_on', 'text', (c) => c.notNull())
      .addColumn('taken_by', 'text', (c) => c.notNull())
      .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('language', 'text', (c) => c.notNull())
      .addColumn('interpreter', 'text', (c) => c.notNull())
      .addColumn('consent_at_time', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .execute();
    await db.schema
      .createIndex('witness_statements_witness_idx')
      .on('witness_statements')
      .columns(['witness_id', 'taken_on'])
      .execute();
    await db.schema
      .createIndex('witness_statements_case_idx')
      .on('witness_statements')
      .columns(['case_id', 'taken_on'])
      .execute();
    await appendOnly(db, dialect, 'witness_statements');

    await db.schema
      .createTable('risk_assessments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('witness_id', 'text', (c) => c.notNull().references('witnesses.id'))
      .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
      .addColumn('level', 'text', (c) => c.notNull())
      .addColumn('assessed_on', 'text', (c) => c.notNull())
      .addColumn('threats', 'text', (c) => c.notNull())
      .addColumn('measures', 'text', (c) => c.notNull())
      .addColumn('review_on', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .execute();
    await db.schema
      .createIndex('risk_assessments_witness_idx')
      .on('risk_assessments')
      .columns(['witness_id', 'assessed_on'])
      .execute();
    await db.schema
      .createIndex('risk_assessments_case_idx')
      .on('risk_assessments')
      .column('case_id')
      .execute();
    await appendOnly(db, dialect, 'risk_assessments');
  },
});
