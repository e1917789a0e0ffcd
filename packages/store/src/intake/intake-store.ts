import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm, rmdir, statfs, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AccordError, type IntakeStore } from '@accord/core';
import {
  bytesOf,
  fsyncDir,
  guardSource,
  isNotFound,
  readAt,
  readdirSorted,
  statOrUndefined,
  writeAll,
  writevAll,
} from '../blobs/fs-common.ts';

/**
 * On-disk format of a sealed intake attachment (version 1). Integers are big-endian.
 *
 *   magic        5  ASCII "ACCI1"
 *   nonce prefix 8  random per file
 *   chunks, n = max(1, ceil(size / 64 KiB)); an empty file has one empty chunk
 *     ciphertext (64 KiB, or what is left for the last chunk) ‖ tag (16)
 *
 * Chunk i is sealed with AES-256-GCM under the report's key, nonce = nonce prefix ‖ u32(i), and
 * associated data = report id ‖ 0x00 ‖ attachment id ‖ u32(i) ‖ u8(i == n - 1). So a chunk cut off,
 * swapped with another, or a whole file moved to another report or name fails authentication, and
 * the last chunk read must be the one sealed as last.
 */
const MAGIC = Buffer.from('ACCI1', 'ascii');
const NONCE_PREFIX_BYTES = 8;
const HEADER_BYTES = MAGIC.byteLength + NONCE_PREFIX_BYTES;
const CHUNK_BYTES = 64 * 1024;
const TAG_BYTES = 16;
const STRIDE = CHUNK_BYTES + TAG_BYTES;
const KEY_BYTES = 32;
/** Chunk indexes are 32-bit (the nonce's counter field). */
const MAX_CHUNKS = 2 ** 32;

/** Stored files are never changed, only removed; only the node's user may enter the folders. */
const FILE_MODE = 0o400;
const FOLDER_MODE = 0o700;
const TEMP_SUFFIX = '.part';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * IntakeStore on the filesystem: `root/<report id>/<attachment id>`, each file sealed under its
 * report's key in 64 KiB chunks (format above), so memory stays bounded for any size and a reader
 * never sees a byte that failed authentication. A file appears under its name only once it is
 * complete and durable (temp file in the same folder, fsync, rename, fsync of the folder).
 */
export class FsIntakeStore implements IntakeStore {
  readonly root: string;
  /** A put is refused when the disk has less free space than this (default 2 GiB). */
  readonly minFreeBytes: number;

  constructor(root: string, options: { minFreeBytes?: number } = {}) {
    this.root = root;
    this.minFreeBytes = options.minFreeBytes ?? 2 * 1024 ** 3;
  }

  /** Creates the store's folder (owner only) if needed; prefer this to the constructor. */
  static async open(root: string, options: { minFreeBytes?: number } = {}): Promise<FsIntakeStore> {
    await mkdir(root, { recursive: true, mode: FOLDER_MODE });
    return new FsIntakeStore(root, options);
  }

