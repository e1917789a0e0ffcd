/**
 * C2SP signed-note: a UTF-8 text signed by one or more keys, as used by transparency-log checkpoints
 * and the Go checksum database. A note is
 *
 *     <text, ending in '\n'>\n
 *     — <key name> <base64(4-byte key ID ‖ signature)>\n
 *     ...
 *
 * i.e. the text, one blank line, then one or more signature lines. Verifier keys are
 * `<name>+<hex key ID>+<base64(type ‖ public key)>`; signer keys are
 * `PRIVATE+KEY+<name>+<hex key ID>+<base64(type ‖ private key)>` (golang.org/x/mod/sumdb/note).
 *
 * Supported key types: 0x01 Ed25519 (signing and verification) and 0x05 RFC 6962 STH / ECDSA P-256
 * (verification only, see `rfc6962.ts`). Everything else, including 0x04 timestamped Ed25519 witness
 * cosignatures (C2SP tlog-cosignature), is rejected as an unsupported key type. WebCrypto only.
 */
import { concat, fromBase64, fromHex, sha256, toBase64, toHex, utf8 } from '../bytes.ts';
import { CustodyError } from '../errors.ts';
import { verifyRfc6962NoteSignature } from './rfc6962.ts';

export type NoteKeyType = 'ed25519' | 'rfc6962';

export type NoteVerifier = {
  name: string;
  /** The 4-byte key ID as 8 lowercase hex digits, e.g. `'c74f20a3'`. */
  keyId: string;
  type: NoteKeyType;
  /** Ed25519: the 32-byte public key. RFC 6962: the log's DER SubjectPublicKeyInfo. */
  publicKey: Uint8Array;
};

export type NoteSigner = {
  name: string;
  keyId: string;
  type: 'ed25519';
  publicKey: Uint8Array;
  /** Non-extractable WebCrypto Ed25519 private key. */
  privateKey: CryptoKey;
};

export type NoteSignature = {
  name: string;
  keyId: string;
  /** The signature bytes after the 4-byte key ID. */
  signature: Uint8Array;
};

export type ParsedNote = {
  /** The signed text, ending in '\n' (without the blank line that follows it). */
  body: string;
  signatures: NoteSignature[];
};

export type KeyRef = { name: string; keyId: string };

export type VerifiedNote = ParsedNote & {
  /** Distinct known keys whose signatures verified, in note order. */
  verified: KeyRef[];
  /** Distinct signers not among the given verifiers (name or key ID differs), in note order. */
  unknown: KeyRef[];
};

/** Signature types (signed-note, "Signature types"). */
const TYPE_ED25519 = 0x01;
const TYPE_RFC6962 = 0x05;

/** Same cap as golang.org/x/mod/sumdb/note: do not spend forever on a note with many signatures. */
export const NOTE_MAX_SIGNATURES = 100;

/** Fixed PKCS#8 prefix for an Ed25519 private key (RFC 8410 §7): append the 32-byte seed. */
const PKCS8_ED25519_PREFIX = fromHex('302e020100300506032b657004220420');

const SIG_PREFIX = '\u2014 '; // EM DASH, space

const malformed = (why: string, cause?: unknown): CustodyError =>
  new CustodyError('malformed', why, cause === undefined ? undefined : { cause });

/**
 * signed-note: a key name is non-empty and contains no Unicode whitespace and no '+'. JavaScript's
 * `\s` lacks U+0085, which Go's `unicode.IsSpace` (the reference implementation) counts.
 */
const isValidName = (name: string): boolean =>
  name !== '' && name.isWellFormed() && !/[\s\u0085+]/u.test(name);

/** signed-note text: valid UTF-8 (well-formed UTF-16 here) with no ASCII control character but '\n'. */
const checkText = (text: string, what: string): void => {
  if (!text.isWellFormed()) throw malformed(`${what} is not valid Unicode text (lone surrogate)`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
  const control = /[\u0000-\u0009\u000b-\u001f]/.exec(text);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    throw malformed(`${what} contains control character U+${code} at offset ${control.index}`);
  }
};

/** signed-note key ID: the first 4 bytes of SHA-256(name ‖ 0x0A ‖ type ‖ key material). */
const computeKeyId = async (name: string, type: number, material: Uint8Array): Promise<string> =>
  toHex((await sha256(concat(utf8(name), new Uint8Array([0x0a, type]), material))).subarray(0, 4));

