import { AccordError } from '@accord/core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

const KEY = 'secret_key_fingerprint';

/**
 * Binds a database to the data folder whose secret key sealed its secrets. The first start records
 * the key's fingerprint (SHA-256 of the key: reveals nothing about it); later starts with another
 * key are refused instead of leaving every TOTP secret unreadable.
 */
export const bindSecretKey = async (db: Kysely<Database>, fingerprint: string): Promise<void> => {
  await db
    .insertInto('node_meta')
    .values({ key: KEY, value: fingerprint })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const row = await db
    .selectFrom('node_meta')
    .select('value')
    .where('key', '=', KEY)
    .executeTakeFirstOrThrow();
  if (row.value !== fingerprint) {
    throw new AccordError(
      'config',
      'this database belongs to another data folder: its secrets were sealed with a different keys/secret.key; use the data folder created with this database, or another database',
    );
  }
};

const ORIGIN_KEY = 'log_origin';
const ORIGIN = /^[A-Za-z0-9][A-Za-z0-9._~:/-]{0,199}$/;

/**
 * The custody log's origin (the first line of every checkpoint) is fixed for the life of the log:
 * the first start records it; a later start asking for another one is refused, because partners'
 * monitors identify the log by it.
 */
export const bindLogOrigin = async (
  db: Kysely<Database>,
  wanted: string | undefined,
  fallback: string,
): Promise<string> => {
  const origin = wanted ?? fallback;
  if (!ORIGIN.test(origin)) {
    throw new AccordError(
      'config',
      `the log origin must be a schema-less URL such as "investigations.example.org/accord" (letters, digits and . _ ~ : / -; got ${JSON.stringify(origin)})`,
    );
  }
  await db
    .insertInto('node_meta')
    .values({ key: ORIGIN_KEY, value: origin })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const row = await db
    .selectFrom('node_meta')
    .select('value')
    .where('key', '=', ORIGIN_KEY)
    .executeTakeFirstOrThrow();
  if (wanted !== undefined && row.value !== wanted) {
    throw new AccordError(
      'config',
      `this node's custody log is named "${row.value}" and cannot be renamed to "${wanted}" (partners identify the log by its origin); unset ACCORD_LOG_ORIGIN`,
    );
  }
  return row.value;
};
