import { AccordError } from '@accord/core';

/**
 * Turns a unique-constraint violation (two concurrent creations of the same name) into the same
 * conflict the service reports when it sees the duplicate first; other errors pass through.
 */
export const conflictOnUnique =
  (message: string, context: Record<string, unknown>) =>
  (e: unknown): never => {
    const err = e as { code?: string; errcode?: number; message?: string };
    // PostgreSQL SQLSTATE 23505; SQLite extended code 2067 (SQLITE_CONSTRAINT_UNIQUE).
    if (
      err?.code === '23505' ||
      err?.errcode === 2067 ||
      /UNIQUE constraint failed/.test(err?.message ?? '')
    ) {
      throw new AccordError('conflict', message, { context, cause: e });
    }
    throw e;
  };
