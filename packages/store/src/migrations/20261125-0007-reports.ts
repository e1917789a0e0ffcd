import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Dialect } from '../db/open.ts';
import type { AccordMigration } from './index.ts';
import { appendOnly } from './index.ts';

// Frozen once released. Safe reporting (docs/reporting.md): recipients' sealed key pairs, reports,
// each report's key wrapped to each recipient, the report's thread (append-only, numbered per
// report) and its attachments (whose only change is being filed in a case, once).
//
// What a reporter writes is sealed; these rows hold only what the team sorts by. Every date a
// reporter causes is a day (YYYY-MM-DD), never a time of day, and the database refuses anything
// else in those columns; no column holds an address, an IP or a user agent.
export const m20261125_0007_reports: AccordMigration = (dialect) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('recipient_keys')
      .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id'))
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('sealed_private', 'text', (c) => c.notNull())
      .addColumn('salt', 'text', (c) => c.notNull())
      .addColumn('created_on', 'text', (c) => c.notNull())
      .addCheckConstraint('recipient_keys_days', isDay(dialect, 'created_on'))
      .execute();

    await db.schema
      .createTable('reports')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('lookup', 'text', (c) => c.notNull().unique())
      .addColumn('language', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('received_on', 'text', (c) => c.notNull())
      .addColumn('updated_on', 'text', (c) => c.notNull())
      .addColumn('assigned_to', 'text', (c) => c.references('users.id'))
      .addColumn('case_id', 'text', (c) => c.references('cases.id'))
      .addColumn('incident_id', 'text', (c) => c.references('incidents.id'))
      .addColumn('witness_id', 'text', (c) => c.references('witnesses.id'))
      .addColumn('code_wrap', 'text', (c) => c.notNull())
      .addColumn('sealed', 'text', (c) => c.notNull())
      .addCheckConstraint(
        'reports_days',
        sql`${isDay(dialect, 'received_on')} and ${isDay(dialect, 'updated_on')}`,
      )
      .execute();
    await db.schema
      .createIndex('reports_status_idx')
      .on('reports')
      .columns(['status', 'received_on'])
      .execute();

    await db.schema
      .createTable('report_key_wraps')
      .addColumn('report_id', 'text', (c) => c.notNull().references('reports.id'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('wrapped', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('report_key_wraps_pk', ['report_id', 'user_id'])
      .execute();
    // missingWraps looks up a user's wraps; the primary key serves lookups by report.
    await db.schema
      .createIndex('report_key_wraps_user_idx')
      .on('report_key_wraps')
      .column('user_id')
      .execute();

    // seq is 1, 2, 3… per report, given by the repository while it holds the report row's lock.
    await db.schema
      .createTable('report_entries')
      .addColumn('report_id', 'text', (c) => c.notNull().references('reports.id'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('author_user_id', 'text', (c) => c.references('users.id'))
      .addColumn('on_day', 'text', (c) => c.notNull())
      .addColumn('sealed', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('report_entries_pk', ['report_id', 'seq'])
      .addCheckConstraint('report_entries_days', isDay(dialect, 'on_day'))
      .addCheckConstraint('report_entries_seq', sql`seq >= 1`)
      .execute();
    await appendOnly(db, dialect, 'report_entries');

    await db.schema
      .createTable('report_attachments')
      .addColumn('report_id', 'text', (c) => c.notNull().references('reports.id'))
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('sealed', 'text', (c) => c.notNull())
      .addColumn('item_id', 'text', (c) => c.references('items.id'))
      .addUniqueConstraint('report_attachments_position', ['report_id', 'position'])
      .execute();
    await fileOnce(db, dialect);
  },
});

/** A YYYY-MM-DD day and nothing more (no time, no zone). */
const isDay = (dialect: Dialect, column: string): RawBuilder<unknown> =>
  dialect === 'sqlite'
    ? sql.raw(`(${column} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')`)
    : sql.raw(`(${column} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')`);

/**
 * An attachment row never changes but for being filed in a case: item_id goes from null to an item,
 * once. Deletes are refused too: on SQLite, INSERT OR REPLACE is a delete and an insert (with
 * recursive triggers on, the delete trigger runs), and on PostgreSQL ON CONFLICT DO UPDATE is an
 * update, so neither can rewrite a row either.
 */
const fileOnce = async (db: Kysely<unknown>, dialect: Dialect): Promise<void> => {
  const message = 'report_attachments rows only change by being filed once';
  if (dialect === 'sqlite') {
    await sql
      .raw(
        `CREATE TRIGGER report_attachments_file_once BEFORE UPDATE ON report_attachments
         WHEN OLD.item_id IS NOT NULL OR NEW.item_id IS NULL
           OR NEW.report_id IS NOT OLD.report_id OR NEW.id IS NOT OLD.id
           OR NEW.position IS NOT OLD.position OR NEW.sealed IS NOT OLD.sealed
         BEGIN SELECT RAISE(ABORT, '${message}'); END`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER report_attachments_no_delete BEFORE DELETE ON report_attachments
         BEGIN SELECT RAISE(ABORT, '${message}'); END`,
      )
      .execute(db);
    return;
  }
  await sql
    .raw(
      `CREATE FUNCTION accord_report_attachment_file_once() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP <> 'UPDATE' OR OLD.item_id IS NOT NULL OR NEW.item_id IS NULL
            OR NEW.report_id IS DISTINCT FROM OLD.report_id OR NEW.id IS DISTINCT FROM OLD.id
            OR NEW.position IS DISTINCT FROM OLD.position OR NEW.sealed IS DISTINCT FROM OLD.sealed THEN
           RAISE EXCEPTION '${message}';
         END IF;
         RETURN NEW;
       END $$`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER report_attachments_file_once BEFORE UPDATE OR DELETE ON report_attachments
       FOR EACH ROW EXECUTE FUNCTION accord_report_attachment_file_once()`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER report_attachments_no_truncate BEFORE TRUNCATE ON report_attachments
       FOR EACH STATEMENT EXECUTE FUNCTION accord_append_only()`,
    )
    .execute(db);
};
