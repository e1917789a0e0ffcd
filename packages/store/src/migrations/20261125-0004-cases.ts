import { type Kysely, sql } from 'kysely';
import type { AccordMigration } from './index.ts';
import { appendOnly } from './index.ts';

// Frozen once released. The case module: the case record's own fields, members and compartments,
// joint investigation team agreements, incidents, the proof matrix (suspects, charges, links),
// item classification and admissibility answers, the compartment an item is filed in, and the
// case history (append-only, enforced by triggers) of which the other tables are projections.
export const m20261125_0004_cases: AccordMigration = (dialect) => ({
  async up(db: Kysely<unknown>) {
    const real = dialect === 'postgres' ? 'double precision' : 'real';

    // SQLite adds one column per ALTER TABLE. Rows created before this migration keep null dates:
    // the repository reads a null opened_on as the date of created_at, a null updated_at as created_at.
    const columns: [string, string, string | null][] = [
      ['summary', 'text', "''"],
      ['status', 'text', "'preliminary'"],
      ['jurisdictions', 'text', "'[]'"],
      ['legal_basis', 'text', "''"],
      ['opened_on', 'text', null],
      ['closed_on', 'text', null],
      ['updated_at', 'text', null],
    ];
    for (const [name, type, fallback] of columns) {
      await db.schema
        .alterTable('cases')
        .addColumn(name, sql.raw(type), (c) =>
          fallback === null ? c : c.notNull().defaultTo(sql.raw(fallback)),
        )
        .execute();
    }
    await db.schema.createIndex('cases_created_idx').on('cases').column('created_at').execute();

    await db.schema
      .createTable('case_members')
      .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('added_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('case_members_pk', ['case_id', 'user_id'])
      .execute();
    // The primary key serves "members of a case"; this one serves "cases of a user".
    await db.schema.createIndex('case_members_user_idx').on('case_members').column('user_id').execute();

    await db.schema
      .createTable('case_compartments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('case_compartments_case_name', ['case_id', 'name'])
      .execute();

    await db.schema
      .createTable('compartment_members')
      .addColumn('compartment_id', 'text', (c) => c.notNull().references('case_compartments.id'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addPrimaryKeyConstraint('compartment_members_pk', ['compartment_id', 'user_id'])
      .execute();
    await db.schema
      .createIndex('compartment_members_user_idx')
      .on('compartment_members')
      .column('user_id')
      .execute();

    await db.schema
      .createTable('jit_agreements')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('basis_kind', 'text', (c) => c.notNull())
      .addColumn('legal_basis', 'text', (c) => c.notNull())
      .addColumn('starts_on', 'text', (c) => c.notNull())
      .addColumn('ends_on', 'text')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('purpose_limitation', 'text', (c) => c.notNull())
      .addColumn('participants', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('jit_agreements_case_idx').on('jit_agreements').column('case_id').execute();

    await db.schema
      .createTable('incidents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
      .addColumn('compartment_id', 'text', (c) => c.references('case_compartments.id'))
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('occurred_from', 'text', (c) => c.notNull())
      .addColumn('occurred_to', 'text')
      .addColumn('place', 'text', (c) => c.notNull())
      .addColumn('latitude', sql.raw(real))
      .addColumn('longitude', sql.raw(real))
      .addColumn('acts', 'text', (c) => c.notNull())
      .addColumn('victims', 'text', (c) => c.notNull())
      .addColumn('perpetrator_ids', 'text', (c) => c.notNull())
      .addColumn('perpetrators_other', 'text', (c) => c.notNull())
      .addColumn('sources', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('incidents_case_idx')
      .on('incidents')
      .columns(['case_id', 'created_at'])
      .execute();

    await db.schema
      .createTable('incident_items')
      .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
      .addColumn('item_id', 'text', (c) => c.notNull().references('items.id'))
      .addPrimaryKeyConstraint('incident_items_pk', ['incident_id', 'item_id'])
      .execute();
    await db.schema.createIndex('incident_items_item_idx').on('incident_items').column('item_id').execute();

    await db.schema
      .createTable('suspects')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('position', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('suspects_case_idx')
      .on('suspects')
      .columns(['case_id', 'created_at'])
      .execute();

    await db.schema
      .createTable('charges')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
      .addColumn('suspect_id', 'text', (c) => c.notNull().references('suspects.id'))
      .addColumn('crime_id', 'text', (c) => c.notNull())
      .addColumn('mode_id', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('withdrawn_at', 'text')
      .execute();
    await db.schema
      .createIndex('charges_case_idx')
      .on('charges')
      .columns(['case_id', 'created_at'])
      .execute();

    await db.schema
      .createTable('proof_links')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
      .addColumn('charge_id', 'text', (c) => c.notNull().references('charges.id'))
      .addColumn('element_id', 'text', (c) => c.notNull())
      .addColumn('item_id', 'text', (c) => c.notNull().references('items.id'))
      .addColumn('part_kind', 'text', (c) => c.notNull())
      .addColumn('part', 'text', (c) => c.notNull())
      .addColumn('stance', 'text', (c) => c.notNull())
      .addColumn('weight', 'text', (c) => c.notNull())
      .addColumn('reliability', 'text', (c) => c.notNull())
      .addColumn('credibility', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('withdrawn_at', 'text')
      .execute();
    await db.schema
      .createIndex('proof_links_case_idx')
      .on('proof_links')
      .columns(['case_id', 'created_at'])
      .execute();
    await db.schema.createIndex('proof_links_item_idx').on('proof_links').column('item_id').execute();

    await db.schema
      .createTable('item_profiles')
      .addColumn('item_id', 'text', (c) => c.primaryKey().references('items.id'))
      .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
      .addColumn('source_kind', 'text', (c) => c.notNull())
      .addColumn('source_label', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('item_profiles_case_idx').on('item_profiles').column('case_id').execute();

    await db.schema
      .createTable('item_admissibility')
      .addColumn('item_id', 'text', (c) => c.notNull().references('items.id'))
      .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
      .addColumn('jurisdiction', 'text', (c) => c.notNull())
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('answer', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('item_admissibility_pk', ['item_id', 'jurisdiction', 'rule_id'])
      .execute();
    await db.schema
      .createIndex('item_admissibility_case_idx')
      .on('item_admissibility')
      .column('case_id')
      .execute();

    await db.schema
      .createTable('item_compartments')
      .addColumn('item_id', 'text', (c) => c.primaryKey().references('items.id'))
      .addColumn('compartment_id', 'text', (c) => c.notNull().references('case_compartments.id'))
      .execute();
    await db.schema
      .createIndex('item_compartments_compartment_idx')
      .on('item_compartments')
      .column('compartment_id')
      .execute();

    await db.schema
      .createTable('case_events')
      .addColumn('seq', dialect === 'sqlite' ? 'integer' : 'bigint', (c) =>
        dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedAlwaysAsIdentity(),
      )
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
      .addColumn('compartment_id', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor_user_id', 'text')
      .addColumn('actor_org_id', 'text')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('subject_id', 'text')
      .addColumn('details', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('case_events_case_idx')
      .on('case_events')
      .columns(['case_id', 'seq'])
      .execute();
    await appendOnly(db, dialect, 'case_events');
  },
});
