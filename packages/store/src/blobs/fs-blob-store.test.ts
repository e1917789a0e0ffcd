import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { isAccordError, parseSha256Hex, type Sha256Hex } from '@accord/core';

const isInvalid = (e: unknown): boolean => isAccordError(e) && e.code === 'invalid_input';

import { blobStoreContract } from './blob-store.contract.ts';
import { FsBlobStore, removeStaleTemp } from './fs-blob-store.ts';

const ABC_SHA256 = parseSha256Hex('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');

async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'accord-blobs-'));
}

/** Every regular file under `root` except the temp folder, as bare names. */
async function listBlobFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.parentPath.startsWith(join(root, 'tmp')))
    .map((e) => e.name)
    .sort();
}

blobStoreContract('FsBlobStore', async () => {
  const root = await tempRoot();
  const store = await FsBlobStore.open(root);
  return {
    store,
    cleanup: () => rm(root, { recursive: true, force: true }),
    listTemp: () => readdir(join(root, 'tmp')),
    listBlobs: () => listBlobFiles(root),
  };
});

describe('FsBlobStore (filesystem specifics)', () => {
  const withRoot = (fn: (root: string) => Promise<void>) => async () => {
    const root = await tempRoot();
    try {
      await fn(root);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  };

  it(
    'open creates the temp folder',
    withRoot(async (root) => {
      const nested = join(root, 'a', 'b');
      await FsBlobStore.open(nested);
      assert.ok((await stat(join(nested, 'tmp'))).isDirectory());
    }),
  );

  it(
    'lays blobs out as aa/bb/<sha256>',
    withRoot(async (root) => {
      const store = await FsBlobStore.open(root);
      await store.put(Readable.from([Buffer.from('abc')]));
      const path = join(root, 'ba', '78', ABC_SHA256);
      assert.ok((await stat(path)).isFile());
      assert.equal(store.pathOf(ABC_SHA256), path);
    }),
  );

  it(
    'makes stored files read-only',
    { skip: process.platform === 'win32' && 'POSIX modes only' },
    withRoot(async (root) => {
      const store = await FsBlobStore.open(root);
      await store.put(Readable.from([Buffer.from('abc')]));
      const { mode } = await stat(join(root, 'ba', '78', ABC_SHA256));
      assert.equal(mode & 0o777, 0o444);
    }),
  );

  it(
    'removes the temp file and rethrows on a disk error',
    withRoot(async (root) => {
      const store = await FsBlobStore.open(root);
      // A file where the bucket directory should go makes mkdir fail after all bytes are written.
      await writeFile(join(root, 'ba'), 'in the way');
      await assert.rejects(store.put(Readable.from([Buffer.from('abc')])), (e: NodeJS.ErrnoException) =>
        ['EEXIST', 'ENOTDIR'].includes(e.code ?? ''),
      );
      assert.deepEqual(await readdir(join(root, 'tmp')), []);
    }),
  );

  it(
    'refuses sources that yield strings rather than bytes',
    withRoot(async (root) => {
      const store = await FsBlobStore.open(root);
      await assert.rejects(
        store.put(Readable.from(['abc'])),
        (e: unknown) => isAccordError(e) && e.code === 'invalid_input',
      );
      assert.deepEqual(await readdir(join(root, 'tmp')), []);
      assert.deepEqual(await listBlobFiles(root), []);
    }),
  );

  it(
    'does not resolve traversal names against the filesystem',
    withRoot(async (root) => {
      const inner = join(root, 'store');
      const store = await FsBlobStore.open(inner);
      // A real file the traversal name could reach: a lookup would answer true or false, not reject.
      await mkdir(join(root, 'x'), { recursive: true });
      await writeFile(join(root, 'x', 'secret'), 'secret');
      for (const name of ['../x/secret', '../../x/secret', '../../../x/secret']) {
        await assert.rejects(store.has(name as Sha256Hex), isInvalid);
        await assert.rejects(store.get(name as Sha256Hex), isInvalid);
      }
    }),
  );

  describe('removeStaleTemp', () => {
    it(
      'removes only temp files older than the given age',
      withRoot(async (root) => {
        await FsBlobStore.open(root);
        const tmp = join(root, 'tmp');
        await writeFile(join(tmp, 'old.part'), 'x');
        await writeFile(join(tmp, 'fresh.part'), 'x');
        const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
        await utimes(join(tmp, 'old.part'), twoHoursAgo, twoHoursAgo);

        assert.equal(await removeStaleTemp(root, 60 * 60 * 1000), 1);
        assert.deepEqual(await readdir(tmp), ['fresh.part']);
      }),
    );

    it(
      'leaves stored blobs alone',
      withRoot(async (root) => {
        const store = await FsBlobStore.open(root);
        const stored = await store.put(Readable.from([Buffer.from('abc')]));
        const past = new Date(Date.now() - 24 * 60 * 60 * 1000);
        await utimes(store.pathOf(stored.sha256), past, past);
        assert.equal(await removeStaleTemp(root, 0), 0);
        assert.equal(await store.has(stored.sha256), true);
      }),
    );

    it(
      'copes with a missing temp folder',
      withRoot(async (root) => {
        assert.equal(await removeStaleTemp(join(root, 'never-opened'), 0), 0);
      }),
    );
  });
});
