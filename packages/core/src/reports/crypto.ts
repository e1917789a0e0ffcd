import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { hashRaw } from '@node-rs/argon2';
import { AccordError } from '../shared/errors.ts';

/**
 * The cryptography of safe reporting (docs/security.md, "Reports"):
 *
 * - a receipt code is 100 random bits written as 20 Crockford base32 characters;
 * - Argon2id(code, node salt) gives 64 bytes: the first 32 are stored to find the report, the last
 *   32 are never stored and wrap the report's key for the survivor;
 * - each recipient (a survivor advocate) holds an X25519 key pair whose private half is sealed
 *   under Argon2id(login password, salt);
 * - a report's random 256-bit key is wrapped to each recipient with X25519 + HKDF-SHA256 +
 *   AES-256-GCM, and everything of the report is sealed under it with AES-256-GCM.
 */

/** Crockford's base32 alphabet: no I, L, O or U, so codes survive being read aloud and copied. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const RECEIPT_CODE_CHARS = 20;
export const RECEIPT_CODE_BITS = RECEIPT_CODE_CHARS * 5;

/** A new receipt code, e.g. "7K3QM-2XHDA-V9PRT-0BC4W" (100 bits from the system's CSPRNG). */
export const newReceiptCode = (): string => {
  const bytes = randomBytes(RECEIPT_CODE_CHARS);
  // 256 is a multiple of 32: taking each byte modulo 32 keeps every character equally likely.
  const chars = [...bytes].map((b) => CROCKFORD[b & 31]).join('');
  return chars.replace(/(.{5})(?=.)/g, '$1-');
};

/**
 * The canonical form of a code as typed by a person: case, spaces and dashes ignored, and the
 * letters people confuse with digits read as Crockford says (O → 0, I and L → 1). Undefined when
 * what remains is not 20 code characters.
 */
export const normaliseReceiptCode = (input: unknown): string | undefined => {
  if (typeof input !== 'string' || input.length > 200) return undefined;
  const clean = input
    .toUpperCase()
    .replace(/[\s\-‐-―_.]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (clean.length !== RECEIPT_CODE_CHARS) return undefined;
  for (const ch of clean) if (!CROCKFORD.includes(ch)) return undefined;
  return clean;
};

export interface Argon2Params {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/** OWASP's Argon2id guidance, with more memory than its minimum (as for passwords). */
export const DEFAULT_ARGON2: Argon2Params = { memoryCost: 65536, timeCost: 3, parallelism: 1 };

const argon2id = (secret: string, salt: Uint8Array, outputLen: number, params: Argon2Params) =>
  hashRaw(secret, { algorithm: 2, salt, outputLen, ...params });

export interface CodeKeys {
  /** Stored (hex): how the report is found. */
  readonly lookup: string;
  /** Never stored: unwraps the report key for the survivor. */
  readonly wrapKey: Buffer;
}

/** Argon2id over a normalised receipt code; see the module comment. */
export const deriveCodeKeys = async (
  normalisedCode: string,
  nodeSalt: Uint8Array,
  params: Argon2Params = DEFAULT_ARGON2,
): Promise<CodeKeys> => {
  const out = await argon2id(`accord-receipt-v1:${normalisedCode}`, nodeSalt, 64, params);
  return { lookup: out.subarray(0, 32).toString('hex'), wrapKey: Buffer.from(out.subarray(32, 64)) };
};

// ── sealing under a symmetric key ─────────────────────────────────────────────

const SEAL_PREFIX = 'r1.';

/** AES-256-GCM; "r1." ‖ base64url(nonce(12) ‖ ciphertext ‖ tag(16)); `context` is bound as associated data. */
export const sealWith = (key: Uint8Array, plain: Uint8Array | string, context: string): string => {
  if (key.length !== 32) throw new AccordError('config', 'a report key must be 32 bytes');
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([
    cipher.update(typeof plain === 'string' ? Buffer.from(plain) : plain),
    cipher.final(),
  ]);
  return SEAL_PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url');
};

export const openWith = (key: Uint8Array, sealed: string, context: string): Buffer => {
  if (!sealed.startsWith(SEAL_PREFIX))
    throw new AccordError('integrity', 'a sealed report value has an unknown format');
  const raw = Buffer.from(sealed.slice(SEAL_PREFIX.length), 'base64url');
  if (raw.length < 28) throw new AccordError('integrity', 'a sealed report value is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  try {
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
  } catch (e) {
    throw new AccordError('integrity', 'a sealed report value failed authentication (wrong key or altered)', {
      cause: e,
    });
  }
};

// ── recipient key pairs ───────────────────────────────────────────────────────

export interface SealedKeyPair {
  /** Raw X25519 public key, base64url (32 bytes). */
  readonly publicKey: string;
  /** The PKCS#8 private key sealed under Argon2id(password, salt). */
  readonly sealedPrivate: string;
  /** base64url, 16 bytes. */
  readonly salt: string;
}

const passwordKey = async (password: string, salt: Uint8Array, params: Argon2Params): Promise<Buffer> =>
  argon2id(`accord-recipient-v1:${password}`, salt, 32, params);

const rawPublic = (key: KeyObject): Buffer => Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url');

const publicFromRaw = (raw: Uint8Array): KeyObject =>
  createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });

