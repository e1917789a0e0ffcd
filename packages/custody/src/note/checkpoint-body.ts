/**
 * The text of a C2SP tlog-checkpoint ("Note text" section): the body of a signed note that commits a
 * transparency log to a tree size and root hash. Kept apart from `checkpoint.ts` so that the RFC 6962
 * note-signature verifier (`rfc6962.ts`) can read checkpoint bodies without an import cycle;
 * `checkpoint.ts` re-exports everything here.
 *
 *     <origin>\n
 *     <tree size, ASCII decimal>\n
 *     <base64(root hash)>\n
 *     [<extension line>\n]...
 */
import { fromBase64, toBase64 } from '../bytes.ts';
import { CustodyError } from '../errors.ts';

export type CheckpointBody = {
  /** Unique identifier of the log, conventionally a schema-less URL such as `example.com/log`. */
  origin: string;
  /** Number of leaves in the tree. */
  size: number;
  /** RFC 6962 Merkle Tree Hash of the tree, 32 bytes. */
  rootHash: Uint8Array;
  /** Optional lines after the root hash, without their newlines; opaque to this module. */
  extensions: string[];
};

const malformed = (why: string): CustodyError =>
  new CustodyError('malformed', `malformed checkpoint: ${why}`);

/**
 * Parses a checkpoint body (the note text, ending in '\n'). Strict, as tlog-checkpoint asks: the tree
 * size is decimal without sign or leading zeros and must be a safe integer, the root hash is canonical
 * standard base64 of exactly 32 bytes, and no line (origin or extension) may be empty. Throws
 * `CustodyError('malformed')`.
 *
 * @example
 * const cp = parseCheckpointBody('example.com/log\n7\n' + toBase64(root) + '\n');
 * cp.size; // 7
 */
export const parseCheckpointBody = (body: string): CheckpointBody => {
  if (!body.endsWith('\n')) throw malformed('body must end with a newline');
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) throw malformed(`expected at least 3 lines, got ${lines.length}`);
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin === '') throw malformed('empty origin line');
  // tlog-checkpoint: "the tree size ... as an ASCII decimal number" — one canonical spelling only.
  if (!/^(?:0|[1-9][0-9]*)$/.test(sizeText)) {
    throw malformed(`tree size ${JSON.stringify(sizeText)} is not a decimal without sign or leading zeros`);
  }
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw malformed(`tree size ${sizeText} is larger than 2^53 - 1`);
  let rootHash: Uint8Array;
  try {
    rootHash = fromBase64(rootText);
  } catch (cause) {
    throw new CustodyError('malformed', 'malformed checkpoint: root hash is not standard base64', { cause });
  }
  if (rootHash.length !== 32) throw malformed(`root hash is ${rootHash.length} bytes, expected 32`);
  if (extensions.some((line) => line === '')) throw malformed('empty extension line');
  return { origin, size, rootHash, extensions };
};

/**
 * Formats a checkpoint body: origin, size and root hash lines, then any extension lines. Throws
 * `CustodyError('malformed')` for values `parseCheckpointBody` would reject, so the result always
 * parses back to the same values.
 *
 * @example
 * formatCheckpointBody({ origin: 'example.com/log', size: 7, rootHash }); // 'example.com/log\n7\n…=\n'
 */
export const formatCheckpointBody = (checkpoint: {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  extensions?: readonly string[];
}): string => {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  if (origin === '' || origin.includes('\n')) throw malformed('origin must be one non-empty line');
  if (!Number.isSafeInteger(size) || size < 0) throw malformed(`tree size ${size} is not a safe integer ≥ 0`);
  if (rootHash.length !== 32) throw malformed(`root hash is ${rootHash.length} bytes, expected 32`);
  if (extensions.some((line) => line === '' || line.includes('\n'))) {
    throw malformed('extension lines must be non-empty single lines');
  }
  return [origin, String(size), toBase64(rootHash), ...extensions].map((line) => `${line}\n`).join('');
};
