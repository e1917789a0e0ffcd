import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { request as httpRequest, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OrgId, User } from '@accord/core';
import { fromBase64, hashLeaf, parseVerifierKey, verifyCheckpoint, verifyInclusion } from '@accord/custody';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { seedDemo } from '../node/demo.ts';
import { addMember, createTestNode, describeEachDatabase, type TestNode } from '../testing/harness.ts';
import { testdataPath } from '../testing/testdata.ts';

const JPEG = testdataPath('media', 'exif-samples', 'jpg', 'gps', 'DSCN0010.jpg');
const MiB = 1024 * 1024;

type Json = Record<string, unknown>;
type Item = {
  id: string;
  caseId: string;
  sha256: string;
  size: number;
  mediaType: string;
  title: string;
} & Json;
type Ingest = {
  created: boolean;
  blobCreated: boolean;
  item: Item;
  events: { id: string; action: string }[];
};
type Event = {
  id: string;
  action: string;
  details: Json;
  inLog: { state: string };
  entry: string;
  leafIndex: number;
};

/** Deterministic pseudo-random bytes, made chunk by chunk (never the whole file in memory). */
const chunkOf = (i: number, size: number): Uint8Array => {
  const out = new Uint8Array(size);
  let x = (i + 1) * 2654435761;
  for (let k = 0; k < size; k += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[k] = x & 0xff;
  }
  return out;
};

/**
 * The evidence API end to end through the real app, domain, vault and database: streaming uploads
 * of any size, deduplication, refusals before the body is read, ranges, custody events, sealing,
 * derivation, links, proofs, and an upload cut off on a real socket.
 */
