import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fromBase64, toHex, utf8 } from '../bytes.ts';
import { CustodyError, type CustodyErrorCode } from '../errors.ts';
import { emptyRoot, hashChildren, hashLeaf } from './hash.ts';
import { rootFromInclusionProof, verifyConsistency, verifyInclusion } from './proof.ts';

// Shared, read-only test vectors live next to the repository (never copied into it).
const testdata = join(import.meta.dirname, '..', '..', '..', '..', '..', 'shared', 'testdata');
const proofdata = join(testdata, 'merkle', 'transparency-dev-merkle-testdata');

const rejectsCustody = async (
  promise: Promise<unknown>,
  codes: readonly CustodyErrorCode[],
  message?: RegExp,
): Promise<void> => {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof CustodyError, `expected a CustodyError, got ${String(e)}`);
    assert.ok(codes.includes(e.code), `code ${e.code} of "${e.message}" not in ${codes.join(', ')}`);
    if (message) assert.match(e.message, message);
    return true;
  });
};

/** Every vector file below `kind`, sorted, excluding the subtree* folders (a sibling of kind). */
const vectorFiles = (kind: 'inclusion' | 'consistency'): string[] =>
  readdirSync(join(proofdata, kind), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .sort();

const load = (kind: string, file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(proofdata, kind, file), 'utf8'));

// testdata README §2: `proof` may be JSON null; treat it as [].
const decodeProof = (proof: unknown): Uint8Array[] =>
  ((proof as string[] | null) ?? []).map((p) => fromBase64(p));

describe('transparency-dev inclusion vectors (testdata README §2)', () => {
  const files = vectorFiles('inclusion');

  it('finds all 98 files', () => {
    assert.equal(files.length, 98);
  });

  for (const file of files) {
    const v = load('inclusion', file);
    it(`${file}: ${String(v.desc)}${v.wantErr ? ' (must fail)' : ''}`, async () => {
      const run = verifyInclusion(
        v.leafIdx as number,
        v.treeSize as number,
        fromBase64(v.leafHash as string),
        decodeProof(v.proof),
        fromBase64(v.root as string),
      );
      if (v.wantErr) await rejectsCustody(run, ['proof_invalid', 'malformed']);
      else assert.equal(toHex(await run), toHex(fromBase64(v.root as string)));
    });
  }
});

describe('transparency-dev consistency vectors (testdata README §2)', () => {
  const files = vectorFiles('consistency');

  it('finds all 98 files', () => {
    assert.equal(files.length, 98);
  });

  for (const file of files) {
    const v = load('consistency', file);
    it(`${file}: ${String(v.desc)}${v.wantErr ? ' (must fail)' : ''}`, async () => {
      const run = verifyConsistency(
        v.size1 as number,
        v.size2 as number,
        decodeProof(v.proof),
        fromBase64(v.root1 as string),
        fromBase64(v.root2 as string),
      );
      if (v.wantErr) await rejectsCustody(run, ['proof_invalid', 'malformed']);
      else assert.equal(toHex(await run), toHex(fromBase64(v.root2 as string)));
    });
  }
});

