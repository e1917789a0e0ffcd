import { createHash, hash } from 'node:crypto';

/**
 * Synchronous RFC 9162 hashing for the node's own log, where throughput matters (appends,
 * proofs, full audits). The browser-safe, asynchronous implementation in @accord/custody is the
 * reference; tests check that both agree.
 */
export const HASH_SIZE = 32;

const LEAF = Buffer.from([0x00]);

export const sha256 = (bytes: Uint8Array): Uint8Array => hash('sha256', bytes, 'buffer');

export const sha256Hex = (bytes: Uint8Array): string => hash('sha256', bytes, 'hex');

/** SHA-256(0x00 ‖ leaf) */
export const hashLeaf = (leaf: Uint8Array): Uint8Array =>
  createHash('sha256').update(LEAF).update(leaf).digest();

/** SHA-256(0x01 ‖ left ‖ right) */
export const hashChildren = (left: Uint8Array, right: Uint8Array): Uint8Array => {
  if (left.byteLength !== HASH_SIZE || right.byteLength !== HASH_SIZE) {
    return sha256(Buffer.concat([SCRATCH.subarray(0, 1), left, right]));
  }
  // One reused buffer: this runs a million times a second in audits, and hashing is synchronous.
  SCRATCH.set(left, 1);
  SCRATCH.set(right, 33);
  return sha256(SCRATCH);
};
const SCRATCH = Buffer.alloc(1 + 2 * HASH_SIZE, 0x01);

/** The i-th 32-byte hash of a concatenation of hashes. */
export const hashAt = (hashes: Uint8Array, i: number): Uint8Array =>
  hashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);

/**
 * Merkle Tree Hash of `count` consecutive hashes taken from `hashes` at `first`, treating them as
 * the leaves' level (they are already hashes). `count` must be ≥ 1.
 */
export const subtreeRoot = (hashes: Uint8Array, first: number, count: number): Uint8Array => {
  if (count === 1) return hashAt(hashes, first);
  const k = largestPowerOfTwoBelow(count);
  return hashChildren(subtreeRoot(hashes, first, k), subtreeRoot(hashes, first + k, count - k));
};

/** The largest power of two strictly less than n (n ≥ 2). */
export const largestPowerOfTwoBelow = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
