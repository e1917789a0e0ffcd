import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, it } from 'node:test';
import type { OrgId } from '@accord/core';
import {
  equalBytes,
  hashLeaf,
  parseVerifierKey,
  rootFromLeafHashes,
  verifyCheckpoint,
} from '@accord/custody';
import { createTestNode, describeEachDatabase, type TestNode } from '../testing/harness.ts';

/**
 * The public custody log as C2SP tlog-tiles serves it: a signed checkpoint that verifies with the
 * published key, hash tiles whose hashes are the leaf hashes of the entries in the entry bundles,
 * and 404 for anything that is not (yet) a tile.
 */
describeEachDatabase('log routes', (create, name) => {
  let n: TestNode;
  const operator = { operator: true } as const;

  before(async () => {
    n = await createTestNode(create, name, { checkpointIntervalMs: 10 });
    const org = await n.node.accounts.createOrganisation(operator, {
      name: 'Log org',
      country: 'UA',
      kind: 'ngo',
    });
    const k = await n.node.cases.create(operator, { title: 'Log case', leadOrgId: org.id as OrgId });
    for (let i = 0; i < 3; i += 1) {
      await n.node.evidence.ingest(
        operator,
        { caseId: k.id, source: Readable.from([Buffer.from(`entry ${i}`)]), fileName: `e${i}.txt` },
        'cli',
      );
    }
    await n.node.custody.flush();
  });
  after(() => n?.close());

  const get = (path: string) => n.app.app.request(`http://127.0.0.1${path}`);

  it('serves a checkpoint that verifies with the key from /log/vkey, without a session', async () => {
    const vkeyRes = await get('/log/vkey');
    assert.equal(vkeyRes.status, 200);
    const vkey = (await vkeyRes.text()).trim();
    const res = await get('/log/checkpoint');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('Content-Type') ?? '', /^text\/plain/);
    const checkpoint = await verifyCheckpoint(await res.text(), [await parseVerifierKey(vkey)]);
    assert.equal(checkpoint.size, 6, 'three items: "collected" and "registered" each');
    assert.equal(checkpoint.origin, n.node.custody.origin);
  });

  it('hash tiles hold the leaf hashes of the entries in the entry bundles, and they make the checkpoint root', async () => {
    const checkpoint = await verifyCheckpoint(await (await get('/log/checkpoint')).text(), [
      await parseVerifierKey(n.node.logVerifierKey),
    ]);
    const w = checkpoint.size;
    const tileRes = await get(`/log/tile/0/000.p/${w}`);
    assert.equal(tileRes.status, 200);
    assert.equal(tileRes.headers.get('Content-Type'), 'application/octet-stream');
    const tile = new Uint8Array(await tileRes.arrayBuffer());
    assert.equal(tile.byteLength, w * 32);

    const bundleRes = await get(`/log/tile/entries/000.p/${w}`);
    assert.equal(bundleRes.status, 200);
    const bundle = new Uint8Array(await bundleRes.arrayBuffer());
    const entries: Uint8Array[] = [];
    for (let at = 0; at < bundle.byteLength; ) {
      const length = (bundle[at]! << 8) | bundle[at + 1]!;
      entries.push(bundle.subarray(at + 2, at + 2 + length));
      at += 2 + length;
    }
    assert.equal(entries.length, w);
    const leafHashes: Uint8Array[] = [];
    for (const [i, entry] of entries.entries()) {
      const leaf = await hashLeaf(entry);
      assert.ok(equalBytes(leaf, tile.subarray(i * 32, (i + 1) * 32)), `leaf ${i}`);
      assert.equal(JSON.parse(new TextDecoder().decode(entry)).type, 'accord.custody-event');
      leafHashes.push(leaf);
    }
    assert.ok(equalBytes(await rootFromLeafHashes(leafHashes), checkpoint.rootHash));
    // A narrower partial tile is a prefix of the wider one.
    const narrow = new Uint8Array(await (await get('/log/tile/0/000.p/2')).arrayBuffer());
    assert.deepEqual(narrow, tile.subarray(0, 64));
  });

  it('answers 404 for paths that are not tiles, or tiles the log does not have yet', async () => {
    for (const path of [
      '/log/tile/0/000', // a full tile of 256: the log is smaller
      '/log/tile/0/000.p/7', // wider than the log
      '/log/tile/0/000.p/0',
      '/log/tile/0/000.p/256',
      '/log/tile/0/001.p/1',
      '/log/tile/1/000.p/1',
      '/log/tile/entries/000',
      '/log/tile/0/abc',
      '/log/tile/0/0',
      '/log/tile/x/000',
      '/log/tile/0/000.p/1/extra',
      '/log/tile/0/%2e%2e/000',
      '/log/tile/',
    ]) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
    }
  });
});