/** Splits `name+hexid+base64` on the first two '+' only (the base64 may contain '+'). */
const splitKey = (key: string, what: string): { name: string; keyId: string; data: Uint8Array } => {
  const first = key.indexOf('+');
  const second = first < 0 ? -1 : key.indexOf('+', first + 1);
  if (second < 0) throw malformed(`${what} must be <name>+<hex key ID>+<base64 key>`);
  const name = key.slice(0, first);
  const hex = key.slice(first + 1, second);
  if (!isValidName(name)) throw malformed(`${what} has an invalid name ${JSON.stringify(name)}`);
  if (!/^[0-9a-fA-F]{8}$/.test(hex))
    throw malformed(`${what} key ID ${JSON.stringify(hex)} is not 8 hex digits`);
  let data: Uint8Array;
  try {
    data = fromBase64(key.slice(second + 1));
  } catch (cause) {
    throw malformed(`${what} key is not standard base64`, cause);
  }
  if (data.length === 0) throw malformed(`${what} key is empty`);
  return { name, keyId: hex.toLowerCase(), data };
};

const typeName = (type: number): string => `0x${type.toString(16).padStart(2, '0')}`;

const importSigningKey = (seed: Uint8Array, extractable: boolean): Promise<CryptoKey> =>
  crypto.subtle.importKey(
    'pkcs8',
    concat(PKCS8_ED25519_PREFIX, seed) as Uint8Array<ArrayBuffer>,
    { name: 'Ed25519' },
    extractable,
    ['sign'],
  );

const fromBase64Url = (text: string): Uint8Array =>
  fromBase64(text.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (text.length % 4)) % 4));

/**
 * Parses a verifier key `<name>+<hex key ID>+<base64(type ‖ public key)>` and checks that the key ID
 * matches (signed-note, "Verifier keys" and "Key IDs"). Type 0x01 is Ed25519 with a 32-byte key; type
 * 0x05 is an RFC 6962 log whose key is a P-256 SubjectPublicKeyInfo and whose key ID hashes
 * SHA-256(SPKI) instead of the key itself. Throws `CustodyError('malformed')`, also for unsupported
 * key types.
 *
 * @example
 * const peter = await parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
 * peter.keyId; // 'c74f20a3'
 */
export const parseVerifierKey = async (vkey: string): Promise<NoteVerifier> => {
  const { name, keyId, data } = splitKey(vkey.trim(), 'verifier key');
  const type = data[0]!;
  const publicKey = data.slice(1);
  let expected: string;
  let noteType: NoteKeyType;
  if (type === TYPE_ED25519) {
    if (publicKey.length !== 32)
      throw malformed(`Ed25519 verifier key is ${publicKey.length} bytes, expected 32`);
    expected = await computeKeyId(name, type, publicKey);
    noteType = 'ed25519';
  } else if (type === TYPE_RFC6962) {
    try {
      await crypto.subtle.importKey(
        'spki',
        publicKey as Uint8Array<ArrayBuffer>,
        { name: 'ECDSA', namedCurve: 'P-256' },
        false,
        ['verify'],
      );
    } catch (cause) {
      throw malformed('RFC 6962 verifier key is not an ECDSA P-256 SubjectPublicKeyInfo', cause);
    }
    expected = await computeKeyId(name, type, await sha256(publicKey));
    noteType = 'rfc6962';
  } else {
    throw malformed(
      `unsupported key type ${typeName(type)} in verifier key for ${name} (supported: 0x01, 0x05)`,
    );
  }
  if (expected !== keyId) {
    throw malformed(
      `verifier key for ${name}: key ID ${keyId} does not match the key (expected ${expected})`,
    );
  }
  return { name, keyId, type: noteType, publicKey };
};

/**
 * Parses an Ed25519 signer key `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 ‖ 32-byte seed)>`, derives
 * the public key and checks the key ID against it. Throws `CustodyError('malformed')`.
 *
 * @example
 * const signer = await parseSignerKey(skeyText);
 * const note = await signNote('hello\n', signer);
 */