describe('verifyInclusion: RFC 9162 §2.1.3.2 errors and messages', () => {
  const fixture = async () => {
    const leaves = await Promise.all(['a', 'b', 'c'].map((s) => hashLeaf(utf8(s))));
    const [a, b, c] = leaves as [Uint8Array, Uint8Array, Uint8Array];
    const ab = await hashChildren(a, b);
    const root = await hashChildren(ab, c);
    return { a, b, c, ab, root };
  };

  it('verifies and returns the root', async () => {
    const t = await fixture();
    assert.equal(toHex(await verifyInclusion(0, 3, t.a, [t.b, t.c], t.root)), toHex(t.root));
    assert.equal(toHex(await verifyInclusion(2, 3, t.c, [t.ab], t.root)), toHex(t.root));
    assert.equal(toHex(await rootFromInclusionProof(1, 3, t.b, [t.a, t.c])), toHex(t.root));
  });

  it('rejects a leaf index at or past the tree size', async () => {
    const t = await fixture();
    await rejectsCustody(
      verifyInclusion(3, 3, t.c, [t.ab], t.root),
      ['proof_invalid'],
      /leaf index 3.*tree size 3/,
    );
    await rejectsCustody(verifyInclusion(0, 0, t.a, [], await emptyRoot()), ['proof_invalid'], /tree size 0/);
  });

  it('names a proof that is too long or too short', async () => {
    const t = await fixture();
    await rejectsCustody(verifyInclusion(2, 3, t.c, [t.ab, t.a], t.root), ['proof_invalid'], /too long/);
    await rejectsCustody(verifyInclusion(0, 3, t.a, [t.b], t.root), ['proof_invalid'], /too short/);
  });

  it('names a root mismatch', async () => {
    const t = await fixture();
    await rejectsCustody(verifyInclusion(0, 3, t.b, [t.b, t.c], t.root), ['proof_invalid'], /root/);
  });

  it('rejects sizes that are not safe non-negative integers as malformed', async () => {
    const t = await fixture();
    for (const [index, size] of [
      [-1, 3],
      [0, -3],
      [0.5, 3],
      [0, 3.5],
      [Number.NaN, 3],
      [0, Number.POSITIVE_INFINITY],
      [0, 2 ** 53],
    ] as const) {
      await rejectsCustody(verifyInclusion(index, size, t.a, [t.b, t.c], t.root), ['malformed'], /integer/);
    }
  });

  it('rejects hashes that are not 32 bytes as malformed', async () => {
    const t = await fixture();
    await rejectsCustody(verifyInclusion(0, 3, t.a.slice(1), [t.b, t.c], t.root), ['malformed'], /leaf hash/);
    await rejectsCustody(
      verifyInclusion(0, 3, t.a, [t.b, new Uint8Array(33)], t.root),
      ['malformed'],
      /proof\[1\]/,
    );
    await rejectsCustody(verifyInclusion(0, 3, t.a, [t.b, t.c], new Uint8Array(0)), ['malformed'], /root/);
  });

  it('uses arithmetic that is exact beyond 32 bits', async () => {
    // In a tree of 2^40 + 1 leaves, the last leaf's only sibling is the root of the first 2^40.
    const left = await hashLeaf(utf8('left subtree stand-in'));
    const leaf = await hashLeaf(utf8('last'));
    const root = await hashChildren(left, leaf);
    assert.equal(toHex(await verifyInclusion(2 ** 40, 2 ** 40 + 1, leaf, [left], root)), toHex(root));
    // Leaf 0 of a tree of 2^40 needs exactly 40 siblings, all on the right.
    const path = await Promise.all(Array.from({ length: 41 }, (_, i) => hashLeaf(utf8(`s${i}`))));
    let r = leaf;
    for (const p of path.slice(0, 40)) r = await hashChildren(r, p);
    assert.equal(toHex(await verifyInclusion(0, 2 ** 40, leaf, path.slice(0, 40), r)), toHex(r));
    await rejectsCustody(
      verifyInclusion(0, 2 ** 40, leaf, path.slice(0, 39), r),
      ['proof_invalid'],
      /too short/,
    );
    await rejectsCustody(verifyInclusion(0, 2 ** 40, leaf, path, r), ['proof_invalid'], /too long/);
    // The largest safe size is accepted as input.
    const last = Number.MAX_SAFE_INTEGER - 1;
    await rejectsCustody(
      verifyInclusion(last, Number.MAX_SAFE_INTEGER, leaf, [], r),
      ['proof_invalid'],
      /too short/,
    );
  });
});

