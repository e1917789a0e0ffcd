import { createHmac, timingSafeEqual } from 'node:crypto';

/** RFC 6238 parameters Accord uses: the defaults every authenticator app supports. */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;

/** RFC 4226 §5.3 HOTP value for one counter. */
export const hotp = (secret: Uint8Array, counter: number, digits = TOTP_DIGITS): string => {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', secret).update(msg).digest();
  // Dynamic truncation (RFC 4226 §5.4): the low nibble of the last byte picks 4 bytes.
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
};

/** RFC 6238 §4.2: T = floor((unix time - T0) / X) with T0 = 0. */
export const totpStep = (unixMs: number, period = TOTP_PERIOD_SECONDS): number =>
  Math.floor(unixMs / 1000 / period);

export const totp = (secret: Uint8Array, unixMs: number, digits = TOTP_DIGITS): string =>
  hotp(secret, totpStep(unixMs), digits);

/**
 * Checks a code against the current step and one step either side (clock drift, RFC 6238 §6)
 * and returns the step that matched, so the caller can refuse its reuse; undefined when no match.
 * Steps at or before `lastUsedStep` never match: a code works once.
 */
export const matchTotp = (
  secret: Uint8Array,
  code: string,
  unixMs: number,
  lastUsedStep: number | null,
): number | undefined => {
  const clean = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(clean)) return undefined;
  const now = totpStep(unixMs);
  for (const step of [now - 1, now, now + 1]) {
    if (lastUsedStep !== null && step <= lastUsedStep) continue;
    const expected = Buffer.from(hotp(secret, step));
    if (timingSafeEqual(expected, Buffer.from(clean))) return step;
  }
  return undefined;
};

/** The otpauth:// URI authenticator apps read from the enrolment QR code (Key Uri Format). */
export const otpauthUri = (issuer: string, account: string, secretBase32: string): string => {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const params = new URLSearchParams({
    secret: secretBase32,
    issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD_SECONDS),
  });
  return `otpauth://totp/${label}?${params.toString()}`;
};
