import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as reference from '@accord/custody';
import { hashChildren, hashLeaf } from './merkle.ts';
import {
  appendLeaves,
  formatTileIndex,
  parseTilePath,
  TILE_WIDTH,
  type TileSource,
  TileTree,
  tileWidth,
} from './tiles.ts';

const testdata = join(import.meta.dirname, '..', '..', '..', '..', '..', 'shared', 'testdata', 'merkle');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Tiles in memory, as a repository would store them. */
class MemoryTiles implements TileSource {
  readonly tiles = new Map<string, Uint8Array>();
  size = 0;
  async readTile(level: number, index: number): Promise<Uint8Array | undefined> {
    return this.tiles.get(`${level}/${index}`);
  }
  async append(leaves: readonly Uint8Array[]): Promise<Uint8Array> {
    const result = await appendLeaves(this, this.size, leaves.map(hashLeaf));
    for (const w of result.writes) this.tiles.set(`${w.level}/${w.index}`, w.hashes);
    this.size = result.size;
    return result.root;
  }
}

/** Deterministic PRNG (mulberry32) so a failing case can be replayed. */
const prng = (seed: number): (() => number) => {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const leaf = (i: number): Uint8Array => Buffer.from(`event ${i}`);

describe('sync hashing agrees with the reference vectors (testdata README §1)', () => {
  const vectors = JSON.parse(readFileSync(join(testdata, 'rfc6962-reference-tree-vectors.json'), 'utf8'));
  it('hashes leaves and children like RFC 6962', () => {
    assert.equal(hex(hashLeaf(new Uint8Array())), vectors.hasher_vectors[1].want);
    assert.equal(hex(hashLeaf(Buffer.from('L123456'))), vectors.hasher_vectors[2].want);
    assert.equal(hex(hashChildren(Buffer.from('N123'), Buffer.from('N456'))), vectors.hasher_vectors[3].want);
  });
  it('builds the reference tree root for every size 0…8, appending one leaf at a time', async () => {
    const tiles = new MemoryTiles();
    assert.equal(hex(await new TileTree(tiles, 0).root()), vectors.root_hashes_by_tree_size['0']);
    for (const [i, input] of (vectors.leaf_inputs_hex as string[]).entries()) {
      const root = await tiles.append([Buffer.from(input, 'hex')]);
      assert.equal(hex(root), vectors.root_hashes_by_tree_size[String(i + 1)], `size ${i + 1}`);
    }
  });
  it('builds the same root appending all eight leaves at once', async () => {
    const tiles = new MemoryTiles();
    const root = await tiles.append((vectors.leaf_inputs_hex as string[]).map((h) => Buffer.from(h, 'hex')));
    assert.equal(hex(root), vectors.root_hashes_by_tree_size['8']);
  });
});

describe('tiles over many sizes and batch shapes', () => {
  it('matches the reference implementation for random batches up to 70,000 leaves', async () => {
    const random = prng(20261125);
    const tiles = new MemoryTiles();
    const all: Uint8Array[] = [];
    // Check the root at the sizes around every tile boundary and some random ones.
    while (tiles.size < 70_000) {
      const n = random() < 0.1 ? Math.floor(random() * 3000) + 1 : Math.floor(random() * 40) + 1;
      const batch = Array.from({ length: n }, (_, k) => leaf(tiles.size + k));
      all.push(...batch.map(hashLeaf));
      const root = await tiles.append(batch);
      if (random() < 0.004) {
        assert.equal(hex(root), hex(await reference.rootFromLeafHashes(all)), `size ${tiles.size}`);
      }
    }
    assert.equal(
      hex(await new TileTree(tiles, tiles.size).root()),
      hex(await reference.rootFromLeafHashes(all)),
    );
    // Level 2 exists once 65,536 leaves are in: its first hash is the root of the first 65,536.
    assert.ok(tiles.tiles.has('2/0'));
    assert.equal(
      hex((tiles.tiles.get('2/0') ?? new Uint8Array()).subarray(0, 32)),
      hex(await reference.rootFromLeafHashes(all.slice(0, 65_536))),
    );
  });

  it('computes roots of earlier sizes from the grown tiles', async () => {
    const tiles = new MemoryTiles();
    const all: Uint8Array[] = [];
    const roots: string[] = [];
    for (let i = 0; i < 700; i += 1) {
      all.push(hashLeaf(leaf(i)));
      roots.push(hex(await tiles.append([leaf(i)])));
    }
    for (const size of [1, 2, 3, 255, 256, 257, 511, 512, 513, 699, 700]) {
      assert.equal(hex(await new TileTree(tiles, size).root()), roots[size - 1], `size ${size}`);
    }
  });
});

describe('proofs from tiles verify with the reference verifier', () => {
  const build = async (n: number): Promise<{ tiles: MemoryTiles; hashes: Uint8Array[] }> => {
    const tiles = new MemoryTiles();
    const batch = Array.from({ length: n }, (_, i) => leaf(i));
    await tiles.append(batch);
    return { tiles, hashes: batch.map(hashLeaf) };
  };

  it('inclusion proofs equal the reference prover and verify, for sizes 1…300 and beyond a tile', async () => {
    const { tiles, hashes } = await build(1200);
    for (const size of [1, 2, 3, 7, 8, 9, 255, 256, 257, 300, 513, 1200]) {
      const tree = new TileTree(tiles, size);
      const root = await tree.root();
      for (const index of new Set([0, 1, size >> 1, size - 2, size - 1].filter((i) => i >= 0 && i < size))) {
        const proof = await tree.inclusionProof(index);
        const expected = await reference.inclusionProof(hashes, index, size);
        assert.deepEqual(proof.map(hex), expected.map(hex), `leaf ${index} of ${size}`);
        await reference.verifyInclusion(index, size, hashes[index] as Uint8Array, proof, root);
      }
    }
  });

  it('consistency proofs equal the reference prover and verify', async () => {
    const { tiles, hashes } = await build(1100);
    for (const [from, to] of [
      [1, 1],
      [1, 2],
      [3, 7],
      [4, 8],
      [255, 256],
      [256, 257],
      [100, 1100],
      [513, 1024],
      [1024, 1100],
    ] as const) {
      const newTree = new TileTree(tiles, to);
      const proof = await newTree.consistencyProof(from);
      const expected = await reference.consistencyProof(hashes, from, to);
      assert.deepEqual(proof.map(hex), expected.map(hex), `${from}→${to}`);
      await reference.verifyConsistency(
        from,
        to,
        proof,
        await new TileTree(tiles, from).root(),
        await newTree.root(),
      );
    }
  });

  it('refuses proofs outside the tree with a clear message', async () => {
    const { tiles } = await build(10);
    const tree = new TileTree(tiles, 10);
    await assert.rejects(tree.inclusionProof(10), /leaf 10 is not in a tree of size 10/);
    await assert.rejects(tree.consistencyProof(0), /1 ≤ old size ≤ 10/);
    await assert.rejects(tree.consistencyProof(11), /1 ≤ old size ≤ 10/);
  });

  it('reports a missing or short tile as an integrity problem', async () => {
    const { tiles } = await build(300);
    tiles.tiles.set('0/1', (tiles.tiles.get('0/1') as Uint8Array).subarray(0, 32));
    await assert.rejects(new TileTree(tiles, 300).root(), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'integrity');
      assert.match(e.message, /log tile 0\/1 is missing or holds fewer than/);
      return true;
    });
  });
});

