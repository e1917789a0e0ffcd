import type { Sha256Hex } from '@accord/core';
import type { WrappedKey } from './keyring.ts';

/**
 * On-disk format of an encrypted blob (version 1). All integers are big-endian.
 *
 *   header (32 bytes)
 *     0  magic        8  ASCII "ACCVAULT"
 *     8  version      1  1
 *     9  algorithm    1  1 = AES-256-GCM, 16-byte tags
 *    10  reserved     2  0
 *    12  chunk size   4  plaintext bytes per chunk (all chunks but the last are full)
 *    16  nonce prefix 8  random per blob
 *    24  size         8  plaintext bytes
 *   chunks, n = max(1, ceil(size / chunk size)); a zero-byte blob has one empty chunk
 *     ciphertext (chunk size, or what is left for the last chunk) ‖ tag (16)
 *
 * Chunk i is sealed under the blob's data key with nonce = nonce prefix ‖ u32(i) and associated data
 * = header[0..24] ‖ u32(i) ‖ u8(i == n - 1). The data key is wrapped in the key sidecar with
 * associated data = "accord-vault/dek/v1" ‖ 0x00 ‖ sha256 (32 raw bytes) ‖ header[0..32], which
 * binds the key, and through it every chunk, to this blob's name and full header.
 */
export const MAGIC = Buffer.from('ACCVAULT', 'ascii');
export const FORMAT_VERSION = 1;
export const ALG_AES_256_GCM = 1;
export const HEADER_BYTES = 32;
/** The header bytes known before the content is streamed (everything but the size). */
export const FIXED_HEADER_BYTES = 24;
export const TAG_BYTES = 16;
export const NONCE_PREFIX_BYTES = 8;
export const DATA_KEY_BYTES = 32;
export const MIN_CHUNK_SIZE = 16;
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
/** Chunk indexes are 32-bit (the nonce's counter field). */
export const MAX_CHUNKS = 2 ** 32;

const DEK_AAD_LABEL = Buffer.from('accord-vault/dek/v1\0', 'ascii');
const SIDECAR_VERSION = 1;
const SIDECAR_MAX_BYTES = 4096;

export interface BlobHeader {
  readonly chunkSize: number;
  readonly noncePrefix: Buffer;
  readonly size: number;
  /** Number of chunks, the last one flagged final. */
  readonly chunks: number;
  /** The 32 header bytes as stored. */
  readonly bytes: Buffer;
}

/** A format problem, phrased for an integrity report. */
export class FormatProblem extends Error {}

export const chunkCount = (size: number, chunkSize: number): number =>
  size === 0 ? 1 : Math.ceil(size / chunkSize);

/** The length a well-formed blob file with this header has. */
export const fileLength = (header: BlobHeader): number =>
  HEADER_BYTES + header.size + header.chunks * TAG_BYTES;

/** The first 24 header bytes, written before the size is known. */
export function encodeFixedHeader(chunkSize: number, noncePrefix: Buffer): Buffer {
  const fixed = Buffer.alloc(FIXED_HEADER_BYTES);
  MAGIC.copy(fixed, 0);
  fixed.writeUInt8(FORMAT_VERSION, 8);
  fixed.writeUInt8(ALG_AES_256_GCM, 9);
  fixed.writeUInt16BE(0, 10);
  fixed.writeUInt32BE(chunkSize, 12);
  noncePrefix.copy(fixed, 16);
  return fixed;
}

export function encodeHeader(fixed: Buffer, size: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  fixed.copy(header, 0);
  header.writeBigUInt64BE(BigInt(size), FIXED_HEADER_BYTES);
  return header;
}

