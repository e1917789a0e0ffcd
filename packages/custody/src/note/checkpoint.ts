/**
 * C2SP tlog-checkpoint: a signed note whose body commits a transparency log (its origin) to a tree
 * size and root hash. Verification = signed-note verification with the caller's trusted keys, then a
 * strict parse of the body, then the origin check.
 */
import { CustodyError } from '../errors.ts';
import { type CheckpointBody, parseCheckpointBody } from './checkpoint-body.ts';
import { type KeyRef, type NoteSignature, type NoteVerifier, verifyNote } from './note.ts';

export { type CheckpointBody, formatCheckpointBody, parseCheckpointBody } from './checkpoint-body.ts';

export type VerifiedCheckpoint = CheckpointBody & {
  /** The note text that was signed. */
  body: string;
  signatures: NoteSignature[];
  /** Known keys whose signatures verified (log key and/or witnesses). */
  verified: KeyRef[];
  /** Signers not among the given verifiers; their signatures were not checked. */
  unknown: KeyRef[];
};

export type VerifyCheckpointOptions = {
  /** Expected log origin; a checkpoint for any other log throws `CustodyError('wrong_origin')`. */
  origin?: string;
};

/**
 * Verifies a checkpoint note against trusted keys and returns its parsed contents. At least one
 * signature must be by one of `verifiers` and every such signature must verify (see `verifyNote`);
 * the caller decides which keys to trust (typically the log's key, optionally witnesses). Throws
 * `CustodyError` with `malformed`, `signature_invalid`, `unknown_key` or `wrong_origin`.
 *
 * @example
 * const log = await parseVerifierKey('sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8');
 * const cp = await verifyCheckpoint(text, [log], { origin: 'go.sum database tree' });
 * cp.size; // 6476701
 */
export const verifyCheckpoint = async (
  text: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
  options: VerifyCheckpointOptions = {},
): Promise<VerifiedCheckpoint> => {
  const note = await verifyNote(text, verifiers);
  const checkpoint = parseCheckpointBody(note.body);
  if (options.origin !== undefined && checkpoint.origin !== options.origin) {
    throw new CustodyError(
      'wrong_origin',
      `checkpoint is for log ${JSON.stringify(checkpoint.origin)}, expected ${JSON.stringify(options.origin)}`,
    );
  }
  return { ...checkpoint, ...note };
};
