import { createHash } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AccordError,
  type BlobStore,
  type BlobVerification,
  type ByteRange,
  type PutOptions,
  parseSha256Hex,
  type Sha256Hex,
  type StoredBlob,
} from '@accord/core';
import {
  blobNamesOf,
  bucketOf,
  bytesOf,
  ensureBucket,
  fsyncDir,
  guardSource,
  isNotFound,
  resolveRange,
  statOrUndefined,
  TMP_DIR,
  tempPathIn,
  writeAll,
} from './fs-common.ts';

export { removeStaleTemp } from './fs-common.ts';

const FINAL_MODE = 0o444;

/**
 * Content-addressed blobs on a local filesystem, laid out as `root/aa/bb/<sha256>`. Bytes are first
 * written to `root/tmp/`, which must be on the same filesystem as `root` so that the final `rename`
 * is atomic: a blob appears under its name only once all its bytes are durable.
 */
export class FsBlobStore implements BlobStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** Creates the store's folders if needed; prefer this to the constructor. */
  static async open(root: string): Promise<FsBlobStore> {
    await mkdir(join(root, TMP_DIR), { recursive: true });
    return new FsBlobStore(root);
  }

  /** Where a blob lives (or would live); the two fan-out levels keep directories small. */
  pathOf(sha256: Sha256Hex): string {
    return join(bucketOf(this.root, sha256), sha256);
  }

  async put(source: Readable | AsyncIterable<Uint8Array>, options: PutOptions = {}): Promise<StoredBlob> {
    const tmpPath = tempPathIn(this.root);
    const onChunk = options.onChunk;
    let handle: FileHandle | undefined;
    const release = guardSource(source);
    try {
      // 'wx': never reuse a file some other writer might hold.
      handle = await open(tmpPath, 'wx', 0o600);
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of bytesOf(source)) {
        hash.update(chunk);
        size += chunk.byteLength;
        onChunk?.(chunk);
        await writeAll(handle, chunk);
      }
      await handle.chmod(FINAL_MODE);
      await handle.sync();
      await handle.close();
      handle = undefined;

      const sha256 = hash.digest('hex') as Sha256Hex;
      const finalPath = this.pathOf(sha256);
      if (await statOrUndefined(finalPath)) {
        await rm(tmpPath, { force: true });
        return { sha256, size, created: false };
      }
      const bucket = bucketOf(this.root, sha256);
      await ensureBucket(this.root, bucket);
      try {
        // A concurrent put of the same bytes may win the race between the check above and here;
        // on POSIX the rename then replaces identical bytes atomically, which is harmless.
        await rename(tmpPath, finalPath);
      } catch (error) {
        // Where rename refuses to replace (e.g. a read-only target on Windows), a winner is fine.
        if (await statOrUndefined(finalPath)) {
          await rm(tmpPath, { force: true });
          return { sha256, size, created: false };
        }
        throw error;
      }
      await fsyncDir(bucket);
      return { sha256, size, created: true };
    } catch (error) {
      await handle?.close().catch(() => {});
      await rm(tmpPath, { force: true }).catch(() => {});
      throw error;
    } finally {
      release();
    }
  }

  async get(sha256: Sha256Hex, range?: ByteRange): Promise<Readable> {
    const hash = parseSha256Hex(sha256);
    // Opening before returning (rather than letting the stream open lazily) turns absence into a
    // not_found rejection here instead of an error event on the stream later.
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(hash), 'r');
    } catch (error) {
      if (isNotFound(error)) {
        throw new AccordError('not_found', `blob ${hash} is not in the store`, { context: { sha256: hash } });
      }
      throw error;
    }
    if (range === undefined) return handle.createReadStream();
    try {
      const { start, end } = resolveRange(range, (await handle.stat()).size, hash);
      if (start === end) {
        await handle.close();
        return Readable.from([]);
      }
      // createReadStream's `end` is inclusive.
      return handle.createReadStream({ start, end: end - 1 });
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
  }

  async has(sha256: Sha256Hex): Promise<boolean> {
    const hash = parseSha256Hex(sha256);
    return (await statOrUndefined(this.pathOf(hash)))?.isFile() ?? false;
  }

  async size(sha256: Sha256Hex): Promise<number | undefined> {
    const hash = parseSha256Hex(sha256);
    const stats = await statOrUndefined(this.pathOf(hash));
    return stats?.isFile() ? stats.size : undefined;
  }

  /** Every stored blob's name, bucket by bucket. */
  list(): AsyncGenerator<Sha256Hex> {
    return blobNamesOf(this.root);
  }

  async verifyBlob(sha256: Sha256Hex): Promise<BlobVerification> {
    const hash = parseSha256Hex(sha256);
    try {
      const digest = createHash('sha256');
      for await (const chunk of (await open(this.pathOf(hash), 'r')).createReadStream()) {
        digest.update(chunk as Buffer);
      }
      const actual = digest.digest('hex');
      return actual === hash
        ? { ok: true }
        : { ok: false, problem: `the content's SHA-256 is ${actual}, not its name` };
    } catch (error) {
      if (isNotFound(error)) return { ok: false, problem: 'the blob file is missing' };
      return { ok: false, problem: error instanceof Error ? error.message : String(error) };
    }
  }
}
