/**
 * Reference, in-memory Merkle tree computations over a full list of leaf hashes (RFC 9162 §2.1).
 * They hash O(n) nodes per call and are meant for tests, small trees and cross-checking; a
 * storage-backed log serves proofs from tiles instead.
 *
 * Arguments that make no sense (index out of range, size1 = 0, …) are programming errors and throw
 * `RangeError`; the verifiers in `proof.ts` are the place for untrusted input.
 */
import { emptyRoot, hashChildren } from './hash.ts';

const isSize = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/** Largest power of two strictly smaller than `n`, for n ≥ 2 (RFC 9162 §2.1.1, the split point k). */
const splitPoint = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

/** MTH(D[start:end]) for a non-empty range (RFC 9162 §2.1.1). */
const subtreeHash = async (
  leaves: readonly Uint8Array[],
  start: number,
  end: number,
): Promise<Uint8Array> => {
  const n = end - start;
  if (n === 1) return leaves[start]!;
  const k = splitPoint(n);
  const [left, right] = await Promise.all([
    subtreeHash(leaves, start, start + k),
    subtreeHash(leaves, start + k, end),
  ]);
  return hashChildren(left, right);
};

/**
 * Merkle Tree Hash of a list of leaf hashes (RFC 9162 §2.1.1): the empty root for no leaves, the
 * leaf hash itself for one, otherwise `HASH(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))` with k the largest
 * power of two smaller than n.
 *
 * @example
 * const leaves = await Promise.all(entries.map(hashLeaf));
 * const root = await rootFromLeafHashes(leaves);
 */
export const rootFromLeafHashes = async (leafHashes: readonly Uint8Array[]): Promise<Uint8Array> =>
  leafHashes.length === 0 ? emptyRoot() : subtreeHash(leafHashes, 0, leafHashes.length);

/** PATH(m, D[start:end]) of RFC 9162 §2.1.3.1, from the leaf's sibling upwards. */
const path = async (
  leaves: readonly Uint8Array[],
  m: number,
  start: number,
  end: number,
): Promise<Uint8Array[]> => {
  const n = end - start;
  if (n === 1) return []; // RFC 9162 §2.1.3.1: PATH(0, {d(0)}) = {}
  const k = splitPoint(n);
  if (m < k) {
    // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])
    const [below, sibling] = await Promise.all([
      path(leaves, m, start, start + k),
      subtreeHash(leaves, start + k, end),
    ]);
    return [...below, sibling];
  }
  // PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])
  const [below, sibling] = await Promise.all([
    path(leaves, m - k, start + k, end),
    subtreeHash(leaves, start, start + k),
  ]);
  return [...below, sibling];
};

/**
 * Inclusion proof (audit path) for leaf `index` in the tree made of the first `treeSize` leaf
 * hashes (RFC 9162 §2.1.3.1). The hashes are ordered from the leaf's sibling up to the root's child.
 *
 * @example
 * const proof = await inclusionProof(leaves, 3, leaves.length);
 * await verifyInclusion(3, leaves.length, leaves[3], proof, await rootFromLeafHashes(leaves));
 */
export const inclusionProof = async (
  leafHashes: readonly Uint8Array[],
  index: number,
  treeSize: number,
): Promise<Uint8Array[]> => {
  if (!isSize(treeSize) || treeSize > leafHashes.length) {
    throw new RangeError(`tree size ${treeSize} is not an integer in 0…${leafHashes.length}`);
  }
  if (!isSize(index) || index >= treeSize) {
    throw new RangeError(`leaf index ${index} is not an integer in 0…${treeSize - 1}`);
  }
  return path(leafHashes, index, 0, treeSize);
};

/** SUBPROOF(m, D[start:end], b) of RFC 9162 §2.1.4.1. */
const subproof = async (
  leaves: readonly Uint8Array[],
  m: number,
  start: number,
  end: number,
  complete: boolean,
): Promise<Uint8Array[]> => {
  const n = end - start;
  if (m === n) {
    // SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}
    return complete ? [] : [await subtreeHash(leaves, start, end)];
  }
  const k = splitPoint(n);
  if (m <= k) {
    // SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
    const [below, sibling] = await Promise.all([
      subproof(leaves, m, start, start + k, complete),
      subtreeHash(leaves, start + k, end),
    ]);
    return [...below, sibling];
  }
  // SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
  const [below, sibling] = await Promise.all([
    subproof(leaves, m - k, start + k, end, false),
    subtreeHash(leaves, start, start + k),
  ]);
  return [...below, sibling];
};

/**
 * Consistency proof that the tree of the first `size1` leaf hashes is a prefix of the tree of the
 * first `size2` (RFC 9162 §2.1.4.1: PROOF(m, D[n]) = SUBPROOF(m, D[n], true)). Requires
 * 0 < size1 ≤ size2 ≤ leafHashes.length; size1 = size2 gives the empty proof.
 *
 * @example
 * const proof = await consistencyProof(leaves, 3, 7);
 * await verifyConsistency(3, 7, proof, oldRoot, newRoot);
 */
export const consistencyProof = async (
  leafHashes: readonly Uint8Array[],
  size1: number,
  size2: number,
): Promise<Uint8Array[]> => {
  if (!isSize(size2) || size2 > leafHashes.length) {
    throw new RangeError(`size2 ${size2} is not an integer in 0…${leafHashes.length}`);
  }
  if (!isSize(size1) || size1 === 0 || size1 > size2) {
    // A proof from the empty tree proves nothing (RFC 9162 §2.1.4.1 defines 0 < m < n).
    throw new RangeError(`size1 ${size1} is not an integer in 1…${size2}`);
  }
  return subproof(leafHashes, size1, 0, size2, true);
};
