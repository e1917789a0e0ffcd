import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { actorOf, type User } from '@accord/core';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { verifyBundle } from '../export/bundle-verifier.ts';
import { seedDemo } from '../node/demo.ts';
import { addMember, createTestNode, describeEachDatabase, type TestNode } from '../testing/harness.ts';
import { testdataPath } from '../testing/testdata.ts';

const JPEG = testdataPath('media', 'exif-samples', 'jpg', 'gps', 'DSCN0010.jpg');
const MiB = 1024 * 1024;

/** Deterministic bytes, made a chunk at a time. */
async function* bytes(total: number, seed: number): AsyncGenerator<Uint8Array> {
  let x = seed * 2654435761 + 1;
  for (let done = 0; done < total; done += 64 * 1024) {
    const out = new Uint8Array(Math.min(64 * 1024, total - done));
    for (let k = 0; k < out.length; k += 1) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[k] = x & 0xff;
    }
    yield out;
  }
}

/**
 * POST /api/v1/cases/{caseId}/exports: the bundle streams as the response and verifies offline;
 * every refusal is JSON sent before any bundle byte; only roles with evidence.export may; a client
 * that goes away midway stops the writer without harming the server.
 */
describeEachDatabase('export API', (create, name) => {
  let n: TestNode;
  let investigator: User;
  let dir = '';
  const tokens = new Map<string, string>();
  const lines: { level: number; msg: string }[] = [];
  let caseId = '';
  let otherCaseId = '';
  const ids: Record<'photo' | 'redacted' | 'note' | 'sealed' | 'elsewhere', string> = {
    photo: '',
    redacted: '',
    note: '',
    sealed: '',
    elsewhere: '',
  };

  before(async () => {
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    n = await createTestNode(create, name, { checkpointIntervalMs: 20, log });
    dir = await mkdtemp(join(tmpdir(), 'accord-export-api-'));
    await seedDemo(n.node);
    const accounts = n.node.accounts;
    for (const [key, username, scopes] of [
      ['investigator', 'demo-investigator', ['read', 'write']],
      ['reader', 'demo-investigator', ['read']],
      ['legal', 'demo-legal', ['read', 'write']],
      ['analyst', 'demo-analyst', ['read', 'write']],
      ['observer', 'demo-observer', ['read', 'write']],
    ] as const) {
      const user = await accounts.findUserByUsername(username);
      if (key === 'investigator') investigator = user;
      tokens.set(key, (await accounts.createToken(user, { name: key, scopes: [...scopes] })).secret);
    }
    const actor = actorOf(investigator);
    caseId = (await n.node.cases.create(actor, { title: 'Grain terminal', leadOrgId: investigator.orgId }))
      .id;
    otherCaseId = (await n.node.cases.create(actor, { title: 'Another case', leadOrgId: investigator.orgId }))
      .id;
    for (const [username, role] of [
      ['demo-legal', 'legal_officer'],
      ['demo-analyst', 'analyst'],
      ['demo-observer', 'observer'],
    ] as const) {
      await addMember(n.node, caseId, await accounts.findUserByUsername(username), role);
    }
    const evidence = n.node.evidence;
    const ingest = async (source: AsyncIterable<Uint8Array>, fileName: string, kase = caseId) =>
      (await evidence.ingest(actor, { caseId: kase, source, fileName }, 'api')).item.id;
    ids.photo = await ingest(Readable.from([await readFile(JPEG)]), 'DSCN0010.jpg');
    ids.redacted = (
      await evidence.derive(
        actor,
        ids.photo,
        { source: Readable.from([Buffer.from('faces blurred')]), kind: 'redacted', fileName: 'blurred.txt' },
        'api',
      )
    ).item.id;
    ids.note = await ingest(bytes(3 * MiB, 1), 'field-notes.bin');
    ids.sealed = await ingest(Readable.from([Buffer.from('withdrawn')]), 'withdrawn.txt');
    await evidence.seal(actor, ids.sealed, 'Withdrawn by the source', 'api');
    ids.elsewhere = await ingest(Readable.from([Buffer.from('other case')]), 'other.txt', otherCaseId);
  });
  after(async () => {
    await n?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const exportCall = (body: unknown, as = 'investigator', kase = caseId) =>
    n.app.app.request(`http://127.0.0.1/api/v1/cases/${kase}/exports`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.get(as)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const save = async (res: Response, file: string): Promise<string> => {
    const path = join(dir, file);
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      createWriteStream(path),
    );
    return path;
  };
  const actions = async (id: string) =>
    (await n.node.evidence.timeline({ operator: true }, id)).map((e) => e.action);
  const logSize = async () => {
    await n.node.custody.flush();
    return (await n.node.custody.state()).size;
  };

  it('streams a bundle that verifies offline, and records "exported" on every item in it', async () => {
    const res = await exportCall({
      recipient: 'Registry of the Court',
      purpose: 'Disclosure to the defence',
      legalBasis: 'Order 2026/17',
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('Content-Type'), 'application/x-tar');
    assert.equal(
      res.headers.get('Content-Disposition'),
      `attachment; filename="${caseId}-2026-03-01.accord.tar"; filename*=UTF-8''${caseId}-2026-03-01.accord.tar`,
    );
    assert.match(res.headers.get('Cache-Control') ?? '', /no-store/);
    const path = await save(res, 'all.accord.tar');
    const report = await verifyBundle(path, { vkey: n.node.logVerifierKey });
    assert.ok(report.ok, JSON.stringify({ problems: report.problems, items: report.items }));
    assert.deepEqual(
      new Set(report.items.map((i) => i.itemId)),
      new Set([ids.photo, ids.redacted, ids.note]),
      'every item of the case but the sealed one',
    );
    assert.equal(report.export?.recipient, 'Registry of the Court');
    assert.equal(report.export?.legalBasis, 'Order 2026/17');
    for (const id of [ids.photo, ids.redacted, ids.note]) {
      const timeline = await n.node.evidence.timeline({ operator: true }, id);
      const last = timeline.at(-1)!;
      assert.equal(last.action, 'exported');
      assert.equal(JSON.parse(Buffer.from(last.event.bytes).toString()).actor.via, 'api');
    }
    assert.ok(!(await actions(ids.sealed)).includes('exported'));
  });

  it('exports only the listed derivatives with derivedOnly; a legal officer may export', async () => {
    const res = await exportCall(
      { itemIds: [ids.redacted], derivedOnly: true, recipient: 'Partner NGO', purpose: 'Joint analysis' },
      'legal',
    );
    assert.equal(res.status, 200);
    const report = await verifyBundle(await save(res, 'derived.accord.tar'), { vkey: n.node.logVerifierKey });
    assert.ok(report.ok, JSON.stringify(report.problems));
    assert.deepEqual(
      report.items.map((i) => [i.itemId, i.kind]),
      [[ids.redacted, 'redacted']],
    );
  });

  it('refuses bad requests with JSON before any bundle byte, and records nothing', async () => {
    const size = await logSize();
    const refusals: [unknown, string, number, RegExp, string?][] = [
      [
        { recipient: 'Court', purpose: 'Trial' },
        '6f1c1f8e-1d2b-4c3a-9e4f-5a6b7c8d9e0f',
        404,
        /there is no case 6f1c1f8e/,
      ],
      [
        { itemIds: [ids.photo, ids.sealed], recipient: 'Court', purpose: 'Trial' },
        caseId,
        409,
        new RegExp(`item ${ids.sealed} is sealed .* and cannot be exported`),
      ],
      [
        { itemIds: [ids.photo], derivedOnly: true, recipient: 'Court', purpose: 'Trial' },
        caseId,
        400,
        new RegExp(`item ${ids.photo} is an original`),
      ],
      [
        { itemIds: [ids.elsewhere], recipient: 'Court', purpose: 'Trial' },
        caseId,
        400,
        /does not belong to case/,
      ],
      [
        { itemIds: ['6f1c1f8e-1d2b-4c3a-9e4f-5a6b7c8d9e0f'], recipient: 'Court', purpose: 'Trial' },
        caseId,
        404,
        /there is no evidence item 6f1c1f8e/,
      ],
      [{ itemIds: ['nope'], recipient: 'Court', purpose: 'Trial' }, caseId, 400, /itemIds\.0/, 'itemIds.0'],
      [{ purpose: 'Trial' }, caseId, 400, /the recipient is required/, 'recipient'],
      [{ recipient: 'Court' }, caseId, 400, /the purpose is required/, 'purpose'],
      [{ recipient: '   ', purpose: 'Trial' }, caseId, 400, /^the recipient is required$/, 'recipient'],
      [{ recipient: 'Court', purpose: '' }, caseId, 400, /^the purpose is required$/, 'purpose'],
      [{ recipient: 'Court', purpose: 'Trial', extra: 1 }, caseId, 400, /extra|unrecognized/i],
    ];
    for (const [body, kase, status, message, field] of refusals) {
      const res = await exportCall(body, 'investigator', kase);
      const text = await res.text();
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${text.slice(0, 300)}`);
      assert.match(res.headers.get('Content-Type') ?? '', /^application\/json/);
      assert.equal(res.headers.get('Content-Disposition'), null);
      const error = (JSON.parse(text) as { error: { code: string; message: string; field?: string } }).error;
      assert.match(error.message, message, JSON.stringify(body));
      if (field) assert.equal(error.field, field);
    }
    // The derivatives-only export of a case with nothing but originals qualifying is refused too.
    const onlyOriginals = await exportCall(
      { derivedOnly: true, recipient: 'Court', purpose: 'Trial' },
      'investigator',
      otherCaseId,
    );
    assert.equal(onlyOriginals.status, 400);
    assert.match((await onlyOriginals.json()).error.message, /nothing to export/);
    assert.equal(await logSize(), size, 'no custody event was recorded');
  });

  it('refuses roles and tokens without evidence.export (403)', async () => {
    const size = await logSize();
    for (const who of ['analyst', 'observer', 'reader']) {
      const res = await exportCall({ recipient: 'Court', purpose: 'Trial' }, who);
      assert.equal(res.status, 403, who);
      assert.equal((await res.json()).error.code, 'forbidden');
    }
    const anonymous = await n.app.app.request(`http://127.0.0.1/api/v1/cases/${caseId}/exports`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"recipient":"Court","purpose":"Trial"}',
    });
    assert.equal(anonymous.status, 401);
    assert.equal(await logSize(), size);
  });

  it('a client that disconnects midway does not harm the server; the export stays recorded', async () => {
    const big = await n.node.evidence.ingest(
      { operator: true },
      { caseId, source: bytes(48 * MiB, 7), fileName: 'drone-footage.bin' },
      'cli',
    );
    const server = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: n.app.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server));
    });
    try {
      const port = (server.address() as { port: number }).port;
      const received = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: `/api/v1/cases/${caseId}/exports`,
          headers: {
            Authorization: `Bearer ${tokens.get('investigator')}`,
            'Content-Type': 'application/json',
          },
        });
        req.on('error', () => {});
        req.on('response', (res) => {
          if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
          let got = 0;
          res.on('error', () => {});
          res.on('data', (chunk: Buffer) => {
            got += chunk.length;
            // Past the small members, into the items' bytes: then hang up.
            if (got > MiB) {
              req.destroy();
              resolve(got);
            }
          });
        });
        req.end(JSON.stringify({ itemIds: [big.item.id], recipient: 'Court', purpose: 'Trial' }));
      });
      assert.ok(received < 48 * MiB);
      for (let i = 0; !lines.some((l) => /cut off by the client/.test(l.msg)); i += 1) {
        assert.ok(i < 400, 'the bundle writer never stopped');
        await sleep(25);
      }
      assert.deepEqual(
        lines.filter((l) => l.level >= 50),
        [],
        'nothing logged as a server error',
      );
      assert.equal((await actions(big.item.id)).at(-1), 'exported');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(health.status, 200);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('describes the route in openapi.json', async () => {
    const res = await n.app.app.request('http://127.0.0.1/api/v1/openapi.json');
    const spec = (await res.json()) as { paths: Record<string, Record<string, { responses: object }>> };
    const op = spec.paths['/cases/{caseId}/exports']?.post;
    assert.ok(op);
    assert.ok(JSON.stringify(op.responses).includes('application/x-tar'));
  });
});
