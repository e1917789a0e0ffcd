import type { Kysely } from 'kysely';
import type { AccordMigration } from './index.ts';

// Frozen: released schema. Change the schema with a new migration.
export const m20261125_0002_node_meta: AccordMigration = () => ({
  async up(db: Kysely<unknown>) {
    // Facts about the node that must agree with its data folder (e.g. which secret key sealed the
    // TOTP secrets), so that a database is never silently used with the wrong folder.
    await db.schema
      .createTable('node_meta')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
});
