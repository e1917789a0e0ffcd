import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  truncate,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isAccordError } from '@accord/core';
import { FsIntakeStore } from './intake-store.ts';

const KIB64 = 64 * 1024;
const HEADER = 13;
const TAG = 16;

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'accord-intake-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const newStore = async (): Promise<FsIntakeStore> =>
  new FsIntakeStore(join(await mkdtemp(join(root, 's-')), 'intake'));

/** The bytes in pieces of `piece` bytes (a source's chunks rarely align with the format's). */
async function* piecesOf(bytes: Buffer, piece: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += piece) yield bytes.subarray(at, at + piece);
}

const readAll = async (stream: Readable): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
};

const isIntegrity = (e: unknown): boolean => isAccordError(e) && e.code === 'integrity';
const isInvalid = (e: unknown): boolean => isAccordError(e) && e.code === 'invalid_input';

/** Lets a test damage a stored file (stored files are read-only). */
const writable = async (path: string): Promise<string> => {
  await chmod(path, 0o600);
  return path;
};

const stored = async (size: number) => {
  const store = await newStore();
  const reportId = randomUUID();
  const attachmentId = randomUUID();
  const key = randomBytes(32);
  const data = randomBytes(size);
  await store.put(reportId, attachmentId, key, piecesOf(data, 10_000));
  const path = join(store.root, reportId, attachmentId);
  return { store, reportId, attachmentId, key, data, path };
};