export const parseSignerKey = async (skey: string): Promise<NoteSigner> => {
  const text = skey.trim();
  if (!text.startsWith('PRIVATE+KEY+')) throw malformed('signer key must start with PRIVATE+KEY+');
  const { name, keyId, data } = splitKey(text.slice('PRIVATE+KEY+'.length), 'signer key');
  const type = data[0]!;
  if (type !== TYPE_ED25519)
    throw malformed(`unsupported signer key type ${typeName(type)} (supported: 0x01)`);
  const seed = data.subarray(1);
  if (seed.length !== 32) throw malformed(`Ed25519 signer key is ${seed.length} bytes, expected 32`);
  let publicKey: Uint8Array;
  try {
    // WebCrypto cannot derive a public key directly; the private JWK carries it as `x`.
    const jwk = await crypto.subtle.exportKey('jwk', await importSigningKey(seed, true));
    publicKey = fromBase64Url(jwk.x ?? '');
  } catch (cause) {
    throw malformed('signer key is not a usable Ed25519 seed', cause);
  }
  const expected = await computeKeyId(name, type, publicKey);
  if (expected !== keyId) {
    throw malformed(`signer key for ${name}: key ID ${keyId} does not match the key (expected ${expected})`);
  }
  return { name, keyId, type: 'ed25519', publicKey, privateKey: await importSigningKey(seed, false) };
};

/**
 * Parses a signed note without verifying anything (signed-note, "Format"): the text must be valid UTF-8
 * without control characters other than '\n'; the body is everything up to and including the '\n'
 * before the last blank line; after it come 1 to {@link NOTE_MAX_SIGNATURES} lines
 * `— <name> <base64(key ID ‖ signature)>`, each ending in '\n'. Throws `CustodyError('malformed')`.
 *
 * @example
 * const { body, signatures } = parseNote(noteText);
 * signatures[0]?.keyId; // 'c74f20a3'
 */
export const parseNote = (note: string | Uint8Array): ParsedNote => {
  let text: string;
  if (typeof note === 'string') {
    text = note;
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(note);
    } catch (cause) {
      throw malformed('note is not valid UTF-8', cause);
    }
  }
  checkText(text, 'note');
  const split = text.lastIndexOf('\n\n');
  if (split < 0) throw malformed('note has no blank line before its signatures');
  const body = text.slice(0, split + 1);
  const block = text.slice(split + 2);
  if (block === '') throw malformed('note has no signature lines');
  if (!block.endsWith('\n')) throw malformed('note does not end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > NOTE_MAX_SIGNATURES) {
    throw malformed(`note has ${lines.length} signature lines, more than ${NOTE_MAX_SIGNATURES}`);
  }
  const signatures = lines.map((line, i): NoteSignature => {
    const where = `signature line ${i + 1}`;
    if (!line.startsWith(SIG_PREFIX)) throw malformed(`${where} does not start with "— " (U+2014, space)`);
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(' ');
    if (space < 0) throw malformed(`${where} must be "— <name> <base64 signature>"`);
    const name = rest.slice(0, space);
    if (!isValidName(name)) throw malformed(`${where} has an invalid key name ${JSON.stringify(name)}`);
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(rest.slice(space + 1));
    } catch (cause) {
      throw malformed(`${where} (${name}) is not standard base64`, cause);
    }
    if (bytes.length < 5) throw malformed(`${where} (${name}) is shorter than a key ID and a signature`);
    return { name, keyId: toHex(bytes.subarray(0, 4)), signature: bytes.slice(4) };
  });
  return { body, signatures };
};

const verifyOne = async (verifier: NoteVerifier, body: string, signature: Uint8Array): Promise<boolean> => {
  if (verifier.type === 'rfc6962') return verifyRfc6962NoteSignature(verifier.publicKey, body, signature);
  if (signature.length !== 64) return false;
  try {
    const key = await crypto.subtle.importKey(
      'raw',
      verifier.publicKey as Uint8Array<ArrayBuffer>,
      { name: 'Ed25519' },
      false,
      ['verify'],
    );
    return await crypto.subtle.verify(
      'Ed25519',
      key,
      signature as Uint8Array<ArrayBuffer>,
      utf8(body) as Uint8Array<ArrayBuffer>,
    );
  } catch {
    return false; // a key some WebCrypto implementation refuses (e.g. not a curve point) verifies nothing
  }
};

