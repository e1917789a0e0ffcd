// Test-only helpers (not exported by the package): the shared public test vectors, which live
// outside the repository in ../shared/testdata, and assertions on CustodyError codes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CustodyError, type CustodyErrorCode } from '../errors.ts';

/** packages/custody/src/testing → repository root → ../shared/testdata */
export const TESTDATA = new URL('../../../../../shared/testdata/', import.meta.url);

export const vectorText = (path: string): string => readFileSync(new URL(path, TESTDATA), 'utf8');
export const vectorBytes = (path: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(path, TESTDATA)));

export const rejectsWith = async (
  promise: Promise<unknown>,
  codes: CustodyErrorCode | CustodyErrorCode[],
  message?: RegExp,
): Promise<void> => {
  const allowed = Array.isArray(codes) ? codes : [codes];
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof CustodyError, `expected a CustodyError, got ${String(e)}`);
    assert.ok(allowed.includes(e.code), `code ${e.code} of "${e.message}" not in ${allowed.join(', ')}`);
    if (message) assert.match(e.message, message);
    return true;
  });
};

export const throwsMalformed = (fn: () => unknown, message?: RegExp): void => {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CustodyError, `expected a CustodyError, got ${String(e)}`);
    assert.equal(e.code, 'malformed', e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
};
