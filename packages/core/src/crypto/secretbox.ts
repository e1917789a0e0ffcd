import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AccordError } from '../shared/errors.ts';

/**
 * Seals small secrets (TOTP seeds) with AES-256-GCM under the node's secret key so that a copy of
 * the database alone does not reveal them. Format: "v1." ‖ base64url(nonce(12) ‖ ciphertext ‖ tag(16)).
 * `purpose` is bound as associated data so a sealed value cannot be moved to another field or user.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new AccordError('config', 'the node secret key must be exactly 32 bytes');
    this.#key = Buffer.from(key);
  }

  seal(plain: Uint8Array, purpose: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(Buffer.from(purpose, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return `v1.${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  open(sealed: string, purpose: string): Uint8Array {
    if (!sealed.startsWith('v1.')) throw new AccordError('integrity', 'sealed secret has an unknown format');
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    if (raw.length < 28) throw new AccordError('integrity', 'sealed secret is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(purpose, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    try {
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
    } catch (e) {
      throw new AccordError(
        'integrity',
        'sealed secret failed authentication (wrong node key or altered value)',
        {
          cause: e,
        },
      );
    }
  }
}
