import { AccordError } from '@accord/core';
import { type Kysely, sql } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
import type { Dialect } from '../db/open.ts';
import { m20261125_0001_accounts } from './20261125-0001-accounts.ts';
import { m20261125_0002_node_meta } from './20261125-0002-node-meta.ts';
import { m20261125_0003_evidence } from './20261125-0003-evidence.ts';
import { m20261125_0004_cases } from './20261125-0004-cases.ts';
import { m20261125_0005_case_leads } from './20261125-0005-case-leads.ts';
import { m20261125_0006_witnesses } from './20261125-0006-witnesses.ts';
import { m20261125_0007_reports } from './20261125-0007-reports.ts';

/**
 * Migrations are code, named by timestamp, and frozen once released: a change to the schema is a
 * new migration, never an edit of an old one. Each receives the dialect so that the few
 * statements SQL cannot say portably (triggers, identity columns) are written once per engine.
 */
export type AccordMigration = (dialect: Dialect) => Migration;

const ALL: Record<string, AccordMigration> = {
  '20261125-0001-accounts': m20261125_0001_accounts,
  '20261125-0002-node-meta': m20261125_0002_node_meta,
  '20261125-0003-evidence': m20261125_0003_evidence,
  '20261125-0004-cases': m20261125_0004_cases,
  '20261125-0005-case-leads': m20261125_0005_case_leads,
  '20261125-0006-witnesses': m20261125_0006_witnesses,
  '20261125-0007-reports': m20261125_0007_reports,
};

class CodeMigrations implements MigrationProvider {
  readonly #dialect: Dialect;
  constructor(dialect: Dialect) {
    this.#dialect = dialect;
  }
  async getMigrations(): Promise<Record<string, Migration>> {
    return Object.fromEntries(Object.entries(ALL).map(([name, m]) => [name, m(this.#dialect)]));
  }
}

export interface MigrationReport {
  readonly applied: readonly string[];
  readonly current: string | undefined;
}

/** Brings the schema up to date. Safe to run any number of times, concurrently on PostgreSQL. */
export const migrateToLatest = async <DB>(db: Kysely<DB>, dialect: Dialect): Promise<MigrationReport> => {
  const migrator = new Migrator({
    db,
    provider: new CodeMigrations(dialect),
    migrationTableName: 'accord_migrations',
    migrationLockTableName: 'accord_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new AccordError('unavailable', `database migration ${failed} failed: ${describe(error)}`, {
      cause: error,
    });
  }
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  const all = await migrator.getMigrations();
  const current = all.filter((m) => m.executedAt !== undefined).at(-1)?.name;
  return { applied, current };
};

export const knownMigrations = (): readonly string[] => Object.keys(ALL);

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Rejects UPDATE and DELETE on an event table: evidentiary and security history is append-only. */
export const appendOnly = async (db: Kysely<unknown>, dialect: Dialect, table: string): Promise<void> => {
  if (dialect === 'sqlite') {
    for (const op of ['UPDATE', 'DELETE']) {
      await sql
        .raw(
          `CREATE TRIGGER IF NOT EXISTS ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table}
           BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END`,
        )
        .execute(db);
    }
    return;
  }
  await sql
    .raw(
      `CREATE OR REPLACE FUNCTION accord_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
       FOR EACH ROW EXECUTE FUNCTION accord_append_only()`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
       FOR EACH STATEMENT EXECUTE FUNCTION accord_append_only()`,
    )
    .execute(db);
};