describe('verifyConsistency: RFC 9162 §2.1.4.2 and the testdata conventions', () => {
  const fixture = async () => {
    const [a, b, c] = (await Promise.all(['a', 'b', 'c'].map((s) => hashLeaf(utf8(s))))) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    const ab = await hashChildren(a, b);
    return { a, b, c, ab, root2: a, root3: await hashChildren(ab, c) };
  };

  it('verifies and returns the new root', async () => {
    const t = await fixture();
    // Old tree of 2 is a power of two: the proof is just the new right subtree.
    assert.equal(toHex(await verifyConsistency(2, 3, [t.c], t.ab, t.root3)), toHex(t.root3));
    // Old tree of 1: proof is [b, c].
    assert.equal(toHex(await verifyConsistency(1, 3, [t.b, t.c], t.a, t.root3)), toHex(t.root3));
  });

  it('rejects size1 = 0 even with an empty proof and equal roots', async () => {
    const empty = await emptyRoot();
    await rejectsCustody(
      verifyConsistency(0, 0, [], empty, empty),
      ['proof_invalid'],
      /size1 = 0|empty tree/,
    );
    await rejectsCustody(
      verifyConsistency(0, 1, [], empty, empty),
      ['proof_invalid'],
      /size1 = 0|empty tree/,
    );
  });

  it('rejects size1 > size2', async () => {
    const t = await fixture();
    await rejectsCustody(
      verifyConsistency(3, 2, [t.c], t.root3, t.ab),
      ['proof_invalid'],
      /size1 3.*size2 2/,
    );
  });

  it('size1 = size2 needs an empty proof and equal roots', async () => {
    const t = await fixture();
    assert.equal(toHex(await verifyConsistency(3, 3, [], t.root3, t.root3)), toHex(t.root3));
    await rejectsCustody(verifyConsistency(3, 3, [t.c], t.root3, t.root3), ['proof_invalid'], /empty/);
    await rejectsCustody(verifyConsistency(3, 3, [], t.root3, t.ab), ['proof_invalid'], /roots/);
  });

  it('size1 < size2 needs a non-empty proof', async () => {
    const t = await fixture();
    await rejectsCustody(verifyConsistency(2, 3, [], t.ab, t.root3), ['proof_invalid'], /empty/);
  });

  it('names which root does not match', async () => {
    const t = await fixture();
    // Old tree of 3 (not a power of two): the proof [c, d, ab] rebuilds both roots.
    const d = await hashLeaf(utf8('d'));
    const root4 = await hashChildren(t.ab, await hashChildren(t.c, d));
    assert.equal(toHex(await verifyConsistency(3, 4, [t.c, d, t.ab], t.root3, root4)), toHex(root4));
    await rejectsCustody(verifyConsistency(3, 4, [t.c, d, t.ab], t.ab, root4), ['proof_invalid'], /old root/);
    await rejectsCustody(
      verifyConsistency(3, 4, [t.c, d, t.ab], t.root3, t.ab),
      ['proof_invalid'],
      /new root/,
    );
    // Old tree of 1 (a power of two): the old root is the proof's first hash, so only the new root can fail.
    await rejectsCustody(verifyConsistency(1, 3, [t.b, t.c], t.b, t.root3), ['proof_invalid'], /new root/);
  });

  it('names a proof that is too long or too short', async () => {
    const t = await fixture();
    await rejectsCustody(verifyConsistency(2, 3, [t.c, t.c], t.ab, t.root3), ['proof_invalid'], /too long/);
    await rejectsCustody(verifyConsistency(1, 3, [t.b], t.a, t.root3), ['proof_invalid'], /too short/);
  });

  it('rejects malformed sizes and hashes', async () => {
    const t = await fixture();
    await rejectsCustody(verifyConsistency(-1, 3, [t.c], t.ab, t.root3), ['malformed'], /integer/);
    await rejectsCustody(verifyConsistency(2, 2 ** 53, [t.c], t.ab, t.root3), ['malformed'], /integer/);
    await rejectsCustody(verifyConsistency(2, 3, [t.c.slice(1)], t.ab, t.root3), ['malformed'], /proof\[0\]/);
    await rejectsCustody(verifyConsistency(2, 3, [t.c], t.ab.slice(1), t.root3), ['malformed'], /old root/);
    await rejectsCustody(verifyConsistency(2, 3, [t.c], t.ab, new Uint8Array(0)), ['malformed'], /new root/);
  });

  it('uses arithmetic that is exact beyond 32 bits', async () => {
    // From a power-of-two tree of 2^40 to 2^40 + 1, the proof is the single new leaf.
    const old = await hashLeaf(utf8('old root stand-in'));
    const leaf = await hashLeaf(utf8('new leaf'));
    const root = await hashChildren(old, leaf);
    assert.equal(toHex(await verifyConsistency(2 ** 40, 2 ** 40 + 1, [leaf], old, root)), toHex(root));
    // From 2^40 to 2^41 + 1 needs two hashes: the new 2^40 leaves, then the last leaf.
    await rejectsCustody(
      verifyConsistency(2 ** 40, 2 ** 41 + 1, [leaf], old, root),
      ['proof_invalid'],
      /too short/,
    );
  });
});
