import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AccordError } from '@accord/core';
import { fsyncDir, isNotFound, writeAll } from '../blobs/fs-common.ts';

const KEY_BYTES = 32;
const KEY_SUFFIX = '.kek';
const CURRENT_FILE = 'current';
const KEK_ID = /^[0-9a-f]{8}$/;
// base64 (standard or URL alphabet) of exactly 32 bytes: 43 characters and one optional '='.
const KEY_BASE64 = /^[A-Za-z0-9+/_-]{43}=?$/;
const WRAP_NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A data key wrapped under one key-encryption key, as stored in a key sidecar. */
export interface WrappedKey {
  /** Id of the key-encryption key (KEK) that wrapped it. */
  readonly kek: string;
  readonly nonce: Buffer;
  /** Ciphertext ‖ GCM tag. */
  readonly wrapped: Buffer;
}

/**
 * A node's key-encryption keys (KEKs): 256-bit AES keys that wrap the per-blob data keys of the
 * encrypted blob store. Exactly one is current (wraps new data keys); the others only unwrap, until
 * every sidecar has been re-wrapped under the current key and they can be retired.
 *
 * A key's id is the first 8 hex characters of the SHA-256 of its 32 bytes: it names the key in
 * sidecars and file names without revealing it. Key bytes never appear in messages or inspection.
 */
export class Keyring {
  readonly #keys: ReadonlyMap<string, Buffer>;
  /** Id of the key that wraps new data keys. */
  readonly currentId: string;
  /** The folder the keys came from; undefined for keys from the environment. */
  readonly dir: string | undefined;

  private constructor(keys: ReadonlyMap<string, Buffer>, currentId: string, dir: string | undefined) {
    this.#keys = keys;
    this.currentId = currentId;
    this.dir = dir;
  }

  /** Ids of every key held, the current one first. */
  get ids(): string[] {
    return [this.currentId, ...[...this.#keys.keys()].filter((id) => id !== this.currentId)];
  }

  has(id: string): boolean {
    return this.#keys.has(id);
  }

  /** The id of a 32-byte key: first 8 hex of its SHA-256. */
  static idOf(key: Uint8Array): string {
    return createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  /**
   * Keys from the value of `ACCORD_KEK`: one or more base64 keys of 32 bytes, separated by commas
   * or white space; the first is current. For production, where keys come from a secret manager.
   */
  static fromEnv(value: string | undefined, name = 'ACCORD_KEK'): Keyring {
    const entries = (value ?? '').split(/[\s,]+/).filter((entry) => entry.length > 0);
    if (entries.length === 0) {
      throw new AccordError(
        'config',
        `${name} is empty: set it to one or more base64-encoded 32-byte keys (e.g. from "openssl rand -base64 32"), separated by commas, the current key first`,
      );
    }
    const keys = new Map<string, Buffer>();
    for (const [i, entry] of entries.entries()) {
      const key = parseKey(entry, `${name} entry ${i + 1} of ${entries.length}`);
      const id = Keyring.idOf(key);
      if (keys.has(id)) {
        throw new AccordError(
          'config',
          `${name} entry ${i + 1} repeats an earlier key (id ${id}); list each key once`,
        );
      }
      keys.set(id, key);
    }
    // Map keeps insertion order: the first entry is current.
    const [currentId] = keys.keys();
    return new Keyring(keys, currentId as string, undefined);
  }

  /**
   * Keys from a folder: one `<id>.kek` file per key (base64 of 32 bytes, mode 0600) and a `current`
   * file holding the current key's id.
   */
  static async fromFolder(dir: string): Promise<Keyring> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if (isNotFound(error)) {
        throw new AccordError('config', `no key-encryption keys at ${dir}: the folder does not exist`);
      }
      throw new AccordError('config', `cannot read the key-encryption key folder ${dir}`, { cause: error });
    }
    const keys = new Map<string, Buffer>();
    for (const name of names.filter((n) => n.endsWith(KEY_SUFFIX)).sort()) {
      const path = join(dir, name);
      const expectedId = name.slice(0, -KEY_SUFFIX.length);
      if (!KEK_ID.test(expectedId)) {
        throw new AccordError('config', `${path}: key files must be named <id>.kek with an 8-hex id`);
      }
      await checkPrivate(path);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        throw new AccordError('config', `cannot read the key file ${path}`, { cause: error });
      }
      const key = parseKey(text.trim(), path);
      const id = Keyring.idOf(key);
      if (id !== expectedId) {
        throw new AccordError(
          'config',
          `${path} holds the key with id ${id}, not ${expectedId}: rename the file to ${id}.kek`,
        );
      }
      keys.set(id, key);
    }
    if (keys.size === 0) {
      throw new AccordError('config', `no key-encryption keys (*.kek files) in ${dir}`);
    }
    let currentId: string;
    try {
      currentId = (await readFile(join(dir, CURRENT_FILE), 'utf8')).trim();
    } catch (error) {
      throw new AccordError(
        'config',
        `${join(dir, CURRENT_FILE)} is missing or unreadable: it must name the current key's id`,
        {
          cause: error,
        },
      );
    }
    if (!keys.has(currentId)) {
      throw new AccordError(
        'config',
        `${join(dir, CURRENT_FILE)} names the key ${JSON.stringify(currentId.slice(0, 20))}, which is not in ${dir} (keys: ${[...keys.keys()].join(', ')})`,
      );
    }
    return new Keyring(keys, currentId, dir);
  }

