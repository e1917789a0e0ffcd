import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { type FileHandle, link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AccordError,
  type BlobStore,
  type BlobVerification,
  type ByteRange,
  isAccordError,
  type PutOptions,
  parseSha256Hex,
  type Sha256Hex,
  type StoredBlob,
} from '@accord/core';
import {
  blobNamesOf,
  bucketOf,
  bucketsOf,
  bytesOf,
  ensureBucket,
  fsyncDir,
  guardSource,
  isNotFound,
  readAt,
  readdirSorted,
  removeStaleTemp,
  resolveRange,
  TMP_DIR,
  tempPathIn,
  writeAll,
  writevAll,
} from '../blobs/fs-common.ts';
import {
  type BlobHeader,
  chunkAad,
  chunkNonce,
  DATA_KEY_BYTES,
  DEFAULT_CHUNK_SIZE,
  dataKeyAad,
  encodeFixedHeader,
  encodeHeader,
  encodeSidecar,
  FIXED_HEADER_BYTES,
  FormatProblem,
  fileLength,
  HEADER_BYTES,
  MAX_CHUNK_SIZE,
  MAX_CHUNKS,
  MIN_CHUNK_SIZE,
  NONCE_PREFIX_BYTES,
  parseHeader,
  parseSidecar,
  SIDECAR_MAX_BYTES,
  SIDECAR_NAME,
  sidecarName,
  TAG_BYTES,
} from './format.ts';
import type { Keyring } from './keyring.ts';

/** Stored files are never modified in place (a re-wrap replaces a sidecar by rename). */
const FILE_MODE = 0o400;
/** Ciphertext is written in batches of about this size, one batch in flight while the next is sealed. */
const WRITE_BATCH_BYTES = 1024 * 1024;
const WRITE_BATCH_BUFFERS = 512;
/** Reads fetch up to this many bytes of consecutive chunks at once. */
const READ_BATCH_BYTES = 1024 * 1024;
/** A sidecar without its blob younger than this may belong to a put in flight (in any process). */
const ORPHAN_MIN_AGE_MS = 60 * 60 * 1000;

export interface EncryptedBlobStoreOptions {
  /** Plaintext bytes per sealed chunk (default 64 KiB); small values are for tests. */
  readonly chunkSize?: number;
}

/** The port's verification outcome (`{ ok: true } | { ok: false, problem }`). */
export type VerifyResult = BlobVerification;

export interface RewrapProgress {
  /** Sidecars looked at so far. */
  readonly scanned: number;
  readonly rewrapped: number;
  readonly alreadyCurrent: number;
  readonly orphansRemoved: number;
  readonly orphansKept: number;
  readonly failed: number;
}

export interface RewrapReport extends Omit<RewrapProgress, 'failed'> {
  /** Sidecars that could not be re-wrapped (unknown key, damaged): they stay as they were. */
  readonly failed: ReadonlyArray<{ readonly sha256: Sha256Hex; readonly problem: string }>;
}

export interface RetireReport {
  /** Key ids whose files were removed from the keyring folder. */
  readonly retired: string[];
  /** How many sidecars each key still wraps. */
  readonly inUse: Readonly<Record<string, number>>;
}

interface OpenedBlob {
  readonly sha256: Sha256Hex;
  readonly handle: FileHandle;
  readonly header: BlobHeader;
  readonly dataKey: Buffer;
  readonly chunkKey: KeyObject;
}

/**
 * Content-addressed blobs encrypted at rest, laid out as `root/aa/bb/<sha256>` (the encrypted blob)
 * next to `root/aa/bb/<sha256>.<nonce prefix>.key` (its data key, wrapped under the keyring's
 * current key-encryption key). The name is the SHA-256 of the plaintext, so the same content is
 * stored once. See format.ts for the byte layout.
 *
 * Every blob has its own random data key; its plaintext is sealed in fixed-size AES-256-GCM chunks,
 * so a range is read by decrypting only the chunks it covers, and memory stays bounded for any size.
 * The sidecar is durable before the blob appears under its name: a visible blob always has its key.
 */
