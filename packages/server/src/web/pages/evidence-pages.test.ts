import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, it } from 'node:test';
import { actorOf } from '@accord/core';
import { DEMO_PASSWORD, seedDemo } from '../../node/demo.ts';
import { TestClient } from '../../testing/client.ts';
import { addMember, createTestNode, describeEachDatabase, type TestNode } from '../../testing/harness.ts';
import { testdataPath } from '../../testing/testdata.ts';

const JPEG = testdataPath('media', 'exif-samples', 'jpg', 'gps', 'DSCN0010.jpg');
const WARC = testdataPath('warc', 'example-digest.warc');

/**
 * The evidence pages without JavaScript: cases, the upload form posted as multipart/form-data and
 * streamed into the vault, the list with filters, the item page (preview grants, downloads,
 * metadata, coordinates, custody timeline) and its forms.
 */
describeEachDatabase('evidence pages', (create, name) => {
  let n: TestNode;
  let investigator: TestClient;
  let caseId = '';
  const items = new Map<string, string>();

  before(async () => {
    n = await createTestNode(create, name, { checkpointIntervalMs: 20 });
    await seedDemo(n.node);
    investigator = new TestClient(n.app.app);
    await investigator.signIn('demo-investigator', DEMO_PASSWORD, () => n.clock.now());
  });
  after(() => n?.close());

  const html = async (res: Response, status = 200): Promise<string> => {
    const text = await res.text();
    assert.equal(res.status, status, text.slice(0, 2000));
    assert.match(res.headers.get('Content-Type') ?? '', /^text\/html/);
    return text;
  };
  const attr = (page: string, re: RegExp): string => {
    const m = re.exec(page);
    assert.ok(m?.[1], `${re} on the page`);
    return m[1].replace(/&amp;/g, '&');
  };
  /** A multipart form as a browser without JavaScript sends it: fields in document order. */
  const form = (fields: [string, string | { name: string; bytes: Uint8Array | string; type?: string }][]) => {
    const data = new FormData();
    for (const [key, value] of fields) {
      if (typeof value === 'string') data.append(key, value);
      else
        data.append(
          key,
          new Blob([value.bytes as BlobPart], { type: value.type ?? 'application/octet-stream' }),
          value.name,
        );
    }
    return data;
  };
  const postMultipart = (client: TestClient, path: string, data: FormData) =>
    client.request(path, { method: 'POST', body: data });
  const timeline = async (id: string) =>
    (await n.node.evidence.timeline({ operator: true }, id)).map((e) => e.action);

  it('opens a case for the evidence (the case pages have their own tests)', async () => {
    const user = await n.node.accounts.findUserByUsername('demo-investigator');
    caseId = (await n.node.cases.create(actorOf(user), { title: 'Attack on the water plant' })).id;
    assert.match(await html(await investigator.get('/cases')), /Attack on the water plant/);
    await addMember(n.node, caseId, await n.node.accounts.findUserByUsername('demo-analyst'), 'analyst');
    const nav = await html(await investigator.get('/'));
    for (const href of ['/cases', '/evidence', '/evidence/upload'])
      assert.match(nav, new RegExp(`href="${href}"`));
  });

  it('the upload page loads its script from the node only; the CSP still forbids inline script', async () => {
    const res = await investigator.get('/evidence/upload');
    const page = await html(res);
    assert.match(page, /<script src="\/assets\/upload\.js" defer><\/script>/);
    assert.doesNotMatch(page, /<script>/, 'no inline script');
    assert.match(page, /<form id="upload-form"[^>]*enctype="multipart\/form-data"/);
    const csp = res.headers.get('Content-Security-Policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe|https?:|\*/);
    const js = await investigator.get('/assets/upload.js');
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('Content-Type'), 'text/javascript; charset=utf-8');
    assert.match(await js.text(), /xhr\.upload\.addEventListener\('progress'/);
  });

  it('uploads several files without JavaScript, streaming each into the vault', async () => {
    const csrf = await investigator.csrf();
    const res = await postMultipart(
      investigator,
      '/evidence/upload',
      form([
        ['_csrf', csrf],
        ['caseId', caseId],
        ['collectedBy', 'Olena Kovalenko'],
        ['collectedAt', '2024-03-01T14:30:00Z'],
        ['sourceUrl', 'https://example.org/post/7'],
        ['method', 'camera original, handed over'],
        ['location', ''],
        ['note', 'Received in person'],
        ['files', { name: 'DSCN0010.jpg', bytes: await readFile(JPEG), type: 'image/jpeg' }],
        [
          'files',
          { name: 'page.html', bytes: '<!doctype html><p>x</p><script>alert(1)</script>', type: 'text/html' },
        ],
        ['files', { name: 'capture.warc', bytes: await readFile(WARC) }],
        ['files', { name: '', bytes: '' }],
      ]),
    );
    const page = await html(res);
    const outcomes = [
      ...page.matchAll(
        /<li data-outcome="(\w+)"><span class="file-name">([^<]+)<\/span>.*?href="\/evidence\/([0-9a-f-]{36})"/g,
      ),
    ];
    assert.deepEqual(
      outcomes.map((m) => [m[1], m[2]]),
      [
        ['created', 'DSCN0010.jpg'],
        ['created', 'page.html'],
        ['created', 'capture.warc'],
      ],
    );
    for (const m of outcomes) items.set(m[2]!, m[3]!);
    const again = await html(
      await postMultipart(
        investigator,
        '/evidence/upload',
        form([
          ['_csrf', csrf],
          ['caseId', caseId],
          ['files', { name: 'again.jpg', bytes: await readFile(JPEG) }],
          ['files', { name: 'bad/name.txt', bytes: 'x' }],
        ]),
      ),
    );
    assert.match(
      again,
      /data-outcome="present"><span class="file-name">again\.jpg<\/span>.*already in this case/,
    );
    assert.match(
      again,
      /data-outcome="error"><span class="file-name">bad\/name\.txt<\/span>.*A file name must not contain \/ or \\\./,
    );
    assert.deepEqual((await timeline(items.get('DSCN0010.jpg')!)).filter((a) => a === 'collected').length, 2);
  });

  it('refuses a streamed form whose first field is not the CSRF token, before storing anything', async () => {
    const size = (await n.node.custody.state()).size;
    const csrf = await investigator.csrf();
    for (const fields of [
      [
        ['caseId', caseId],
        ['_csrf', csrf],
      ],
      [['_csrf', 'wrong-token']],
      [],
    ] as [string, string][][]) {
      const data = form([...fields, ['files', { name: 'sneaky.txt', bytes: 'forged' }]]);
      const page = await html(await postMultipart(investigator, '/evidence/upload', data), 403);
      assert.match(page, /This form has expired/);
    }
    assert.equal((await n.node.custody.state()).size, size);
    // An unknown case is refused before any file is stored.
    const missing = await html(
      await postMultipart(
        investigator,
        '/evidence/upload',
        form([
          ['_csrf', csrf],
          ['caseId', '0b0e8c52-6d1e-4f53-9a2e-3f4a1c9d7e10'],
          ['files', { name: 'x.txt', bytes: 'x' }],
        ]),
      ),
      404,
    );
    assert.match(missing, /role="alert"/);
    assert.equal((await n.node.custody.state()).size, size);
  });

  it('reads a refused form to its end, so that a browser gets the answer rather than a reset', async () => {
    const csrf = await investigator.csrf();
    const encoded = new Request('http://x/', {
      method: 'POST',
      body: form([
        ['_csrf', csrf],
        ['caseId', '0b0e8c52-6d1e-4f53-9a2e-3f4a1c9d7e10'],
        ['files', { name: 'big.bin', bytes: new Uint8Array(3 * 1024 * 1024) }],
      ]),
    });
    const type = encoded.headers.get('Content-Type')!;
    const bytes = new Uint8Array(await encoded.arrayBuffer());
    let at = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (at >= bytes.length) return controller.close();
          controller.enqueue(bytes.slice(at, at + 64 * 1024));
          at += 64 * 1024;
        },
      },
      { highWaterMark: 0 },
    );
    const res = await investigator.request('/evidence/upload', {
      method: 'POST',
      headers: { 'Content-Type': type },
      body,
      duplex: 'half',
    } as RequestInit);
    await html(res, 404);
    assert.ok(at >= bytes.length, `read ${at} of ${bytes.length} bytes`);
  });

  it('shows an image with its metadata, coordinates and timeline; previews record no downloads', async () => {
    const id = items.get('DSCN0010.jpg')!;
    await n.node.custody.flush();
    const page = await html(await investigator.get(`/evidence/${id}`));
    assert.match(page, /43\.4674483° N, 11\.8851267° E/);
    assert.match(page, /value="geo:43\.4674483,11\.8851267"/);
    assert.match(page, /NIKON COOLPIX P6000/);
    assert.match(page, /640 × 480/);
    assert.match(page, /2008:10:22 16:28:39/);
    assert.match(page, /Olena Kovalenko/);
    assert.match(page, /<code>https:\/\/example\.org\/post\/7<\/code>/);
    const rows = [...page.matchAll(/<tr data-event="[^"]+" data-action="(\w+)">(.*?)<\/tr>/gs)];
    const collected = rows.filter((r) => r[1] === 'collected');
    assert.equal(collected.length, 2);
    for (const r of collected) assert.match(r[2]!, /data-log="verified">verified in log</);
    // The view this page load recorded is listed too (pending, or verified if a checkpoint came first).
    assert.match(rows.at(-1)![0], /data-action="viewed".*data-log="(pending|verified)"/s);
    assert.doesNotMatch(page, /<script>/);

    const src = attr(page, /<img src="([^"]+)"/);
    assert.match(src, new RegExp(`^/evidence/${id}/content\\?preview=\\d+\\.[\\w-]{43}$`));
    const before = await timeline(id);
    const preview = await investigator.get(src);
    assert.equal(preview.status, 200);
    assert.equal(preview.headers.get('Content-Type'), 'image/jpeg');
    assert.match(preview.headers.get('Content-Disposition') ?? '', /^inline; filename="DSCN0010\.jpg"/);
    assert.match(preview.headers.get('Content-Security-Policy') ?? '', /^sandbox;/);
    await preview.arrayBuffer();
    const ranged = await investigator.get(src, { Range: 'bytes=0-9' });
    assert.equal(ranged.status, 206);
    assert.equal((await ranged.arrayBuffer()).byteLength, 10);
    assert.deepEqual(await timeline(id), before, 'previews are covered by the page view');

    assert.equal((await investigator.get(`/evidence/${id}/content`)).status, 403);
    assert.equal((await investigator.get(`/evidence/${id}/content?preview=1.abc`)).status, 403);
    const otherItem = items.get('page.html')!;
    assert.equal((await investigator.get(src.replace(id, otherItem))).status, 403, 'a grant is for one item');
    const stranger = new TestClient(n.app.app);
    await stranger.signIn('demo-analyst', DEMO_PASSWORD, () => n.clock.now());
    assert.equal((await stranger.get(src)).status, 403, 'a grant is for one session');

    const download = await investigator.get(`/evidence/${id}/content?download=1`);
    assert.equal(download.status, 200);
    assert.match(download.headers.get('Content-Disposition') ?? '', /^attachment; filename="DSCN0010\.jpg"/);
    await download.arrayBuffer();
    const events = await n.node.evidence.timeline({ operator: true }, id);
    const last = events.at(-1)!;
    assert.equal(last.action, 'downloaded');
    assert.equal(JSON.parse(Buffer.from(last.event.bytes).toString()).actor.via, 'web');
  });

  it('shows text escaped in a <pre>, and WARC records with their digest status and problems', async () => {
    const text = await html(await investigator.get(`/evidence/${items.get('page.html')!}`));
    assert.match(
      text,
      /<pre class="text-preview" data-text-preview>&lt;!doctype html&gt;&lt;p&gt;x&lt;\/p&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/pre>/,
    );
    const warc = await html(await investigator.get(`/evidence/${items.get('capture.warc')!}`));
    assert.match(warc, /Web archive \(WARC\) records/);
    assert.match(warc, /<td>request<\/td>/);
    assert.match(warc, /badge badge-ok">matches/);
    // This sample's first record has a wrong payload digest: flagged at the top of the page and in the table.
    assert.match(warc, /badge badge-failed">DOES NOT MATCH/);
    assert.match(warc, /data-problems>.*WARC payload digest mismatch in record 1/s);
  });

  it('blurs sensitive content until the reader selects it, without script', async () => {
    const csrf = await investigator.csrf();
    const page = await html(
      await postMultipart(
        investigator,
        '/evidence/upload',
        form([
          ['_csrf', csrf],
          ['caseId', caseId],
          ['sensitive', 'on'],
          ['location', '50.4501,30.5234'],
          [
            'files',
            { name: 'sensitive.jpg', bytes: Buffer.concat([await readFile(JPEG), Buffer.from([0])]) },
          ],
        ]),
      ),
    );
    const id = attr(page, /data-outcome="created">.*?href="\/evidence\/([0-9a-f-]{36})"/);
    items.set('sensitive.jpg', id);
    const item = await html(await investigator.get(`/evidence/${id}`));
    assert.match(
      item,
      new RegExp(
        `<div class="preview sensitive" data-sensitive>\\s*<input type="checkbox" id="reveal-${id}" class="reveal visually-hidden">\\s*<div class="veiled"><img`,
      ),
    );
    assert.match(
      item,
      new RegExp(`<label for="reveal-${id}" class="cover">Sensitive content\\. Select to show it\\.</label>`),
    );
    // The collector's location wins over the camera's.
    assert.match(item, /50\.4501° N, 30\.5234° E/);
  });

  it('lists evidence with filters and refuses bad ones in the reader’s language', async () => {
    const images = await html(await investigator.get(`/evidence?caseId=${caseId}&type=image`));
    const rows = [...images.matchAll(/<tr data-item="([0-9a-f-]{36})">/g)].map((m) => m[1]);
    assert.deepEqual(new Set(rows), new Set([items.get('DSCN0010.jpg'), items.get('sensitive.jpg')]));
    assert.match(images, /<option value="image" selected>/);
    const located = await html(await investigator.get(`/evidence?caseId=${caseId}&hasLocation=false`));
    assert.equal([...located.matchAll(/<tr data-item=/g)].length, 2);
    const bad = await html(await investigator.get('/evidence?from=yesterday'), 400);
    assert.match(bad, /Give the time as an ISO 8601 date or time/);
  });

  it('edits, derives, seals; after sealing, deriving is refused with a clear message', async () => {
    const id = items.get('page.html')!;
    const edited = await html(
      await investigator.postForm(`/evidence/${id}/metadata`, {
        title: 'Page of the unit',
        description: 'saved copy',
      }),
    );
    assert.match(edited, /The change was recorded\./);
    assert.match(edited, /<h1>Page of the unit<\/h1>/);
    const csrf = await investigator.csrf();
    const derived = await html(
      await postMultipart(
        investigator,
        `/evidence/${id}/derive`,
        form([
          ['_csrf', csrf],
          ['kind', 'translation'],
          ['title', ''],
          ['note', 'into English'],
          ['file', { name: 'page.en.txt', bytes: 'Page of the unit (translated)' }],
        ]),
      ),
    );
    assert.match(derived, /The derived item “translation of Page of the unit” was stored\./);
    assert.match(derived, /<li><a href="\/evidence\/[0-9a-f-]{36}">translation of Page of the unit<\/a>/);

    const sealed = await html(
      await investigator.postForm(`/evidence/${id}/seal`, { reason: 'Filed with the court' }),
    );
    assert.match(sealed, /The item was sealed\./);
    assert.match(sealed, /Sealed on .*: Filed with the court/);
    assert.doesNotMatch(sealed, /action="\/evidence\/[^"]+\/derive"/, 'no derive form on a sealed item');
    const refused = await html(
      await postMultipart(
        investigator,
        `/evidence/${id}/derive`,
        form([
          ['_csrf', csrf],
          ['kind', 'excerpt'],
          ['file', { name: 'excerpt.txt', bytes: 'part' }],
        ]),
      ),
      409,
    );
    assert.match(refused, /This item is sealed: nothing can be derived from it/);
    const actions = await timeline(id);
    assert.deepEqual(
      actions.filter((a) => a !== 'viewed' && a !== 'downloaded'),
      ['collected', 'registered', 'metadata_edited', 'derived', 'sealed'],
    );
  });

  it('checks integrity on request and transfers custody', async () => {
    const id = items.get('DSCN0010.jpg')!;
    const verified = await html(await investigator.postForm(`/evidence/${id}/verify`, {}));
    assert.match(verified, /The stored bytes and every event check out\./);
    const orgs = await n.node.accounts.listOrganisations({ operator: true });
    const police = orgs.find((o) => o.kind === 'police')!;
    const moved = await html(
      await investigator.postForm(`/evidence/${id}/transfer`, { toOrgId: police.id, note: 'for analysis' }),
    );
    assert.match(moved, /Custody was transferred\./);
    assert.match(moved, new RegExp(`<dt>Held by</dt><dd>${police.name.replace(/[()]/g, '\\$&')}</dd>`));
  });

  it('uploads into a compartment of the case; members outside it cannot find the item', async () => {
    const operator = { operator: true } as const;
    const me = await n.node.accounts.findUserByUsername('demo-investigator');
    // Inside: from the lead organisation. Outside: from a partner whose agreement grants originals.
    const inside = await n.node.accounts.findUserByUsername('demo-advocate');
    const outside = await n.node.accounts.findUserByUsername('demo-legal');
    await addMember(n.node, caseId, inside, 'survivor_advocate');
    await addMember(n.node, caseId, outside, 'investigator', ['originals', 'derivatives']);
    const insiders = await n.node.cases.createCompartment(actorOf(me), caseId, {
      name: 'Insiders',
      members: [inside.id],
    });
    // A compartment of this case the uploader is not named in, and one of another case.
    const notMine = await n.node.cases.createCompartment(operator, caseId, {
      name: 'Analysts only',
      members: [inside.id],
    });
    const demo = (await n.node.cases.list(operator)).find((k) => k.title.startsWith('Shelling'))!;
    const elsewhere = (await n.node.cases.compartments(operator, demo.id))[0]!;

    const page = await html(await investigator.get('/evidence/upload'));
    assert.match(
      page,
      new RegExp(
        `<select id="u-compartment" name="compartmentId" aria-describedby="u-compartment-help"><option value="">General area of the case \\(no compartment\\)</option><option value="${insiders.id}">Attack on the water plant — Insiders</option></select>`,
      ),
      'only compartments the uploader is in',
    );
    assert.ok(
      page.indexOf('name="compartmentId"') < page.indexOf('name="files"'),
      'sent before the files, so it is known before the first byte is stored',
    );
    // The script sends the chosen compartment too (in the upload URL's query).
    assert.match(page, /<script src="\/assets\/upload\.js" defer><\/script>/);

    const csrf = await investigator.csrf();
    const upload = (compartmentId: string, name: string, bytes: string) =>
      postMultipart(
        investigator,
        '/evidence/upload',
        form([
          ['_csrf', csrf],
          ['caseId', caseId],
          ['compartmentId', compartmentId],
          ['files', { name, bytes }],
        ]),
      );
    const size = (await n.node.custody.state()).size;
    for (const k of [elsewhere.id, notMine.id]) {
      const refused = await html(await upload(k, 'w.txt', 'Statement of a protected witness'), 404);
      assert.match(
        refused,
        /role="alert">This compartment is not part of the chosen case, or you are not one of its members\.<\/div>/,
      );
    }
    assert.equal((await n.node.custody.state()).size, size, 'nothing was stored');

    const done = await html(await upload(insiders.id, 'insider.txt', 'Statement of an insider'));
    const id = attr(done, /data-outcome="created">.*?href="\/evidence\/([0-9a-f-]{36})"/);
    assert.match(done, new RegExp(`<option value="${insiders.id}" selected>`), 'the next files go there too');
    await assert.rejects(n.node.evidence.get(actorOf(outside), id), { code: 'not_found' });
    assert.equal((await n.node.evidence.get(actorOf(outside), items.get('DSCN0010.jpg')!)).caseId, caseId);
    assert.equal((await n.node.evidence.get(actorOf(inside), id)).id, id);
    assert.equal((await n.node.evidence.get(actorOf(me), id)).id, id);
    const general = attr(
      await html(await upload('', 'everyone.txt', 'For the whole case')),
      /data-outcome="created">.*?href="\/evidence\/([0-9a-f-]{36})"/,
    );
    assert.equal((await n.node.evidence.get(actorOf(outside), general)).id, general);
  });
});