  async put(
    reportId: string,
    attachmentId: string,
    key: Uint8Array,
    source: AsyncIterable<Uint8Array>,
    onChunk?: (chunk: Uint8Array) => void,
  ): Promise<{ sha256: string; size: number }> {
    checkId(reportId, 'report');
    checkId(attachmentId, 'attachment');
    // Public uploads must never fill the disk the node and its evidence live on.
    await mkdir(this.root, { recursive: true, mode: FOLDER_MODE });
    const free = await statfs(this.root);
    if (free.bavail * free.bsize < this.minFreeBytes) {
      throw new AccordError('unavailable', 'the node has too little free disk space to take files now', {
        context: { reason: 'intake_full' },
      });
    }
    const chunkKey = keyObject(key);
    const release = guardSource(source);
    const folder = join(this.root, reportId);
    let temp: string | undefined;
    let handle: FileHandle | undefined;
    try {
      ({ temp, handle } = await this.#openTemp(folder, attachmentId));
      const out = handle;
      const noncePrefix = randomBytes(NONCE_PREFIX_BYTES);
      await writeAll(out, Buffer.concat([MAGIC, noncePrefix]), 0);
      let position = HEADER_BYTES;
      let index = 0;
      const seal = async (plain: Uint8Array, final: boolean): Promise<void> => {
        if (index >= MAX_CHUNKS) throw new AccordError('invalid_input', 'the attachment is too large');
        const cipher = createCipheriv('aes-256-gcm', chunkKey, chunkNonce(noncePrefix, index));
        cipher.setAAD(chunkAad(reportId, attachmentId, index, final));
        const sealed = cipher.update(plain);
        cipher.final();
        const tag = cipher.getAuthTag();
        await writevAll(out, [sealed, tag], position);
        position += sealed.byteLength + tag.byteLength;
        index += 1;
      };

      const hash = createHash('sha256');
      let size = 0;
      // A full chunk is held back until a further byte arrives: only then is it known not to be the
      // last one, whose associated data says "final".
      const held = Buffer.allocUnsafe(CHUNK_BYTES);
      let fill = 0;
      for await (const chunk of bytesOf(source)) {
        hash.update(chunk);
        size += chunk.byteLength;
        onChunk?.(chunk);
        let offset = 0;
        while (offset < chunk.byteLength) {
          if (fill === CHUNK_BYTES) {
            await seal(held, false);
            fill = 0;
          }
          if (fill === 0 && chunk.byteLength - offset > CHUNK_BYTES) {
            // More bytes follow in the same source chunk: seal this slice where it is, without a copy.
            await seal(chunk.subarray(offset, offset + CHUNK_BYTES), false);
            offset += CHUNK_BYTES;
            continue;
          }
          const n = Math.min(CHUNK_BYTES - fill, chunk.byteLength - offset);
          held.set(chunk.subarray(offset, offset + n), fill);
          fill += n;
          offset += n;
        }
      }
      await seal(held.subarray(0, fill), true);
      await out.chmod(FILE_MODE);
      // Access and modification times say the day only, like everything else a reporter causes
      // (the change time, which no program can set, still has the time of day: docs/security.md).
      const day = startOfDay();
      await out.utimes(day, day);
      await out.sync();
      await out.close();
      handle = undefined;
      await rename(temp, join(folder, attachmentId));
      temp = undefined;
      await utimes(folder, day, day);
      await utimes(this.root, day, day);
      await fsyncDir(folder);
      return { sha256: hash.digest('hex'), size };
    } catch (error) {
      await handle?.close().catch(() => {});
      if (temp) {
        await rm(temp, { force: true }).catch(() => {});
        await removeIfEmpty(folder);
      }
      throw error;
    } finally {
      release();
    }
  }

  /**
   * The plaintext. A missing file rejects with not_found; a wrong key, a changed or cut-off file, or
   * one moved from another report or name fails the stream with AccordError('integrity') before any
   * byte of the failing chunk is passed on.
   */
  async get(reportId: string, attachmentId: string, key: Uint8Array): Promise<Readable> {
    checkId(reportId, 'report');
    checkId(attachmentId, 'attachment');
    // Public uploads must never fill the disk the node and its evidence live on.
    await mkdir(this.root, { recursive: true, mode: FOLDER_MODE });
    const free = await statfs(this.root);
    if (free.bavail * free.bsize < this.minFreeBytes) {
      throw new AccordError('unavailable', 'the node has too little free disk space to take files now', {
        context: { reason: 'intake_full' },
      });
    }
    const chunkKey = keyObject(key);
    let handle: FileHandle;
    try {
      handle = await open(join(this.root, reportId, attachmentId), 'r');
    } catch (error) {
      if (isNotFound(error)) {
        throw new AccordError('not_found', `report ${reportId} has no stored attachment ${attachmentId}`, {
          context: { reportId, attachmentId },
        });
      }
      throw error;
    }
    const reader = new ChunkReader(handle, reportId, attachmentId, chunkKey);
    let busy = false;
    return new Readable({
      highWaterMark: CHUNK_BYTES,
      read() {
        if (busy) return;
        busy = true;
        const pump = async (): Promise<Buffer | null> => {
          for (;;) {
            const plain = await reader.next();
            // Only an empty final chunk gives nothing (pushing nothing would stall the stream).
            if (plain === undefined || plain.byteLength > 0) return plain ?? null;
          }
        };
        pump().then(
          (bytes) => {
            busy = false;
            this.push(bytes);
          },
          (error: unknown) => this.destroy(error as Error),
        );
      },
      destroy(error, callback) {
        handle.close().then(
          () => callback(error),
          () => callback(error),
        );
      },
    });
  }

  async remove(reportId: string, attachmentIds?: readonly string[]): Promise<void> {
    checkId(reportId, 'report');
    for (const id of attachmentIds ?? []) checkId(id, 'attachment');
    const folder = join(this.root, reportId);
    if (attachmentIds === undefined) {
      await rm(folder, { recursive: true, force: true });
      await fsyncDir(this.root).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
      return;
    }
    if (attachmentIds.length === 0) return;
    for (const id of attachmentIds) await rm(join(folder, id), { force: true });
    if (!(await removeIfEmpty(folder))) {
      await fsyncDir(folder).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    }
  }

  /**
   * Removes temp files older than `olderThanMs` that a crash mid-write left behind (sealed, but
   * incomplete); younger ones may belong to a put in flight. Returns how many were removed.
   */
  async removeStaleTemp(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const reportId of await readdirSorted(this.root)) {
      if (!UUID.test(reportId)) continue;
      const folder = join(this.root, reportId);
      for (const name of await readdirSorted(folder)) {
        if (!name.endsWith(TEMP_SUFFIX)) continue;
        const stats = await statOrUndefined(join(folder, name));
        if (stats?.isFile() && stats.mtimeMs < cutoff) {
          await rm(join(folder, name), { force: true });
          removed += 1;
        }
      }
      await removeIfEmpty(folder);
    }
    return removed;
  }