export class EncryptedBlobStore implements BlobStore {
  readonly root: string;
  readonly chunkSize: number;
  #keyring: Keyring;

  constructor(root: string, keyring: Keyring, options: EncryptedBlobStoreOptions = {}) {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
      throw new AccordError(
        'config',
        `the vault chunk size must be a whole number of bytes from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}`,
      );
    }
    this.root = root;
    this.chunkSize = chunkSize;
    this.#keyring = keyring;
  }

  /** Creates the store's folders if needed; prefer this to the constructor. */
  static async open(
    root: string,
    keyring: Keyring,
    options: EncryptedBlobStoreOptions = {},
  ): Promise<EncryptedBlobStore> {
    const store = new EncryptedBlobStore(root, keyring, options);
    await mkdir(join(root, TMP_DIR), { recursive: true, mode: 0o700 });
    return store;
  }

  get keyring(): Keyring {
    return this.#keyring;
  }

  /**
   * Switches to another keyring (after Keyring.addKey): new blobs are wrapped under its current key
   * at once; existing sidecars follow with rewrapAll(). The new keyring must still hold the old keys
   * until then.
   */
  rotate(keyring: Keyring): void {
    this.#keyring = keyring;
  }

  /** Where a blob's ciphertext lives (or would live). */
  pathOf(sha256: Sha256Hex): string {
    return join(bucketOf(this.root, sha256), sha256);
  }

  async put(source: Readable | AsyncIterable<Uint8Array>, options: PutOptions = {}): Promise<StoredBlob> {
    const onChunk = options.onChunk;
    const chunkSize = this.chunkSize;
    const tmpBlob = tempPathIn(this.root);
    let tmpKey: string | undefined;
    let installedKey: string | undefined;
    let handle: FileHandle | undefined;
    let writer: BatchWriter | undefined;
    const release = guardSource(source);
    const dataKey = randomBytes(DATA_KEY_BYTES);
    const noncePrefix = randomBytes(NONCE_PREFIX_BYTES);
    const fixed = encodeFixedHeader(chunkSize, noncePrefix);
    // One key object per blob: passing raw bytes would make every chunk's cipher re-import the key.
    const chunkKey = createSecretKey(dataKey);
    try {
      handle = await open(tmpBlob, 'wx', 0o600);
      writer = new BatchWriter(handle, HEADER_BYTES);
      const out = writer;
      const hash = createHash('sha256');
      let size = 0;
      let index = 0;
      const seal = (plain: Uint8Array, final: boolean): Promise<void> => {
        if (index >= MAX_CHUNKS) {
          throw new AccordError('invalid_input', `blob too large for the vault's chunk size ${chunkSize}`);
        }
        const cipher = createCipheriv('aes-256-gcm', chunkKey, chunkNonce(noncePrefix, index));
        cipher.setAAD(chunkAad(fixed, index, final));
        const sealed = cipher.update(plain);
        cipher.final();
        index += 1;
        return out.add(sealed, cipher.getAuthTag());
      };

      // A full chunk is held back until a further byte arrives: only then is it known not to be the
      // last one, whose associated data says "final".
      const held = Buffer.allocUnsafe(chunkSize);
      let fill = 0;
      for await (const chunk of bytesOf(source)) {
        hash.update(chunk);
        size += chunk.byteLength;
        onChunk?.(chunk);
        let offset = 0;
        const length = chunk.byteLength;
        while (offset < length) {
          if (fill === chunkSize) {
            await seal(held, false);
            fill = 0;
          }
          if (fill === 0 && length - offset > chunkSize) {
            // Bytes follow this chunk in the same source chunk: seal it where it is, without a copy.
            await seal(chunk.subarray(offset, offset + chunkSize), false);
            offset += chunkSize;
            continue;
          }
          const n = Math.min(chunkSize - fill, length - offset);
          held.set(chunk.subarray(offset, offset + n), fill);
          fill += n;
          offset += n;
        }
      }
      await seal(held.subarray(0, fill), true);
      await writer.finish();
      const header = encodeHeader(fixed, size);
      await writeAll(handle, header, 0);
      await handle.chmod(FILE_MODE);
      await handle.sync();
      await handle.close();
      handle = undefined;

      const sha256 = hash.digest('hex') as Sha256Hex;
      if ((await this.#state(sha256)) === 'intact') {
        await rm(tmpBlob, { force: true });
        return { sha256, size, created: false };
      }
      const bucket = bucketOf(this.root, sha256);
      await ensureBucket(this.root, bucket);

      // 1. The key sidecar, durable before the blob can be seen. Its name carries this instance's
      // nonce prefix, so a concurrent put of the same content never overwrites it.
      const wrapped = this.#keyring.wrap(dataKey, dataKeyAad(sha256, header));
      tmpKey = tempPathIn(this.root);
      await writeDurably(tmpKey, encodeSidecar(wrapped));
      const keyPath = join(bucket, sidecarName(sha256, noncePrefix));
      await rename(tmpKey, keyPath);
      tmpKey = undefined;
      installedKey = keyPath;
      await fsyncDir(bucket);

      // 2. The blob. link() fails when the name exists, so of concurrent puts of the same content
      // exactly one installs its instance (and the others remove their sidecars).
      const finalPath = this.pathOf(sha256);
      const installed = await linkExclusive(tmpBlob, finalPath);
      if (installed === 'exists') {
        if ((await this.#state(sha256)) === 'intact') {
          await rm(keyPath, { force: true });
          await rm(tmpBlob, { force: true });
          return { sha256, size, created: false };
        }
        // The stored instance has lost its key (or its header): it cannot be read, so this upload
        // of the same content repairs it.
        await rename(tmpBlob, finalPath);
      }
      installedKey = undefined;
      await rm(tmpBlob, { force: true });
      await fsyncDir(bucket);
      return { sha256, size, created: true };
    } catch (error) {
      await writer?.abandon();
      await handle?.close().catch(() => {});
      await rm(tmpBlob, { force: true }).catch(() => {});
      if (tmpKey) await rm(tmpKey, { force: true }).catch(() => {});
      if (installedKey) await rm(installedKey, { force: true }).catch(() => {});
      throw error;
    } finally {
      dataKey.fill(0);
      release();
    }
  }

  /**
   * Opens a blob, or a range of it, decrypting only the chunks the range covers. A damaged header or
   * key rejects here with AccordError('integrity'); a chunk that fails authentication fails the
   * stream with AccordError('integrity'), before any of its bytes are passed on. A full read also
   * authenticates the final chunk, so truncation and extension are detected.
   */
  async get(sha256: Sha256Hex, range?: ByteRange): Promise<Readable> {
    const hash = parseSha256Hex(sha256);
    const blob = await this.#openBlob(hash);
    try {
      const { header } = blob;
      const { start, end } = resolveRange(range, header.size, hash);
      if (range !== undefined && start === end) {
        await closeBlob(blob);
        return Readable.from([]);
      }
      const first = Math.floor(start / header.chunkSize);
      const last = range === undefined ? header.chunks - 1 : Math.floor((end - 1) / header.chunkSize);
      const reader = new ChunkReader(blob, first, last);
      let busy = false;
      return new Readable({
        highWaterMark: Math.max(header.chunkSize, 16 * 1024),
        read() {
          if (busy) return;
          busy = true;
          const pump = async (): Promise<Buffer | null> => {
            for (;;) {
              const chunk = await reader.next();
              if (chunk === undefined) return null;
              const offset = chunk.index * header.chunkSize;
              const from = Math.max(start - offset, 0);
              const to = Math.min(end - offset, chunk.plain.byteLength);
              // Only an empty final chunk gives nothing (pushing nothing would stall the stream).
              if (to > from) return chunk.plain.subarray(from, to);
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
          closeBlob(blob).then(
            () => callback(error),
            () => callback(error),
          );
        },
      });
    } catch (error) {
      await closeBlob(blob);
      throw error;
    }
  }

  async has(sha256: Sha256Hex): Promise<boolean> {
    const hash = parseSha256Hex(sha256);
    try {
      return (await stat(this.pathOf(hash))).isFile();
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** The plaintext size, from the header (authenticated on read, not here). */
  async size(sha256: Sha256Hex): Promise<number | undefined> {
    const hash = parseSha256Hex(sha256);
    const header = await this.#readHeader(hash);
    return header?.size;
  }

  /**
   * Decrypts every chunk and compares the content's SHA-256 with the blob's name. Never throws for
   * a damaged or missing blob: it names the problem instead.
   */
  async verifyBlob(sha256: Sha256Hex): Promise<VerifyResult> {
    const hash = parseSha256Hex(sha256);
    let blob: OpenedBlob;
    try {
      blob = await this.#openBlob(hash);
    } catch (error) {
      return { ok: false, problem: problemOf(error) };
    }
    try {
      const digest = createHash('sha256');
      const reader = new ChunkReader(blob, 0, blob.header.chunks - 1);
      for (let chunk = await reader.next(); chunk !== undefined; chunk = await reader.next()) {
        digest.update(chunk.plain);
      }
      const actual = digest.digest('hex');
      if (actual !== hash) return { ok: false, problem: `the content's SHA-256 is ${actual}, not its name` };
      return { ok: true };
    } catch (error) {
      return { ok: false, problem: problemOf(error) };
    } finally {
      await closeBlob(blob);
    }
  }

  /** Every stored blob's name, bucket by bucket (for an integrity audit). */
  list(): AsyncGenerator<Sha256Hex> {
    return blobNamesOf(this.root);
  }

  /**
   * Re-wraps every data key under the keyring's current key, one sidecar at a time, each replaced
   * atomically. Sidecars already on the current key are left as they are, so an interrupted run is
   * simply run again. Sidecars without their blob (a crash mid-put) are removed once older than an
   * hour. Damaged sidecars, or ones under keys the keyring does not hold, are reported and left alone.
   */
  async rewrapAll(
    onProgress?: (progress: RewrapProgress) => void,
    options: { signal?: AbortSignal } = {},
  ): Promise<RewrapReport> {
    const counts = { scanned: 0, rewrapped: 0, alreadyCurrent: 0, orphansRemoved: 0, orphansKept: 0 };
    const failed: Array<{ sha256: Sha256Hex; problem: string }> = [];
    for await (const bucket of bucketsOf(this.root)) {
      let changed = false;
      try {
        for (const name of await readdirSorted(bucket.path)) {
          const match = SIDECAR_NAME.exec(name);
          if (!match || !name.startsWith(bucket.prefix)) continue;
          options.signal?.throwIfAborted();
          const sha256 = match[1] as Sha256Hex;
          counts.scanned += 1;
          try {
            const outcome = await this.#rewrapOne(join(bucket.path, name), sha256, match[2] as string);
            counts[outcome] += 1;
            if (outcome !== 'alreadyCurrent') changed = true;
          } catch (error) {
            failed.push({ sha256, problem: problemOf(error) });
          }
          onProgress?.({ ...counts, failed: failed.length });
        }
      } finally {
        // Before an old key may be retired, the renames that replaced its sidecars must be durable.
        if (changed) await fsyncDir(bucket.path);
      }
    }
    return { ...counts, failed };
  }

  /** How many sidecars each key-encryption key wraps (orphans included). */
  async keysInUse(): Promise<Record<string, number>> {
    return (await this.#scanKeys(false)).inUse;
  }

  /**
   * Removes from the keyring folder every key that no sidecar uses, except the current one. Safe
   * once rewrapAll has completed and no process still runs with an older keyring (every writer
   * wraps under its current key, and a put in flight elsewhere could still use an old one). Refuses
   * while any sidecar cannot be read, since its key is then unknown.
   */
  async retireUnusedKeys(): Promise<RetireReport> {
    if (this.#keyring.dir === undefined) {
      throw new AccordError(
        'config',
        'the keys come from ACCORD_KEK: remove keys that keysInUse() no longer lists from the variable instead',
      );
    }
    const { inUse, unreadable } = await this.#scanKeys(true);
    if (unreadable.length > 0) {
      throw new AccordError(
        'conflict',
        `no key was retired: ${unreadable.length} key sidecar(s) cannot be read, so the keys they use are unknown (first: ${unreadable[0]})`,
        { context: { unreadable: unreadable.slice(0, 20) } },
      );
    }
    const keyring = this.#keyring;
    const retired = keyring.ids.filter((id) => id !== keyring.currentId && !(id in inUse));
    this.#keyring = await keyring.deleteKeyFiles(retired);
    return { retired, inUse };
  }

  /** Deletes temp files left behind by a crash; see removeStaleTemp. */
  removeStaleTemp(olderThanMs: number): Promise<number> {
    return removeStaleTemp(this.root, olderThanMs);
  }

  async #rewrapOne(
    keyPath: string,
    sha256: Sha256Hex,
    prefixHex: string,
  ): Promise<'rewrapped' | 'alreadyCurrent' | 'orphansRemoved' | 'orphansKept'> {
    const keyring = this.#keyring;
    const header = await this.#readHeader(sha256).catch(() => undefined);
    if (header === undefined || header.noncePrefix.toString('hex') !== prefixHex) {
      // A key without its blob instance: a crash between the two renames, or a put in flight.
      const { mtimeMs } = await stat(keyPath);
      if (Date.now() - mtimeMs < ORPHAN_MIN_AGE_MS) return 'orphansKept';
      await rm(keyPath, { force: true });
      return 'orphansRemoved';
    }
    const wrapped = parseSidecar(await readSmall(keyPath));
    if (wrapped.kek === keyring.currentId) return 'alreadyCurrent';
    const aad = dataKeyAad(sha256, header.bytes);
    const dataKey = keyring.unwrap(wrapped, aad);
    try {
      const tmp = tempPathIn(this.root);
      try {
        await writeDurably(tmp, encodeSidecar(keyring.wrap(dataKey, aad)));
        await rename(tmp, keyPath);
      } catch (error) {
        await rm(tmp, { force: true });
        throw error;
      }
    } finally {
      dataKey.fill(0);
    }
    return 'rewrapped';
  }

  async #scanKeys(syncBuckets: boolean): Promise<{ inUse: Record<string, number>; unreadable: string[] }> {
    const inUse: Record<string, number> = {};
    const unreadable: string[] = [];
    for await (const bucket of bucketsOf(this.root)) {
      for (const name of await readdirSorted(bucket.path)) {
        if (!SIDECAR_NAME.test(name) || !name.startsWith(bucket.prefix)) continue;
        try {
          const { kek } = parseSidecar(await readSmall(join(bucket.path, name)));
          inUse[kek] = (inUse[kek] ?? 0) + 1;
        } catch (error) {
          if (isNotFound(error)) continue;
          unreadable.push(name);
        }
      }
      if (syncBuckets) await fsyncDir(bucket.path);
    }
    return { inUse, unreadable };
  }

  /** The header of a stored blob, or undefined when there is no blob file. */
  async #readHeader(sha256: Sha256Hex): Promise<BlobHeader | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(sha256), 'r');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    try {
      return await readHeaderFrom(handle, sha256);
    } finally {
      await handle.close();
    }
  }

  /** absent: no blob file; intact: blob file with a readable header and its key sidecar. */
  async #state(sha256: Sha256Hex): Promise<'absent' | 'intact' | 'broken'> {
    let header: BlobHeader | undefined;
    try {
      header = await this.#readHeader(sha256);
    } catch {
      return 'broken';
    }
    if (header === undefined) return 'absent';
    try {
      await stat(join(bucketOf(this.root, sha256), sidecarName(sha256, header.noncePrefix)));
      return 'intact';
    } catch {
      return 'broken';
    }
  }

  /**
   * Opens a blob for reading: checks its header, its length and unwraps its data key. Rejects with
   * not_found when there is no blob file, integrity for any damage, config for a missing KEK.
   */
  async #openBlob(sha256: Sha256Hex): Promise<OpenedBlob> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(sha256), 'r');
    } catch (error) {
      if (isNotFound(error)) {
        throw new AccordError('not_found', `blob ${sha256} is not in the store`, {
          context: { sha256, problem: 'the blob file is missing' },
        });
      }
      throw error;
    }
    try {
      const header = await readHeaderFrom(handle, sha256);
      const { size: actual } = await handle.stat();
      const expected = fileLength(header);
      if (actual !== expected) {
        throw damaged(
          sha256,
          `the file has ${actual} bytes where its header implies ${expected} (${actual < expected ? 'truncated' : 'extended'})`,
        );
      }
      const keyPath = join(bucketOf(this.root, sha256), sidecarName(sha256, header.noncePrefix));
      let sidecar: Buffer;
      try {
        sidecar = await readSmall(keyPath);
      } catch (error) {
        if (isNotFound(error)) throw damaged(sha256, 'its key sidecar is missing');
        throw error;
      }
      let dataKey: Buffer;
      try {
        dataKey = this.#keyring.unwrap(parseSidecar(sidecar), dataKeyAad(sha256, header.bytes));
      } catch (error) {
        if (error instanceof FormatProblem) throw damaged(sha256, error.message);
        if (isAccordError(error) && error.code === 'config') {
          throw new AccordError('config', `blob ${sha256}: ${error.message}`, {
            context: { sha256, problem: error.message },
          });
        }
        throw damaged(
          sha256,
          'its data key failed authentication (the key sidecar or the header was altered, or belongs to another blob)',
        );
      }
      return { sha256, handle, header, dataKey, chunkKey: createSecretKey(dataKey) };
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
  }
}

