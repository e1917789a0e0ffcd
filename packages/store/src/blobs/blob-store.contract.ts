import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { type BlobStore, isAccordError, parseSha256Hex, type Sha256Hex } from '@accord/core';

export interface BlobStoreHarness {
  store: BlobStore;
  cleanup(): Promise<void>;
  /** Names of in-progress/leftover temp objects, when the implementation has any to inspect. */
  listTemp?(): Promise<string[]>;
  /** Names of every stored blob, when the implementation can list them (checks dedup on disk). */
  listBlobs?(): Promise<string[]>;
}

const isInvalid = (e: unknown): boolean => isAccordError(e) && e.code === 'invalid_input';

const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const MiB = 1024 * 1024;

const INVALID_HASHES = [
  '../../etc/passwd',
  `../${'a'.repeat(61)}`,
  `${'a'.repeat(62)}/.`,
  ABC_SHA256.toUpperCase(),
  ABC_SHA256.slice(0, 63),
  `${ABC_SHA256}0`,
  'g'.repeat(64),
  '',
];

/**
 * Tests every BlobStore implementation must pass. Each test gets a fresh, empty store from `make`.
 */
export function blobStoreContract(name: string, make: () => Promise<BlobStoreHarness>): void {
  describe(`BlobStore contract: ${name}`, () => {
    // A fresh store per test keeps tests independent and lets each one check "nothing left behind".
    const withStore = (fn: (h: BlobStoreHarness) => Promise<void>) => async () => {
      const h = await make();
      try {
        await fn(h);
      } finally {
        await h.cleanup();
      }
    };

    it(
      'stores and returns bytes under their SHA-256',
      withStore(async ({ store }) => {
        const stored = await store.put(bytesOf('abc'));
        assert.deepEqual(stored, { sha256: ABC_SHA256, size: 3, created: true });
        assert.equal((await readAll(await store.get(stored.sha256))).toString('utf8'), 'abc');
      }),
    );

    it(
      'stores the empty blob',
      withStore(async ({ store }) => {
        const stored = await store.put(Readable.from([]));
        assert.deepEqual(stored, { sha256: EMPTY_SHA256, size: 0, created: true });
        assert.equal((await readAll(await store.get(stored.sha256))).byteLength, 0);
        assert.equal(await store.size(stored.sha256), 0);
      }),
    );

    it(
      'accepts any async iterable of bytes as the source',
      withStore(async ({ store }) => {
        async function* parts() {
          yield new TextEncoder().encode('a');
          yield new Uint8Array(0);
          yield new TextEncoder().encode('bc');
        }
        const stored = await store.put(parts());
        assert.equal(stored.sha256, ABC_SHA256);
        assert.equal(stored.size, 3);
      }),
    );

    it(
      'stores identical bytes once',
      withStore(async ({ store, listBlobs }) => {
        const first = await store.put(bytesOf('abc'));
        const second = await store.put(bytesOf('abc'));
        assert.equal(first.created, true);
        assert.deepEqual(second, { sha256: ABC_SHA256, size: 3, created: false });
        if (listBlobs) assert.deepEqual(await listBlobs(), [ABC_SHA256]);
        assert.equal((await readAll(await store.get(first.sha256))).toString('utf8'), 'abc');
      }),
    );

    it(
      'streams a large blob (20 MiB) with the right hash and size',
      withStore(async ({ store, listTemp }) => {
        const total = 20 * MiB;
        const expected = createHash('sha256');
        for await (const chunk of generated(total, 64 * 1024)) expected.update(chunk);
        const expectedHex = expected.digest('hex');

        const stored = await store.put(Readable.from(generated(total, 64 * 1024)));
        assert.equal(stored.sha256, expectedHex);
        assert.equal(stored.size, total);
        assert.equal(await store.size(stored.sha256), total);

        // Hash the read-back stream instead of buffering 20 MiB.
        const readBack = createHash('sha256');
        let readSize = 0;
        for await (const chunk of await store.get(stored.sha256)) {
          readBack.update(chunk as Buffer);
          readSize += (chunk as Buffer).byteLength;
        }
        assert.equal(readBack.digest('hex'), expectedHex);
        assert.equal(readSize, total);
        if (listTemp) assert.deepEqual(await listTemp(), []);
      }),
    );

    it(
      'reports presence and size',
      withStore(async ({ store }) => {
        const absent = parseSha256Hex(EMPTY_SHA256);
        assert.equal(await store.has(absent), false);
        assert.equal(await store.size(absent), undefined);
        const stored = await store.put(bytesOf('abc'));
        assert.equal(await store.has(stored.sha256), true);
        assert.equal(await store.size(stored.sha256), 3);
        assert.equal(await store.has(absent), false);
      }),
    );

    it(
      'rejects get of an absent blob with not_found',
      withStore(async ({ store }) => {
        await assert.rejects(
          store.get(parseSha256Hex(ABC_SHA256)),
          (e: unknown) => isAccordError(e) && e.code === 'not_found' && e.message.includes(ABC_SHA256),
        );
      }),
    );

    it(
      'rejects invalid hashes (including path traversal) before looking anything up',
      withStore(async ({ store }) => {
        // has() of a merely absent name would resolve false: a rejection shows the name was
        // refused before any lookup.
        for (const bad of INVALID_HASHES) {
          const hash = bad as Sha256Hex;
          await assert.rejects(store.get(hash), isInvalid, `get(${JSON.stringify(bad)})`);
          await assert.rejects(store.has(hash), isInvalid, `has(${JSON.stringify(bad)})`);
          await assert.rejects(store.size(hash), isInvalid, `size(${JSON.stringify(bad)})`);
        }
      }),
    );

    it(
      'leaves nothing behind when the source fails midway',
      withStore(async ({ store, listTemp, listBlobs }) => {
        const partial = Buffer.alloc(256 * 1024, 7);
        const partialSha = parseSha256Hex(createHash('sha256').update(partial).digest('hex'));
        const boom = new Error('source broke');

        async function* failing() {
          yield partial.subarray(0, 128 * 1024);
          yield partial.subarray(128 * 1024);
          throw boom;
        }
        await assert.rejects(store.put(failing()), boom);

        // The same failure as a stream 'error' event, possibly before the store starts reading...
        const early = new Readable({ read() {} });
        early.push(partial);
        setImmediate(() => early.destroy(boom));
        await assert.rejects(store.put(early), boom);

        // ...or after some bytes were consumed.
        let sent = false;
        const late = new Readable({
          read() {
            if (sent) {
              this.destroy(boom);
            } else {
              sent = true;
              this.push(partial);
            }
          },
        });
        await assert.rejects(store.put(late), boom);

        assert.equal(await store.has(partialSha), false);
        if (listTemp) assert.deepEqual(await listTemp(), []);
        if (listBlobs) assert.deepEqual(await listBlobs(), []);
      }),
    );

    it(
      'lets concurrent puts of the same bytes all succeed',
      withStore(async ({ store, listTemp, listBlobs }) => {
        const total = 2 * MiB;
        const results = await Promise.all(
          Array.from({ length: 6 }, () => store.put(Readable.from(generated(total, 16 * 1024)))),
        );
        const first = results[0];
        assert.ok(first);
        for (const r of results) {
          assert.equal(r.sha256, first.sha256);
          assert.equal(r.size, total);
        }
        // Which put "created" the blob depends on the implementation's race handling; at least one did.
        assert.ok(results.some((r) => r.created));
        assert.equal(await store.size(first.sha256), total);
        if (listBlobs) assert.deepEqual(await listBlobs(), [first.sha256]);
        if (listTemp) assert.deepEqual(await listTemp(), []);
      }),
    );

    it(
      'keeps concurrent puts of different bytes apart',
      withStore(async ({ store, listBlobs }) => {
        const inputs = ['one', 'two', 'three', 'four'];
        const results = await Promise.all(inputs.map((s) => store.put(bytesOf(s))));
        for (const [i, r] of results.entries()) {
          assert.equal(r.created, true);
          assert.equal((await readAll(await store.get(r.sha256))).toString('utf8'), inputs[i]);
        }
        if (listBlobs) assert.equal((await listBlobs()).length, inputs.length);
      }),
    );

    it(
      'shows every chunk of the source to onChunk, in order, reading the source once',
      withStore(async ({ store }) => {
        const parts = [Buffer.from('ab'), Buffer.alloc(0), Buffer.alloc(70_000, 1), Buffer.from('z')];
        let pulls = 0;
        async function* source() {
          for (const part of parts) {
            pulls += 1;
            yield part;
          }
        }
        const seen: Uint8Array[] = [];
        const stored = await store.put(source(), { onChunk: (chunk) => seen.push(chunk) });
        assert.equal(pulls, parts.length);
        assert.deepEqual(
          seen.map((c) => c.byteLength),
          parts.map((p) => p.byteLength),
        );
        assert.ok(Buffer.concat(seen).equals(Buffer.concat(parts)));
        assert.equal(stored.size, 70_003);
        // A put of bytes already stored still shows them all.
        const again: Uint8Array[] = [];
        const second = await store.put(Readable.from(parts), { onChunk: (c) => again.push(c) });
        assert.equal(second.created, false);
        assert.ok(Buffer.concat(again).equals(Buffer.concat(parts)));
      }),
    );

    it(
      'leaves nothing behind when onChunk throws',
      withStore(async ({ store, listTemp, listBlobs }) => {
        const boom = new Error('extractor broke');
        await assert.rejects(
          store.put(Readable.from(generated(256 * 1024, 16 * 1024)), {
            onChunk: () => {
              throw boom;
            },
          }),
          boom,
        );
        if (listTemp) assert.deepEqual(await listTemp(), []);
        if (listBlobs) assert.deepEqual(await listBlobs(), []);
      }),
    );

    it(
      'reads ranges (start inclusive, end exclusive)',
      withStore(async ({ store }) => {
        const total = 200_001;
        const all = Buffer.concat(await collect(generated(total, 10_000)));
        const stored = await store.put(Readable.from(generated(total, 10_000)));
        const cases: Array<[number, number | undefined]> = [
          [0, undefined],
          [0, total],
          [0, 1],
          [1, 2],
          [65_535, 65_537],
          [65_536, 131_072],
          [12_345, 198_765],
          [total - 1, undefined],
          [total - 1, total],
          [100, 100],
          [total, undefined],
          [total, total],
          [0, 0],
        ];
        for (const [start, end] of cases) {
          const range = end === undefined ? { start } : { start, end };
          const got = await readAll(await store.get(stored.sha256, range));
          assert.ok(got.equals(all.subarray(start, end ?? total)), `range ${start}-${end}`);
        }
      }),
    );

    it(
      'refuses ranges outside the blob with invalid_input, and ranges of absent blobs with not_found',
      withStore(async ({ store }) => {
        const stored = await store.put(bytesOf('abcdef'));
        const bad = [
          { start: 7 },
          { start: 0, end: 7 },
          { start: 4, end: 3 },
          { start: -1 },
          { start: 0.5 },
          { start: 0, end: Number.NaN },
          { start: 0, end: Number.POSITIVE_INFINITY },
        ];
        for (const range of bad) {
          await assert.rejects(
            store.get(stored.sha256, range),
            (e: unknown) => isInvalid(e) && (e as Error).message.includes(stored.sha256),
            JSON.stringify(range),
          );
        }
        await assert.rejects(
          store.get(parseSha256Hex(ABC_SHA256), { start: 0, end: 1 }),
          (e: unknown) => isAccordError(e) && e.code === 'not_found',
        );
      }),
    );

    it(
      'lists every stored blob once',
      withStore(async ({ store }) => {
        const listed = async () => {
          const names: string[] = [];
          for await (const name of store.list()) names.push(name);
          return names.sort();
        };
        assert.deepEqual(await listed(), []);
        const stored = await Promise.all(
          ['one', 'two', 'three', 'one', ''].map((s) => store.put(bytesOf(s))),
        );
        assert.deepEqual(await listed(), [...new Set(stored.map((s) => s.sha256))].sort());
      }),
    );

    it(
      'verifies stored blobs and names the problem of absent ones',
      withStore(async ({ store }) => {
        const stored = await store.put(Readable.from(generated(300_000, 7_000)));
        assert.deepEqual(await store.verifyBlob(stored.sha256), { ok: true });
        const empty = await store.put(Readable.from([]));
        assert.deepEqual(await store.verifyBlob(empty.sha256), { ok: true });
        const absent = await store.verifyBlob(parseSha256Hex(ABC_SHA256));
        assert.equal(absent.ok, false);
        assert.ok(!absent.ok && absent.problem.length > 0);
        await assert.rejects(store.verifyBlob('../x' as Sha256Hex), isInvalid);
      }),
    );
  });
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return parts;
}

function bytesOf(text: string): Readable {
  return Readable.from([Buffer.from(text, 'utf8')]);
}

/** Deterministic bytes, distinct per chunk, produced lazily so memory stays flat. */
async function* generated(total: number, chunkSize: number): AsyncGenerator<Uint8Array> {
  let offset = 0;
  for (let counter = 0; offset < total; counter++) {
    const n = Math.min(chunkSize, total - offset);
    const chunk = Buffer.alloc(n, counter % 251);
    if (n >= 4) chunk.writeUInt32LE(counter, 0);
    offset += n;
    yield chunk;
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}
