/**
 * Verifiers for Merkle inclusion and consistency proofs (RFC 9162 §2.1.3.2, §2.1.4.2). They return
 * the verified root or throw a `CustodyError`: `malformed` when an input cannot be a size or a hash,
 * `proof_invalid` when the proof does not lead to the expected root.
 *
 * Sizes and indices are `number`s and must be safe integers (< 2^53); all bit operations of the RFC
 * are done with exact arithmetic, never with 32-bit `>>` / `&`.
 */
import { equalBytes } from '../bytes.ts';
import { CustodyError } from '../errors.ts';
import { HASH_SIZE, hashChildren } from './hash.ts';

const isOdd = (n: number): boolean => n % 2 === 1; // LSB(n)
const half = (n: number): number => Math.floor(n / 2); // right-shift by one, exact below 2^53

const isPowerOfTwo = (n: number): boolean => {
  let m = n;
  while (m > 1 && m % 2 === 0) m /= 2;
  return m === 1;
};

const checkSize = (name: string, n: number): void => {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new CustodyError('malformed', `${name} ${n} is not a safe non-negative integer`);
  }
};

const checkHash = (name: string, hash: Uint8Array): void => {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    const got = hash instanceof Uint8Array ? `${hash.length} bytes` : typeof hash;
    throw new CustodyError('malformed', `${name} must be a ${HASH_SIZE}-byte hash, got ${got}`);
  }
};

const checkProofHashes = (proof: readonly Uint8Array[]): void => {
  if (!Array.isArray(proof)) throw new CustodyError('malformed', 'proof must be an array of hashes');
  for (const [i, p] of proof.entries()) checkHash(`proof[${i}]`, p);
};

const hashes = (n: number): string => `${n} hash${n === 1 ? '' : 'es'}`;

const checkLength = (kind: string, got: number, want: number, position: string): void => {
  if (got > want) {
    throw new CustodyError(
      'proof_invalid',
      `${kind} proof is too long: ${hashes(got)}, ${position} needs ${want}`,
    );
  }
  if (got < want) {
    throw new CustodyError(
      'proof_invalid',
      `${kind} proof is too short: ${hashes(got)}, ${position} needs ${want}`,
    );
  }
};

/**
 * Number of hashes in the inclusion proof of leaf `index` in a tree of `size`: the iterations of
 * the RFC 9162 §2.1.3.2 loop until sn reaches 0. Requires index < size.
 */
const inclusionProofLength = (index: number, size: number): number => stepsToRoot(index, size - 1);

/**
 * How many proof hashes the shared loop of RFC 9162 §2.1.3.2 step 4 and §2.1.4.2 step 7 consumes
 * starting from (fn, sn): one per level until sn reaches 0, skipping levels where fn is the last,
 * right-most node of its level.
 */
const stepsToRoot = (fnStart: number, snStart: number): number => {
  let fn = fnStart;
  let sn = snStart;
  let count = 0;
  while (sn !== 0) {
    if (!isOdd(fn) && fn === sn) {
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    }
    fn = half(fn);
    sn = half(sn);
    count++;
  }
  return count;
};

/**
 * Root that an inclusion proof leads to for `leafHash` at `leafIndex` in a tree of `treeSize`
 * (RFC 9162 §2.1.3.2 steps 1–4). Throws if the proof has the wrong length for that position; the
 * caller compares the result with a trusted root (or use `verifyInclusion`).
 *
 * @example
 * const root = await rootFromInclusionProof(5, 8, await hashLeaf(entry), proof);
 */
export const rootFromInclusionProof = async (
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Promise<Uint8Array> => {
  checkSize('leaf index', leafIndex);
  checkSize('tree size', treeSize);
  checkHash('leaf hash', leafHash);
  checkProofHashes(proof);
  // RFC 9162 §2.1.3.2 step 1: leaf_index must be below tree_size.
  if (leafIndex >= treeSize) {
    throw new CustodyError('proof_invalid', `leaf index ${leafIndex} is not below tree size ${treeSize}`);
  }
  const position = `leaf ${leafIndex} of tree size ${treeSize}`;
  checkLength('inclusion', proof.length, inclusionProofLength(leafIndex, treeSize), position);

  // RFC 9162 §2.1.3.2 steps 2–4.
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) throw new CustodyError('proof_invalid', `inclusion proof is too long for ${position}`); // 4a
    if (isOdd(fn) || fn === sn) {
      r = await hashChildren(p, r); // 4b.i
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        } // 4b.ii
      }
    } else {
      r = await hashChildren(r, p);
    }
    fn = half(fn); // 4c
    sn = half(sn);
  }
  // RFC 9162 §2.1.3.2 step 5 (first half): the path must reach the root.
  if (sn !== 0) throw new CustodyError('proof_invalid', `inclusion proof is too short for ${position}`);
  return r;
};

