// WARC digests (WARC 1.1 §5.8, §5.9): "algorithm:value". WARC names no encoding; in practice sha1 values
// are base32 (RFC 4648 §6), and base16, base64 and URL-safe base64 also occur. A value is accepted in any
// of them as long as it decodes to exactly the digest's length.

/** node:crypto name and digest length in bytes, by normalised label ("sha-1" → "sha1"). */
const ALGORITHMS: Record<string, { name: string; length: number }> = {
  md5: { name: 'md5', length: 16 },
  sha1: { name: 'sha1', length: 20 },
  sha224: { name: 'sha224', length: 28 },
  sha256: { name: 'sha256', length: 32 },
  sha384: { name: 'sha384', length: 48 },
  sha512: { name: 'sha512', length: 64 },
};

export interface DigestSpec {
  /** The header value as written. */
  value: string;
  /** node:crypto algorithm name, or undefined when the label is unknown or missing. */
  algorithm: string | undefined;
  label: string;
  /** The value after the colon. */
  encoded: string;
  length: number;
}

export const parseDigestHeader = (value: string): DigestSpec => {
  const colon = value.indexOf(':');
  const label = colon > 0 ? value.slice(0, colon).trim() : '';
  const encoded = colon > 0 ? value.slice(colon + 1).trim() : value.trim();
  const known = ALGORITHMS[label.toLowerCase().replace(/-/g, '')];
  return { value, algorithm: known?.name, label, encoded, length: known?.length ?? 0 };
};

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

const decodeBase32 = (s: string): Uint8Array | undefined => {
  const text = s.toUpperCase().replace(/=+$/, '');
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of text) {
    const v = BASE32.indexOf(ch);
    if (v < 0) return undefined;
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  return new Uint8Array(out);
};

const decodeHex = (s: string): Uint8Array | undefined =>
  /^(?:[0-9a-fA-F]{2})*$/.test(s) ? new Uint8Array(Buffer.from(s, 'hex')) : undefined;

const decodeBase64 = (s: string): Uint8Array | undefined =>
  // Either alphabet, never mixed; Buffer's decoder accepts both.
  /^[A-Za-z0-9+/]*={0,2}$/.test(s) || /^[A-Za-z0-9_-]*={0,2}$/.test(s)
    ? new Uint8Array(Buffer.from(s, 'base64'))
    : undefined;

/** Every reading of `encoded` that yields exactly `length` bytes. */
export const decodeDigestValue = (encoded: string, length: number): Uint8Array[] => {
  const readings: Uint8Array[] = [];
  for (const decode of [decodeHex, decodeBase32, decodeBase64]) {
    const bytes = decode(encoded);
    if (bytes && bytes.length === length) readings.push(bytes);
  }
  return readings;
};

export const digestMatches = (spec: DigestSpec, actual: readonly Uint8Array[]): boolean => {
  const readings = decodeDigestValue(spec.encoded, spec.length);
  return readings.some((r) => actual.some((a) => Buffer.compare(r, a) === 0));
};