  /** Every stored attachment (temp files aside), with how long ago it was written. */
  async stored(): Promise<{ reportId: string; attachmentId: string; ageMs: number }[]> {
    const out: { reportId: string; attachmentId: string; ageMs: number }[] = [];
    const now = Date.now();
    for (const reportId of await readdirSorted(this.root)) {
      if (!UUID.test(reportId)) continue;
      for (const name of await readdirSorted(join(this.root, reportId))) {
        if (!UUID.test(name)) continue;
        const stats = await statOrUndefined(join(this.root, reportId, name));
        if (stats?.isFile()) out.push({ reportId, attachmentId: name, ageMs: now - stats.ctimeMs });
      }
    }
    return out;
  }

  /**
   * Creates the report's folder (durably) and a fresh temp file in it. A concurrent remove() may
   * take the folder away while it is empty, between the two steps: then both are done again.
   */
  async #openTemp(folder: string, attachmentId: string): Promise<{ temp: string; handle: FileHandle }> {
    for (let attempt = 1; ; attempt += 1) {
      await mkdir(this.root, { recursive: true, mode: FOLDER_MODE });
      try {
        await mkdir(folder, { mode: FOLDER_MODE });
        await fsyncDir(this.root);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const temp = join(folder, `.${attachmentId}.${randomBytes(8).toString('hex')}${TEMP_SUFFIX}`);
      try {
        return { temp, handle: await open(temp, 'wx', 0o600) };
      } catch (error) {
        if (!isNotFound(error) || attempt >= 5) throw error;
      }
    }
  }
}

const checkId = (id: string, what: 'report' | 'attachment'): void => {
  if (typeof id !== 'string' || !UUID.test(id)) {
    throw new AccordError('invalid_input', `the ${what} id must be a lowercase UUID`, {
      context: { reason: `invalid_${what}_id` },
    });
  }
};

const keyObject = (key: Uint8Array): KeyObject => {
  if (!(key instanceof Uint8Array) || key.byteLength !== KEY_BYTES) {
    throw new AccordError('invalid_input', `an intake key must be ${KEY_BYTES} bytes`);
  }
  // One key object per file: passing raw bytes would make every chunk's cipher import the key again.
  return createSecretKey(key);
};

const chunkNonce = (noncePrefix: Buffer, index: number): Buffer => {
  const nonce = Buffer.alloc(NONCE_PREFIX_BYTES + 4);
  noncePrefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, NONCE_PREFIX_BYTES);
  return nonce;
};

