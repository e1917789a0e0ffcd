import type { Readable } from 'node:stream';
import { invalid } from '../shared/errors.ts';

/** Lowercase hex SHA-256 of a blob's bytes: the blob's only name. */
export type Sha256Hex = string & { readonly __brand: 'Sha256Hex' };

const SHA256_HEX = /^[0-9a-f]{64}$/;

export const parseSha256Hex = (value: string): Sha256Hex => {
  if (!SHA256_HEX.test(value)) {
    throw invalid(
      `not a SHA-256 hex digest (64 lowercase hex characters): ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
  return value as Sha256Hex;
};

export interface StoredBlob {
  readonly sha256: Sha256Hex;
  readonly size: number;
  /** false when the same bytes were already stored (content addressing: stored once). */
  readonly created: boolean;
}

/**
 * Content-addressed storage of immutable byte strings. Implementations must make a blob visible
 * only once all its bytes are durable: a reader never sees a half-written blob.
 */
export interface BlobStore {
  /** Streams `source` into the store, hashing while it streams. */
  put(source: Readable | AsyncIterable<Uint8Array>): Promise<StoredBlob>;
  /** Opens a stored blob; throws AccordError('not_found') when absent. */
  get(sha256: Sha256Hex): Promise<Readable>;
  has(sha256: Sha256Hex): Promise<boolean>;
  size(sha256: Sha256Hex): Promise<number | undefined>;
}
