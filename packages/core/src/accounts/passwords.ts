import { hash, verify } from '@node-rs/argon2';
import { invalid } from '../shared/errors.ts';

// OWASP Password Storage Cheat Sheet (2024): Argon2id, m=19 MiB, t=2, p=1 is the minimum; we use
// more memory since a node signs in few people per second.
// `algorithm: 2` is Argon2id in @node-rs/argon2's const enum, which type stripping cannot import.
const ARGON2_OPTIONS = {
  algorithm: 2,
  memoryCost: 65536,
  timeCost: 3,
  parallelism: 1,
} as const;

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 512;

/** NIST SP 800-63B §5.1.1.2: length over composition rules; refuse the obvious. */
export const checkPasswordPolicy = (password: string, username: string): void => {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    throw invalid(`the password must be at least ${MIN_PASSWORD_LENGTH} characters long`, {
      field: 'password',
      reason: 'password_too_short',
      min: MIN_PASSWORD_LENGTH,
    });
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw invalid(`the password must be at most ${MAX_PASSWORD_LENGTH} characters long`, {
      field: 'password',
      reason: 'password_too_long',
      max: MAX_PASSWORD_LENGTH,
    });
  }
  if (password.toLowerCase().includes(username.toLowerCase())) {
    throw invalid('the password must not contain the username', {
      field: 'password',
      reason: 'password_contains_username',
    });
  }
  if (new Set(password).size < 4) {
    throw invalid('the password repeats too few different characters', {
      field: 'password',
      reason: 'password_low_variety',
    });
  }
};

export const hashPassword = (password: string): Promise<string> => hash(password, ARGON2_OPTIONS);

export const verifyPassword = async (passwordHash: string, password: string): Promise<boolean> => {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
};

/** A hash of a random value, verified when the username is unknown so timing does not reveal it. */
let dummyHash: Promise<string> | undefined;
export const dummyVerify = async (password: string): Promise<void> => {
  dummyHash ??= hashPassword('accord-timing-equaliser-not-a-password');
  await verifyPassword(await dummyHash, password);
};

/** Generated passwords for new accounts and resets: 20 characters from an unambiguous alphabet. */
export const generatePassword = (): string => {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  // 256 % 55 ≠ 0 gives a slight bias; reject-sample to keep every character equally likely.
  let out = '';
  for (let i = 0; out.length < 20; i++) {
    const b = i < bytes.length ? bytes[i]! : crypto.getRandomValues(new Uint8Array(1))[0]!;
    if (b < 220) out += alphabet[b % 55];
  }
  return out.replace(/(.{5})(?=.)/g, '$1-');
};
