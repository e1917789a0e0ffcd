import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import pg from 'pg';
import { type OpenDatabase, openDatabase } from '../db/open.ts';
import { type MigrationReport, migrateToLatest } from '../migrations/index.ts';

export type TestDatabaseName = 'sqlite' | 'postgres';

/** A fresh, migrated, empty database that belongs to one test; `cleanup` closes and deletes it. */
export interface TestDatabaseHandle {
  readonly database: OpenDatabase;
  /** What the initial `migrateToLatest` reported when the database was created. */
  readonly migration: MigrationReport;
  /** For PostgreSQL, the URL of this database (to open it again, e.g. through a whole node). */
  readonly url?: string;
  cleanup(): Promise<void>;
}

export type CreateTestDatabase = () => Promise<TestDatabaseHandle>;

export interface TestDatabase {
  readonly name: TestDatabaseName;
  create: CreateTestDatabase;
}

const URL_VARIABLE = 'ACCORD_TEST_DATABASE_URL';

const migrate = (database: OpenDatabase): Promise<MigrationReport> =>
  migrateToLatest(database.db, database.dialect);

const createSqlite: CreateTestDatabase = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'accord-db-'));
  let database: OpenDatabase | undefined;
  try {
    database = await openDatabase({ kind: 'sqlite', path: join(dir, 'accord.sqlite') });
    const migration = await migrate(database);
    const opened = database;
    return {
      database: opened,
      migration,
      cleanup: async () => {
        try {
          await opened.close();
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    await database?.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
};

/** Runs one statement on the server's maintenance connection (the database named in the URL). */
const admin = async (url: string, statement: string): Promise<void> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
};

const createPostgres: CreateTestDatabase = async () => {
  const base = process.env[URL_VARIABLE];
  if (!base) {
    throw new Error(
      `${URL_VARIABLE} is not set, so the PostgreSQL tests cannot run. Run the suite with \`npm test\` ` +
        '(e.g. `npm test -- packages/store`): it starts a throwaway PostgreSQL and sets this variable.',
    );
  }
  // Only hex digits: safe to splice into the statement, and a valid unquoted identifier.
  const name = `accord_t_${randomBytes(8).toString('hex')}`;
  const url = new URL(base);
  url.pathname = `/${name}`;
  await admin(base, `CREATE DATABASE ${name}`);
  const drop = () => admin(base, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  let database: OpenDatabase | undefined;
  try {
    database = await openDatabase({ kind: 'postgres', url: url.href });
    const migration = await migrate(database);
    const opened = database;
    return {
      database: opened,
      migration,
      url: url.href,
      cleanup: async () => {
        try {
          await opened.close();
        } finally {
          await drop();
        }
      },
    };
  } catch (e) {
    await database?.close().catch(() => {});
    await drop().catch(() => {});
    throw e;
  }
};

/**
 * The databases every storage test runs against. PostgreSQL is never skipped: without
 * ACCORD_TEST_DATABASE_URL its `create()` fails with a message saying how to run the suite.
 */
export const testDatabases = (): TestDatabase[] => [
  { name: 'sqlite', create: createSqlite },
  { name: 'postgres', create: createPostgres },
];

/** Registers `describe(\`${title} (${name})\`)` once per database, handing `fn` that database's `create`. */
export const describeEachDatabase = (
  title: string,
  fn: (create: CreateTestDatabase, name: TestDatabaseName) => void,
): void => {
  for (const { name, create } of testDatabases()) {
    describe(`${title} (${name})`, () => fn(create, name));
  }
};

/**
 * Wraps a test body so that it gets a fresh database and the database is removed afterwards,
 * whether the body passes or fails: `it('…', withDatabase(create, async ({ database }) => { … }))`.
 */
export const withDatabase =
  (create: CreateTestDatabase, fn: (handle: TestDatabaseHandle) => Promise<void>) =>
  async (): Promise<void> => {
    const handle = await create();
    try {
      await fn(handle);
    } finally {
      await handle.cleanup();
    }
  };