const chunkAad = (reportId: string, attachmentId: string, index: number, final: boolean): Buffer => {
  const tail = Buffer.alloc(5);
  tail.writeUInt32BE(index, 0);
  tail.writeUInt8(final ? 1 : 0, 4);
  return Buffer.concat([
    Buffer.from(reportId, 'ascii'),
    Buffer.of(0),
    Buffer.from(attachmentId, 'ascii'),
    tail,
  ]);
};

/** Removes a report's folder when nothing is left in it; true when it is gone. */
const removeIfEmpty = async (folder: string): Promise<boolean> => {
  try {
    await rmdir(folder);
    return true;
  } catch (error) {
    if (isNotFound(error)) return true;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw error;
  }
};

const damaged = (reportId: string, attachmentId: string, problem: string): AccordError =>
  new AccordError('integrity', `attachment ${attachmentId} of report ${reportId}: ${problem}`, {
    context: { reportId, attachmentId, problem },
  });

/** Reads and opens the chunks of one file in order, one chunk in memory at a time. */
class ChunkReader {
  readonly #handle: FileHandle;
  readonly #reportId: string;
  readonly #attachmentId: string;
  readonly #key: KeyObject;
  readonly #buffer = Buffer.allocUnsafe(STRIDE);
  #layout: { noncePrefix: Buffer; chunks: number; lastBytes: number } | undefined;
  #next = 0;

  constructor(handle: FileHandle, reportId: string, attachmentId: string, key: KeyObject) {
    this.#handle = handle;
    this.#reportId = reportId;
    this.#attachmentId = attachmentId;
    this.#key = key;
  }

  /** The next chunk's plaintext, or undefined after the final chunk. */
  async next(): Promise<Buffer | undefined> {
    if (this.#layout === undefined) this.#layout = await this.#readLayout();
    const layout = this.#layout;
    const index = this.#next;
    if (index >= layout.chunks) return undefined;
    const final = index === layout.chunks - 1;
    const length = final ? layout.lastBytes : STRIDE;
    const got = await readAt(this.#handle, this.#buffer, length, HEADER_BYTES + index * STRIDE);
    if (got < length) throw this.#damaged(`the file ends inside chunk ${index}`);
    const plainLength = length - TAG_BYTES;
    const decipher = createDecipheriv('aes-256-gcm', this.#key, chunkNonce(layout.noncePrefix, index));
    decipher.setAAD(chunkAad(this.#reportId, this.#attachmentId, index, final));
    decipher.setAuthTag(this.#buffer.subarray(plainLength, length));
    let plain: Buffer;
    try {
      plain = decipher.update(this.#buffer.subarray(0, plainLength));
      decipher.final();
    } catch {
      throw this.#damaged(
        `chunk ${index} of ${layout.chunks} failed authentication (wrong key, altered, cut off, or moved from another report)`,
      );
    }
    this.#next = index + 1;
    return plain;
  }

  async #readLayout(): Promise<{ noncePrefix: Buffer; chunks: number; lastBytes: number }> {
    const { size } = await this.#handle.stat();
    if (size < HEADER_BYTES + TAG_BYTES)
      throw this.#damaged('the file is shorter than a header and one chunk');
    const header = Buffer.alloc(HEADER_BYTES);
    await readAt(this.#handle, header, HEADER_BYTES, 0);
    if (!header.subarray(0, MAGIC.byteLength).equals(MAGIC))
      throw this.#damaged('the file does not start with ACCI1');
    const body = size - HEADER_BYTES;
    const chunks = Math.ceil(body / STRIDE);
    const lastBytes = body - (chunks - 1) * STRIDE;
    if (lastBytes < TAG_BYTES) throw this.#damaged('the file ends inside a chunk tag');
    if (chunks > MAX_CHUNKS) throw this.#damaged('the file is too large for its format');
    return { noncePrefix: Buffer.from(header.subarray(MAGIC.byteLength)), chunks, lastBytes };
  }

  #damaged(problem: string): AccordError {
    return damaged(this.#reportId, this.#attachmentId, problem);
  }
}

/** Midnight UTC of today: the only time a reporter's file may carry. */
const startOfDay = (): Date => new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`);
