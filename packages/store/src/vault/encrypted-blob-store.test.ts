import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
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
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isAccordError, parseSha256Hex, type Sha256Hex } from '@accord/core';
import { blobStoreContract } from '../blobs/blob-store.contract.ts';
import { EncryptedBlobStore } from './encrypted-blob-store.ts';
import { dataKeyAad, encodeSidecar, HEADER_BYTES, parseSidecar, sidecarName, TAG_BYTES } from './format.ts';
import { Keyring } from './keyring.ts';

const MiB = 1024 * 1024;

async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'accord-vault-'));
}

async function listAll<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Every file under the store's buckets (blobs and sidecars), as bare names. */
async function bucketFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.parentPath.startsWith(join(root, 'tmp')))
    .map((e) => e.name)
    .sort();
}

for (const chunkSize of [undefined, 1000]) {
  blobStoreContract(`EncryptedBlobStore (chunk size ${chunkSize ?? 'default'})`, async () => {
    const root = await tempRoot();
    const store = await EncryptedBlobStore.open(
      join(root, 'vault'),
      await Keyring.create(join(root, 'kek')),
      {
        chunkSize,
      },
    );
    return {
      store,
      cleanup: async () => {
        // Every blob has exactly one sidecar and no sidecar is left without its blob.
        const files = await bucketFiles(store.root);
        const blobs = files.filter((f) => !f.endsWith('.key'));
        assert.deepEqual(
          files.filter((f) => f.endsWith('.key')).map((f) => f.slice(0, 64)),
          blobs,
        );
        await rm(root, { recursive: true, force: true });
      },
      listTemp: () => readdir(join(store.root, 'tmp')),
      listBlobs: async () => (await listAll(store.list())).sort(),
    };
  });
}

interface Vault {
  root: string;
  kekDir: string;
  store: EncryptedBlobStore;
}

