import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../bytes.ts';
import { CustodyError } from '../errors.ts';
import { hashLeaf } from './hash.ts';
import { verifyConsistency, verifyInclusion } from './proof.ts';
import { consistencyProof, inclusionProof, rootFromLeafHashes } from './tree.ts';

// Round trips between the reference proof builders (tree.ts, RFC 9162 §2.1.3.1 / §2.1.4.1) and the
// verifiers (proof.ts, RFC 9162 §2.1.3.2 / §2.1.4.2) over random trees. The generator is seeded so a
// failure can be reproduced; set MERKLE_SEED to try other trees.
const seed = Number(process.env.MERKLE_SEED ?? 0x5eed);

/** mulberry32: a tiny deterministic PRNG, good enough to pick test inputs. */
const prng = (s: number) => () => {
  s = (s + 0x6d2b79f5) | 0;
  let t = Math.imul(s ^ (s >>> 15), 1 | s);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const randomLeafHashes = (n: number, random: () => number): Promise<Uint8Array[]> =>
  Promise.all(
    Array.from({ length: n }, () => {
      const data = Uint8Array.from({ length: Math.floor(random() * 48) }, () => Math.floor(random() * 256));
      return hashLeaf(data);
    }),
  );

const flipBit = (bytes: Uint8Array, bit: number): Uint8Array => {
  const out = bytes.slice();
  out[bit >> 3]! ^= 0x80 >> (bit & 7);
  return out;
};

const withFlip = (list: readonly Uint8Array[], at: number, bit: number): Uint8Array[] =>
  list.map((h, i) => (i === at ? flipBit(h, bit) : h));

const mustFail = async (what: string, run: Promise<unknown>): Promise<void> => {
  await assert.rejects(
    run,
    (e: unknown) => {
      assert.ok(e instanceof CustodyError && e.code === 'proof_invalid', `${what}: ${String(e)}`);
      return true;
    },
    `${what} verified but must not`,
  );
};

type Mutation = { what: string; run: () => Promise<unknown> };

/** Inclusion inputs with one bit flipped; `bits` picks which bits of each 32-byte component. */
const inclusionMutations = (
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
  bits: (component: number) => readonly number[],
): Mutation[] => {
  const out: Mutation[] = [];
  for (let c = 0; c < proof.length; c++) {
    for (const bit of bits(c)) {
      out.push({
        what: `proof[${c}] bit ${bit}`,
        run: () => verifyInclusion(index, size, leaf, withFlip(proof, c, bit), root),
      });
    }
  }
  for (const bit of bits(proof.length)) {
    out.push({
      what: `leaf bit ${bit}`,
      run: () => verifyInclusion(index, size, flipBit(leaf, bit), proof, root),
    });
  }
  for (const bit of bits(proof.length + 1)) {
    out.push({
      what: `root bit ${bit}`,
      run: () => verifyInclusion(index, size, leaf, proof, flipBit(root, bit)),
    });
  }
  return out;
};

const allBits = (): number[] => Array.from({ length: 256 }, (_, i) => i);

describe(`inclusion round trip: every proof for tree sizes 1…64 (seed ${seed})`, () => {
  const random = prng(seed);

  for (let size = 1; size <= 64; size++) {
    it(`tree size ${size}`, async () => {
      const leaves = await randomLeafHashes(size, random);
      const root = await rootFromLeafHashes(leaves);
      // Every bit for small trees; one random bit per component for larger ones (cost: ~27 µs/hash).
      const bits = size <= 8 ? allBits : () => [Math.floor(random() * 256)];
      await Promise.all(
        Array.from({ length: size }, (_, index) => index).map(async (index) => {
          const leaf = leaves[index]!;
          const proof = await inclusionProof(leaves, index, size);
          assert.equal(
            toHex(await verifyInclusion(index, size, leaf, proof, root)),
            toHex(root),
            `leaf ${index}`,
          );
          const label = `leaf ${index} of ${size}`;
          const mutations = inclusionMutations(index, size, leaf, proof, root, bits);
          mutations.push({
            what: 'proof plus one hash',
            run: () => verifyInclusion(index, size, leaf, [...proof, root], root),
          });
          if (proof.length > 0) {
            mutations.push({
              what: 'proof minus its last hash',
              run: () => verifyInclusion(index, size, leaf, proof.slice(0, -1), root),
            });
          }
          if (index + 1 < size) {
            mutations.push({
              what: 'leaf index + 1',
              run: () => verifyInclusion(index + 1, size, leaf, proof, root),
            });
          }
          if (index > 0) {
            mutations.push({
              what: 'leaf index − 1',
              run: () => verifyInclusion(index - 1, size, leaf, proof, root),
            });
          }
          await Promise.all(mutations.map((m) => mustFail(`${label}, ${m.what}`, m.run())));
        }),
      );
    });
  }
});

describe(`consistency round trip: every 1 ≤ size1 < size2 ≤ 40 (seed ${seed})`, () => {
  const random = prng(seed + 1);

  it('size1 = size2 verifies with the empty proof', async () => {
    const leaves = await randomLeafHashes(40, random);
    for (let size = 1; size <= 40; size++) {
      const root = await rootFromLeafHashes(leaves.slice(0, size));
      assert.deepEqual(await consistencyProof(leaves, size, size), []);
      assert.equal(toHex(await verifyConsistency(size, size, [], root, root)), toHex(root));
    }
  });

  for (let size2 = 2; size2 <= 40; size2++) {
    it(`size2 = ${size2}, every size1 < size2`, async () => {
      const leaves = await randomLeafHashes(size2, random);
      const root2 = await rootFromLeafHashes(leaves);
      await Promise.all(
        Array.from({ length: size2 - 1 }, (_, i) => i + 1).map(async (size1) => {
          const root1 = await rootFromLeafHashes(leaves.slice(0, size1));
          const proof = await consistencyProof(leaves, size1, size2);
          const label = `${size1} → ${size2}`;
          assert.equal(
            toHex(await verifyConsistency(size1, size2, proof, root1, root2)),
            toHex(root2),
            label,
          );
          const bit = () => Math.floor(random() * 256);
          const mutations: Mutation[] = proof.map((_, c) => {
            const b = bit();
            return {
              what: `proof[${c}] bit ${b}`,
              run: () => verifyConsistency(size1, size2, withFlip(proof, c, b), root1, root2),
            };
          });
          const b1 = bit();
          const b2 = bit();
          mutations.push(
            {
              what: `root1 bit ${b1}`,
              run: () => verifyConsistency(size1, size2, proof, flipBit(root1, b1), root2),
            },
            {
              what: `root2 bit ${b2}`,
              run: () => verifyConsistency(size1, size2, proof, root1, flipBit(root2, b2)),
            },
            {
              what: 'proof plus one hash',
              run: () => verifyConsistency(size1, size2, [...proof, root2], root1, root2),
            },
            {
              what: 'proof minus its last hash',
              run: () => verifyConsistency(size1, size2, proof.slice(0, -1), root1, root2),
            },
            { what: 'swapped roots', run: () => verifyConsistency(size1, size2, proof, root2, root1) },
          );
          await Promise.all(mutations.map((m) => mustFail(`${label}, ${m.what}`, m.run())));
        }),
      );
    });
  }
});