describe('FsIntakeStore', () => {
  for (const size of [0, 1, KIB64 - 1, KIB64, KIB64 + 1, 3 * 1024 * 1024]) {
    it(`round-trips ${size} bytes, sealed in 64 KiB chunks, with their SHA-256`, async () => {
      const store = await newStore();
      const reportId = randomUUID();
      const data = randomBytes(size);
      const sha256 = createHash('sha256').update(data).digest('hex');
      for (const piece of [1000, KIB64, 3 * KIB64 + 7, Math.max(size, 1)]) {
        if (piece === 1000 && size > 1024 * 1024) continue;
        const attachmentId = randomUUID();
        const key = randomBytes(32);
        const seen: Buffer[] = [];
        const result = await store.put(reportId, attachmentId, key, piecesOf(data, piece), (chunk) =>
          seen.push(Buffer.from(chunk)),
        );
        assert.deepEqual(result, { sha256, size });
        assert.ok(Buffer.concat(seen).equals(data), 'onChunk sees every byte, in order');
        const path = join(store.root, reportId, attachmentId);
        const chunks = Math.max(1, Math.ceil(size / KIB64));
        assert.equal((await stat(path)).size, HEADER + size + chunks * TAG);
        const file = await readFile(path);
        assert.equal(file.subarray(0, 5).toString('ascii'), 'ACCI1');
        if (size >= 64) assert.equal(file.indexOf(data.subarray(0, 64)), -1, 'no plaintext on disk');
        const back = await readAll(await store.get(reportId, attachmentId, key));
        assert.equal(back.byteLength, size);
        assert.ok(back.equals(data));
      }
    });
  }

  it('keeps files private: folders 0700, files read-only for the owner', async () => {
    const { store, reportId, path } = await stored(100);
    if (process.platform === 'win32') return;
    assert.equal((await stat(store.root)).mode & 0o777, 0o700);
    assert.equal((await stat(join(store.root, reportId))).mode & 0o777, 0o700);
    assert.equal((await stat(path)).mode & 0o777, 0o400);
  });

  it('refuses files when the disk is short of free space, and leaves nothing', async () => {
    const store = await newStore();
    const full = new FsIntakeStore(store.root, { minFreeBytes: Number.MAX_SAFE_INTEGER });
    const reportId = randomUUID();
    await assert.rejects(
      full.put(reportId, randomUUID(), randomBytes(32), piecesOf(randomBytes(10), 10)),
      (e: unknown) => isAccordError(e) && e.code === 'unavailable' && e.context.reason === 'intake_full',
    );
    assert.deepEqual(await readdir(store.root), []);
  });

  it('leaves only the day in the times it can set: file, report folder and intake folder', async () => {
    const { store, reportId, path } = await stored(100);
    const midnight = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`);
    for (const p of [path, join(store.root, reportId), store.root]) {
      const s = await stat(p);
      assert.equal(s.mtimeMs, midnight, `${p} mtime`);
      assert.equal(s.atimeMs, midnight, `${p} atime`);
    }
  });

  it('a wrong key fails the stream with an integrity error', async () => {
    const { store, reportId, attachmentId } = await stored(KIB64 * 2);
    await assert.rejects(readAll(await store.get(reportId, attachmentId, randomBytes(32))), isIntegrity);
  });

  it('a flipped byte anywhere fails the stream', async () => {
    const { store, reportId, attachmentId, key, path, data } = await stored(KIB64 * 2 + 10);
    const original = await readFile(path);
    await writable(path);
    // The magic, the nonce prefix, a byte of each chunk's ciphertext, a tag, the last byte.
    for (const at of [
      0,
      6,
      HEADER + 5,
      HEADER + KIB64 + TAG + 100,
      HEADER + KIB64 + 3,
      original.byteLength - 1,
    ]) {
      const damaged = Buffer.from(original);
      damaged[at] = (damaged[at] ?? 0) ^ 0x01;
      await writeFile(path, damaged);
      await assert.rejects(readAll(await store.get(reportId, attachmentId, key)), isIntegrity, `byte ${at}`);
    }
    await writeFile(path, original);
    assert.ok((await readAll(await store.get(reportId, attachmentId, key))).equals(data));
  });

  it('no byte of a failing chunk is passed on', async () => {
    const { store, reportId, attachmentId, key, path, data } = await stored(KIB64 * 3);
    const damaged = await readFile(path);
    const at = HEADER + 2 * (KIB64 + TAG) + 1;
    damaged[at] = (damaged[at] ?? 0) ^ 0x01;
    await writeFile(await writable(path), damaged);
    const seen: Buffer[] = [];
    const stream = await store.get(reportId, attachmentId, key);
    await assert.rejects(
      (async () => {
        for await (const part of stream) seen.push(part as Buffer);
      })(),
      isIntegrity,
    );
    assert.ok(Buffer.concat(seen).equals(data.subarray(0, 2 * KIB64)));
  });

  it('a cut-off file fails: inside a chunk, at a chunk boundary (no final chunk), inside the header', async () => {
    const { store, reportId, attachmentId, key, path } = await stored(KIB64 * 2 + 10);
    const original = await readFile(await writable(path));
    for (const length of [
      original.byteLength - 1,
      original.byteLength - 10 - TAG, // the final chunk gone: the file ends with a chunk not sealed as last
      HEADER + KIB64 + TAG,
      HEADER + 5,
      HEADER + TAG - 1,
      HEADER,
      3,
      0,
    ]) {
      await writeFile(path, original);
      await truncate(path, length);
      await assert.rejects(
        readAll(await store.get(reportId, attachmentId, key)),
        isIntegrity,
        `length ${length}`,
      );
    }
    // And grown: a chunk appended is not the one sealed as last.
    await writeFile(path, Buffer.concat([original, original.subarray(HEADER, HEADER + KIB64 + TAG)]));
    await assert.rejects(readAll(await store.get(reportId, attachmentId, key)), isIntegrity);
  });

  it('swapped chunks fail', async () => {
    const { store, reportId, attachmentId, key, path } = await stored(KIB64 * 3);
    const file = await readFile(await writable(path));
    const stride = KIB64 + TAG;
    const first = file.subarray(HEADER, HEADER + stride);
    const second = file.subarray(HEADER + stride, HEADER + 2 * stride);
    await writeFile(
      path,
      Buffer.concat([file.subarray(0, HEADER), second, first, file.subarray(HEADER + 2 * stride)]),
    );
    await assert.rejects(readAll(await store.get(reportId, attachmentId, key)), isIntegrity);
  });

  it('a file moved to another report, or given another attachment id, fails', async () => {
    const { store, reportId, attachmentId, key, path } = await stored(1000);
    const otherReport = randomUUID();
    await mkdir(join(store.root, otherReport));
    await rename(path, join(store.root, otherReport, attachmentId));
    await assert.rejects(readAll(await store.get(otherReport, attachmentId, key)), isIntegrity);
    const otherName = randomUUID();
    await rename(join(store.root, otherReport, attachmentId), join(store.root, reportId, otherName));
    await assert.rejects(readAll(await store.get(reportId, otherName, key)), isIntegrity);
    await rename(join(store.root, reportId, otherName), path);
    assert.equal((await readAll(await store.get(reportId, attachmentId, key))).byteLength, 1000);
  });

  it('a source that fails midway, or an onChunk that throws, leaves nothing behind', async () => {
    const store = await newStore();
    const reportId = randomUUID();
    const key = randomBytes(32);
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield randomBytes(KIB64 * 3);
      yield randomBytes(1000);
      throw new Error('connection reset');
    }
    await assert.rejects(store.put(reportId, randomUUID(), key, failing()), /connection reset/);
    assert.deepEqual(await readdir(store.root), []);

    // In a report that has other files: only the failed one is missing.
    const kept = randomUUID();
    await store.put(reportId, kept, key, piecesOf(randomBytes(10), 10));
    await assert.rejects(store.put(reportId, randomUUID(), key, failing()), /connection reset/);
    let seen = 0;
    await assert.rejects(
      store.put(reportId, randomUUID(), key, piecesOf(randomBytes(KIB64 * 4), 1000), () => {
        seen += 1;
        if (seen === 100) throw new Error('not an image');
      }),
      /not an image/,
    );
    assert.deepEqual(await readdir(join(store.root, reportId)), [kept]);
    // A source yielding something else than bytes is refused the same way.
    await assert.rejects(
      store.put(
        reportId,
        randomUUID(),
        key,
        (async function* () {
          yield 'text' as unknown as Uint8Array;
        })(),
      ),
      isInvalid,
    );
    assert.deepEqual(await readdir(join(store.root, reportId)), [kept]);
  });

  it('refuses ids that are not lowercase UUIDs, and keys that are not 32 bytes', async () => {
    const store = await newStore();
    const good = randomUUID();
    const key = randomBytes(32);
    for (const bad of [
      '',
      'abc',
      '..',
      '../etc',
      `${good}/x`,
      good.toUpperCase(),
      good.replaceAll('-', ''),
      ` ${good}`,
      `${good}\0`,
      `${good.slice(0, -1)}g`,
    ]) {
      await assert.rejects(store.put(bad, good, key, piecesOf(Buffer.from('x'), 1)), isInvalid);
      await assert.rejects(store.put(good, bad, key, piecesOf(Buffer.from('x'), 1)), isInvalid);
      await assert.rejects(store.get(bad, good, key), isInvalid);
      await assert.rejects(store.get(good, bad, key), isInvalid);
      await assert.rejects(store.remove(bad), isInvalid);
      await assert.rejects(store.remove(good, [bad]), isInvalid);
    }
    for (const badKey of [randomBytes(16), randomBytes(31), randomBytes(33), new Uint8Array()]) {
      await assert.rejects(store.put(good, good, badKey, piecesOf(Buffer.from('x'), 1)), isInvalid);
    }
    assert.deepEqual(await readdir(store.root).catch(() => []), []);
  });

  it('open creates the folder for its owner only', async () => {
    const folder = join(await mkdtemp(join(root, 'o-')), 'data', 'intake');
    const store = await FsIntakeStore.open(folder);
    assert.equal(store.root, folder);
    assert.deepEqual(await readdir(folder), []);
    if (process.platform !== 'win32') assert.equal((await stat(folder)).mode & 0o777, 0o700);
    await FsIntakeStore.open(folder);
  });

  it('get of a file that is not there is not_found', async () => {
    const store = await newStore();
    await assert.rejects(
      store.get(randomUUID(), randomUUID(), randomBytes(32)),
      (e: unknown) => isAccordError(e) && e.code === 'not_found',
    );
  });

  it('removes the given files, or the whole report, ignoring what is not there', async () => {
    const store = await newStore();
    const key = randomBytes(32);
    const report = randomUUID();
    const other = randomUUID();
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of [a, b, c]) await store.put(report, id, key, piecesOf(randomBytes(100), 100));
    await store.put(other, a, key, piecesOf(randomBytes(100), 100));

    await store.remove(report, [a, randomUUID()]);
    assert.deepEqual((await readdir(join(store.root, report))).sort(), [b, c].sort());
    await store.remove(report, []);
    await store.remove(report, [b, c]);
    assert.deepEqual(await readdir(store.root), [other]);
    await store.remove(report);
    await store.remove(randomUUID());
    await store.remove(other);
    assert.deepEqual(await readdir(store.root), []);
    // A report folder removed while empty comes back with the next file.
    await store.put(report, a, key, piecesOf(randomBytes(10), 10));
    assert.equal((await readAll(await store.get(report, a, key))).byteLength, 10);
  });

  it('removeStaleTemp removes old temp files only', async () => {
    const store = await newStore();
    const report = randomUUID();
    const key = randomBytes(32);
    const kept = randomUUID();
    await store.put(report, kept, key, piecesOf(randomBytes(10), 10));
    const folder = join(store.root, report);
    await writeFile(join(folder, `.${randomUUID()}.0011223344556677.part`), 'old');
    await utimes(join(folder, (await readdir(folder)).find((n) => n.endsWith('.part')) as string), 1, 1);
    await writeFile(join(folder, `.${randomUUID()}.8899aabbccddeeff.part`), 'in flight');
    assert.equal(await store.removeStaleTemp(60_000), 1);
    assert.equal((await readdir(folder)).length, 2);
    assert.equal(await store.removeStaleTemp(-1), 1);
    assert.deepEqual(await readdir(folder), [kept]);
  });

  it('many puts into one report at the same time all land', async () => {
    const store = await newStore();
    const report = randomUUID();
    const key = randomBytes(32);
    const files = Array.from({ length: 8 }, () => ({ id: randomUUID(), data: randomBytes(KIB64 + 5) }));
    await Promise.all([
      ...files.map((f) => store.put(report, f.id, key, piecesOf(f.data, 4096))),
      // Removals of missing files race with the creation of the folder.
      ...files.map(() => store.remove(report, [randomUUID()])),
    ]);
    for (const f of files) assert.ok((await readAll(await store.get(report, f.id, key))).equals(f.data));
  });
});
