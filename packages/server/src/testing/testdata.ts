import { join } from 'node:path';

/** The shared public test data, beside the repository: packages/server/src/testing → ../shared/testdata. */
export const TESTDATA = join(import.meta.dirname, '..', '..', '..', '..', '..', 'shared', 'testdata');

export const testdataPath = (...parts: string[]): string => join(TESTDATA, ...parts);
