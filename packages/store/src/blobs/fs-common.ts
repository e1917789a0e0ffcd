import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { AccordError, type ByteRange, type Sha256Hex } from '@accord/core';

/**
 * Filesystem helpers shared by the blob stores on disk (plaintext and encrypted): the same fan-out
 * layout, the same temp folder and the same durability steps.
 */

export const TMP_DIR = 'tmp';
export const TMP_SUFFIX = '.part';

/** A fresh temp file name under `root/tmp/`; open it with 'wx' so that no other writer shares it. */
export const tempPathIn = (root: string): string =>
  join(root, TMP_DIR, `${randomBytes(16).toString('hex')}${TMP_SUFFIX}`);

/** `root/aa/bb`: the two fan-out levels keep directories small. */
export const bucketOf = (root: string, sha256: Sha256Hex): string =>
  join(root, sha256.slice(0, 2), sha256.slice(2, 4));

/**
 * Creates a blob's bucket folder; when it had to be created, syncs its parents, since new directory
 * entries are only durable once the directories holding them are synced too.
 */
export async function ensureBucket(root: string, bucket: string): Promise<void> {
  const firstCreated = await mkdir(bucket, { recursive: true });
  if (firstCreated !== undefined) {
    await fsyncDir(root);
    await fsyncDir(dirname(bucket));
  }
}

/**
 * Yields the source's chunks, refusing anything but bytes: a Readable with an encoding (or in object
 * mode) yields strings or objects, and guessing how to turn them back into bytes could silently
 * alter evidence.
 */
export async function* bytesOf(source: Readable | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of source as AsyncIterable<unknown>) {
    if (!(chunk instanceof Uint8Array)) {
      throw new AccordError('invalid_input', 'blob source must yield bytes (Buffer or Uint8Array)');
    }
    yield chunk;
  }
}

/**
 * A stream may fail while a store is still opening its temp file, before iteration attaches its own
 * listener; without one, that 'error' would crash the process. Iteration still rethrows the stored
 * error, so this listener only has to exist. Returns the function that removes it.
 */
export function guardSource(source: Readable | AsyncIterable<Uint8Array>): () => void {
  if (!(source instanceof Readable)) return () => {};
  const ignore = (): void => {};
  source.on('error', ignore);
  return () => source.off('error', ignore);
}

/** Checks a requested range against a blob's size; returns it with `end` filled in. */
export function resolveRange(
  range: ByteRange | undefined,
  size: number,
  sha256: Sha256Hex,
): { start: number; end: number } {
  if (range === undefined) return { start: 0, end: size };
  const { start, end = size } = range;
  const refuse = (why: string): AccordError =>
    new AccordError('invalid_input', `range ${start}-${range.end ?? ''} of blob ${sha256}: ${why}`, {
      context: { sha256, start, end: range.end, size },
    });
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) {
    throw refuse('start and end must be whole numbers');
  }
  if (start < 0) throw refuse('start must not be negative');
  if (start > size) throw refuse(`start is past the end (the blob has only ${size} bytes)`);
  if (end > size) throw refuse(`end is past the end (the blob has only ${size} bytes)`);
  if (end < start) throw refuse('end (exclusive) must not be before start');
  return { start, end };
}

const BUCKET_NAME = /^[0-9a-f]{2}$/;
const BLOB_NAME = /^[0-9a-f]{64}$/;

/** Every bucket folder `root/aa/bb` with its prefix `aabb`, in order; other entries are ignored. */
export async function* bucketsOf(root: string): AsyncGenerator<{ path: string; prefix: string }> {
  for (const top of await readdirSorted(root)) {
    if (!BUCKET_NAME.test(top)) continue;
    for (const second of await readdirSorted(join(root, top))) {
      if (BUCKET_NAME.test(second)) yield { path: join(root, top, second), prefix: top + second };
    }
  }
}

/** Every blob name under `root`, bucket by bucket (files named like a SHA-256 in the right bucket). */
export async function* blobNamesOf(root: string): AsyncGenerator<Sha256Hex> {
  for await (const bucket of bucketsOf(root)) {
    for (const name of await readdirSorted(bucket.path)) {
      if (BLOB_NAME.test(name) && name.startsWith(bucket.prefix)) yield name as Sha256Hex;
    }
  }
}

/** A folder's entries, sorted; none when it does not exist (or vanished meanwhile). */
export async function readdirSorted(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

export async function writeAll(handle: FileHandle, bytes: Uint8Array, position?: number): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const at = position === undefined ? null : position + offset;
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset, at);
    offset += bytesWritten;
  }
}

/** Writes all `buffers` at `position` in as few system calls as the kernel allows. */
export async function writevAll(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let pending = buffers;
  let at = position;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, at);
    at += bytesWritten;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const buffer of pending) {
      if (skip >= buffer.byteLength) {
        skip -= buffer.byteLength;
      } else {
        rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
        skip = 0;
      }
    }
    pending = rest;
  }
}

/** Reads exactly `length` bytes at `position`, or fewer only where the file ends. */
export async function readAt(
  handle: FileHandle,
  buffer: Buffer,
  length: number,
  position: number,
): Promise<number> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

export async function fsyncDir(path: string): Promise<void> {
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

export async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Deletes temp files left behind by a crash mid-write under `root/tmp/`. Only files older than
 * `olderThanMs` go, so that writes in flight (in this or another process) are left alone. Returns
 * how many were removed.
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
