import { sql } from 'kysely';
import type { OpenDatabase } from '../db/open.ts';

/**
 * Every value of every row of every table as one string, for tests that search the database for
 * what must never be stored (a reporter's address, a plaintext report, a protected name).
 */
export const dumpDatabase = async (database: OpenDatabase): Promise<string> => {
  const db = database.db;
  const tables =
    database.dialect === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows
      : (
          await sql<{ name: string }>`select table_name as name from information_schema.tables
            where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db)
        ).rows;
  let out = '';
  for (const { name } of tables) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db)).rows;
    out += `${name}\n${JSON.stringify(rows, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v))}\n`;
  }
  return out;
};