/**
 * Verifies that `leafHash` is leaf `leafIndex` (0-based) of the tree of `treeSize` leaves whose root
 * is `root` (RFC 9162 §2.1.3.2). Returns `root`; throws `CustodyError` (`malformed` or
 * `proof_invalid`) otherwise.
 *
 * @example
 * await verifyInclusion(5, checkpoint.size, await hashLeaf(entry), proof, checkpoint.root);
 */
export const verifyInclusion = async (
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): Promise<Uint8Array> => {
  checkHash('root', root);
  const computed = await rootFromInclusionProof(leafIndex, treeSize, leafHash, proof);
  // RFC 9162 §2.1.3.2 step 5 (second half).
  if (!equalBytes(computed, root)) {
    throw new CustodyError(
      'proof_invalid',
      `inclusion proof for leaf ${leafIndex} of tree size ${treeSize} leads to another root than the expected root`,
    );
  }
  return root;
};

/**
 * Number of hashes in the consistency proof from size1 to size2, for 0 < size1 < size2: the
 * iterations of the RFC 9162 §2.1.4.2 loop, plus the old root unless step 2 prepends it.
 */
const consistencyProofLength = (size1: number, size2: number): number => {
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // When size1 is not a power of two the proof starts with the hash the loop begins from.
  return (isPowerOfTwo(size1) ? 0 : 1) + stepsToRoot(fn, sn);
};

/**
 * Verifies that the tree of `size1` leaves with root `root1` is a prefix of the tree of `size2`
 * leaves with root `root2` (RFC 9162 §2.1.4.2). Returns `root2`; throws `CustodyError` otherwise.
 *
 * Conventions (transparency-dev/merkle, testdata README §2): size1 = 0 is always an error, even
 * 0 → 0; size1 > size2 is an error; size1 = size2 needs an empty proof and byte-equal roots, which
 * are then compared as opaque values.
 *
 * @example
 * await verifyConsistency(old.size, latest.size, proof, old.root, latest.root);
 */
export const verifyConsistency = async (
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): Promise<Uint8Array> => {
  checkSize('size1', size1);
  checkSize('size2', size2);
  checkProofHashes(proof);
  if (size1 > size2) {
    throw new CustodyError(
      'proof_invalid',
      `size1 ${size1} is larger than size2 ${size2}: a log cannot shrink`,
    );
  }
  if (size1 === 0) {
    throw new CustodyError(
      'proof_invalid',
      'consistency with the empty tree (size1 = 0) proves nothing and is rejected',
    );
  }
  if (size1 === size2) {
    if (proof.length !== 0) {
      throw new CustodyError(
        'proof_invalid',
        `consistency proof must be empty when size1 = size2 = ${size1}`,
      );
    }
    if (!equalBytes(root1, root2)) {
      throw new CustodyError('proof_invalid', `old and new roots differ although size1 = size2 = ${size1}`);
    }
    return root2;
  }
  checkHash('old root', root1);
  checkHash('new root', root2);
  // RFC 9162 §2.1.4.2 step 1.
  if (proof.length === 0) {
    throw new CustodyError('proof_invalid', `consistency proof is empty but size1 ${size1} < size2 ${size2}`);
  }
  const position = `size1 ${size1} → size2 ${size2}`;
  checkLength('consistency', proof.length, consistencyProofLength(size1, size2), position);

  // RFC 9162 §2.1.4.2 step 2: a power-of-two old tree is a complete subtree; its root starts the path.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  // Steps 3–4.
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // Steps 5–6.
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) throw new CustodyError('proof_invalid', `consistency proof is too long for ${position}`); // 6a
    if (isOdd(fn) || fn === sn) {
      [fr, sr] = await Promise.all([hashChildren(c, fr), hashChildren(c, sr)]); // 6b.i
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        } // 6b.ii
      }
    } else {
      sr = await hashChildren(sr, c);
    }
    fn = half(fn); // 6c
    sn = half(sn);
  }
  // Step 7.
  if (sn !== 0) throw new CustodyError('proof_invalid', `consistency proof is too short for ${position}`);
  if (!equalBytes(fr, root1)) {
    throw new CustodyError(
      'proof_invalid',
      `consistency proof for ${position} does not lead to the old root`,
    );
  }
  if (!equalBytes(sr, root2)) {
    throw new CustodyError(
      'proof_invalid',
      `consistency proof for ${position} does not lead to the new root`,
    );
  }
  return root2;
};
