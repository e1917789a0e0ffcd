import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fromBase64, fromHex, toHex, utf8 } from '../bytes.ts';
import { hashChildren, hashLeaf } from './hash.ts';
import { consistencyProof, inclusionProof, rootFromLeafHashes } from './tree.ts';

// Shared, read-only test vectors live next to the repository (never copied into it).
const testdata = join(import.meta.dirname, '..', '..', '..', '..', '..', 'shared', 'testdata');
const proofdata = join(testdata, 'merkle', 'transparency-dev-merkle-testdata');

const reference = JSON.parse(
  readFileSync(join(testdata, 'merkle', 'rfc6962-reference-tree-vectors.json'), 'utf8'),
) as {
  leaf_inputs_hex: string[];
  root_hashes_by_tree_size: Record<string, string>;
  node_hashes_by_level: string[][];
};

const referenceLeafHashes = async (): Promise<Uint8Array[]> =>
  Promise.all(reference.leaf_inputs_hex.map((hex) => hashLeaf(fromHex(hex))));

const hexes = (hashes: readonly Uint8Array[]): string[] => hashes.map(toHex);

/** Happy-path vector files (`wantErr: false`) below one of the proof folders. */
const happyPaths = (kind: 'inclusion' | 'consistency'): { file: string; v: Record<string, unknown> }[] =>
  readdirSync(join(proofdata, kind), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, v: JSON.parse(readFileSync(join(proofdata, kind, file), 'utf8')) }))
    .filter(({ v }) => v.wantErr === false);

const b64s = (proof: unknown): string[] =>
  ((proof as string[] | null) ?? []).map((p) => toHex(fromBase64(p)));

describe('RFC 9162 §2.1.1 Merkle Tree Hash: reference tree (testdata README §1)', () => {
  it('the first leaf input is the empty string', () => {
    assert.equal(reference.leaf_inputs_hex[0], '');
    assert.equal(reference.leaf_inputs_hex.length, 8);
  });

  for (let n = 0; n <= 8; n++) {
    it(`root of the first ${n} leaves`, async () => {
      const leaves = (await referenceLeafHashes()).slice(0, n);
      assert.equal(toHex(await rootFromLeafHashes(leaves)), reference.root_hashes_by_tree_size[String(n)]);
    });
  }

  it('n = 8 gives 5dc9da79…4328', async () => {
    const root = toHex(await rootFromLeafHashes(await referenceLeafHashes()));
    assert.ok(root.startsWith('5dc9da79') && root.endsWith('4328'), root);
  });

  it('every complete subtree matches node_hashes_by_level', async () => {
    const leaves = await referenceLeafHashes();
    let checked = 0;
    for (const [level, nodes] of reference.node_hashes_by_level.entries()) {
      const width = 2 ** level;
      for (const [i, want] of nodes.entries()) {
        const got = await rootFromLeafHashes(leaves.slice(i * width, (i + 1) * width));
        assert.equal(toHex(got), want, `level ${level} node ${i}`);
        checked++;
      }
    }
    assert.equal(checked, 8 + 4 + 2 + 1);
  });

  it('does not modify the leaf list', async () => {
    const leaves = await referenceLeafHashes();
    const before = hexes(leaves);
    await rootFromLeafHashes(leaves);
    await inclusionProof(leaves, 3, 7);
    await consistencyProof(leaves, 3, 7);
    assert.deepEqual(hexes(leaves), before);
  });
});

describe('RFC 9162 §2.1.5 example tree of 7 leaves', () => {
  // RFC 9162 §2.1.5: a..f and j are leaf hashes of d0..d6; g = (a, b), h = (c, d), i = (e, f),
  // k = (g, h), l = (i, j), and the root is (k, l).
  const names = async () => {
    const [a, b, c, d, e, f, j] = (await referenceLeafHashes()).slice(0, 7) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    const g = await hashChildren(a, b);
    const h = await hashChildren(c, d);
    const i = await hashChildren(e, f);
    const k = await hashChildren(g, h);
    const l = await hashChildren(i, j);
    return {
      leaves: [a, b, c, d, e, f, j],
      a,
      b,
      c,
      d,
      e,
      f,
      g,
      h,
      i,
      j,
      k,
      l,
      root: await hashChildren(k, l),
    };
  };

  it('root is HASH(k, l)', async () => {
    const t = await names();
    assert.equal(toHex(await rootFromLeafHashes(t.leaves)), toHex(t.root));
  });

  it('inclusion proofs: d0 → [b, h, l], d3 → [c, g, l], d4 → [f, j, k], d6 → [i, k]', async () => {
    const t = await names();
    assert.deepEqual(hexes(await inclusionProof(t.leaves, 0, 7)), hexes([t.b, t.h, t.l]));
    assert.deepEqual(hexes(await inclusionProof(t.leaves, 3, 7)), hexes([t.c, t.g, t.l]));
    assert.deepEqual(hexes(await inclusionProof(t.leaves, 4, 7)), hexes([t.f, t.j, t.k]));
    assert.deepEqual(hexes(await inclusionProof(t.leaves, 6, 7)), hexes([t.i, t.k]));
  });

  it('consistency proofs: 3 → [c, d, g, l], 4 → [l], 6 → [i, j, k]', async () => {
    const t = await names();
    assert.deepEqual(hexes(await consistencyProof(t.leaves, 3, 7)), hexes([t.c, t.d, t.g, t.l]));
    assert.deepEqual(hexes(await consistencyProof(t.leaves, 4, 7)), hexes([t.l]));
    assert.deepEqual(hexes(await consistencyProof(t.leaves, 6, 7)), hexes([t.i, t.j, t.k]));
  });
});

