/**
 * RFC 9162 §2.1.1 hashing with SHA-256, domain-separated so a leaf can never pass for an interior
 * node (RFC 9162 §2.1.1, second-preimage resistance). Hashing goes through WebCrypto, so every
 * function is asynchronous.
 */
import { concat, sha256 } from '../bytes.ts';

/** Size in bytes of every leaf, node and root hash (SHA-256). */
export const HASH_SIZE = 32;

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

/**
 * Root of the empty tree: `MTH({}) = SHA-256()` (RFC 9162 §2.1.1).
 *
 * @example
 * const root = await emptyRoot(); // e3b0c442…b855
 */
export const emptyRoot = (): Promise<Uint8Array> => sha256(new Uint8Array(0));

/**
 * Leaf hash `SHA-256(0x00 ‖ leaf)` (RFC 9162 §2.1.1). `leaf` is the raw entry, not a hash.
 *
 * @example
 * const leafHash = await hashLeaf(utf8('L123456')); // 395aa064…4d56
 */
export const hashLeaf = (leaf: Uint8Array): Promise<Uint8Array> => sha256(concat(LEAF_PREFIX, leaf));

/**
 * Interior node hash `SHA-256(0x01 ‖ left ‖ right)` (RFC 9162 §2.1.1). The inputs are hashed as
 * raw bytes; their length is not checked.
 *
 * @example
 * const node = await hashChildren(await hashLeaf(a), await hashLeaf(b));
 */
export const hashChildren = (left: Uint8Array, right: Uint8Array): Promise<Uint8Array> =>
  sha256(concat(NODE_PREFIX, left, right));
