import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fromHex, toHex, utf8 } from '../bytes.ts';
import { emptyRoot, HASH_SIZE, hashChildren, hashLeaf } from './hash.ts';

// Shared, read-only test vectors live next to the repository (never copied into it).
const testdata = join(import.meta.dirname, '..', '..', '..', '..', '..', 'shared', 'testdata');

type HasherVector = {
  desc: string;
  op: 'emptyRoot' | 'hashLeaf' | 'hashChildren';
  input_utf8?: string;
  left_utf8?: string;
  right_utf8?: string;
  want: string;
};

const reference = JSON.parse(
  readFileSync(join(testdata, 'merkle', 'rfc6962-reference-tree-vectors.json'), 'utf8'),
) as { hasher_vectors: HasherVector[] };

describe('RFC 9162 §2.1.1 hashing: fixed vectors (testdata README §1)', () => {
  it('empty tree is SHA-256 of the empty string', async () => {
    assert.equal(
      toHex(await emptyRoot()),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('hashLeaf("") = SHA-256(0x00)', async () => {
    assert.equal(
      toHex(await hashLeaf(new Uint8Array(0))),
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
  });

  it('hashLeaf("L123456")', async () => {
    assert.equal(
      toHex(await hashLeaf(utf8('L123456'))),
      '395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56',
    );
  });

  it('hashChildren("N123", "N456") over raw bytes, not hashes', async () => {
    assert.equal(
      toHex(await hashChildren(utf8('N123'), utf8('N456'))),
      'aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb',
    );
  });

  it('matches every hasher vector in rfc6962-reference-tree-vectors.json', async () => {
    assert.equal(reference.hasher_vectors.length, 4);
    for (const v of reference.hasher_vectors) {
      let got: Uint8Array;
      if (v.op === 'emptyRoot') got = await emptyRoot();
      else if (v.op === 'hashLeaf') got = await hashLeaf(utf8(v.input_utf8 ?? ''));
      else got = await hashChildren(utf8(v.left_utf8 ?? ''), utf8(v.right_utf8 ?? ''));
      assert.equal(toHex(got), v.want, v.desc);
    }
  });
});

describe('RFC 9162 §2.1.1 hashing: properties', () => {
  it('produces 32-byte digests', async () => {
    assert.equal(HASH_SIZE, 32);
    assert.equal((await emptyRoot()).length, HASH_SIZE);
    assert.equal((await hashLeaf(utf8('x'))).length, HASH_SIZE);
    assert.equal((await hashChildren(new Uint8Array(32), new Uint8Array(32))).length, HASH_SIZE);
  });

  it('separates leaves from interior nodes (second-preimage resistance)', async () => {
    // A leaf whose bytes equal l ‖ r must not hash like the node over l and r.
    const l = await hashLeaf(utf8('a'));
    const r = await hashLeaf(utf8('b'));
    const joined = new Uint8Array([...l, ...r]);
    assert.notEqual(toHex(await hashLeaf(joined)), toHex(await hashChildren(l, r)));
  });

  it('is order-sensitive for children', async () => {
    const l = fromHex('00'.repeat(32));
    const r = fromHex('ff'.repeat(32));
    assert.notEqual(toHex(await hashChildren(l, r)), toHex(await hashChildren(r, l)));
  });

  it('does not modify its inputs', async () => {
    const leaf = utf8('L123456');
    await hashLeaf(leaf);
    assert.deepEqual(leaf, utf8('L123456'));
    const l = utf8('N123');
    const r = utf8('N456');
    await hashChildren(l, r);
    assert.deepEqual([l, r], [utf8('N123'), utf8('N456')]);
  });

  it('returns a fresh empty root each time', async () => {
    const a = await emptyRoot();
    a[0] = 0;
    assert.equal(toHex(await emptyRoot()).slice(0, 2), 'e3');
  });
});