/** Parses the 32 header bytes; a hostile header cannot make readers allocate or loop without bound. */
export function parseHeader(bytes: Buffer): BlobHeader {
  if (bytes.byteLength < HEADER_BYTES) throw new FormatProblem('the file is shorter than its header');
  if (!bytes.subarray(0, 8).equals(MAGIC)) throw new FormatProblem('the header does not start with ACCVAULT');
  const version = bytes.readUInt8(8);
  if (version !== FORMAT_VERSION) throw new FormatProblem(`unknown format version ${version}`);
  const algorithm = bytes.readUInt8(9);
  if (algorithm !== ALG_AES_256_GCM) throw new FormatProblem(`unknown algorithm ${algorithm}`);
  if (bytes.readUInt16BE(10) !== 0) throw new FormatProblem('reserved header bytes are not zero');
  const chunkSize = bytes.readUInt32BE(12);
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new FormatProblem(`chunk size ${chunkSize} is out of bounds`);
  }
  const bigSize = bytes.readBigUInt64BE(FIXED_HEADER_BYTES);
  if (bigSize > BigInt(Number.MAX_SAFE_INTEGER))
    throw new FormatProblem('the size in the header is out of bounds');
  const size = Number(bigSize);
  const chunks = chunkCount(size, chunkSize);
  if (chunks > MAX_CHUNKS) throw new FormatProblem('the size in the header needs too many chunks');
  return {
    chunkSize,
    noncePrefix: Buffer.from(bytes.subarray(16, 24)),
    size,
    chunks,
    bytes: Buffer.from(bytes.subarray(0, HEADER_BYTES)),
  };
}

export function chunkNonce(noncePrefix: Buffer, index: number): Buffer {
  const nonce = Buffer.alloc(NONCE_PREFIX_BYTES + 4);
  noncePrefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, NONCE_PREFIX_BYTES);
  return nonce;
}

export function chunkAad(fixedHeader: Buffer, index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(FIXED_HEADER_BYTES + 5);
  fixedHeader.copy(aad, 0, 0, FIXED_HEADER_BYTES);
  aad.writeUInt32BE(index, FIXED_HEADER_BYTES);
  aad.writeUInt8(final ? 1 : 0, FIXED_HEADER_BYTES + 4);
  return aad;
}

export function dataKeyAad(sha256: Sha256Hex, header: Buffer): Buffer {
  return Buffer.concat([DEK_AAD_LABEL, Buffer.from(sha256, 'hex'), header.subarray(0, HEADER_BYTES)]);
}

/** Sidecar file name: one per blob instance, so concurrent writers never overwrite each other's key. */
export const sidecarName = (sha256: Sha256Hex, noncePrefix: Buffer): string =>
  `${sha256}.${noncePrefix.toString('hex')}.key`;

export const SIDECAR_NAME = /^([0-9a-f]{64})\.([0-9a-f]{16})\.key$/;

export function encodeSidecar(key: WrappedKey): string {
  return `${JSON.stringify({
    v: SIDECAR_VERSION,
    alg: 'A256GCM',
    kek: key.kek,
    nonce: key.nonce.toString('base64'),
    wrapped: key.wrapped.toString('base64'),
  })}\n`;
}

export function parseSidecar(bytes: Buffer): WrappedKey {
  if (bytes.byteLength > SIDECAR_MAX_BYTES) throw new FormatProblem('the key sidecar is too large');
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new FormatProblem('the key sidecar is not JSON');
  }
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const { v, alg, kek, nonce, wrapped } = record;
  if (v !== SIDECAR_VERSION)
    throw new FormatProblem(`the key sidecar has an unknown version ${JSON.stringify(v)}`);
  if (alg !== 'A256GCM') throw new FormatProblem('the key sidecar names an unknown algorithm');
  if (typeof kek !== 'string' || !/^[0-9a-f]{8}$/.test(kek)) {
    throw new FormatProblem('the key sidecar has no valid key-encryption key id');
  }
  const nonceBytes = strictBase64(nonce, 12);
  const wrappedBytes = strictBase64(wrapped, DATA_KEY_BYTES + TAG_BYTES);
  if (!nonceBytes || !wrappedBytes) throw new FormatProblem('the key sidecar has a malformed wrapped key');
  return { kek, nonce: nonceBytes, wrapped: wrappedBytes };
}

function strictBase64(value: unknown, length: number): Buffer | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.byteLength === length && bytes.toString('base64') === value ? bytes : undefined;
}

export { SIDECAR_MAX_BYTES };