/** A new key pair for a recipient, its private half sealed under their login password. */
export const newRecipientKeyPair = async (
  password: string,
  userId: string,
  params: Argon2Params = DEFAULT_ARGON2,
): Promise<SealedKeyPair> => {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return sealPrivateKey(privateKey, rawPublic(publicKey), password, userId, params);
};

export const sealPrivateKey = async (
  privateKey: KeyObject,
  publicRaw: Uint8Array,
  password: string,
  userId: string,
  params: Argon2Params = DEFAULT_ARGON2,
): Promise<SealedKeyPair> => {
  const salt = randomBytes(16);
  const key = await passwordKey(password, salt, params);
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const publicKey = Buffer.from(publicRaw).toString('base64url');
  return {
    publicKey,
    sealedPrivate: sealWith(key, der, `recipient-key:${userId}:${publicKey}`),
    salt: salt.toString('base64url'),
  };
};

/** The private key, or an integrity error when the password is not the one it was sealed under. */
export const unlockPrivateKey = async (
  pair: SealedKeyPair,
  password: string,
  userId: string,
  params: Argon2Params = DEFAULT_ARGON2,
): Promise<KeyObject> => {
  const key = await passwordKey(password, Buffer.from(pair.salt, 'base64url'), params);
  const der = openWith(key, pair.sealedPrivate, `recipient-key:${userId}:${pair.publicKey}`);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
};

export const publicKeyOf = (privateKey: KeyObject): string =>
  rawPublic(createPublicKey(privateKey)).toString('base64url');

// ── report keys wrapped to recipients ─────────────────────────────────────────

const WRAP_INFO = Buffer.from('accord report key wrap v1');

const wrapKeyFor = (shared: Buffer, ephemeral: Buffer, recipient: Buffer): Buffer =>
  Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeral, recipient]), WRAP_INFO, 32));

/**
 * Wraps a report key to a recipient's X25519 public key: "x1." ‖ base64url(ephemeral public(32) ‖
 * sealed), where sealed is AES-256-GCM under HKDF-SHA256(ECDH, salt = ephemeral ‖ recipient).
 */
export const wrapToRecipient = (reportKey: Uint8Array, recipientPublic: string, context: string): string => {
  const recipient = Buffer.from(recipientPublic, 'base64url');
  if (recipient.length !== 32) throw new AccordError('integrity', 'a recipient public key must be 32 bytes');
  const eph = generateKeyPairSync('x25519');
  const ephRaw = rawPublic(eph.publicKey);
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: publicFromRaw(recipient) });
  const sealed = sealWith(wrapKeyFor(shared, ephRaw, recipient), reportKey, context);
  return `x1.${ephRaw.toString('base64url')}.${sealed.slice(SEAL_PREFIX.length)}`;
};

export const unwrapAsRecipient = (wrapped: string, privateKey: KeyObject, context: string): Buffer => {
  const match = /^x1\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]+)$/.exec(wrapped);
  if (!match) throw new AccordError('integrity', 'a wrapped report key has an unknown format');
  const ephRaw = Buffer.from(match[1]!, 'base64url');
  const recipient = Buffer.from(publicKeyOf(privateKey), 'base64url');
  const shared = diffieHellman({ privateKey, publicKey: publicFromRaw(ephRaw) });
  return openWith(wrapKeyFor(shared, ephRaw, recipient), SEAL_PREFIX + match[2]!, context);
};

export const newReportKey = (): Buffer => randomBytes(32);