  /** Creates the folder and its first key, which becomes current. Refuses a folder that has keys. */
  static async create(dir: string): Promise<Keyring> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const existing = (await readdir(dir)).filter((n) => n.endsWith(KEY_SUFFIX) || n === CURRENT_FILE);
    if (existing.length > 0) {
      throw new AccordError('conflict', `${dir} already holds key-encryption keys; nothing was changed`);
    }
    await writeNewKeyAndMakeCurrent(dir);
    return Keyring.fromFolder(dir);
  }

  /**
   * Creates a new key in an existing key folder and makes it current. The old keys stay, so that
   * data keys wrapped under them can still be opened until they are re-wrapped.
   */
  static async addKey(dir: string): Promise<Keyring> {
    await Keyring.fromFolder(dir);
    await writeNewKeyAndMakeCurrent(dir);
    return Keyring.fromFolder(dir);
  }

  /** This keyring without the given keys (never without its current key). */
  without(ids: Iterable<string>): Keyring {
    const keys = new Map(this.#keys);
    for (const id of ids) {
      if (id === this.currentId) throw new AccordError('conflict', `the current key ${id} cannot be removed`);
      keys.delete(id);
    }
    return new Keyring(keys, this.currentId, this.dir);
  }

  /**
   * Removes key files from this keyring's folder (never the current key, neither the one in memory
   * nor the one named on disk). Callers must know that nothing is wrapped under these keys anymore.
   */
  async deleteKeyFiles(ids: Iterable<string>): Promise<Keyring> {
    const dir = this.dir;
    if (dir === undefined) {
      throw new AccordError(
        'config',
        'these keys come from the environment: remove retired keys from ACCORD_KEK instead',
      );
    }
    const onDisk = await Keyring.fromFolder(dir);
    const removed: string[] = [];
    for (const id of ids) {
      if (id === this.currentId || id === onDisk.currentId) {
        throw new AccordError('conflict', `the current key ${id} cannot be removed`);
      }
      if (!KEK_ID.test(id)) continue;
      await rm(join(dir, `${id}${KEY_SUFFIX}`), { force: true });
      removed.push(id);
    }
    await fsyncDir(dir);
    return this.without(removed);
  }

  /** Wraps a data key under the current key; `aad` binds it to what it protects. */
  wrap(dataKey: Uint8Array, aad: Uint8Array): WrappedKey {
    const kek = this.#keys.get(this.currentId) as Buffer;
    const nonce = randomBytes(WRAP_NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', kek, nonce);
    cipher.setAAD(aad);
    const body = Buffer.concat([cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    return { kek: this.currentId, nonce, wrapped: body };
  }

  /**
   * Unwraps a data key. Throws AccordError('config') when the key-encryption key is not held (a
   * retired or missing key) and AccordError('integrity') when authentication fails.
   */
  unwrap(key: WrappedKey, aad: Uint8Array): Buffer {
    const kek = this.#keys.get(key.kek);
    if (kek === undefined) {
      throw new AccordError(
        'config',
        `key-encryption key ${key.kek} is not in the keyring (held: ${this.ids.join(', ')})`,
        { context: { kek: key.kek } },
      );
    }
    if (key.nonce.byteLength !== WRAP_NONCE_BYTES || key.wrapped.byteLength <= TAG_BYTES) {
      throw new AccordError('integrity', 'wrapped data key has the wrong length');
    }
    const decipher = createDecipheriv('aes-256-gcm', kek, key.nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(key.wrapped.subarray(key.wrapped.byteLength - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(key.wrapped.subarray(0, key.wrapped.byteLength - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch (error) {
      throw new AccordError('integrity', `wrapped data key failed authentication under key ${key.kek}`, {
        cause: error,
      });
    }
  }

  toJSON(): { currentId: string; ids: string[] } {
    return { currentId: this.currentId, ids: this.ids };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Keyring { current: ${this.currentId}, ids: [${this.ids.join(', ')}] }`;
  }
}

/** Parses one base64 key; the error names where it came from, never what it holds. */
function parseKey(text: string, where: string): Buffer {
  if (!KEY_BASE64.test(text)) {
    const decoded = /^[A-Za-z0-9+/_=-]*$/.test(text) ? Buffer.from(text, 'base64').byteLength : undefined;
    const detail = decoded === undefined ? 'it is not base64' : `it decodes to ${decoded} bytes`;
    throw new AccordError('config', `${where} is not a base64-encoded 32-byte key (${detail})`);
  }
  const key = Buffer.from(text, 'base64');
  if (key.byteLength !== KEY_BYTES) {
    throw new AccordError(
      'config',
      `${where} is not a base64-encoded 32-byte key (it decodes to ${key.byteLength} bytes)`,
    );
  }
  return key;
}

/** Key files must not be readable by other users (like ssh's private keys). */
async function checkPrivate(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const { mode } = await stat(path);
  if ((mode & 0o077) !== 0) {
    throw new AccordError(
      'config',
      `${path} is accessible to other users (mode ${(mode & 0o777).toString(8)}); run "chmod 600 ${path}"`,
    );
  }
}

async function writeNewKeyAndMakeCurrent(dir: string): Promise<string> {
  const key = randomBytes(KEY_BYTES);
  const id = Keyring.idOf(key);
  // The key must be durable before anything (the current pointer, a sidecar) can refer to it.
  await writeFileDurably(dir, `${id}${KEY_SUFFIX}`, `${key.toString('base64')}\n`);
  await writeFileDurably(dir, CURRENT_FILE, `${id}\n`);
  return id;
}

/** temp + fsync + rename + fsync(dir): a reader sees the old file or the new one, never a part. */
async function writeFileDurably(dir: string, name: string, text: string): Promise<void> {
  const tmp = join(dir, `.${name}.${randomBytes(8).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await writeAll(handle, Buffer.from(text, 'utf8'));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await chmod(tmp, 0o600);
    await rename(tmp, join(dir, name));
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await fsyncDir(dir);
}
