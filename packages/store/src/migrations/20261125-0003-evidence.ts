import { type Kysely, sql } from 'kysely';
import type { AccordMigration } from './index.ts';
import { appendOnly } from './index.ts';

// Frozen once released. Evidence items, their capture records, custody events and the custody
// log (tiles, tree head, signed checkpoints). Events, capture records and checkpoints are
// append-only, enforced by triggers; items change only through the log's transaction.
export const m20261125_0003_evidence: AccordMigration = (dialect) => ({
  async up(db: Kysely<unknown>) {
    const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
    const real = dialect === 'postgres' ? 'double precision' : 'real';
    await db.schema
      .createTable('items')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('media_type', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('derived_from', 'text', (c) => c.references('items.id'))
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('problems', 'text', (c) => c.notNull())
      .addColumn('captured_at', 'text')
      .addColumn('latitude', sql.raw(real))
      .addColumn('longitude', sql.raw(real))
      .addColumn('sensitive', 'integer', (c) => c.notNull())
      .addColumn('holder_org_id', 'text')
      .addColumn('holder_user_id', 'text')
      .addColumn('sealed_at', 'text')
      .addColumn('seal_reason', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('event_count', 'integer', (c) => c.notNull())
      .addColumn('head_hash', 'text', (c) => c.notNull())
      .addUniqueConstraint('items_case_sha256', ['case_id', 'sha256'])
      .execute();
    await db.schema.createIndex('items_sha256_idx').on('items').column('sha256').execute();
    await db.schema.createIndex('items_created_idx').on('items').columns(['created_at', 'id']).execute();
    await db.schema.createIndex('items_derived_idx').on('items').column('derived_from').execute();

    await db.schema
      .createTable('custody_events')
      .addColumn('leaf_index', 'bigint', (c) => c.primaryKey())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('item_id', 'text', (c) => c.notNull().references('items.id'))
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor_user_id', 'text')
      .addColumn('actor_org_id', 'text')
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('bytes', sql.raw(bytes), (c) => c.notNull())
      .addColumn('private_record', 'text')
      .execute();
    await db.schema
      .createIndex('custody_events_item_idx')
      .on('custody_events')
      .columns(['item_id', 'leaf_index'])
      .execute();
    await appendOnly(db, dialect, 'custody_events');

    await db.schema
      .createTable('collections')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('item_id', 'text', (c) => c.notNull().references('items.id'))
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('file_name', 'text')
      .addColumn('collected_by', 'text')
      .addColumn('collected_at', 'text')
      .addColumn('source_url', 'text')
      .addColumn('method', 'text')
      .addColumn('latitude', sql.raw(real))
      .addColumn('longitude', sql.raw(real))
      .addColumn('note', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('collections_item_idx').on('collections').column('item_id').execute();
    await appendOnly(db, dialect, 'collections');

    await db.schema
      .createTable('log_tiles')
      .addColumn('level', 'integer', (c) => c.notNull())
      .addColumn('idx', 'bigint', (c) => c.notNull())
      .addColumn('hashes', sql.raw(bytes), (c) => c.notNull())
      .addPrimaryKeyConstraint('log_tiles_pk', ['level', 'idx'])
      .execute();

    await db.schema
      .createTable('log_state')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('root', sql.raw(bytes), (c) => c.notNull())
      .execute();
    const empty = Buffer.from('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex');
    await sql`INSERT INTO log_state (id, size, root) VALUES (1, 0, ${empty})`.execute(db);

    await db.schema
      .createTable('log_checkpoints')
      .addColumn('size', 'bigint', (c) => c.primaryKey())
      .addColumn('root', sql.raw(bytes), (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await appendOnly(db, dialect, 'log_checkpoints');
  },
});
