import { AccordError } from '@accord/core';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { NodeSqliteDatabase } from './node-sqlite.ts';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export type DatabaseTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface OpenDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Where the data lives, safe to print: a PostgreSQL password is never included. */
  readonly description: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Parses ACCORD_DATABASE_URL-style values; only postgres:// and postgresql:// are accepted. */
export const parseDatabaseUrl = (value: string): URL => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AccordError(
      'config',
      'the database URL is not a valid URL (expected postgres://user@host:port/dbname)',
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new AccordError(
      'config',
      `the database URL must start with postgres:// (got ${url.protocol}//); leave it unset to use the embedded database`,
    );
  }
  return url;
};

export const redactUrl = (url: URL): string => {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href;
};

export const openDatabase = async (target: DatabaseTarget): Promise<OpenDatabase> => {
  switch (target.kind) {
    case 'sqlite':
      return openSqlite(target.path);
    case 'postgres':
      return openPostgres(target.url);
  }
};

const openSqlite = async (path: string): Promise<OpenDatabase> => {
  let database: NodeSqliteDatabase;
  try {
    database = new NodeSqliteDatabase(path);
  } catch (e) {
    throw new AccordError('unavailable', `cannot open the database file ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return {
    db,
    dialect: 'sqlite',
    description: `sqlite:${path}`,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
};

const openPostgres = async (value: string): Promise<OpenDatabase> => {
  const url = parseDatabaseUrl(value);
  const description = redactUrl(url);
  const pool = new pg.Pool({ connectionString: value, max: 10, connectionTimeoutMillis: 5000 });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (e) {
    await db.destroy().catch(() => {});
    throw new AccordError('unavailable', `cannot reach the database at ${description}: ${pgReason(e)}`, {
      cause: e,
    });
  }
  return {
    db,
    dialect: 'postgres',
    description,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
};

const pgReason = (e: unknown): string => {
  if (e instanceof AggregateError && e.errors.length > 0) return pgReason(e.errors[0]);
  if (e instanceof Error) {
    const code = (e as { code?: string }).code;
    return code && !e.message.includes(code) ? `${e.message} (${code})` : e.message || String(code);
  }
  return String(e);
};
