import { createHash, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { AccordError, type BlobStore, parseSha256Hex, type Sha256Hex, type StoredBlob } from '@accord/core';

const TMP_DIR = 'tmp';
const TMP_SUFFIX = '.part';
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
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async put(source: Readable | AsyncIterable<Uint8Array>): Promise<StoredBlob> {
    const tmpPath = join(this.root, TMP_DIR, `${randomBytes(16).toString('hex')}${TMP_SUFFIX}`);
    let handle: FileHandle | undefined;
    // A stream may fail while the temp file is being opened, before iteration attaches its own
    // listener; without one, that 'error' would crash the process. The iterator below still
    // rethrows the stored error, so this listener only has to exist.
    const ignore = (): void => {};
    if (source instanceof Readable) source.on('error', ignore);
    try {
      // 'wx': never reuse a file some other writer might hold.
      handle = await open(tmpPath, 'wx', 0o600);
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of source as AsyncIterable<unknown>) {
        // A Readable with an encoding (or in object mode) yields strings or objects; guessing how
        // to turn them back into bytes could silently alter evidence, so refuse instead.
        if (!(chunk instanceof Uint8Array)) {
          throw new AccordError('invalid_input', 'blob source must yield bytes (Buffer or Uint8Array)');
        }
        hash.update(chunk);
        size += chunk.byteLength;
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
      const bucket = dirname(finalPath);
      const firstCreated = await mkdir(bucket, { recursive: true });
      if (firstCreated !== undefined) {
        // New directory entries are only durable once their parents are synced too.
        await fsyncDir(this.root);
        await fsyncDir(dirname(bucket));
      }
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
      if (source instanceof Readable) source.off('error', ignore);
    }
  }

  async get(sha256: Sha256Hex): Promise<Readable> {
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
    return handle.createReadStream();
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
}

/**
 * Deletes temp files left behind by a crash mid-put. Only files older than `olderThanMs` go, so
 * that puts in flight (in this or another process) are left alone. Returns how many were removed.
 */
export async function removeStaleTemp(root: string, olderThanMs: number): Promise<number> {
  const tmpDir = join(root, TMP_DIR);
  let names: string[];
  try {
    names = await readdir(tmpDir);
  } catch (error) {
    if (isNotFound(error)) return 0;
    throw error;
  }
  const cutoff = Date.now() - olderThanMs;
  let removed = 0;
  for (const name of names) {
    if (!name.endsWith(TMP_SUFFIX)) continue;
    const path = join(tmpDir, name);
    const stats = await statOrUndefined(path);
    if (stats?.isFile() && stats.mtimeMs < cutoff) {
      await rm(path, { force: true });
      removed += 1;
    }
  }
  return removed;
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
    offset += bytesWritten;
  }
}

async function fsyncDir(path: string): Promise<void> {
  let dir: FileHandle | undefined;
  try {
    dir = await open(path, 'r');
    await dir.sync();
  } catch (error) {
    // Some platforms (Windows) and filesystems cannot open or fsync a directory; the rename stands.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EINVAL' && code !== 'EISDIR') throw error;
  } finally {
    await dir?.close();
  }
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
