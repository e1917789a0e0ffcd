import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh unguessable token: 256 bits, base64url. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/**
 * Session and API token secrets are stored only as SHA-256: they are high-entropy random values,
 * so a fast hash suffices (unlike passwords) and lookups stay indexable.
 */
export const sha256Hex = (value: string | Uint8Array): string =>
  createHash('sha256').update(value).digest('hex');

export const safeEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};
