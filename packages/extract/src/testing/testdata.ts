// Test-only helpers (not exported by the package): the shared public test data, which lives outside the
// repository in ../shared/testdata (never copied into it), and ways to run an extractor over bytes.
import { readFileSync } from 'node:fs';
import { createExtractor } from '../extractor.ts';
import type { ExtractedMetadata, ExtractorOptions } from '../types.ts';

/** packages/extract/src/testing → repository root → ../shared/testdata */
export const TESTDATA = new URL('../../../../../shared/testdata/', import.meta.url);

export const testdataPath = (path: string): URL => new URL(path, TESTDATA);
export const testdataBytes = (path: string): Uint8Array => new Uint8Array(readFileSync(testdataPath(path)));
export const testdataText = (path: string): string => readFileSync(testdataPath(path), 'utf8');

/** Runs an extractor over the given chunks, in order. */
export const extractChunks = (
  chunks: Iterable<Uint8Array>,
  options?: ExtractorOptions,
): Promise<ExtractedMetadata> => {
  const extractor = createExtractor(options);
  for (const chunk of chunks) extractor.write(chunk);
  return extractor.end();
};

export const extractBytes = (bytes: Uint8Array, options?: ExtractorOptions): Promise<ExtractedMetadata> =>
  extractChunks([bytes], options);