describe('transparency-dev inclusion probes against a tile tree of the reference leaves', () => {
  // The happy-path vectors use the 8-leaf reference tree; a tree built from tiles must produce
  // exactly their proofs (the negative vectors are the verifier's business, tested in custody).
  const vectors = JSON.parse(readFileSync(join(testdata, 'rfc6962-reference-tree-vectors.json'), 'utf8'));
  const dir = join(testdata, 'transparency-dev-merkle-testdata', 'inclusion');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
  it('reproduces every valid probe of size ≤ 8', async () => {
    const tiles = new MemoryTiles();
    await tiles.append((vectors.leaf_inputs_hex as string[]).map((h) => Buffer.from(h, 'hex')));
    let checked = 0;
    for (const file of files) {
      const v = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      if (v.wantErr || v.treeSize > 8 || v.treeSize < 1) continue;
      const tree = new TileTree(tiles, v.treeSize);
      if (Buffer.from(await tree.root()).toString('base64') !== v.root) continue;
      const proof = await tree.inclusionProof(v.leafIdx);
      assert.deepEqual(
        proof.map((p) => Buffer.from(p).toString('base64')),
        v.proof ?? [],
        file,
      );
      checked += 1;
    }
    assert.ok(checked >= 1, 'at least one happy-path probe');
  });
});

describe('tile paths (C2SP tlog-tiles)', () => {
  it('formats indexes as x-prefixed 3-digit groups', () => {
    assert.equal(formatTileIndex(0), '000');
    assert.equal(formatTileIndex(7), '007');
    assert.equal(formatTileIndex(1000), 'x001/000');
    assert.equal(formatTileIndex(1234067), 'x001/x234/067');
  });
  it('parses full and partial hash and entry tiles', () => {
    assert.deepEqual(parseTilePath('0/000'), { kind: 'hashes', level: 0, index: 0, width: 256 });
    assert.deepEqual(parseTilePath('1/x001/x234/067'), {
      kind: 'hashes',
      level: 1,
      index: 1234067,
      width: 256,
    });
    assert.deepEqual(parseTilePath('0/005.p/17'), { kind: 'hashes', level: 0, index: 5, width: 17 });
    assert.deepEqual(parseTilePath('entries/x001/000.p/255'), { kind: 'entries', index: 1000, width: 255 });
  });
  it('refuses non-canonical and malformed paths', () => {
    for (const bad of [
      '',
      '0',
      '0/5',
      '0/0005',
      '0/x000/005',
      '00/000',
      '8/000',
      '0/000.p/0',
      '0/000.p/256',
      '0/000.p/017',
      '0/000.p/',
      'entries/',
      'entries/abc',
      '0/001/002',
      '../000',
    ]) {
      assert.equal(parseTilePath(bad), undefined, bad);
    }
  });
  it('knows the width of each tile for a size', () => {
    assert.equal(tileWidth(0, 0, 0), 0);
    assert.equal(tileWidth(1, 0, 0), 1);
    assert.equal(tileWidth(256, 0, 0), TILE_WIDTH);
    assert.equal(tileWidth(300, 0, 1), 44);
    assert.equal(tileWidth(300, 1, 0), 1);
    assert.equal(tileWidth(300, 0, 2), 0);
  });
});
