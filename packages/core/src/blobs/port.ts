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

export interface PutOptions {
  /**
   * Sees every chunk of the source, in order, as the store consumes it, so that a caller can feed
   * another consumer (a metadata extractor) without reading the source twice. The chunk must not be
   * modified; a throw aborts the put, which then leaves nothing behind.
   */
  readonly onChunk?: (chunk: Uint8Array) => void;
}

/**
 * A byte range of a blob: `start` inclusive, `end` exclusive (default: the blob's size). Both are
 * integers with 0 <= start <= end <= size; anything else is refused with AccordError('invalid_input').
 */
export interface ByteRange {
  readonly start: number;
  readonly end?: number;
}

/** The outcome of checking a stored blob against its name; `problem` says what is wrong, for people. */
export type BlobVerification = { readonly ok: true } | { readonly ok: false; readonly problem: string };

/**
 * Content-addressed storage of immutable byte strings. Implementations must make a blob visible
 * only once all its bytes are durable: a reader never sees a half-written blob.
 */
export interface BlobStore {
  /** Streams `source` into the store, hashing while it streams. */
  put(source: Readable | AsyncIterable<Uint8Array>, options?: PutOptions): Promise<StoredBlob>;
  /**
   * Opens a stored blob, or the given range of it; throws AccordError('not_found') when absent.
   * Bytes that fail an integrity check make the promise or the stream fail with
   * AccordError('integrity').
   */
  get(sha256: Sha256Hex, range?: ByteRange): Promise<Readable>;
  has(sha256: Sha256Hex): Promise<boolean>;
  /** The blob's size in bytes (of its content, whatever the store's representation on disk). */
  size(sha256: Sha256Hex): Promise<number | undefined>;
  /**
   * Reads the whole blob and checks it against its name (and whatever else the store can check).
   * Never throws for a missing or damaged blob: it names the problem instead.
   */
  verifyBlob(sha256: Sha256Hex): Promise<BlobVerification>;
  /** Every stored blob's name (for integrity audits). */
  list(): AsyncIterable<Sha256Hex>;
}