describe('proof generation reproduces the transparency-dev happy paths (testdata README §2)', () => {
  it('inclusion: every happy path over the reference tree', async () => {
    const leaves = await referenceLeafHashes();
    let matched = 0;
    for (const { file, v } of happyPaths('inclusion')) {
      const treeSize = v.treeSize as number;
      if (treeSize > leaves.length) continue;
      const root = toHex(fromBase64(v.root as string));
      if (root !== reference.root_hashes_by_tree_size[String(treeSize)]) continue; // not the reference tree
      const proof = await inclusionProof(leaves, v.leafIdx as number, treeSize);
      assert.deepEqual(hexes(proof), b64s(v.proof), file);
      matched++;
    }
    assert.equal(matched, 5); // folders 0–4; single-entry uses a different leaf
  });

  it('consistency: every happy path over the reference tree', async () => {
    const leaves = await referenceLeafHashes();
    let matched = 0;
    for (const { file, v } of happyPaths('consistency')) {
      const size1 = v.size1 as number;
      const size2 = v.size2 as number;
      if (size2 > leaves.length) continue;
      const root2 = toHex(fromBase64(v.root2 as string));
      if (root2 !== reference.root_hashes_by_tree_size[String(size2)]) continue; // not the reference tree
      const proof = await consistencyProof(leaves, size1, size2);
      assert.deepEqual(hexes(proof), b64s(v.proof), file);
      matched++;
    }
    assert.equal(matched, 5); // folders 0–4; additional/ uses placeholder roots
  });
});

describe('proof generation: shapes and argument checks', () => {
  const leavesOf = (n: number) =>
    Promise.all(Array.from({ length: n }, (_, i) => hashLeaf(utf8(`leaf ${i}`))));

  it('a tree of one leaf has an empty inclusion proof', async () => {
    assert.deepEqual(await inclusionProof(await leavesOf(1), 0, 1), []);
  });

  it('uses only the first treeSize leaves', async () => {
    const leaves = await leavesOf(9);
    assert.deepEqual(
      hexes(await inclusionProof(leaves, 2, 5)),
      hexes(await inclusionProof(leaves.slice(0, 5), 2, 5)),
    );
    assert.deepEqual(
      hexes(await consistencyProof(leaves, 2, 5)),
      hexes(await consistencyProof(leaves.slice(0, 5), 2, 5)),
    );
  });

  it('consistency of a tree with itself is the empty proof', async () => {
    assert.deepEqual(await consistencyProof(await leavesOf(5), 5, 5), []);
  });

  it('a power-of-two old tree is not repeated in the consistency proof', async () => {
    // RFC 9162 §2.1.4.1: SUBPROOF(m, D[m], true) = {} — the verifier already knows MTH(D[0:4]).
    const leaves = await leavesOf(8);
    const proof = await consistencyProof(leaves, 4, 8);
    assert.deepEqual(hexes(proof), hexes([await rootFromLeafHashes(leaves.slice(4, 8))]));
  });

  it('rejects indices and sizes out of range', async () => {
    const leaves = await leavesOf(4);
    await assert.rejects(inclusionProof(leaves, 4, 4), RangeError);
    await assert.rejects(inclusionProof(leaves, 0, 0), RangeError);
    await assert.rejects(inclusionProof(leaves, 0, 5), RangeError);
    await assert.rejects(inclusionProof(leaves, -1, 4), RangeError);
    await assert.rejects(inclusionProof(leaves, 0.5, 4), RangeError);
    await assert.rejects(consistencyProof(leaves, 0, 4), RangeError);
    await assert.rejects(consistencyProof(leaves, 3, 2), RangeError);
    await assert.rejects(consistencyProof(leaves, 2, 5), RangeError);
    await assert.rejects(consistencyProof(leaves, 1, Number.NaN), RangeError);
  });
});