/**
 * Reads and decrypts consecutive chunks `first..last`, fetching up to READ_BATCH_BYTES of ciphertext
 * per read and holding one batch at a time.
 */
class ChunkReader {
  readonly #blob: OpenedBlob;
  readonly #fixed: Buffer;
  readonly #stride: number;
  readonly #last: number;
  #next: number;
  #batch: Buffer | undefined;
  #batchFirst = 0;
  #batchCount = 0;

  constructor(blob: OpenedBlob, first: number, last: number) {
    this.#blob = blob;
    this.#fixed = blob.header.bytes.subarray(0, FIXED_HEADER_BYTES);
    this.#stride = blob.header.chunkSize + TAG_BYTES;
    this.#next = first;
    this.#last = last;
  }

  async next(): Promise<{ index: number; plain: Buffer } | undefined> {
    const index = this.#next;
    if (index > this.#last) return undefined;
    const { header, sha256, chunkKey } = this.#blob;
    if (this.#batch === undefined || index >= this.#batchFirst + this.#batchCount) await this.#fill(index);
    const batch = this.#batch as Buffer;
    const final = index === header.chunks - 1;
    const plainLength = final ? header.size - index * header.chunkSize : header.chunkSize;
    const at = (index - this.#batchFirst) * this.#stride;
    const sealed = batch.subarray(at, at + plainLength);
    const tag = batch.subarray(at + plainLength, at + plainLength + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', chunkKey, chunkNonce(header.noncePrefix, index));
    decipher.setAAD(chunkAad(this.#fixed, index, final));
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = decipher.update(sealed);
      decipher.final();
    } catch {
      throw damaged(
        sha256,
        `chunk ${index} of ${header.chunks} failed authentication (altered, moved, or from another blob)`,
      );
    }
    this.#next = index + 1;
    return { index, plain };
  }

  async #fill(from: number): Promise<void> {
    const { header, sha256, handle } = this.#blob;
    const count = Math.min(this.#last - from + 1, Math.max(1, Math.floor(READ_BATCH_BYTES / this.#stride)));
    const endsBlob = from + count === header.chunks;
    const length = count * this.#stride - (endsBlob ? header.chunks * header.chunkSize - header.size : 0);
    if (this.#batch === undefined || this.#batch.byteLength < length) {
      this.#batch = Buffer.allocUnsafe(Math.max(length, this.#batch?.byteLength ?? 0));
    }
    const got = await readAt(handle, this.#batch, length, HEADER_BYTES + from * this.#stride);
    if (got < length)
      throw damaged(sha256, `the file ends inside chunk ${from + Math.floor(got / this.#stride)}`);
    this.#batchFirst = from;
    this.#batchCount = count;
  }
}

/**
 * Sealed chunks are queued and written with writev in batches; one batch is in flight while the
 * next one is being sealed, and the producer waits (backpressure) before starting another.
 */
class BatchWriter {
  readonly #handle: FileHandle;
  #position: number;
  #queue: Buffer[] = [];
  #queued = 0;
  #inFlight: Promise<void> | undefined;
  #error: unknown;

  constructor(handle: FileHandle, position: number) {
    this.#handle = handle;
    this.#position = position;
  }

  async add(sealed: Buffer, tag: Buffer): Promise<void> {
    this.#queue.push(sealed, tag);
    this.#queued += sealed.byteLength + tag.byteLength;
    if (this.#queued >= WRITE_BATCH_BYTES || this.#queue.length >= WRITE_BATCH_BUFFERS) await this.#flush();
  }

  async finish(): Promise<void> {
    if (this.#queue.length > 0) await this.#flush();
    await this.#settle();
  }

  /** Waits for the write in flight, ignoring its outcome (the put is failing anyway). */
  async abandon(): Promise<void> {
    await this.#inFlight;
  }

  async #flush(): Promise<void> {
    await this.#settle();
    const batch = this.#queue;
    const at = this.#position;
    this.#position += this.#queued;
    this.#queue = [];
    this.#queued = 0;
    this.#inFlight = writevAll(this.#handle, batch, at).catch((error: unknown) => {
      this.#error = error;
    });
  }

  async #settle(): Promise<void> {
    await this.#inFlight;
    this.#inFlight = undefined;
    if (this.#error !== undefined) throw this.#error;
  }
}

async function readHeaderFrom(handle: FileHandle, sha256: Sha256Hex): Promise<BlobHeader> {
  const bytes = Buffer.alloc(HEADER_BYTES);
  const got = await readAt(handle, bytes, HEADER_BYTES, 0);
  try {
    return parseHeader(bytes.subarray(0, got));
  } catch (error) {
    if (error instanceof FormatProblem) throw damaged(sha256, error.message);
    throw error;
  }
}

async function closeBlob(blob: OpenedBlob): Promise<void> {
  blob.dataKey.fill(0);
  await blob.handle.close().catch(() => {});
}

function damaged(sha256: Sha256Hex, problem: string): AccordError {
  return new AccordError('integrity', `blob ${sha256}: ${problem}`, { context: { sha256, problem } });
}

function problemOf(error: unknown): string {
  if (isAccordError(error) && typeof error.context.problem === 'string') return error.context.problem;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Reads a small file (a sidecar), refusing one too large to be a sidecar. */
async function readSmall(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(SIDECAR_MAX_BYTES + 1);
    const got = await readAt(handle, buffer, buffer.byteLength, 0);
    return buffer.subarray(0, got);
  } finally {
    await handle.close();
  }
}

async function writeDurably(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await writeAll(handle, Buffer.from(text, 'utf8'));
    await handle.chmod(FILE_MODE);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates `target` as another name of `source`, unless `target` exists. */
async function linkExclusive(source: string, target: string): Promise<'created' | 'exists'> {
  try {
    await link(source, target);
    return 'created';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return 'exists';
    // Filesystems without hard links: rename, where a concurrent put of the same content may replace
    // this instance with its own; both keep their own sidecar, so either instance stays readable.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      await rename(source, target);
      return 'created';
    }
    throw error;
  }
}
