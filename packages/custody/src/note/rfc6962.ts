/**
 * RFC 6962 signed tree heads, both as a C2SP signed-note signature type ("RFC 6962 STH" /
 * RFC6962NoteSignature, key type 0x05, used by CT logs such as Sunlight's rome.ct.filippo.io) and as
 * the plain `get-sth` TreeHeadSignature check (RFC 6962 §3.5). Only ECDSA P-256 with SHA-256 is
 * supported, which is what CT logs use in practice. WebCrypto only.
 */
import { concat } from '../bytes.ts';
import { CustodyError } from '../errors.ts';
import { parseCheckpointBody } from './checkpoint-body.ts';

/** TLS HashAlgorithm.sha256 and SignatureAlgorithm.ecdsa (RFC 5246 §7.4.1.4.1). */
const HASH_SHA256 = 4;
const SIG_ECDSA = 3;

export type TreeHead = {
  /** Milliseconds since the Unix epoch, as RFC 6962 timestamps are. */
  timestamp: number;
  size: number;
  rootHash: Uint8Array;
};

export type Rfc6962NoteSignature = {
  /** STH timestamp in milliseconds since the Unix epoch. */
  timestamp: number;
  /** The TLS `DigitallySigned` struct: hash(1) ‖ signature algorithm(1) ‖ length(2) ‖ DER signature. */
  digitallySigned: Uint8Array;
};

const malformed = (why: string): CustodyError => new CustodyError('malformed', why);

const readUint64 = (bytes: Uint8Array, offset: number): number => {
  const value = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed(`64-bit value ${value} is not a safe integer`);
  return Number(value);
};

const uint64 = (value: number): Uint8Array => {
  if (!Number.isSafeInteger(value) || value < 0) throw malformed(`${value} is not a safe integer ≥ 0`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
};

/**
 * Splits the signature bytes of an RFC6962NoteSignature (after the 4-byte key ID) into the STH
 * timestamp and the TLS `DigitallySigned` struct (signed-note, "RFC 6962 STH" signature type:
 * `timestamp(8) ‖ DigitallySigned`). Throws `CustodyError('malformed')`.
 *
 * @example
 * const { timestamp } = parseRfc6962NoteSignature(sig); // new Date(timestamp) is the STH time
 */
export const parseRfc6962NoteSignature = (sig: Uint8Array): Rfc6962NoteSignature => {
  if (sig.length < 8 + 4) throw malformed(`RFC 6962 note signature is only ${sig.length} bytes`);
  return { timestamp: readUint64(sig, 0), digitallySigned: sig.subarray(8) };
};

/**
 * The bytes an RFC 6962 log signs for a tree head (§3.5 TreeHeadSignature, v1):
 * `version 0x00 ‖ signature_type tree_hash 0x01 ‖ timestamp(8) ‖ tree_size(8) ‖ root(32)`.
 *
 * @example
 * treeHeadSignatureInput({ timestamp: 1711519390034, size: 115474666, rootHash }).length; // 50
 */
export const treeHeadSignatureInput = (sth: TreeHead): Uint8Array => {
  if (sth.rootHash.length !== 32) throw malformed(`root hash is ${sth.rootHash.length} bytes, expected 32`);
  return concat(new Uint8Array([0, 1]), uint64(sth.timestamp), uint64(sth.size), sth.rootHash);
};

/** Strict DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` → 64-byte r ‖ s for WebCrypto. */
const derToP1363 = (der: Uint8Array): Uint8Array => {
  const fail = (): never => {
    throw malformed('ECDSA signature is not a strict DER SEQUENCE of two P-256 INTEGERs');
  };
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) fail();
  const out = new Uint8Array(64);
  let offset = 2;
  for (let part = 0; part < 2; part++) {
    if (der[offset] !== 0x02) fail();
    const length = der[offset + 1]!;
    if (length < 1 || length > 33 || offset + 2 + length > der.length) fail();
    let int = der.subarray(offset + 2, offset + 2 + length);
    if (int[0]! & 0x80) fail(); // negative
    if (int.length > 1 && int[0] === 0 && !(int[1]! & 0x80)) fail(); // non-minimal
    if (int[0] === 0) int = int.subarray(1);
    if (int.length > 32) fail();
    out.set(int, part * 32 + 32 - int.length);
    offset += 2 + length;
  }
  if (offset !== der.length) fail();
  return out;
};

/**
 * Checks a TLS `DigitallySigned` ECDSA-P256-SHA256 signature over a tree head with the log's
 * public key (DER SubjectPublicKeyInfo), as for a CT `get-sth` response. Resolves when valid; throws
 * `CustodyError('signature_invalid')` when the signature does not verify and `'malformed'` for a bad
 * key or encoding.
 *
 * @example
 * await verifyTreeHeadSignature(spki, { timestamp, size, rootHash }, fromBase64(sth.tree_head_signature));
 */
export const verifyTreeHeadSignature = async (
  spki: Uint8Array,
  sth: TreeHead,
  digitallySigned: Uint8Array,
): Promise<void> => {
  if (digitallySigned.length < 4) throw malformed('DigitallySigned is shorter than its 4-byte header');
  const [hash, alg] = digitallySigned;
  if (hash !== HASH_SHA256 || alg !== SIG_ECDSA) {
    throw malformed(`unsupported DigitallySigned algorithms hash=${hash} signature=${alg}, expected 4/3`);
  }
  const length = (digitallySigned[2]! << 8) | digitallySigned[3]!;
  if (length !== digitallySigned.length - 4) throw malformed('DigitallySigned length does not match');
  const signature = derToP1363(digitallySigned.subarray(4));
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey(
      'spki',
      spki as Uint8Array<ArrayBuffer>,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
  } catch (cause) {
    throw new CustodyError('malformed', 'log key is not an ECDSA P-256 SubjectPublicKeyInfo', { cause });
  }
  const ok = await crypto.subtle.verify(
    { name: 'ECDSA', hash: 'SHA-256' },
    key,
    signature as Uint8Array<ArrayBuffer>,
    treeHeadSignatureInput(sth) as Uint8Array<ArrayBuffer>,
  );
  if (!ok) throw new CustodyError('signature_invalid', 'RFC 6962 tree head signature does not verify');
};

/**
 * Verifies an RFC6962NoteSignature (signed-note key type 0x05): the note body must be a checkpoint
 * body without extension lines (an STH signs nothing else), and the signature is an STH signature over
 * its size and root hash at the embedded timestamp. Resolves `false` for anything that does not verify.
 *
 * @example
 * await verifyRfc6962NoteSignature(spki, checkpointBody, sigWithoutKeyId); // true
 */
export const verifyRfc6962NoteSignature = async (
  spki: Uint8Array,
  body: string,
  sig: Uint8Array,
): Promise<boolean> => {
  try {
    const checkpoint = parseCheckpointBody(body);
    if (checkpoint.extensions.length > 0) return false;
    const { timestamp, digitallySigned } = parseRfc6962NoteSignature(sig);
    await verifyTreeHeadSignature(
      spki,
      { timestamp, size: checkpoint.size, rootHash: checkpoint.rootHash },
      digitallySigned,
    );
    return true;
  } catch (e) {
    if (e instanceof CustodyError) return false;
    throw e;
  }
};