const withVault =
  (fn: (v: Vault) => Promise<void>, options: { chunkSize?: number } = {}) =>
  async () => {
    const root = await tempRoot();
    try {
      const kekDir = join(root, 'kek');
      const store = await EncryptedBlobStore.open(join(root, 'vault'), await Keyring.create(kekDir), options);
      await fn({ root, kekDir, store });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  };

const sha256Of = (bytes: Uint8Array): Sha256Hex =>
  parseSha256Hex(createHash('sha256').update(bytes).digest('hex'));

const putBytes = (store: EncryptedBlobStore, bytes: Uint8Array) =>
  store.put(Readable.from([Buffer.from(bytes)]));

/** Reads a whole stream; a stream error or a rejected get() comes back as the error. */
async function outcome(
  store: EncryptedBlobStore,
  sha256: Sha256Hex,
  range?: { start: number; end?: number },
) {
  try {
    const parts: Buffer[] = [];
    for await (const part of await store.get(sha256, range)) parts.push(part as Buffer);
    return Buffer.concat(parts);
  } catch (error) {
    return error as Error;
  }
}

async function assertDamaged(store: EncryptedBlobStore, sha256: Sha256Hex, problem: RegExp, what: string) {
  const got = await outcome(store, sha256);
  assert.ok(got instanceof Error, `${what}: get() should fail`);
  assert.ok(isAccordError(got), `${what}: ${got.message}`);
  assert.equal(got.code, 'integrity', `${what}: ${got.message}`);
  assert.ok(got.message.includes(sha256), `${what}: the error names the blob`);
  const verdict = await store.verifyBlob(sha256);
  assert.equal(verdict.ok, false, `${what}: verifyBlob should fail`);
  if (!verdict.ok) assert.match(verdict.problem, problem, what);
}

/** Lets a test rewrite a stored (read-only) file. */
async function rewrite(path: string, change: (bytes: Buffer) => Buffer): Promise<void> {
  const before = await readFile(path);
  await chmod(path, 0o600);
  await writeFile(path, change(Buffer.from(before)));
}

const sidecarOf = async (store: EncryptedBlobStore, sha256: Sha256Hex): Promise<string> => {
  const bucket = join(store.root, sha256.slice(0, 2), sha256.slice(2, 4));
  const names = (await readdir(bucket)).filter((n) => n.startsWith(sha256) && n.endsWith('.key'));
  assert.equal(names.length, 1);
  return join(bucket, names[0] as string);
};

describe('EncryptedBlobStore', () => {
  it(
    'lays out aa/bb/<sha256> with a <sha256>.<nonce prefix>.key sidecar, both read-only',
    withVault(async ({ store }) => {
      const bytes = Buffer.from('abc');
      const { sha256 } = await putBytes(store, bytes);
      const blobPath = join(store.root, 'ba', '78', sha256);
      assert.equal(store.pathOf(sha256), blobPath);
      const raw = await readFile(blobPath);
      assert.equal(raw.subarray(0, 8).toString('ascii'), 'ACCVAULT');
      assert.equal(raw.byteLength, HEADER_BYTES + 3 + TAG_BYTES);
      const keyPath = await sidecarOf(store, sha256);
      assert.ok(keyPath.endsWith(`${sha256}.${raw.subarray(16, 24).toString('hex')}.key`));
      const sidecar = JSON.parse(await readFile(keyPath, 'utf8'));
      assert.deepEqual(Object.keys(sidecar).sort(), ['alg', 'kek', 'nonce', 'v', 'wrapped']);
      assert.equal(sidecar.kek, store.keyring.currentId);
      if (process.platform !== 'win32') {
        assert.equal((await stat(blobPath)).mode & 0o777, 0o400);
        assert.equal((await stat(keyPath)).mode & 0o777, 0o400);
      }
      assert.deepEqual(await listAll(store.list()), [sha256]);
    }),
  );

  it(
    'stores no plaintext run on disk',
    withVault(async ({ store }) => {
      const pattern = Buffer.from('SURVIVOR-TESTIMONY-0123456789abcdef;');
      const total = MiB;
      const plain = Buffer.alloc(total);
      for (let i = 0; i < total; i += pattern.byteLength) pattern.copy(plain, i);
      const { sha256 } = await putBytes(store, plain);
      const raw = await readFile(store.pathOf(sha256));
      const chunks = Math.ceil(total / store.chunkSize);
      assert.equal(raw.byteLength, HEADER_BYTES + total + chunks * TAG_BYTES);
      // No 8-byte window of the pattern at any alignment, and no repeated ciphertext chunk.
      for (let i = 0; i < pattern.byteLength; i++) {
        assert.equal(raw.indexOf(Buffer.concat([pattern, pattern]).subarray(i, i + 8)), -1);
      }
      const firstBlock = raw.subarray(HEADER_BYTES, HEADER_BYTES + 64);
      assert.equal(raw.indexOf(firstBlock, HEADER_BYTES + 1), -1);
      for (const name of await bucketFiles(store.root)) {
        if (name.endsWith('.key'))
          assert.ok(!(await readFile(await sidecarOf(store, sha256))).includes(pattern));
      }
    }),
  );

  describe('ranges (chunk size 16)', () => {
    const chunk = 16;
    for (const size of [0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk + 17]) {
      it(
        `reads every range of a ${size}-byte blob`,
        withVault(
          async ({ store }) => {
            const plain = randomBytes(size);
            const { sha256 } = await putBytes(store, plain);
            const raw = await readFile(store.pathOf(sha256));
            assert.equal(
              raw.byteLength,
              HEADER_BYTES + size + Math.max(1, Math.ceil(size / chunk)) * TAG_BYTES,
            );
            assert.ok(((await outcome(store, sha256)) as Buffer).equals(plain));
            for (let start = 0; start <= size; start++) {
              for (let end = start; end <= size; end++) {
                const got = await outcome(store, sha256, { start, end });
                assert.ok(Buffer.isBuffer(got), `range ${start}-${end}: ${String(got)}`);
                assert.ok(got.equals(plain.subarray(start, end)), `range ${start}-${end}`);
              }
              const open = await outcome(store, sha256, { start });
              assert.ok(Buffer.isBuffer(open) && open.equals(plain.subarray(start)), `range ${start}-`);
            }
            for (const range of [
              { start: size + 1 },
              { start: 0, end: size + 1 },
              { start: size, end: size + 1 },
            ]) {
              const got = await outcome(store, sha256, range);
              assert.ok(isAccordError(got) && got.code === 'invalid_input', JSON.stringify(range));
              assert.match(got.message, new RegExp(`only ${size} bytes`));
            }
          },
          { chunkSize: chunk },
        ),
      );
    }

    it(
      'decrypts only the chunks a range covers',
      withVault(
        async ({ store }) => {
          const plain = randomBytes(10 * chunk);
          const { sha256 } = await putBytes(store, plain);
          // Damage chunk 7's ciphertext.
          const at = HEADER_BYTES + 7 * (chunk + TAG_BYTES) + 3;
          await rewrite(store.pathOf(sha256), (b) => {
            b[at] = (b[at] as number) ^ 0xff;
            return b;
          });
          const early = await outcome(store, sha256, { start: 5, end: 7 * chunk });
          assert.ok(Buffer.isBuffer(early) && early.equals(plain.subarray(5, 7 * chunk)));
          const late = await outcome(store, sha256, { start: 8 * chunk });
          assert.ok(Buffer.isBuffer(late) && late.equals(plain.subarray(8 * chunk)));
          const across = await outcome(store, sha256, { start: 6 * chunk, end: 7 * chunk + 1 });
          assert.ok(isAccordError(across) && across.code === 'integrity');
          assert.match(across.message, /chunk 7 of 10 failed authentication/);
        },
        { chunkSize: chunk },
      ),
    );
  });

  describe('tampering (chunk size 32, 100 bytes: chunks 32+32+32+4)', () => {
    const chunk = 32;
    const stride = chunk + TAG_BYTES;
    const opts = { chunkSize: chunk };
    const plainA = Buffer.alloc(100, 'a');
    const plainB = Buffer.alloc(100, 'b');

    it(
      'detects a flipped bit in any byte of the file',
      withVault(async ({ store }) => {
        const { sha256 } = await putBytes(store, plainA);
        const path = store.pathOf(sha256);
        const original = await readFile(path);
        await chmod(path, 0o600);
        for (let i = 0; i < original.byteLength; i++) {
          const copy = Buffer.from(original);
          copy[i] = (copy[i] as number) ^ 0x01;
          await writeFile(path, copy);
          await assertDamaged(store, sha256, /./, `byte ${i}`);
        }
        await writeFile(path, original);
        assert.deepEqual(await store.verifyBlob(sha256), { ok: true });
      }, opts),
    );

    it(
      'detects truncation, also with a header edited to match',
      withVault(async ({ store }) => {
        const { sha256 } = await putBytes(store, plainA);
        const path = store.pathOf(sha256);
        const original = await readFile(path);
        await chmod(path, 0o600);
        for (const length of [original.byteLength - 1, original.byteLength - 4 - TAG_BYTES, HEADER_BYTES]) {
          await truncate(path, length);
          await assertDamaged(store, sha256, /truncated/, `truncated to ${length}`);
          await writeFile(path, original);
        }
        await truncate(path, 10);
        await assertDamaged(store, sha256, /shorter than its header/, 'truncated inside the header');
        // Drop the last chunk and shrink the size in the header so the length adds up again.
        const cut = Buffer.from(original.subarray(0, HEADER_BYTES + 3 * stride));
        cut.writeBigUInt64BE(96n, 24);
        await writeFile(path, cut);
        await assertDamaged(store, sha256, /data key failed authentication/, 'truncated with edited size');
        await writeFile(path, original);
        assert.deepEqual(await store.verifyBlob(sha256), { ok: true });
      }, opts),
    );

    it(
      'detects swapped chunks and appended chunks',
      withVault(async ({ store }) => {
        const plain = randomBytes(100);
        const { sha256 } = await putBytes(store, plain);
        const path = store.pathOf(sha256);
        const original = await readFile(path);
        const chunkAt = (i: number) =>
          original.subarray(HEADER_BYTES + i * stride, HEADER_BYTES + (i + 1) * stride);
        await rewrite(path, () =>
          Buffer.concat([
            original.subarray(0, HEADER_BYTES),
            chunkAt(1),
            chunkAt(0),
            original.subarray(HEADER_BYTES + 2 * stride),
          ]),
        );
        await assertDamaged(store, sha256, /chunk 0 of 4 failed authentication/, 'chunks 0 and 1 swapped');
        await rewrite(path, () => Buffer.concat([original, chunkAt(1)]));
        await assertDamaged(store, sha256, /extended/, 'a chunk appended');
        // Appended after the (short) final chunk, with the size edited to match.
        const grown = Buffer.concat([original, chunkAt(1)]);
        grown.writeBigUInt64BE(BigInt(100 + chunk), 24);
        await rewrite(path, () => grown);
        await assertDamaged(store, sha256, /data key failed authentication/, 'appended with edited size');
      }, opts),
    );

    it(
      'detects a chunk moved from another blob (another data key)',
      withVault(async ({ store }) => {
        const a = await putBytes(store, plainA);
        const b = await putBytes(store, plainB);
        const rawB = await readFile(store.pathOf(b.sha256));
        await rewrite(store.pathOf(a.sha256), (raw) => {
          rawB.copy(raw, HEADER_BYTES + stride, HEADER_BYTES + stride, HEADER_BYTES + 2 * stride);
          return raw;
        });
        await assertDamaged(store, a.sha256, /chunk 1 of 4 failed authentication/, 'chunk from blob B');
        assert.deepEqual(await store.verifyBlob(b.sha256), { ok: true });
      }, opts),
    );

    it(
      'detects a replaced, missing or malformed key sidecar',
      withVault(async ({ store }) => {
        const a = await putBytes(store, plainA);
        const b = await putBytes(store, plainB);
        const keyA = await sidecarOf(store, a.sha256);
        const original = await readFile(keyA);
        await rewrite(keyA, () => Buffer.from(original));
        const sidecarB = await readFile(await sidecarOf(store, b.sha256));
        await writeFile(keyA, sidecarB);
        await assertDamaged(store, a.sha256, /data key failed authentication/, "B's sidecar in A's place");
        await writeFile(keyA, '{"v":1,"alg":"A256GCM"');
        await assertDamaged(store, a.sha256, /not JSON/, 'malformed sidecar');
        await writeFile(keyA, JSON.stringify({ ...JSON.parse(original.toString()), wrapped: 'AAAA' }));
        await assertDamaged(store, a.sha256, /malformed wrapped key/, 'short wrapped key');
        await rm(keyA);
        await assertDamaged(store, a.sha256, /key sidecar is missing/, 'no sidecar');
        await writeFile(keyA, original);
        assert.deepEqual(await store.verifyBlob(a.sha256), { ok: true });
      }, opts),
    );

    it(
      "detects a whole blob (file and sidecar) moved under another blob's name",
      withVault(async ({ store }) => {
        const a = await putBytes(store, plainA);
        const b = await putBytes(store, plainB);
        const keyB = await sidecarOf(store, b.sha256);
        // Replace A by B's file and key, renamed to A's name: each piece is genuine, the pair is not A.
        await rm(await sidecarOf(store, a.sha256));
        await rm(store.pathOf(a.sha256));
        await rename(store.pathOf(b.sha256), store.pathOf(a.sha256));
        const bucketA = join(store.root, a.sha256.slice(0, 2), a.sha256.slice(2, 4));
        await rename(keyB, join(bucketA, keyB.split('/').pop()?.replace(b.sha256, a.sha256) as string));
        await assertDamaged(store, a.sha256, /data key failed authentication/, 'B renamed to A');
      }, opts),
    );

    it(
      'names a missing blob and a key the keyring does not hold',
      withVault(async ({ store }) => {
        const a = await putBytes(store, plainA);
        const stranger = new EncryptedBlobStore(
          store.root,
          Keyring.fromEnv(randomBytes(32).toString('base64')),
        );
        const got = await outcome(stranger, a.sha256);
        assert.ok(isAccordError(got) && got.code === 'config' && got.message.includes(a.sha256));
        assert.match(
          got.message,
          new RegExp(`key-encryption key ${store.keyring.currentId} is not in the keyring`),
        );
        const verdict = await stranger.verifyBlob(a.sha256);
        assert.ok(!verdict.ok && verdict.problem.includes(store.keyring.currentId));
        await rm(store.pathOf(a.sha256), { force: true });
        assert.deepEqual(await store.verifyBlob(a.sha256), {
          ok: false,
          problem: 'the blob file is missing',
        });
      }, opts),
    );

    it(
      'reports content whose hash does not match its name',
      withVault(async ({ store }) => {
        const a = await putBytes(store, plainA);
        const b = await putBytes(store, plainB);
        // Only a holder of the key-encryption key can forge this: B's ciphertext under A's name, with
        // B's data key re-wrapped for A's name. Every chunk authenticates; the hash does not match.
        const rawB = await readFile(store.pathOf(b.sha256));
        const header = rawB.subarray(0, HEADER_BYTES);
        const dataKey = store.keyring.unwrap(
          parseSidecar(await readFile(await sidecarOf(store, b.sha256))),
          dataKeyAad(b.sha256, header),
        );
        const keyA = await sidecarOf(store, a.sha256);
        await rm(keyA);
        await rewrite(store.pathOf(a.sha256), () => rawB);
        const bucketA = join(store.root, a.sha256.slice(0, 2), a.sha256.slice(2, 4));
        await writeFile(
          join(bucketA, sidecarName(a.sha256, header.subarray(16, 24))),
          encodeSidecar(store.keyring.wrap(dataKey, dataKeyAad(a.sha256, header))),
        );
        const got = await outcome(store, a.sha256);
        assert.ok(Buffer.isBuffer(got) && got.equals(plainB), 'get() decrypts; it does not hash');
        assert.deepEqual(await store.verifyBlob(a.sha256), {
          ok: false,
          problem: `the content's SHA-256 is ${b.sha256}, not its name`,
        });
      }, opts),
    );
  });

  it(
    'repairs a blob whose key was lost when the same content is put again',
    withVault(async ({ store }) => {
      const { sha256 } = await putBytes(store, Buffer.from('evidence'));
      await rm(await sidecarOf(store, sha256));
      assert.equal((await store.verifyBlob(sha256)).ok, false);
      const again = await putBytes(store, Buffer.from('evidence'));
      assert.equal(again.created, true);
      assert.deepEqual(await store.verifyBlob(sha256), { ok: true });
      assert.equal(((await outcome(store, sha256)) as Buffer).toString(), 'evidence');
    }),
  );

  it(
    'keeps one sidecar when the same content is put concurrently',
    withVault(async ({ store }) => {
      const bytes = randomBytes(300_000);
      const results = await Promise.all(Array.from({ length: 8 }, () => putBytes(store, bytes)));
      assert.equal(results.filter((r) => r.created).length, 1);
      const files = await bucketFiles(store.root);
      assert.equal(files.length, 2);
      assert.deepEqual(await store.verifyBlob(sha256Of(bytes)), { ok: true });
      assert.deepEqual(await readdir(join(store.root, 'tmp')), []);
    }),
  );

  it(
    'ignores and later cleans a sidecar left without its blob',
    withVault(async ({ store, kekDir }) => {
      const bytes = Buffer.from('half-installed');
      const sha256 = sha256Of(bytes);
      // A crash between the sidecar's rename and the blob's: an orphan sidecar (from a blob that
      // another put will never finish) under the old key.
      const { sha256: other } = await putBytes(store, Buffer.from('other'));
      const bucket = join(store.root, sha256.slice(0, 2), sha256.slice(2, 4));
      await mkdir(bucket, { recursive: true });
      const orphan = join(bucket, `${sha256}.0011223344556677.key`);
      await writeFile(orphan, await readFile(await sidecarOf(store, other)));
      assert.equal(await store.has(sha256), false);
      const stored = await putBytes(store, bytes);
      assert.equal(stored.created, true);
      assert.deepEqual(await store.verifyBlob(sha256), { ok: true });

      store.rotate(await Keyring.addKey(kekDir));
      const young = await store.rewrapAll();
      assert.equal(young.orphansKept, 1);
      const past = new Date(Date.now() - 2 * 60 * 60 * 1000);
      await utimes(orphan, past, past);
      const old = await store.rewrapAll();
      assert.equal(old.orphansRemoved, 1);
      assert.equal(old.rewrapped, 0);
      await assert.rejects(stat(orphan));
    }),
  );

  it(
    'refuses sources that yield strings, leaving nothing behind',
    withVault(async ({ store }) => {
      await assert.rejects(
        store.put(Readable.from(['abc'])),
        (e: unknown) => isAccordError(e) && e.code === 'invalid_input',
      );
      assert.deepEqual(await readdir(join(store.root, 'tmp')), []);
      assert.deepEqual(await bucketFiles(store.root), []);
    }),
  );

  it('refuses a chunk size out of bounds', () => {
    const keyring = Keyring.fromEnv(randomBytes(32).toString('base64'));
    for (const chunkSize of [0, 15, 1.5, 16 * MiB + 1]) {
      assert.throws(
        () => new EncryptedBlobStore('/nowhere', keyring, { chunkSize }),
        (e: unknown) => isAccordError(e) && e.code === 'config',
      );
    }
  });

  it(
    'removes stale temp files only',
    withVault(async ({ store }) => {
      const tmp = join(store.root, 'tmp');
      await writeFile(join(tmp, 'old.part'), 'x');
      await writeFile(join(tmp, 'fresh.part'), 'x');
      const past = new Date(Date.now() - 2 * 60 * 60 * 1000);
      await utimes(join(tmp, 'old.part'), past, past);
      assert.equal(await store.removeStaleTemp(60 * 60 * 1000), 1);
      assert.deepEqual(await readdir(tmp), ['fresh.part']);
    }),
  );

  it(
    'streams 64 MiB in and out with a small, flat memory footprint',
    withVault(async ({ store }) => {
      // Sealing makes garbage (one ciphertext buffer per chunk) that V8 only collects once enough has
      // piled up (its external-memory limit is about 64 MiB). Collecting every 4 MiB makes RSS show
      // what the store holds on to, plus at most 4 MiB of garbage: it must not grow with the blob.
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const total = 64 * MiB;
      const piece = 256 * 1024;
      async function* source() {
        for (let sent = 0; sent < total; sent += piece) yield randomBytes(piece);
      }
      gc();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      let seen = 0;
      const sample = (bytes: number) => {
        seen += bytes;
        if (seen % (4 * MiB) < bytes) {
          peak = Math.max(peak, process.memoryUsage().rss);
          gc();
        }
      };
      const digest = createHash('sha256');
      const stored = await store.put(source(), {
        onChunk: (c) => {
          digest.update(c);
          sample(c.byteLength);
        },
      });
      assert.equal(stored.sha256, digest.digest('hex'));
      assert.equal(stored.size, total);
      const readBack = createHash('sha256');
      for await (const part of await store.get(stored.sha256)) {
        readBack.update(part as Buffer);
        sample((part as Buffer).byteLength);
      }
      assert.equal(readBack.digest('hex'), stored.sha256);
      const growth = peak - baseline;
      assert.ok(growth < 16 * MiB, `rss grew by ${(growth / MiB).toFixed(1)} MiB for a 64 MiB blob`);
    }),
  );

  describe('key rotation', () => {
    const plains = Array.from({ length: 10 }, (_, i) => Buffer.from(`item ${i} `.repeat(500 + i)));

    it(
      'rewraps every sidecar, retires the old key, and keeps every blob readable',
      withVault(
        async ({ store, kekDir, root }) => {
          const oldId = store.keyring.currentId;
          for (const p of plains.slice(0, 6)) await putBytes(store, p);
          const rotated = await Keyring.addKey(kekDir);
          store.rotate(rotated);
          for (const p of plains.slice(6)) await putBytes(store, p);
          assert.deepEqual(await store.keysInUse(), { [oldId]: 6, [rotated.currentId]: 4 });

          // Not yet: the old key still wraps six data keys.
          assert.deepEqual((await store.retireUnusedKeys()).retired, []);

          const progress: number[] = [];
          const report = await store.rewrapAll((p) => progress.push(p.scanned));
          assert.deepEqual(
            { ...report, failed: report.failed.length },
            { scanned: 10, rewrapped: 6, alreadyCurrent: 4, orphansRemoved: 0, orphansKept: 0, failed: 0 },
          );
          assert.deepEqual(progress, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
          assert.deepEqual(await store.keysInUse(), { [rotated.currentId]: 10 });

          const retired = await store.retireUnusedKeys();
          assert.deepEqual(retired, { retired: [oldId], inUse: { [rotated.currentId]: 10 } });
          assert.deepEqual(store.keyring.ids, [rotated.currentId]);
          const reloaded = await Keyring.fromFolder(kekDir);
          assert.deepEqual(reloaded.ids, [rotated.currentId]);

          // A fresh process with only the new key reads everything.
          const fresh = await EncryptedBlobStore.open(join(root, 'vault'), reloaded, { chunkSize: 64 });
          for (const p of plains) {
            assert.ok(((await outcome(fresh, sha256Of(p))) as Buffer).equals(p));
            assert.deepEqual(await fresh.verifyBlob(sha256Of(p)), { ok: true });
          }
          // Running again finds nothing to do.
          assert.equal((await fresh.rewrapAll()).alreadyCurrent, 10);
        },
        { chunkSize: 64 },
      ),
    );

    it(
      'resumes after a crash mid-rewrap',
      withVault(
        async ({ store, kekDir }) => {
          const oldId = store.keyring.currentId;
          for (const p of plains) await putBytes(store, p);
          store.rotate(await Keyring.addKey(kekDir));
          const newId = store.keyring.currentId;
          const crash = new Error('power cut');
          await assert.rejects(
            store.rewrapAll((p) => {
              if (p.rewrapped === 4) throw crash;
            }),
            crash,
          );
          // A temp sidecar left by the crash, and the halfway state: four on the new key.
          await writeFile(join(store.root, 'tmp', 'crashed.part'), '{}');
          assert.deepEqual(await store.keysInUse(), { [oldId]: 6, [newId]: 4 });
          for (const p of plains) assert.deepEqual(await store.verifyBlob(sha256Of(p)), { ok: true });

          const again = await store.rewrapAll();
          assert.equal(again.rewrapped, 6);
          assert.equal(again.alreadyCurrent, 4);
          assert.deepEqual(await store.keysInUse(), { [newId]: 10 });
          assert.equal(await store.removeStaleTemp(0), 1);
          assert.deepEqual((await store.retireUnusedKeys()).retired, [oldId]);
          for (const p of plains) assert.ok(((await outcome(store, sha256Of(p))) as Buffer).equals(p));
        },
        { chunkSize: 64 },
      ),
    );

    it(
      'stops between sidecars when aborted',
      withVault(async ({ store, kekDir }) => {
        for (const p of plains) await putBytes(store, p);
        store.rotate(await Keyring.addKey(kekDir));
        const controller = new AbortController();
        await assert.rejects(
          store.rewrapAll(
            (p) => {
              if (p.scanned === 3) controller.abort();
            },
            { signal: controller.signal },
          ),
          { name: 'AbortError' },
        );
        assert.equal((await store.rewrapAll()).rewrapped, 7);
      }),
    );

    it(
      'reports sidecars under unknown keys and refuses to retire keys while a sidecar is unreadable',
      withVault(async ({ store, kekDir }) => {
        const a = await putBytes(store, plains[0] as Buffer);
        const b = await putBytes(store, plains[1] as Buffer);
        const keyB = await sidecarOf(store, b.sha256);
        await rewrite(keyB, () => Buffer.from('garbage'));
        store.rotate(await Keyring.addKey(kekDir));
        const report = await store.rewrapAll();
        assert.equal(report.rewrapped, 1);
        assert.deepEqual(report.failed, [{ sha256: b.sha256, problem: 'the key sidecar is not JSON' }]);
        await assert.rejects(
          store.retireUnusedKeys(),
          (e: unknown) => isAccordError(e) && e.code === 'conflict',
        );
        assert.deepEqual(await store.verifyBlob(a.sha256), { ok: true });
      }),
    );

    it(
      'works with keys from the environment (retiring is then up to the operator)',
      withVault(async ({ root }) => {
        const [k1, k2] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
        const store = await EncryptedBlobStore.open(join(root, 'env-vault'), Keyring.fromEnv(k1));
        const { sha256 } = await putBytes(store, Buffer.from('from env'));
        store.rotate(Keyring.fromEnv(`${k2},${k1}`));
        assert.equal((await store.rewrapAll()).rewrapped, 1);
        await assert.rejects(
          store.retireUnusedKeys(),
          (e: unknown) => isAccordError(e) && e.code === 'config',
        );
        const onlyNew = new EncryptedBlobStore(store.root, Keyring.fromEnv(k2));
        assert.equal(((await outcome(onlyNew, sha256)) as Buffer).toString(), 'from env');
      }),
    );
  });
});