describeEachDatabase('evidence API', (create, name) => {
  let n: TestNode;
  let investigator: User;
  let token = '';
  let readerToken = '';
  let caseId = '';
  let jpeg: Ingest;
  /** What the node logged at level error: a client that goes away is not a server error. */
  const errors: string[] = [];

  before(async () => {
    const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });
    n = await createTestNode(create, name, { checkpointIntervalMs: 20, log });
    await seedDemo(n.node);
    investigator = await n.node.accounts.findUserByUsername('demo-investigator');
    token = (await n.node.accounts.createToken(investigator, { name: 'test', scopes: ['read', 'write'] }))
      .secret;
    const analyst = await n.node.accounts.findUserByUsername('demo-analyst');
    readerToken = (await n.node.accounts.createToken(analyst, { name: 'reader', scopes: ['read'] })).secret;
  });
  after(() => n?.close());

  const call = (path: string, init: RequestInit & { as?: string } = {}) => {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${init.as ?? token}`);
    return n.app.app.request(`http://127.0.0.1${path}`, { ...init, headers, duplex: 'half' } as RequestInit);
  };
  const postJson = (path: string, body: unknown) =>
    call(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const upload = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
    call(path, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream', ...headers }, body });
  const json = async <T = Json>(res: Response, status: number): Promise<T> => {
    const text = await res.text();
    assert.equal(res.status, status, text);
    return JSON.parse(text) as T;
  };
  const events = async (id: string) => json<Event[]>(await call(`/api/v1/evidence/${id}/events`), 200);
  /** A body that counts how often it was read from: 0 means the server refused before reading. */
  const watchedBody = () => {
    const state = { pulls: 0 };
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          state.pulls += 1;
          controller.enqueue(new Uint8Array(1024));
          if (state.pulls > 4) controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    return { body, state };
  };
  const tmpDir = () => join(n.node.blobs.root, 'tmp');

  it('opens a case through the API', async () => {
    const created = await json<{ id: string; title: string; leadOrgId: string }>(
      await postJson('/api/v1/cases', { title: 'Strikes on the grain terminal' }),
      201,
    );
    assert.equal(created.leadOrgId, investigator.orgId);
    caseId = created.id;
    await addMember(n.node, caseId, await n.node.accounts.findUserByUsername('demo-analyst'), 'analyst');
    const list = await json<{ id: string }[]>(await call('/api/v1/cases'), 200);
    assert.ok(list.some((k) => k.id === caseId));
    // Opening cases needs the write scope.
    assert.equal((await call('/api/v1/cases', { method: 'POST', as: readerToken, body: '{}' })).status, 403);
  });

  it('uploads a file with its capture record from query parameters and X-Accord-* headers', async () => {
    const bytes = await readFile(JPEG);
    jpeg = await json<Ingest>(
      await upload(
        `/api/v1/cases/${caseId}/evidence?fileName=DSCN0010.jpg&method=${encodeURIComponent('phone camera')}&sensitive=false`,
        bytes,
        {
          'X-Accord-Collected-By': encodeURIComponent('Олена К.'),
          'X-Accord-Collected-At': '2008-10-22T16:28:39Z',
          'X-Accord-Source-Url': encodeURIComponent('https://example.org/post/1'),
          'X-Accord-Note': encodeURIComponent('handed over on a USB stick'),
        },
      ),
      201,
    );
    assert.equal(jpeg.created, true);
    assert.equal(jpeg.item.mediaType, 'image/jpeg');
    assert.equal(jpeg.item.size, bytes.length);
    assert.equal(jpeg.item.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(jpeg.item.title, 'DSCN0010.jpg');
    assert.ok(Math.abs((jpeg.item.latitude as number) - 43.4674483) < 1e-6, 'GPS from EXIF');
    assert.deepEqual(
      jpeg.events.map((e) => e.action),
      ['collected', 'registered'],
    );
    const detail = await json<{ collections: Json[] }>(await call(`/api/v1/evidence/${jpeg.item.id}`), 200);
    assert.equal(detail.collections.length, 1);
    assert.equal(detail.collections[0]!.collectedBy, 'Олена К.');
    assert.equal(detail.collections[0]!.method, 'phone camera');
    assert.equal(detail.collections[0]!.sourceUrl, 'https://example.org/post/1');
    assert.equal(detail.collections[0]!.fileName, 'DSCN0010.jpg');
  });

  it('the same bytes twice make one item with two "collected" events', async () => {
    const again = await json<Ingest>(
      await upload(`/api/v1/cases/${caseId}/evidence?fileName=copy.jpg`, await readFile(JPEG)),
      200,
    );
    assert.equal(again.created, false);
    assert.equal(again.blobCreated, false);
    assert.equal(again.item.id, jpeg.item.id);
    assert.deepEqual(
      again.events.map((e) => e.action),
      ['collected'],
    );
    const timeline = await events(jpeg.item.id);
    assert.equal(timeline.filter((e) => e.action === 'collected').length, 2);
    assert.equal(timeline.filter((e) => e.action === 'registered').length, 1);
  });

  it('streams a 20 MiB upload past the 64 KiB body limit and serves it back, whole and in ranges', async () => {
    const total = 20 * MiB;
    const chunk = 256 * 1024;
    const hash = createHash('sha256');
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i * chunk >= total) return controller.close();
        const bytes = chunkOf(i, chunk);
        hash.update(bytes);
        i += 1;
        controller.enqueue(bytes);
      },
    });
    const big = await json<Ingest>(
      await upload(`/api/v1/cases/${caseId}/evidence?fileName=big.bin`, body),
      201,
    );
    assert.equal(big.item.size, total);
    const sha = hash.digest('hex');
    assert.equal(big.item.sha256, sha);

    const whole = await call(`/api/v1/evidence/${big.item.id}/content`);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('Content-Length'), String(total));
    assert.equal(whole.headers.get('Accept-Ranges'), 'bytes');
    assert.equal(whole.headers.get('Content-Type'), 'application/octet-stream');
    assert.match(whole.headers.get('Content-Disposition') ?? '', /^attachment; filename="big\.bin"/);
    const back = createHash('sha256');
    for await (const piece of whole.body as unknown as AsyncIterable<Uint8Array>) back.update(piece);
    assert.equal(back.digest('hex'), sha);

    const expected = chunkOf(0, chunk);
    const part = await call(`/api/v1/evidence/${big.item.id}/content`, {
      headers: { Range: 'bytes=100-199' },
    });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('Content-Range'), `bytes 100-199/${total}`);
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), expected.subarray(100, 200));
    const suffix = await call(`/api/v1/evidence/${big.item.id}/content`, { headers: { Range: 'bytes=-10' } });
    assert.equal(suffix.status, 206);
    assert.equal(suffix.headers.get('Content-Range'), `bytes ${total - 10}-${total - 1}/${total}`);
    assert.equal((await suffix.arrayBuffer()).byteLength, 10);
    for (const range of [`bytes=${total}-`, 'bytes=5-2', 'bytes=0-1,5-6', 'bytes=-0']) {
      const refused = await call(`/api/v1/evidence/${big.item.id}/content`, { headers: { Range: range } });
      assert.equal(refused.status, 416, range);
      assert.equal(refused.headers.get('Content-Range'), `bytes */${total}`);
      assert.equal(
        (await json<{ error: { code: string } }>(refused, 416)).error.code,
        'range_not_satisfiable',
      );
    }
    const downloads = (await events(big.item.id)).filter((e) => e.action === 'downloaded');
    assert.equal(downloads.length, 3, 'one event per served download, none for refused ranges');
    assert.deepEqual(downloads[1]!.details, { start: 100, end: 200 });
  });

  it('refuses an unknown case with 404 before reading the body', async () => {
    const { body, state } = watchedBody();
    const res = await upload(`/api/v1/cases/0b0e8c52-6d1e-4f53-9a2e-3f4a1c9d7e10/evidence`, body);
    const error = await json<{ error: { code: string } }>(res, 404);
    assert.equal(error.error.code, 'not_found');
    assert.equal(state.pulls, 0);
  });

  it('refuses a file name with a path separator with 400 and the domain message, before reading the body', async () => {
    for (const fileName of ['../etc/passwd', 'a\\b.jpg']) {
      const { body, state } = watchedBody();
      const res = await upload(
        `/api/v1/cases/${caseId}/evidence?fileName=${encodeURIComponent(fileName)}`,
        body,
      );
      const error = await json<{ error: { code: string; message: string; field: string } }>(res, 400);
      assert.equal(error.error.message, 'the file name must not contain path separators (/ or \\)');
      assert.equal(error.error.field, 'fileName');
      assert.equal(state.pulls, 0);
    }
    const bad = await upload(`/api/v1/cases/${caseId}/evidence?location=north`, new Uint8Array([1, 2, 3]));
    assert.equal((await json<{ error: { field: string } }>(bad, 400)).error.field, 'location');
  });

  it('records views and downloads; readers may read but not upload', async () => {
    const before = await events(jpeg.item.id);
    await json(await call(`/api/v1/evidence/${jpeg.item.id}`, { as: readerToken }), 200);
    const content = await call(`/api/v1/evidence/${jpeg.item.id}/content`, { as: readerToken });
    assert.equal(content.status, 200);
    assert.equal(content.headers.get('Content-Type'), 'image/jpeg');
    assert.equal(content.headers.get('X-Content-Type-Options'), 'nosniff');
    assert.match(content.headers.get('Content-Security-Policy') ?? '', /^sandbox;/);
    assert.equal(content.headers.get('ETag'), `"sha256-${jpeg.item.sha256}"`);
    await content.arrayBuffer();
    const after = await events(jpeg.item.id);
    assert.deepEqual(
      after.slice(before.length).map((e) => [e.action, JSON.parse(e.entry).actor.via]),
      [
        ['viewed', 'api'],
        ['downloaded', 'api'],
      ],
    );
    const refused = await call(`/api/v1/cases/${caseId}/evidence`, {
      method: 'POST',
      as: readerToken,
      body: new Uint8Array([1]),
    });
    assert.equal(refused.status, 403);
  });

  it('never serves uploaded HTML or SVG as something a browser would run', async () => {
    const page = await json<Ingest>(
      await upload(
        `/api/v1/cases/${caseId}/evidence?fileName=page.html`,
        '<!doctype html><script>alert(1)</script>',
      ),
      201,
    );
    assert.equal(page.item.mediaType, 'text/html');
    const svg = await json<Ingest>(
      await upload(
        `/api/v1/cases/${caseId}/evidence?fileName=x.svg`,
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
      ),
      201,
    );
    // The sniffer calls the SVG text; either way it is never served as markup or script.
    assert.notEqual(svg.item.mediaType, 'image/svg+xml');
    for (const item of [page.item, svg.item]) {
      const res = await call(`/api/v1/evidence/${item.id}/content`);
      assert.equal(res.status, 200);
      const type = res.headers.get('Content-Type') ?? '';
      assert.ok(
        ['application/octet-stream', 'text/plain; charset=utf-8'].includes(type),
        `${item.mediaType} → ${type}`,
      );
      if (item.mediaType === 'text/html') assert.equal(type, 'application/octet-stream');
      assert.equal(res.headers.get('X-Content-Type-Options'), 'nosniff');
      assert.match(res.headers.get('Content-Disposition') ?? '', /^attachment;/);
      await res.arrayBuffer();
    }
  });

  it('lists with filters and paging', async () => {
    type Page = { items: Item[]; total: number; limit: number; offset: number };
    const all = await json<Page>(await call(`/api/v1/evidence?caseId=${caseId}`), 200);
    assert.equal(all.total, 4);
    const images = await json<Page>(await call(`/api/v1/evidence?caseId=${caseId}&type=image`), 200);
    assert.deepEqual(
      images.items.map((i) => i.id),
      [jpeg.item.id],
    );
    const others = await json<Page>(await call(`/api/v1/evidence?caseId=${caseId}&type=other`), 200);
    assert.equal(others.total, 1, 'the 20 MiB binary');
    const texts = await json<Page>(await call(`/api/v1/evidence?caseId=${caseId}&type=text`), 200);
    assert.equal(texts.total, 2);
    const located = await json<Page>(await call(`/api/v1/evidence?caseId=${caseId}&hasLocation=true`), 200);
    assert.deepEqual(
      located.items.map((i) => i.id),
      [jpeg.item.id],
    );
    // The JPEG's capture time is 2008; the others were received "now" (2026 on the test clock).
    const old = await json<Page>(
      await call(`/api/v1/evidence?caseId=${caseId}&from=2008-10-22&to=2008-10-22`),
      200,
    );
    assert.deepEqual(
      old.items.map((i) => i.id),
      [jpeg.item.id],
    );
    const paged = await json<Page>(await call(`/api/v1/evidence?caseId=${caseId}&limit=3&offset=3`), 200);
    assert.equal(paged.items.length, 1);
    assert.equal(paged.total, 4);
    const bad = await call('/api/v1/evidence?type=spreadsheet');
    assert.equal(bad.status, 400);
  });

  it('edits, transfers, derives, links, verifies; after sealing, deriving is refused before the body is read', async () => {
    const id = jpeg.item.id;
    const edited = await json<Item>(
      await postJson(`/api/v1/evidence/${id}/metadata`, { title: 'Terminal, east side', sensitive: true }),
      200,
    );
    assert.equal(edited.title, 'Terminal, east side');
    assert.equal(edited.sensitive, true);

    const orgs = await n.node.accounts.listOrganisations({ operator: true });
    const other = orgs.find((o) => o.id !== investigator.orgId)!;
    const moved = await json<Item>(
      await postJson(`/api/v1/evidence/${id}/transfer`, { toOrgId: other.id, note: 'for analysis' }),
      200,
    );
    assert.equal(moved.holderOrgId, other.id);

    const derived = await json<Ingest>(
      await upload(`/api/v1/evidence/${id}/derive?kind=redacted&fileName=redacted.txt`, 'faces blurred'),
      201,
    );
    assert.equal(derived.item.kind, 'redacted');
    assert.equal(derived.item.derivedFrom, id);

    const second = await n.node.cases.create(
      { operator: true },
      { title: 'Second case', leadOrgId: investigator.orgId as OrgId, leadUserId: investigator.id },
    );
    const linked = await json<Item>(
      await postJson(`/api/v1/evidence/${id}/link`, { caseId: second.id }),
      201,
    );
    assert.equal(linked.caseId, second.id);
    assert.equal(linked.sha256, jpeg.item.sha256);

    const verified = await json<{ ok: boolean; problems: string[] }>(
      await call(`/api/v1/evidence/${id}/verify`, { method: 'POST' }),
      200,
    );
    assert.deepEqual(verified, { ok: true, problems: [] });

    assert.equal((await postJson(`/api/v1/evidence/${id}/seal`, { reason: '' })).status, 400);
    // Only uploads stream past the body limit; everything else keeps it.
    const huge = await postJson(`/api/v1/evidence/${id}/seal`, { reason: 'x'.repeat(70_000) });
    assert.equal((await json<{ error: { code: string } }>(huge, 413)).error.code, 'payload_too_large');
    const sealed = await json<Item>(
      await postJson(`/api/v1/evidence/${id}/seal`, { reason: 'submitted to the court' }),
      200,
    );
    assert.ok(sealed.sealedAt);
    const { body, state } = watchedBody();
    const refused = await upload(`/api/v1/evidence/${id}/derive?kind=excerpt`, body);
    assert.equal((await json<{ error: { code: string } }>(refused, 409)).error.code, 'conflict');
    assert.equal(state.pulls, 0);
    assert.equal((await postJson(`/api/v1/evidence/${id}/seal`, { reason: 'again' })).status, 409);

    const actions = (await events(id)).map((e) => e.action);
    for (const action of [
      'metadata_edited',
      'transferred',
      'derived',
      'linked_to_case',
      'verified',
      'sealed',
    ]) {
      assert.ok(actions.includes(action), action);
    }
  });

  it('events carry their canonical bytes and verify against the checkpoint; proofs check out', async () => {
    await n.node.custody.flush();
    const timeline = await events(jpeg.item.id);
    assert.ok(
      timeline.every((e) => e.inLog.state === 'verified'),
      JSON.stringify(timeline.map((e) => e.inLog)),
    );
    const first = timeline[0]!;
    assert.equal(JSON.parse(first.entry).action, 'collected');

    const proof = await json<{
      leafIndex: number;
      treeSize: number;
      leafHash: string;
      entry: string;
      proof: string[];
      checkpoint: string;
    }>(await call(`/api/v1/log/proof?event=${first.id}`), 200);
    assert.equal(proof.entry, first.entry);
    const leafHash = await hashLeaf(new TextEncoder().encode(proof.entry));
    assert.deepEqual(fromBase64(proof.leafHash), leafHash);
    const checkpoint = await verifyCheckpoint(proof.checkpoint, [
      await parseVerifierKey(n.node.logVerifierKey),
    ]);
    assert.equal(checkpoint.size, proof.treeSize);
    await verifyInclusion(
      proof.leafIndex,
      proof.treeSize,
      leafHash,
      proof.proof.map(fromBase64),
      checkpoint.rootHash,
    );
    assert.equal((await call('/api/v1/log/proof?event=0b0e8c52-6d1e-4f53-9a2e-3f4a1c9d7e10')).status, 404);
    assert.equal((await call('/api/v1/log/proof?event=nope')).status, 400);
  });

  it('an upload cut off midway stores and records nothing, and leaves no temp file', async () => {
    const server = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: n.app.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server));
    });
    try {
      const port = (server.address() as { port: number }).port;
      const logBefore = (await n.node.custody.state()).size;
      const listBefore = (
        await n.node.evidence.list({ operator: true }, { caseId: caseId as never, limit: 500 })
      ).total;
      assert.deepEqual(await readdir(tmpDir()), []);
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/api/v1/cases/${caseId}/evidence?fileName=cut.bin`,
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(50 * MiB),
        },
      });
      req.on('error', () => {});
      // Send until the vault has opened its temp file, then drop the connection.
      let sent = 0;
      for (let i = 0; (await readdir(tmpDir())).length === 0; i += 1) {
        assert.ok(i < 500, 'the upload never reached the vault');
        req.write(chunkOf(i, 64 * 1024));
        sent += 64 * 1024;
        await sleep(5);
      }
      for (let i = 0; i < 8; i += 1) req.write(chunkOf(1000 + i, 64 * 1024));
      req.destroy();
      assert.ok(sent < 50 * MiB);
      for (let i = 0; (await readdir(tmpDir())).length > 0; i += 1) {
        assert.ok(i < 200, 'the temp file was not removed');
        await sleep(25);
      }
      await sleep(50);
      await n.node.custody.flush();
      assert.equal((await n.node.custody.state()).size, logBefore, 'no custody event');
      const listAfter = (
        await n.node.evidence.list({ operator: true }, { caseId: caseId as never, limit: 500 })
      ).total;
      assert.equal(listAfter, listBefore, 'no item');
      assert.deepEqual(errors, [], 'nothing logged as a server error');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('describes the new routes in openapi.json', async () => {
    const spec = await json<{ paths: Record<string, Record<string, unknown>> }>(
      await call('/api/v1/openapi.json'),
      200,
    );
    for (const [path, method] of [
      ['/cases', 'post'],
      ['/cases/{caseId}/evidence', 'post'],
      ['/evidence', 'get'],
      ['/evidence/{id}', 'get'],
      ['/evidence/{id}/content', 'get'],
      ['/evidence/{id}/events', 'get'],
      ['/evidence/{id}/seal', 'post'],
      ['/evidence/{id}/metadata', 'post'],
      ['/evidence/{id}/transfer', 'post'],
      ['/evidence/{id}/derive', 'post'],
      ['/evidence/{id}/link', 'post'],
      ['/evidence/{id}/verify', 'post'],
      ['/log/proof', 'get'],
    ] as const) {
      assert.ok(spec.paths[path]?.[method], `${method} ${path}`);
    }
  });
});
