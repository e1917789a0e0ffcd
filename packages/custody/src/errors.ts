/**
 * Verification failures. Verifiers return a verified result or throw one of these; they never
 * return `false` for "looks wrong". `code` is stable for programs, `message` is for people.
 */
export type CustodyErrorCode =
  | 'malformed' // input does not parse (bad base64, wrong length, bad text format)
  | 'proof_invalid' // a Merkle proof does not lead to the expected root
  | 'signature_invalid' // a signature does not verify
  | 'unknown_key' // no known key matches a signature line
  | 'wrong_origin' // a checkpoint names another log than expected
  | 'not_canonical'; // a value cannot be represented in canonical JSON

export class CustodyError extends Error {
  readonly code: CustodyErrorCode;

  constructor(code: CustodyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CustodyError';
    this.code = code;
  }
}

export const isCustodyError = (e: unknown): e is CustodyError => e instanceof CustodyError;
