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