/**
 * Parses a note and verifies every signature whose name and key ID match one of `verifiers`
 * (signed-note, "Signatures"). Signatures by other keys are listed as `unknown`, never trusted. Throws
 * `CustodyError('signature_invalid')` if any signature by a known key fails, `'unknown_key'` if no
 * signature is by a known key, and `'malformed'` as `parseNote` does.
 *
 * @example
 * const peter = await parseVerifierKey(peterVkey);
 * const { body, verified } = await verifyNote(noteText, [peter]);
 */
export const verifyNote = async (
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
): Promise<VerifiedNote> => {
  const parsed = parseNote(note);
  const verified: KeyRef[] = [];
  const unknown: KeyRef[] = [];
  const has = (list: KeyRef[], ref: KeyRef): boolean =>
    list.some((k) => k.name === ref.name && k.keyId === ref.keyId);
  for (const { name, keyId, signature } of parsed.signatures) {
    const verifier = verifiers.find((v) => v.name === name && v.keyId === keyId);
    if (!verifier) {
      if (!has(unknown, { name, keyId })) unknown.push({ name, keyId });
      continue;
    }
    if (!(await verifyOne(verifier, parsed.body, signature))) {
      throw new CustodyError('signature_invalid', `signature by ${name}+${keyId} does not verify`);
    }
    if (!has(verified, { name, keyId })) verified.push({ name, keyId });
  }
  if (verified.length === 0) {
    const by = unknown.map((k) => `${k.name}+${k.keyId}`).join(', ');
    throw new CustodyError('unknown_key', `no signature by a known key (note is signed by ${by})`);
  }
  return { ...parsed, verified, unknown };
};

/**
 * Signs `body` (which must end in '\n' and be valid note text) with one or more Ed25519 signers and
 * returns the note text. Ed25519 is deterministic (RFC 8032), so the same key and body always give the
 * same bytes.
 *
 * @example
 * const note = await signNote('hello\n', await parseSignerKey(skey));
 * // 'hello\n\n— name <base64>\n'
 */
export const signNote = async (
  body: string,
  signers: NoteSigner | readonly NoteSigner[],
): Promise<string> => {
  checkText(body, 'note body');
  if (!body.endsWith('\n')) throw malformed('note body must end with a newline');
  const list = Array.isArray(signers) ? (signers as readonly NoteSigner[]) : [signers as NoteSigner];
  if (list.length === 0) throw malformed('a note needs at least one signer');
  if (list.length > NOTE_MAX_SIGNATURES) throw malformed(`at most ${NOTE_MAX_SIGNATURES} signers`);
  const lines: string[] = [];
  for (const signer of list) {
    if (!isValidName(signer.name)) throw malformed(`invalid signer name ${JSON.stringify(signer.name)}`);
    const sig = new Uint8Array(
      await crypto.subtle.sign('Ed25519', signer.privateKey, utf8(body) as Uint8Array<ArrayBuffer>),
    );
    lines.push(`${SIG_PREFIX}${signer.name} ${toBase64(concat(fromHex(signer.keyId), sig))}\n`);
  }
  return `${body}\n${lines.join('')}`;
};

/**
 * Generates a fresh Ed25519 key pair named `name` and returns it as signer and verifier key strings.
 *
 * @example
 * const { skey, vkey } = await generateKeyPair('example.com/log');
 * const note = await signNote('hello\n', await parseSignerKey(skey));
 * await verifyNote(note, [await parseVerifierKey(vkey)]);
 */
export const generateKeyPair = async (name: string): Promise<{ skey: string; vkey: string }> => {
  if (!isValidName(name)) throw malformed(`invalid key name ${JSON.stringify(name)}`);
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  const prefix = pkcs8.subarray(0, PKCS8_ED25519_PREFIX.length);
  if (pkcs8.length !== 48 || toHex(prefix) !== toHex(PKCS8_ED25519_PREFIX)) {
    throw new Error('unexpected Ed25519 PKCS#8 encoding from WebCrypto');
  }
  const seed = pkcs8.subarray(16);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const keyId = await computeKeyId(name, TYPE_ED25519, publicKey);
  const typed = (key: Uint8Array): string => toBase64(concat(new Uint8Array([TYPE_ED25519]), key));
  return {
    skey: `PRIVATE+KEY+${name}+${keyId}+${typed(seed)}`,
    vkey: `${name}+${keyId}+${typed(publicKey)}`,
  };
};
