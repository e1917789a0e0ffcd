import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { actorOf, type CaseId } from '@accord/core';
import type { Browser, Page } from 'playwright-core';
import { legalFixture } from '../../http/legal-fixture.ts';
import { initDataFolder } from '../../node/data-folder.ts';
import { DEMO_PASSWORD, seedDemo } from '../../node/demo.ts';
import { type RunningServer, startServer } from '../../server.ts';
import {
  launchChromium,
  offlinePage,
  SHOTS,
  signInFirstTime,
  startDemoServer,
} from '../../testing/browser.ts';
import { TestClient } from '../../testing/client.ts';
import { createTestNode, describeEachDatabase, type TestNode } from '../../testing/harness.ts';
import { project } from '../map-tiles.ts';
import { mapFrame, pixelToPoint } from './incidents.ts';

/**
 * The incident and proof-matrix pages without JavaScript, on both databases: every form with its
 * error paths, access (non-members and outsiders of a compartment get the same 404 as for
 * something that does not exist), the gap grid under each jurisdiction, the CSV and the printable
 * report, and the analysis section of the item page. Then the same pages in a real Chromium.
 */
const OPERATOR = { operator: true } as const;
const NOWHERE = '0b0e8c52-6d1e-4f53-9a2e-3f4a1c9d7e10';

const html = async (res: Response, status = 200): Promise<string> => {
  const text = await res.text();
  assert.equal(res.status, status, text.slice(0, 3000));
  assert.match(res.headers.get('Content-Type') ?? '', /^text\/html/);
  return text;
};
const redirect = (res: Response, pattern: RegExp): string => {
  assert.equal(res.status, 303, `expected a redirect, got ${res.status}`);
  const to = res.headers.get('Location') ?? '';
  assert.match(to, pattern);
  return to;
};
/** The notice of an error page or form: its text, tags removed. */
const alertOf = (page: string): string => {
  const m = /<div class="notice notice-error" role="alert">(.*?)<\/div>/s.exec(page);
  assert.ok(m, 'an error notice');
  return m[1]!.replace(/&#39;/g, "'").replace(/&quot;/g, '"');
};
const statusOf = (page: string): string => {
  const m = /<div class="notice notice-info" role="status">(.*?)<\/div>/s.exec(page);
  assert.ok(m, 'an info notice');
  return m[1]!;
};
/** One grid row, by element id: its attributes and HTML. */
const rowOf = (page: string, element: string) => {
  const start = page.indexOf(`<tr id="element-${element}"`);
  assert.ok(start >= 0, `row ${element}`);
  const tr = page.slice(start, page.indexOf('</tr>', start));
  const attr = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(tr)?.[1];
  const reasons = [
    ...(/<ul class="reasons">(.*?)<\/ul>/s.exec(tr)?.[1] ?? '').matchAll(/<li>(.*?)<\/li>/g),
  ].map((m) => m[1]!.replace(/&#39;/g, "'"));
  return { html: tr, status: attr('data-status'), gap: attr('data-gap'), cls: attr('class'), reasons };
};
/** No script, no inline style or handlers, nothing from anywhere but the node. */
const selfContained = (page: string) => {
  assert.doesNotMatch(page, /<script/i, 'no script');
  assert.doesNotMatch(page, /\son[a-z]+=/i, 'no inline event handlers');
  assert.doesNotMatch(page, /\sstyle=/i, 'no inline style');
  for (const [, attr, url] of page.matchAll(/\s(href|src|action)="([^"]*)"/g)) {
    assert.ok(
      url!.startsWith('/') || url!.startsWith('#') || url!.startsWith('geo:') || url === 'data:,',
      `${attr}="${url}" is not the node's own`,
    );
  }
};
/** Every state-changing form of a page carries the CSRF field. */
const formsHaveCsrf = (page: string) => {
  const forms = [...page.matchAll(/<form method="post"[^>]*>(.*?)<\/form>/gs)];
  assert.ok(forms.length > 0);
  for (const f of forms) assert.match(f[1]!, /name="_csrf" value="[^"]+"/, f[0].slice(0, 200));
};

// ── picking a place on the incident map ──────────────────────────────────────────────────────

describe('the incident map picker: from a pixel of the map image to coordinates', () => {
  /** The standard slippy-map formulas for a point in tile units (OpenStreetMap wiki). */
  const tileToPoint = (x: number, y: number, zoom: number) => {
    const n = 2 ** zoom;
    return {
      latitude: Number(((Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI).toFixed(7)),
      longitude: Number(((x / n) * 360 - 180).toFixed(7)),
    };
  };

  it('the image centre is the centre of the point’s tile; the image is the middle of the 3 × 3 tiles', () => {
    const [lat, lon, zoom] = [50.0336, 36.3497, 15];
    const { x, y } = project(lat, lon, zoom);
    const [tx, ty] = [Math.floor(x), Math.floor(y)];
    const frame = mapFrame(lat, lon, zoom);
    assert.deepEqual(pixelToPoint(frame, 256, 256), tileToPoint(tx + 0.5, ty + 0.5, zoom));
    // The drawing starts 128 pixels into the grid of 3 × 3 tiles: pixel (128, 128) is the north-west
    // corner of the point's tile, (384, 384) its south-east corner, (0, 0) the middle of the tile
    // north-west of it.
    assert.deepEqual(pixelToPoint(frame, 128, 128), tileToPoint(tx, ty, zoom));
    assert.deepEqual(pixelToPoint(frame, 384, 384), tileToPoint(tx + 1, ty + 1, zoom));
    assert.deepEqual(pixelToPoint(frame, 0, 0), tileToPoint(tx - 0.5, ty - 0.5, zoom));
    // And back: the point of a pixel is drawn on that pixel (to 7 decimal places of a degree).
    for (const [px, py] of [
      [17, 480],
      [300, 200],
      [511, 3],
    ] as const) {
      const point = pixelToPoint(frame, px, py)!;
      const back = project(point.latitude, point.longitude, zoom);
      assert.ok(Math.abs((back.x - frame.left) * 256 - px) < 0.01, `x of (${px}, ${py})`);
      assert.ok(Math.abs((back.y - frame.top) * 256 - py) < 0.01, `y of (${px}, ${py})`);
    }
  });

  it('known points at zoom 1, the antimeridian, the poles, and pixels outside the image', () => {
    // Around (0, 0) at zoom 1 the image shows the middle of the world: its centre is the centre of
    // the south-east quarter, (128, 128) is (0, 0) itself, and (0, 0) is 90° W on the latitude whose
    // Mercator y is a quarter of the world (atan(sinh(π/2)) = 66.5132604°).
    const world = mapFrame(0, 0, 1);
    assert.deepEqual(pixelToPoint(world, 128, 128), { latitude: 0, longitude: 0 });
    assert.deepEqual(pixelToPoint(world, 256, 256), { latitude: -66.5132604, longitude: 90 });
    assert.deepEqual(pixelToPoint(world, 0, 0), { latitude: 66.5132604, longitude: -90 });
    // East of 180° the longitude goes on from 180° W.
    const east = pixelToPoint(mapFrame(0, 179.9, 1), 511, 256)!;
    assert.ok(east.longitude < 0 && east.longitude >= -180, String(east.longitude));
    // North of the projection's edge no tile is drawn and there is no point.
    assert.equal(pixelToPoint(mapFrame(80, 0, 1), 10, 10), undefined);
    for (const [px, py] of [
      [512, 10],
      [10, 512],
      [-1, 10],
      [10, -0.5],
      [Number.NaN, 3],
    ] as const) {
      assert.equal(pixelToPoint(world, px, py), undefined, `(${px}, ${py})`);
    }
  });
});

describeEachDatabase('incident and proof matrix pages', (create, name) => {
  let n: TestNode;
  let tiles: string;
  let caseId = '';
  let protectedCompartment = '';
  const users = new Map<string, string>();
  const clients = new Map<string, TestClient>();
  const items: Record<string, string> = {};
  let suspectId = '';
  let chargeId = '';
  let incidentId = '';
  let hiddenIncident = '';
  const client = (username: string) => clients.get(username)!;
  const actor = async (username: string) =>
    actorOf((await n.node.accounts.listUsers(OPERATOR)).find((u) => u.username === username)!);

  before(async () => {
    tiles = await mkdtemp(join(tmpdir(), 'accord-tiles-'));
    await mkdir(join(tiles, '15'));
    n = await createTestNode(create, name, { legal: legalFixture(), mapTilesDir: tiles });
    await seedDemo(n.node);
    const accounts = n.node.accounts;
    const org = await accounts.createOrganisation(OPERATOR, {
      name: 'Outside NGO',
      country: 'FR',
      kind: 'ngo',
    });
    await accounts.createUser(OPERATOR, {
      orgId: org.id,
      username: 'outsider',
      displayName: 'Out Sider',
      role: 'investigator',
      password: DEMO_PASSWORD,
    });
    for (const u of await accounts.listUsers(OPERATOR)) users.set(u.username, u.id);
    caseId = (await n.node.cases.list(OPERATOR)).find((k) => k.title.startsWith('Shelling'))!.id;
    protectedCompartment = (await n.node.cases.compartments(OPERATOR, caseId))[0]!.id;
    for (const username of [
      'demo-legal',
      'demo-investigator',
      'demo-analyst',
      'demo-advocate',
      'demo-observer',
      'outsider',
    ]) {
      const c = new TestClient(n.app.app, { 'Accept-Language': 'en' });
      await c.signIn(username, DEMO_PASSWORD, () => n.clock.now());
      clients.set(username, c);
    }
    const evidence = n.node.evidence;
    const ingest = async (title: string, text: string, compartmentId?: string) =>
      (
        await evidence.ingest(
          OPERATOR,
          {
            caseId,
            source: Readable.from([Buffer.from(text)]),
            fileName: `${title.replace(/[^A-Za-z0-9]+/g, '-')}.txt`,
            title,
            ...(compartmentId ? { compartmentId } : {}),
          },
          'cli',
        )
      ).item.id;
    items.statement = await ingest('Statement of W-0421', 'I saw the shelling from my window.');
    items.hospital = await ingest('Hospital records, ward 3', 'Admissions on 9 March 2022.');
    items.drone = await ingest('Drone video notes', 'No people visible at 10:15.');
    items.phone = await ingest('+380 phone log', 'Calls at 10:14.');
    items.hidden = await ingest('Protected witness statement', 'Secret.', protectedCompartment);
    items.translation = (
      await evidence.derive(
        OPERATOR,
        items.statement,
        {
          source: Readable.from([Buffer.from('Translated.')]),
          kind: 'translation',
          fileName: 'statement.en.txt',
        },
        'cli',
      )
    ).item.id;
  });
  after(async () => {
    await n?.close();
    await rm(tiles, { recursive: true, force: true });
  });

  // ── incidents ────────────────────────────────────────────────────────────────────────────

  it('lists no incidents at first and offers the form (with its CSRF field) to those who may record', async () => {
    const page = await html(await client('demo-investigator').get(`/cases/${caseId}/incidents`));
    selfContained(page);
    formsHaveCsrf(page);
    assert.match(page, /<h1>Incidents: Shelling of residential districts/);
    assert.match(page, /No incidents have been recorded in this case yet\./);
    assert.match(page, new RegExp(`<form method="post" action="/cases/${caseId}/incidents"`));
    // The investigator is not in the protection compartment: it is not offered to file in.
    assert.doesNotMatch(page, new RegExp(`<option value="${protectedCompartment}"`));
    const legal = await html(await client('demo-legal').get(`/cases/${caseId}/incidents`));
    assert.match(legal, new RegExp(`<option value="${protectedCompartment}">Witness protection</option>`));
    // The survivor advocate reads incidents but records none.
    const advocate = await html(await client('demo-advocate').get(`/cases/${caseId}/incidents`));
    assert.doesNotMatch(advocate, /action="\/cases\/[^"]+\/incidents"/);
  });

  it('refuses bad incidents with the message and keeps what was entered', async () => {
    const c = client('demo-investigator');
    const base = {
      title: 'Shelling of School No. 12',
      occurredFrom: '2022-03-09T10:15:00+02:00',
      place: 'Saltivka, Kharkiv',
      latitude: '50.0336',
      longitude: '36.3497',
      acts: 'Artillery strike on a school\nKilling of civilians',
      victims: 'V-0012\nV-0013',
      sources: 'W-0421 statement; hospital records',
    };
    const byName = await html(
      await c.postForm(`/cases/${caseId}/incidents`, { ...base, victims: 'Jane Doe' }),
      400,
    );
    assert.match(alertOf(byName), /List victims by pseudonym/);
    assert.match(byName, /value="Shelling of School No\. 12"/, 'the title is kept');
    assert.match(byName, /<details class="card" open id="new-incident">/);
    const backwards = await html(
      await c.postForm(`/cases/${caseId}/incidents`, { ...base, occurredTo: '2022-03-08' }),
      400,
    );
    assert.match(alertOf(backwards), /Check the field “Until \(optional\)”\./);
    const lat = await html(await c.postForm(`/cases/${caseId}/incidents`, { ...base, latitude: '91' }), 400);
    assert.match(alertOf(lat), /Check the field “Latitude \(decimal degrees\)”\./);
    const when = await html(
      await c.postForm(`/cases/${caseId}/incidents`, { ...base, occurredFrom: 'yesterday' }),
      400,
    );
    assert.match(alertOf(when), /Check the field “From”\./);
    const forged = await html(await c.postForm(`/cases/${caseId}/incidents`, base, 'forged-token'), 403);
    assert.match(forged, /This form has expired/);
    const alien = await html(
      await c.postForm(`/cases/${caseId}/incidents`, { ...base, compartmentId: protectedCompartment }),
      404,
    );
    assert.match(alertOf(alien), /does not exist, or is not visible to you/);
    assert.equal((await n.node.cases.listIncidents(OPERATOR, caseId)).length, 0, 'nothing was recorded');
    assert.doesNotMatch(byName + backwards + lat + when + alien, /at [\w/.]+\.ts:\d+/, 'no stack trace');

    const res = await c.postForm(`/cases/${caseId}/incidents`, base);
    incidentId = /\/incidents\/([0-9a-f-]{36})\?done=created$/.exec(redirect(res, /^\/incidents\//))![1]!;
    const page = await html(await c.get(`/incidents/${incidentId}?done=created`));
    selfContained(page);
    formsHaveCsrf(page);
    assert.equal(statusOf(page), 'The incident was recorded.');
    assert.match(page, /<h1>Shelling of School No\. 12<\/h1>/);
    assert.match(
      page,
      /<li><span dir="auto">Artillery strike on a school<\/span><\/li><li><span dir="auto">Killing of civilians<\/span><\/li>/,
    );
    assert.match(page, /<span class="ltr">V-0012, V-0013<\/span>/);
    // The place on a map of the node's own tiles (for an editor, one to click on: below), with the
    // coordinates in words.
    assert.match(page, /50\.0336° N, 36\.3497° E/);
    assert.match(page, /<input type="image" name="pick" src="\/incidents\/[0-9a-f-]{36}\/map\.svg"/);
    assert.match(page, /value="geo:50\.0336,36\.3497"/);
  });

  it('moves an incident with a click on its map: an image button sends pick.x and pick.y, no script', async () => {
    const c = client('demo-investigator');
    const page = await html(await c.get(`/incidents/${incidentId}`));
    selfContained(page);
    formsHaveCsrf(page);
    // For an editor the map is an image button in a form of its own, with the coordinates in words.
    assert.match(
      page,
      new RegExp(
        `<form method="post" action="/incidents/${incidentId}/location" class="map-pick"><input type="hidden" name="_csrf" value="[^"]+"><div class="table-scroll"><input type="image" name="pick" src="/incidents/${incidentId}/map\\.svg" width="512" height="512" alt="Map around the place of the incident: select a point to move the incident there" aria-describedby="pick-help">`,
      ),
    );
    assert.match(page, /50\.0336° N, 36\.3497° E/);
    // The image: the same drawing as the page's map, with the tiles inside it (an image may fetch
    // nothing; this folder has no tiles, so only the background and the marker).
    const svg = await c.get(`/incidents/${incidentId}/map.svg`);
    assert.equal(svg.status, 200);
    assert.equal(svg.headers.get('Content-Type'), 'image/svg+xml; charset=utf-8');
    assert.equal(svg.headers.get('Content-Security-Policy'), "default-src 'none'; img-src data:");
    const drawing = await svg.text();
    assert.match(
      drawing,
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="512" height="512" viewBox="128 128 512 512">/,
    );
    const { x, y } = project(50.0336, 36.3497, 15);
    const marker = /<circle cx="([\d.]+)" cy="([\d.]+)"/.exec(drawing);
    assert.equal(marker?.[1], ((x - Math.floor(x) + 1) * 256).toFixed(1));
    assert.equal(marker?.[2], ((y - Math.floor(y) + 1) * 256).toFixed(1));
    assert.doesNotMatch(drawing, /<script|href="(?!data:)/);

    // Readers who may not edit get the drawn map; others get what a missing incident gets.
    const advocate = client('demo-advocate');
    const read = await html(await advocate.get(`/incidents/${incidentId}`));
    assert.match(read, /<svg class="map"[^>]*>.*<image href="\/map\/tiles\/15\/\d+\/\d+\.png"/s);
    assert.doesNotMatch(read, /name="pick"/);
    const notAllowed = await html(
      await advocate.postForm(`/incidents/${incidentId}/location`, { 'pick.x': '300', 'pick.y': '200' }),
      403,
    );
    assert.match(alertOf(notAllowed), /You do not have access/);
    const outsider = client('outsider');
    const missing = await html(await outsider.get(`/incidents/${NOWHERE}`), 404);
    assert.equal(await html(await outsider.get(`/incidents/${incidentId}/map.svg`), 404), missing);
    assert.equal(
      await html(
        await outsider.postForm(`/incidents/${incidentId}/location`, { 'pick.x': '300', 'pick.y': '200' }),
        404,
      ),
      missing,
    );

    // Refused: outside the image, not a pixel, and (0, 0), which is what a key press sends.
    const before = (await n.node.cases.incident(OPERATOR, incidentId)).incident;
    const refusedPicks: Record<string, string>[] = [
      { 'pick.x': '512', 'pick.y': '10' },
      { 'pick.x': '10', 'pick.y': '9999' },
      { 'pick.x': '-3', 'pick.y': '10' },
      { 'pick.x': 'abc', 'pick.y': '10' },
      {},
    ];
    for (const pick of refusedPicks) {
      const refused = await html(await c.postForm(`/incidents/${incidentId}/location`, pick), 400);
      assert.equal(
        alertOf(refused),
        'The point chosen is not on the map. Select a point on the map, or type the coordinates in the edit form.',
        JSON.stringify(pick),
      );
    }
    const key = await html(
      await c.postForm(`/incidents/${incidentId}/location`, { 'pick.x': '0', 'pick.y': '0' }),
      400,
    );
    assert.match(alertOf(key), /^No point was chosen on the map/);
    assert.deepEqual((await n.node.cases.incident(OPERATOR, incidentId)).incident, before, 'nothing saved');

    // A click at (300, 200): the incident moves to the point under that pixel, nothing else changes.
    const expected = pixelToPoint(mapFrame(50.0336, 36.3497, 15), 300, 200)!;
    redirect(
      await c.postForm(`/incidents/${incidentId}/location`, { 'pick.x': '300', 'pick.y': '200' }),
      new RegExp(`^/incidents/${incidentId}\\?done=located#h-place$`),
    );
    const after = (await n.node.cases.incident(OPERATOR, incidentId)).incident;
    assert.equal(after.latitude, expected.latitude);
    assert.equal(after.longitude, expected.longitude);
    const unchanged = <T extends object>(i: T) => ({ ...i, latitude: 0, longitude: 0, updatedAt: '' });
    assert.deepEqual(unchanged(after), unchanged(before));
    const moved = await html(await c.get(`/incidents/${incidentId}?done=located`));
    assert.equal(statusOf(moved), 'The place of the incident was moved to the point chosen on the map.');
    assert.match(moved, new RegExp(`value="geo:${expected.latitude},${expected.longitude}"`));
  });

  it('edits an incident: perpetrators from the suspects and in words, compartment; errors keep the form open', async () => {
    const c = client('demo-investigator');
    const suspect = await n.node.cases.addSuspect(OPERATOR, caseId, {
      name: 'Col. A. Petrenko',
      position: 'Commander, 3rd Artillery Brigade',
    });
    suspectId = suspect.id;
    const form = await html(await c.get(`/incidents/${incidentId}`));
    assert.match(
      form,
      new RegExp(
        `<input type="checkbox" id="e-perp-${suspectId}" name="perpetratorIds" value="${suspectId}">`,
      ),
    );
    const edit = {
      title: 'Shelling of School No. 12 and the clinic',
      occurredFrom: '2022-03-09',
      occurredTo: '2022-03-10',
      place: 'Saltivka, Kharkiv',
      latitude: '',
      longitude: '',
      acts: 'Artillery strike on a school',
      victims: 'V-0012',
      perpetratorIds: [suspectId],
      perpetratorsOther: 'Unidentified battery crew',
      sources: '',
      compartmentId: '',
    };
    const bad = await html(
      await c.postForm(`/incidents/${incidentId}`, { ...edit, latitude: '50', longitude: 'east' }),
      400,
    );
    assert.match(alertOf(bad), /Check the field “Longitude \(decimal degrees\)”\./);
    assert.match(bad, /<details class="card" id="edit" open>/);
    assert.match(bad, /value="Shelling of School No\. 12 and the clinic"/);
    redirect(
      await c.postForm(`/incidents/${incidentId}`, edit),
      new RegExp(`^/incidents/${incidentId}\\?done=saved$`),
    );
    const page = await html(await c.get(`/incidents/${incidentId}?done=saved`));
    assert.equal(statusOf(page), 'The changes to the incident were saved.');
    assert.match(page, /<span class="ltr">2022-03-09 – 2022-03-10<\/span>/);
    assert.match(page, /<span dir="auto">Col\. A\. Petrenko; Unidentified battery crew<\/span>/);
    assert.match(page, /No coordinates have been recorded for this incident\./);
    assert.match(
      page,
      new RegExp(`id="e-perp-${suspectId}" name="perpetratorIds" value="${suspectId}" checked>`),
    );
  });

  it('links and unlinks evidence, by choice or by id; unknown and malformed ids are refused', async () => {
    const c = client('demo-investigator');
    const page = await html(await c.get(`/incidents/${incidentId}`));
    assert.match(
      page,
      new RegExp(`<option value="${items.statement}">Statement of W-0421 \\(Original\\)</option>`),
    );
    assert.doesNotMatch(
      page,
      new RegExp(items.hidden!),
      'an item of a compartment one is not in is not offered',
    );
    redirect(
      await c.postForm(`/incidents/${incidentId}/items`, { itemId: items.statement!, itemIdText: '' }),
      /done=linked/,
    );
    redirect(
      await c.postForm(`/incidents/${incidentId}/items`, { itemId: '', itemIdText: ` ${items.drone} ` }),
      /done=linked/,
    );
    const unknown = await html(
      await c.postForm(`/incidents/${incidentId}/items`, { itemId: '', itemIdText: NOWHERE }),
      404,
    );
    assert.match(alertOf(unknown), /Something chosen in the form does not exist, or is not visible to you\./);
    const hidden = await html(
      await c.postForm(`/incidents/${incidentId}/items`, { itemIdText: items.hidden! }),
      404,
    );
    assert.equal(alertOf(hidden), alertOf(unknown), 'a hidden item is answered like a missing one');
    await html(await c.postForm(`/incidents/${incidentId}/items`, { itemIdText: 'abc' }), 400);
    const linked = await html(await c.get(`/incidents/${incidentId}?done=linked`));
    assert.equal(statusOf(linked), 'The evidence item was linked to the incident.');
    assert.deepEqual(
      [...linked.matchAll(/<li data-item="([0-9a-f-]{36})">/g)].map((m) => m[1]).sort(),
      [items.statement, items.drone].sort(),
    );
    redirect(await c.postForm(`/incidents/${incidentId}/items/${items.drone}/unlink`, {}), /done=unlinked/);
    const hiddenUnlink = await html(
      await c.postForm(`/incidents/${incidentId}/items/${items.hidden}/unlink`, {}),
      404,
    );
    assert.equal(alertOf(hiddenUnlink), alertOf(unknown));
    const list = await html(await c.get(`/cases/${caseId}/incidents`));
    const row = new RegExp(`<tr data-incident="${incidentId}">(.*?)</tr>`, 's').exec(list)![1]!;
    assert.match(row, /<td class="ltr">2022-03-09 – 2022-03-10<\/td>/);
    assert.match(row, /<td class="ltr">V-0012<\/td>/);
    assert.match(row, /<td data-items="1">1<\/td>/);
    assert.match(row, /Col\. A\. Petrenko; Unidentified battery crew/);
  });

  it('incidents in a compartment and other cases are "not found" for outsiders, exactly as missing ones', async () => {
    const legal = client('demo-legal');
    const res = await legal.postForm(`/cases/${caseId}/incidents`, {
      title: 'Threats against witness W-0421',
      occurredFrom: '2022-04',
      victims: 'W-0421',
      compartmentId: protectedCompartment,
    });
    hiddenIncident = /\/incidents\/([0-9a-f-]{36})/.exec(redirect(res, /^\/incidents\//))![1]!;
    const shown = await html(await legal.get(`/incidents/${hiddenIncident}`));
    assert.match(shown, /<dt>Compartment<\/dt><dd>Witness protection<\/dd>/);
    const investigator = client('demo-investigator');
    const hidden = await html(await investigator.get(`/incidents/${hiddenIncident}`), 404);
    const missing = await html(await investigator.get(`/incidents/${NOWHERE}`), 404);
    assert.equal(hidden, missing);
    const post = await html(
      await investigator.postForm(`/incidents/${hiddenIncident}`, { title: 'x', occurredFrom: '2022-04' }),
      404,
    );
    assert.equal(post, missing);
    const list = await html(await investigator.get(`/cases/${caseId}/incidents`));
    assert.doesNotMatch(list, /Threats against witness/);
    const outsider = client('outsider');
    const theirs = await html(await outsider.get(`/cases/${caseId}/incidents`), 404);
    assert.equal(theirs, await html(await outsider.get(`/cases/${NOWHERE}/incidents`), 404));
    assert.equal(
      await html(await outsider.get(`/incidents/${incidentId}`), 404),
      await html(await outsider.get(`/incidents/${NOWHERE}`), 404),
    );
    const forbidden = await html(
      await client('demo-advocate').postForm(`/incidents/${incidentId}`, {
        title: 'x',
        occurredFrom: '2022-04',
      }),
      403,
    );
    assert.match(alertOf(forbidden), /You do not have access/);
  });

  // ── the proof matrix ─────────────────────────────────────────────────────────────────────

  it('adds suspects and charges through the forms, with their error paths', async () => {
    const c = client('demo-legal');
    const empty = await html(await c.get(`/cases/${caseId}/matrix`));
    selfContained(empty);
    formsHaveCsrf(empty);
    assert.match(empty, /<h1>Proof matrix: Shelling of residential districts/);
    assert.match(empty, /No charges have been brought yet\./);
    const noName = await html(
      await c.postForm(`/cases/${caseId}/suspects`, { name: '', position: 'Gunner' }),
      400,
    );
    assert.match(alertOf(noName), /Check the field “Name”\./);
    assert.match(noName, /<details class="subform" open><summary>Add the suspect/);
    assert.match(noName, /id="s-position" name="position" maxlength="500" value="Gunner"/);
    const to = redirect(
      await c.postForm(`/cases/${caseId}/suspects`, { name: '=Evil "Boss", Jr', position: '', note: '' }),
      /\?done=suspect#suspect-/,
    );
    assert.equal(statusOf(await html(await c.get(to.split('#')[0]!))), 'The suspect was added.');

    const page = await html(await c.get(`/cases/${caseId}/matrix`));
    // Crimes by category; modes of liability in their own select.
    const crimes = /<select id="ch-crime"[^>]*>(.*?)<\/select>/s.exec(page)![1]!;
    assert.deepEqual(
      [...crimes.matchAll(/<optgroup label="([^"]+)">/g)].map((m) => m[1]),
      [
        'Genocide',
        'Crimes against humanity',
        'War crimes in international armed conflict',
        'War crimes in non-international armed conflict',
      ],
    );
    assert.match(crimes, /<option value="rs-6a">Art\. 6\(a\) Genocide by killing<\/option>/);
    assert.doesNotMatch(crimes, /rs-25-3-a/);
    const modes = /<select id="ch-mode"[^>]*>(.*?)<\/select>/s.exec(page)![1]!;
    assert.deepEqual(
      [...modes.matchAll(/<option value="(rs[^"]+)"/g)].map((m) => m[1]),
      ['rs-25-3-a'],
    );

    const charge = { suspectId, crimeId: 'rs-6a', modeId: 'rs-25-3-a', note: 'Shelling of schools' };
    const modeAsCrime = await html(
      await c.postForm(`/cases/${caseId}/charges`, { ...charge, crimeId: 'rs-25-3-a' }),
      400,
    );
    assert.match(alertOf(modeAsCrime), /Check the field “Crime”\./);
    assert.match(modeAsCrime, /<details class="subform" open><summary>Add the charge/);
    const noSuspect = await html(
      await c.postForm(`/cases/${caseId}/charges`, { ...charge, suspectId: NOWHERE }),
      404,
    );
    assert.match(alertOf(noSuspect), /does not exist, or is not visible to you/);
    const created = redirect(
      await c.postForm(`/cases/${caseId}/charges`, charge),
      /^\/charges\/[0-9a-f-]{36}\?done=charge$/,
    );
    chargeId = /\/charges\/([0-9a-f-]{36})/.exec(created)![1]!;
    const twice = await html(await c.postForm(`/cases/${caseId}/charges`, charge), 409);
    assert.match(alertOf(twice), /conflicts with existing data/);

    const grid = await html(await c.get(created));
    assert.equal(statusOf(grid), 'The charge was added. Link evidence to its elements below.');
    const summary = await html(await c.get(`/cases/${caseId}/matrix`));
    const row = new RegExp(`<tr id="charge-${chargeId}">(.*?)</tr>`, 's').exec(summary)![1]!;
    assert.match(row, /Col\. A\. Petrenko/);
    assert.deepEqual(
      [...row.matchAll(/<li data-jurisdiction="(\w+)"><a href="\/charges\/[^"]+\?jurisdiction=(\w+)"/g)].map(
        (m) => [m[1], m[2]],
      ),
      [
        ['ICC', 'ICC'],
        ['DE', 'DE'],
        ['UA', 'UA'],
      ],
    );
    assert.match(row, /<span class="badge verdict-gaps">Gaps: 5<\/span>/);
  });

  it('classifies items and answers admissibility on the item page (analysis section)', async () => {
    const c = client('demo-legal');
    const page = await html(await c.get(`/evidence/${items.hospital}`));
    const section = /<section class="card analysis" id="analysis".*?<\/section>/s.exec(page)![0];
    formsHaveCsrf(section);
    assert.match(section, /<h3>Source classification<\/h3>/);
    assert.match(section, /<li data-rule="DE:chain-of-custody">/);
    assert.match(section, /<li data-rule="UA:witness-identity">/);
    assert.match(section, new RegExp(`<option value="${protectedCompartment}">Witness protection</option>`));
    const bad = await html(
      await c.postForm(`/evidence/${items.hospital}/profile`, {
        sourceKind: 'rumour',
        sourceLabel: 'City hospital',
      }),
      400,
    );
    assert.match(alertOf(bad), /Choose one of the options offered\. Check the field “Kind of source”\./);
    assert.match(bad, /<h1>Hospital records, ward 3<\/h1>/);
    const profiles: [string, string, string][] = [
      ['statement', 'testimony', 'W-0421'],
      ['hospital', 'documentary', 'City hospital'],
      ['drone', 'digital', 'Drone unit'],
      ['phone', 'digital', 'Operator records'],
    ];
    for (const [key, sourceKind, sourceLabel] of profiles) {
      redirect(
        await c.postForm(`/evidence/${items[key]}/profile`, { sourceKind, sourceLabel }),
        new RegExp(`^/evidence/${items[key]}\\?done=profile#analysis$`),
      );
    }
    const saved = await html(await c.get(`/evidence/${items.hospital}?done=profile`));
    assert.equal(statusOf(saved), 'The source classification was saved.');
    assert.match(saved, /<option value="documentary" selected>Documentary<\/option>/);
    assert.match(saved, /name="sourceLabel" required maxlength="200" value="City hospital"/);

    const unanswered = await html(
      await c.postForm(`/evidence/${items.hospital}/admissibility`, {
        jurisdiction: 'DE',
        ruleId: 'chain-of-custody',
        answer: '',
      }),
      400,
    );
    assert.match(alertOf(unanswered), /Check the field “Answer”\./);
    const rule = await html(
      await c.postForm(`/evidence/${items.hospital}/admissibility`, {
        jurisdiction: 'DE',
        ruleId: 'no-such-rule',
        answer: 'met',
      }),
      400,
    );
    assert.match(alertOf(rule), /Check the field “Checklist entry”\./);
    redirect(
      await c.postForm(`/evidence/${items.hospital}/admissibility`, {
        jurisdiction: 'DE',
        ruleId: 'chain-of-custody',
        answer: 'not_met',
        note: 'Gap in the custody record, 10–12 March',
      }),
      /\?done=admissibility#analysis$/,
    );
    const answered = await html(await c.get(`/evidence/${items.hospital}`));
    assert.match(answered, /<option value="not_met" selected>Not met<\/option>/);
    assert.match(answered, /value="Gap in the custody record, 10–12 March"/);
    // The statement is linked to the incident recorded earlier.
    const statement = await html(await c.get(`/evidence/${items.statement}`));
    assert.match(
      statement,
      new RegExp(
        `<a href="/incidents/${incidentId}" dir="auto">Shelling of School No\\. 12 and the clinic</a>`,
      ),
    );

    // No analysis section for a role that may neither change the matrix nor manage evidence.
    const advocate = await html(await client('demo-advocate').get(`/evidence/${items.statement}`));
    assert.doesNotMatch(advocate, /id="analysis"/);
    // A forged request from that role is refused by the service.
    const refused = await html(
      await client('demo-advocate').postForm(`/evidence/${items.statement}/profile`, {
        sourceKind: 'expert',
        sourceLabel: 'x',
      }),
      403,
    );
    assert.match(alertOf(refused), /You do not have access/);
  });

  it('the grid: links through the form, statuses and reasons per jurisdiction, gaps in words', async () => {
    const c = client('demo-legal');
    // Links are listed in the order they were made: let time pass between them.
    const add = (fields: Record<string, string>) => {
      n.clock.advance(1000);
      return c.postForm(`/charges/${chargeId}/links`, {
        jurisdiction: 'ICC',
        partKind: 'whole',
        part: '',
        stance: 'supports',
        weight: 'medium',
        reliability: 'B',
        credibility: '2',
        note: '',
        ...fields,
      });
    };
    const badPart = await html(
      await add({ elementId: 'rs-6a.1', itemId: items.statement!, partKind: 'page', part: 'two' }),
      400,
    );
    assert.match(alertOf(badPart), /Give the part as pages/);
    assert.match(badPart, /value="two"/, 'the part entered is kept');
    assert.match(badPart, /<option value="page" selected>Pages<\/option>/);
    const otherCrime = await html(await add({ elementId: 'rs-7-1-a.1', itemId: items.statement! }), 400);
    assert.match(alertOf(otherCrime), /Check the field “Legal element”\./);
    const hiddenForAnalyst = await html(await add({ elementId: 'rs-6a.1', itemId: NOWHERE }), 404);
    assert.match(alertOf(hiddenForAnalyst), /does not exist/);
    const badGrade = await html(
      await add({ elementId: 'rs-6a.1', itemId: items.statement!, reliability: 'Z' }),
      400,
    );
    assert.match(alertOf(badGrade), /Check the field “Source reliability”\./);

    const to = redirect(
      await add({
        elementId: 'rs-6a.1',
        itemId: items.statement!,
        partKind: 'page',
        part: '2 - 3',
        weight: 'high',
        note: 'Describes the strike',
      }),
      new RegExp(`^/charges/${chargeId}\\?jurisdiction=ICC&done=link#element-rs-6a\\.1$`),
    );
    assert.equal(statusOf(await html(await c.get(to.split('#')[0]!))), 'The evidence was linked.');
    redirect(
      await add({ elementId: 'rs-6a.1', itemId: items.hospital!, reliability: 'A', credibility: '1' }),
      /done=link/,
    );
    redirect(await add({ elementId: 'rs-6a.2', itemId: items.statement! }), /done=link/);
    redirect(await add({ elementId: 'rs-6a.2', itemId: items.translation! }), /done=link/);
    redirect(
      await add({
        elementId: 'rs-6a.3',
        itemId: items.drone!,
        stance: 'contradicts',
        partKind: 'time',
        part: '00:01:30-00:02:10',
      }),
      /done=link/,
    );
    redirect(
      await add({ elementId: 'rs-6a.4', itemId: items.hidden!, partKind: 'region', part: '10,20,300,200' }),
      /done=link/,
    );

    const page = await html(await c.get(`/charges/${chargeId}?jurisdiction=ICC`));
    selfContained(page);
    formsHaveCsrf(page);
    assert.match(page, /<h1>Col\. A\. Petrenko: Art\. 6\(a\) Genocide by killing<\/h1>/);
    assert.match(page, /<a href="\/legal\/compare\/rs-6a">Compare this crime across jurisdictions<\/a>/);
    assert.match(page, new RegExp(`<a href="/charges/${chargeId}/gaps\\.csv\\?jurisdiction=ICC" download>`));
    assert.match(
      page,
      new RegExp(`<a href="/charges/${chargeId}/report\\?jurisdiction=ICC">Printable report</a>`),
    );
    // Columns: the linked items, in the order of first link, with their source.
    assert.deepEqual(
      [...page.matchAll(/<th scope="col" class="item-col" data-item="([0-9a-f-]{36})">/g)].map((m) => m[1]),
      [items.statement, items.hospital, items.translation, items.drone, items.hidden],
    );
    assert.match(page, /<span class="item-source"><span dir="auto">W-0421<\/span> · Testimony<\/span>/);
    // Rows: the crime's elements, then the mode's.
    assert.deepEqual(
      [...page.matchAll(/<tr id="element-([^"]+)"/g)].map((m) => m[1]),
      ['rs-6a.1', 'rs-6a.2', 'rs-6a.3', 'rs-6a.4', 'rs-25-3-a.1'],
    );
    const r1 = rowOf(page, 'rs-6a.1');
    assert.equal(r1.status, 'corroborated');
    assert.equal(r1.gap, 'false');
    assert.doesNotMatch(r1.html, /gap-flag/);
    assert.match(r1.html, /<span class="grade ltr" title="usually reliable; probably true">B2<\/span>/);
    assert.match(r1.html, /<span class="weight">high weight<\/span>\s*<span class="part">p\. 2-3<\/span>/);
    assert.match(r1.html, /<span class="link-note" dir="auto">Describes the strike<\/span>/);
    assert.match(
      r1.html,
      /Independent sources:<\/span> <span dir="auto">W-0421<\/span> \(Testimony\); <span dir="auto">City hospital<\/span> \(Documentary\)/,
    );
    const r2 = rowOf(page, 'rs-6a.2');
    assert.equal(r2.status, 'single_source');
    assert.equal(r2.gap, 'true');
    assert.match(r2.cls!, /gap-row/);
    assert.match(r2.html, /<strong class="gap-flag">GAP<\/strong>/);
    assert.deepEqual(
      r2.reasons,
      ['only one independent source (W-0421)'],
      'a translation is the same source',
    );
    const r3 = rowOf(page, 'rs-6a.3');
    assert.equal(r3.status, 'unproven');
    assert.match(r3.html, /<span class="badge el-contradicted">Contradicted<\/span>/);
    assert.deepEqual(r3.reasons, ['no evidence supports this element', 'items contradicting it: 1']);
    assert.match(r3.html, /<span class="part">time 00:01:30-00:02:10<\/span>/);
    assert.match(rowOf(page, 'rs-6a.4').html, /<span class="part">region 10,20,300,200<\/span>/);
    const mode = rowOf(page, 'rs-25-3-a.1');
    assert.match(mode.html, /<span class="badge">mode of liability<\/span>/);
    assert.equal(mode.gap, 'true');
    assert.match(page, /<div class="gap-total"><dt>Gaps<\/dt><dd>4<\/dd><\/div>/);

    // The reasons in English are the domain's own words where the domain has them.
    const { report } = await n.node.cases.gaps(OPERATOR, chargeId, 'ICC');
    for (const id of ['rs-6a.2', 'rs-25-3-a.1'])
      assert.deepEqual(rowOf(page, id).reasons, report.rows.find((r) => r.element.id === id)!.reasons);

    // FR does not require the contextual element: shown muted, never a gap.
    const fr = await html(await c.get(`/charges/${chargeId}?jurisdiction=fr`));
    const fr4 = rowOf(fr, 'rs-6a.4');
    assert.match(fr4.cls!, /optional-row/);
    assert.equal(fr4.gap, 'false');
    assert.match(fr4.html, /<span class="optional-flag">not required here<\/span>/);
    assert.equal(fr4.reasons[0], 'not required by the FR offences');
    assert.match(fr, /Corresponding offences:<\/span> <span dir="auto">Génocide<\/span>/);
    assert.match(
      fr,
      /<li><strong aria-current="page" class="ltr">FR<\/strong><\/li>/,
      'another jurisdiction, chosen from the list',
    );
    // DE: the hospital records fail the German checklist; the element falls back to one source.
    const de = await html(await c.get(`/charges/${chargeId}?jurisdiction=DE`));
    assert.match(
      de,
      new RegExp(
        `data-item="${items.hospital}"><a [^>]+>Hospital records, ward 3</a>.*?<span class="badge badge-danger" title="chain-of-custody">not admissible here</span>`,
        's',
      ),
    );
    assert.equal(rowOf(de, 'rs-6a.1').status, 'single_source');
    assert.deepEqual(
      [...de.matchAll(/<nav class="juris-switch[^>]*>.*?<\/ul>/gs)][0]![0]
        .match(/jurisdiction=(\w+)"/g)!
        .map((s) => s.slice(13, -1)),
      ['ICC', 'UA'],
    );
    // A jurisdiction without a corresponding offence (none in the fixture for crimes against humanity in UA).
    const unknown = await html(await c.get(`/charges/${chargeId}?jurisdiction=XX`), 400);
    assert.match(unknown, /role="alert"/);
  });

  it('what one may not see is left out of the grid; outsiders get the same 404 as for a missing charge', async () => {
    // The investigator is outside the protection compartment: its item and link are not there.
    const investigator = await html(
      await client('demo-investigator').get(`/charges/${chargeId}?jurisdiction=ICC`),
    );
    assert.doesNotMatch(investigator, new RegExp(items.hidden!));
    assert.doesNotMatch(investigator, /Protected witness statement/);
    assert.equal(rowOf(investigator, 'rs-6a.4').status, 'unproven');
    // The police unit receives derivatives only: the translation, never the originals.
    const analyst = await html(await client('demo-analyst').get(`/charges/${chargeId}?jurisdiction=ICC`));
    assert.deepEqual(
      [...analyst.matchAll(/class="item-col" data-item="([0-9a-f-]{36})"/g)].map((m) => m[1]),
      [items.translation],
    );
    assert.doesNotMatch(analyst, new RegExp(`${items.statement}|${items.hospital}|Hospital records`));
    const outsider = client('outsider');
    const missing = await html(await outsider.get(`/charges/${NOWHERE}`), 404);
    assert.equal(await html(await outsider.get(`/charges/${chargeId}`), 404), missing);
    assert.equal(await html(await outsider.get(`/charges/${chargeId}/report`), 404), missing);
    assert.equal(
      await html(await outsider.get(`/cases/${caseId}/matrix`), 404),
      await html(await outsider.get(`/cases/${NOWHERE}/matrix`), 404),
    );
    assert.equal(
      await html(await outsider.postForm(`/cases/${caseId}/suspects`, { name: 'X' }), 404),
      missing,
    );
    assert.equal(
      await html(
        await outsider.postForm(`/charges/${chargeId}/links`, {
          elementId: 'rs-6a.1',
          itemId: items.statement!,
        }),
        404,
      ),
      missing,
    );
    const csv = await outsider.get(`/charges/${chargeId}/gaps.csv`);
    assert.equal(csv.status, 404);
    assert.doesNotMatch(await csv.text(), /Petrenko/);
    // A member whose role may not read the matrix is refused, not misled.
    await html(await client('demo-observer').get(`/cases/${caseId}/matrix`), 403);
  });

  it('the CSV: header, one line per link, RFC 4180 quoting and the formula-injection guard', async () => {
    const c = client('demo-legal');
    const evil = (await n.node.cases.suspects(OPERATOR, caseId)).find((s) => s.name.startsWith('='))!;
    const charge = await n.node.cases.addCharge(OPERATOR, caseId, {
      suspectId: evil.id,
      crimeId: 'rs-7-1-a',
      modeId: 'rs-25-3-a',
    });
    await n.node.cases.addLink(await actor('demo-legal'), charge.id, {
      elementId: 'rs-7-1-a.1',
      itemId: items.phone,
      stance: 'supports',
      weight: 'low',
      reliability: 'C',
      credibility: '3',
    });
    const res = await c.get(`/charges/${charge.id}/gaps.csv?jurisdiction=FR`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('Content-Type'), 'text/csv; charset=utf-8');
    assert.match(
      res.headers.get('Content-Disposition') ?? '',
      /^attachment; filename="gaps-rs-7-1-a-FR-[0-9a-f]{8}\.csv"/,
    );
    const text = await res.text();
    const lines = text.split('\r\n');
    assert.equal(lines.at(-1), '', 'CRLF after the last line');
    assert.equal(
      lines[0],
      'suspect,crime,mode_of_liability,jurisdiction,element,element_of,required,status,contradicted,gap,reasons,item_id,item_title,stance,part,weight,grade',
    );
    assert.equal(
      lines[1],
      `"'=Evil ""Boss"", Jr",rs-7-1-a,rs-25-3-a,FR,rs-7-1-a.1,crime,true,single_source,false,true,only one independent source (Operator records),${items.phone},'+380 phone log,supports,whole,low,C3`,
    );
    assert.match(
      lines[2]!,
      /^"'=Evil ""Boss"", Jr",rs-7-1-a,rs-25-3-a,FR,rs-7-1-a\.2,crime,true,unproven,false,true,no evidence supports this element,,,,,,$/,
    );
    assert.equal(lines.length, 5);

    const ours = await c.get(`/charges/${chargeId}/gaps.csv?jurisdiction=ICC`);
    const rows = (await ours.text()).trim().split('\r\n');
    assert.ok(
      rows.some((l) => l.includes(`,${items.hospital},"Hospital records, ward 3",supports,whole,medium,A1`)),
    );
    assert.ok(rows.some((l) => l.includes(',rs-6a.1,crime,true,corroborated,false,false,,')));
    assert.ok(
      rows.some((l) => l.includes(`,${items.statement},Statement of W-0421,supports,page 2-3,high,B2`)),
    );
    // The investigator's CSV leaves out what they may not see.
    const theirs = await (
      await client('demo-investigator').get(`/charges/${chargeId}/gaps.csv?jurisdiction=ICC`)
    ).text();
    assert.doesNotMatch(theirs, new RegExp(`${items.hidden}|Protected witness`));
    const bad = await c.get(`/charges/${chargeId}/gaps.csv?jurisdiction=XX`);
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('Content-Type') ?? '', /^text\/html/);
  });

  it('the printable report: case, suspect, charge, jurisdiction, date, counts, every element with its evidence', async () => {
    const page = await html(await client('demo-legal').get(`/charges/${chargeId}/report?jurisdiction=DE`));
    selfContained(page);
    assert.match(page, /<h1>Gap analysis: Art\. 6\(a\) Genocide by killing<\/h1>/);
    assert.match(page, /<article class="report">/);
    assert.match(
      page,
      /<dt>Case<\/dt><dd dir="auto">Shelling of residential districts, spring 2022 \(demo\)<\/dd>/,
    );
    assert.match(
      page,
      /<dt>Suspect<\/dt><dd dir="auto">Col\. A\. Petrenko \(Commander, 3rd Artillery Brigade\)<\/dd>/,
    );
    assert.match(
      page,
      /<dt>Mode of liability<\/dt><dd dir="auto">Art\. 25\(3\)\(a\) Commission as an individual/,
    );
    assert.match(page, /<dt>Jurisdiction<\/dt><dd>Fixture Germany \(DE\)<\/dd>/);
    assert.match(page, /<dt>Date of the report<\/dt><dd>Mar 1, 2026, 10:00 AM<\/dd>/);
    assert.match(page, /<dt>Outcome<\/dt><dd><span class="badge verdict-gaps">Gaps: 5<\/span><\/dd>/);
    assert.deepEqual(
      [
        ...page.matchAll(
          /<section class="report-element[^"]*" id="element-([^"]+)" data-status="(\w+)" data-gap="(\w+)">/g,
        ),
      ].map((m) => [m[1], m[2], m[3]]),
      [
        ['rs-6a.1', 'single_source', 'true'],
        ['rs-6a.2', 'single_source', 'true'],
        ['rs-6a.3', 'unproven', 'true'],
        ['rs-6a.4', 'single_source', 'true'],
        ['rs-25-3-a.1', 'unproven', 'true'],
      ],
    );
    assert.match(
      page,
      /<li>supported only by evidence that the DE checklist would not admit|only one independent source \(W-0421\)/,
    );
    assert.match(page, new RegExp(`<code class="item-id">${items.hospital}</code>`));
    assert.match(
      page,
      /<td><span class="ltr">A1<\/span> <span class="muted">\(completely reliable; confirmed by other sources\)<\/span><\/td>/,
    );
    assert.match(page, /No evidence is linked to this element\./);
    // Only the sign-out form: nothing to change on paper; the print styles hide the rest.
    assert.equal([...page.matchAll(/<form /g)].length, 1);
    const css = await (await client('demo-legal').get('/assets/app.css')).text();
    assert.match(css, /Incidents and the proof matrix/);
    assert.match(
      css,
      /\.case-links, \.juris-switch, \.downloads, \.legend, \.subform \{ display: none !important; \}/,
    );
  });

  it('withdraws a link and the charge; a withdrawn charge takes no more links', async () => {
    const c = client('demo-legal');
    const page = await html(await c.get(`/charges/${chargeId}?jurisdiction=ICC`));
    const drone = new RegExp(`action="/charges/${chargeId}/links/([0-9a-f-]{36})/withdraw"`).exec(
      rowOf(page, 'rs-6a.3').html,
    )![1]!;
    redirect(
      await c.postForm(`/charges/${chargeId}/links/${drone}/withdraw`, { jurisdiction: 'ICC' }),
      /jurisdiction=ICC&done=withdrawn#element-rs-6a\.3$/,
    );
    const after = await html(await c.get(`/charges/${chargeId}?jurisdiction=ICC&done=withdrawn`));
    assert.equal(statusOf(after), 'The link was withdrawn.');
    assert.doesNotMatch(rowOf(after, 'rs-6a.3').html, /Contradicted/);
    const again = await html(
      await c.postForm(`/charges/${chargeId}/links/${drone}/withdraw`, { jurisdiction: 'ICC' }),
      409,
    );
    assert.match(alertOf(again), /conflicts with existing data/);
    const investigatorTries = await html(
      await client('demo-investigator').postForm(`/charges/${chargeId}/links/${NOWHERE}/withdraw`, {
        jurisdiction: 'ICC',
      }),
      404,
    );
    assert.match(alertOf(investigatorTries), /does not exist/);

    redirect(
      await c.postForm(`/charges/${chargeId}/withdraw`, { jurisdiction: 'UA' }),
      /jurisdiction=UA&done=chargeWithdrawn$/,
    );
    const twice = await html(await c.postForm(`/charges/${chargeId}/withdraw`, { jurisdiction: 'UA' }), 409);
    assert.match(alertOf(twice), /conflicts with existing data/);
    const withdrawn = await html(await c.get(`/charges/${chargeId}?jurisdiction=UA`));
    assert.match(withdrawn, /<dt>Status<\/dt><dd>Withdrawn on Mar 1, 2026, 10:00 AM<\/dd>/);
    assert.doesNotMatch(withdrawn, /action="\/charges\/[^"]+\/links"/);
    const late = await html(
      await c.postForm(`/charges/${chargeId}/links`, {
        jurisdiction: 'UA',
        elementId: 'rs-6a.1',
        itemId: items.statement!,
        stance: 'supports',
        weight: 'low',
        reliability: 'A',
        credibility: '1',
      }),
      409,
    );
    assert.match(alertOf(late), /conflicts with existing data/);
    const matrix = await html(await c.get(`/cases/${caseId}/matrix`));
    assert.match(matrix, new RegExp(`<tr id="charge-${chargeId}" class="withdrawn">`));
  });

  it('files an item in a compartment from its page; outsiders of the compartment then cannot find it', async () => {
    const c = client('demo-legal');
    redirect(
      await c.postForm(`/evidence/${items.drone}/compartment`, { compartmentId: protectedCompartment }),
      /\?done=filed#analysis$/,
    );
    const filed = await html(await c.get(`/evidence/${items.drone}?done=filed`));
    assert.equal(statusOf(filed), 'The item was filed.');
    assert.match(
      filed,
      new RegExp(`<option value="${protectedCompartment}" selected>Witness protection</option>`),
    );
    await html(await client('demo-investigator').get(`/evidence/${items.drone}`), 404);
    const bad = await html(
      await c.postForm(`/evidence/${items.statement}/compartment`, { compartmentId: 'nope' }),
      400,
    );
    assert.match(alertOf(bad), /Check the field “Compartment”\./);
    // The analyst's node role may not manage evidence; the investigator's org may not see the item.
    const refused = await html(
      await client('demo-investigator').postForm(`/evidence/${items.drone}/compartment`, {
        compartmentId: '',
      }),
      404,
    );
    assert.match(refused, /role="alert"/);
  });

  it('in Arabic the pages are right-to-left and translated', async () => {
    const arabic = new TestClient(n.app.app, { 'Accept-Language': 'ar' });
    await arabic.signIn('demo-admin', DEMO_PASSWORD, () => n.clock.now());
    const grid = await html(await arabic.get(`/charges/${chargeId}?jurisdiction=ICC`));
    assert.match(grid, /<html lang="ar" dir="rtl">/);
    assert.match(grid, /<strong class="gap-flag">ثغرة<\/strong>/);
    assert.match(grid, /مصدر مستقل واحد فقط \(\u2068W-0421\u2069\)/);
    const incidents = await html(await arabic.get(`/cases/${caseId}/incidents`));
    assert.match(incidents, /<h1>الوقائع: /);
  });
});

// ── in a real browser ────────────────────────────────────────────────────────────────────────

describe('proof matrix pages in Chromium', () => {
  let root: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let chargeId = '';
  let incidentId = '';
  let statement = '';
  let external: string[] = [];
  let problems: string[] = [];

  before(async () => {
    ({ root, server } = await startDemoServer('matrix'));
    // The case is built as its lead would, through the services (quicker than through forms).
    const { cases, evidence, accounts } = server.node;
    const lead = actorOf((await accounts.listUsers(OPERATOR)).find((u) => u.username === 'demo-legal')!);
    const caseId = (await cases.list(lead))[0]!.id as CaseId;
    const ingest = async (title: string) =>
      (
        await evidence.ingest(
          OPERATOR,
          { caseId, source: Readable.from([Buffer.from(title)]), fileName: 'note.txt', title },
          'cli',
        )
      ).item;
    const w = await ingest('Statement of W-0421');
    statement = w.id;
    const hospital = await ingest('Hospital admissions, 9 March 2022');
    const video = await ingest('Video of the strike (verified)');
    await cases.setProfile(lead, w.id, { sourceKind: 'testimony', sourceLabel: 'W-0421' });
    await cases.setProfile(lead, hospital.id, { sourceKind: 'documentary', sourceLabel: 'City hospital' });
    await cases.setProfile(lead, video.id, { sourceKind: 'digital', sourceLabel: 'Open source video' });
    const suspect = await cases.addSuspect(lead, caseId, {
      name: 'Col. A. Petrenko',
      position: 'Commander, 3rd Artillery Brigade',
    });
    const charge = await cases.addCharge(lead, caseId, {
      suspectId: suspect.id,
      crimeId: 'rs-7-1-a',
      modeId: 'rs-28-a',
    });
    chargeId = charge.id;
    const link = (elementId: string, itemId: string, extra: Record<string, string> = {}) =>
      cases.addLink(lead, chargeId, {
        elementId,
        itemId,
        stance: 'supports',
        weight: 'high',
        reliability: 'B',
        credibility: '2',
        ...extra,
      });
    await link('rs-7-1-a.1', w.id, {
      partKind: 'page',
      part: '2-3',
      note: 'Eyewitness account of the killing',
    });
    await link('rs-7-1-a.1', hospital.id, { reliability: 'A', credibility: '1' });
    await link('rs-7-1-a.2', video.id, { partKind: 'time', part: '00:01:30-00:02:10' });
    const incident = await cases.saveIncident(lead, caseId, {
      title: 'Shelling of School No. 12',
      occurredFrom: '2022-03-09T10:15:00+02:00',
      place: 'Saltivka, Kharkiv',
      latitude: '50.0336',
      longitude: '36.3497',
      acts: 'Artillery strike on a school\nKilling of civilians',
      victims: 'V-0012, V-0013',
      perpetratorIds: [suspect.id],
      perpetratorsOther: 'Unidentified battery crew',
      sources: 'W-0421; hospital records',
    });
    incidentId = incident.id;
    await cases.linkIncidentItem(lead, incidentId, w.id, true);

    browser = await launchChromium();
    ({ page, external, problems } = await offlinePage(browser, server.url, { width: 1280 }));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const grid = () => page.goto(`${server.url}/charges/${chargeId}?jurisdiction=ICC`);

  it('signs in as the case lead and reaches the grid from the matrix page', async () => {
    await signInFirstTime(page, server.url, 'demo-legal');
    const caseId = (await server.node.cases.list(OPERATOR))[0]!.id;
    await page.goto(`${server.url}/cases/${caseId}/matrix`);
    assert.equal(await page.locator('script').count(), 0);
    await page.click(`#charge-${chargeId} li[data-jurisdiction="ICC"] a`);
    assert.equal(new URL(page.url()).pathname, `/charges/${chargeId}`);
  });

  it('adds a link with the form, no script needed, and shows the gap highlighted in colour and in words', async () => {
    await page.selectOption('#l-element', 'rs-7-1-a.3');
    await page.selectOption('#l-item', statement);
    await page.selectOption('#l-part-kind', 'page');
    await page.fill('#l-part', '4');
    await page.selectOption('#l-reliability', 'C');
    await page.selectOption('#l-credibility', '3');
    await page.click('form.link-form button[type=submit]');
    assert.equal(
      (await page.locator('.notice-info').textContent())?.trim(),
      'The evidence was linked.',
      'redirected back with the outcome',
    );
    const corroborated = page.locator('tr[id="element-rs-7-1-a.1"]');
    const gap = page.locator('tr[id="element-rs-7-1-a.3"]');
    assert.equal(await corroborated.getAttribute('data-status'), 'corroborated');
    assert.equal(await gap.getAttribute('data-gap'), 'true');
    assert.equal(await gap.locator('.gap-flag').isVisible(), true);
    assert.equal(await gap.locator('.gap-flag').textContent(), 'GAP');
    const background = (l: typeof gap) =>
      l.locator('td.el-state').evaluate((td: HTMLElement) => getComputedStyle(td).backgroundColor);
    assert.notEqual(await background(gap), await background(corroborated));
    assert.equal(
      (await gap.locator('.reasons').textContent())?.trim(),
      'only one independent source (W-0421)',
    );
    await page.screenshot({ path: join(SHOTS, 'matrix-grid.png'), fullPage: true });
  });

  it('the printable report prints without navigation or forms', async () => {
    await page.click('a[href*="/report?jurisdiction=ICC"]');
    assert.equal(new URL(page.url()).pathname, `/charges/${chargeId}/report`);
    assert.equal(
      await page.locator('.report-element').count(),
      9,
      'three elements of the crime, six of the mode',
    );
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('header.top').isVisible(), false);
    assert.equal(await page.locator('footer.foot').isVisible(), false);
    assert.equal(await page.locator('form').first().isVisible(), false);
    assert.equal(await page.locator('article.report').isVisible(), true);
    await page.screenshot({ path: join(SHOTS, 'matrix-report.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
  });

  it('the incident editor, with the place as coordinates (no tiles on this node)', async () => {
    await page.goto(`${server.url}/incidents/${incidentId}`);
    assert.match((await page.locator('[data-coordinates]').textContent()) ?? '', /50\.0336° N, 36\.3497° E/);
    assert.equal(await page.locator('input[name="pick"], svg.map').count(), 0, 'no map without tiles');
    await page.click('#edit > summary');
    assert.equal(await page.locator('#e-title').inputValue(), 'Shelling of School No. 12');
    assert.equal(await page.locator('input[name="perpetratorIds"]').first().isChecked(), true);
    await page.fill('#e-place', 'Saltivka district, Kharkiv');
    await page.click('#edit button[type=submit]');
    assert.equal(
      (await page.locator('.notice-info').textContent())?.trim(),
      'The changes to the incident were saved.',
    );
    await page.click('#edit > summary');
    await page.screenshot({ path: join(SHOTS, 'incident-editor.png'), fullPage: true });
  });

  it('in Arabic: the grid, the report and the incident editor, right to left', async () => {
    await page.goto(`${server.url}/profile`);
    await page.selectOption('#locale', 'ar');
    await page.click('form[action="/profile/language"] button[type=submit]');
    await grid();
    assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
    assert.equal(await page.locator('tr[id="element-rs-7-1-a.3"] .gap-flag').textContent(), 'ثغرة');
    await page.screenshot({ path: join(SHOTS, 'matrix-grid-ar.png'), fullPage: true });
    await page.goto(`${server.url}/charges/${chargeId}/report?jurisdiction=ICC`);
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: join(SHOTS, 'matrix-report-ar.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    await page.goto(`${server.url}/incidents/${incidentId}`);
    await page.click('#edit > summary');
    assert.match((await page.locator('main h2').first().textContent()) ?? '', /\p{Script=Arabic}/u);
    await page.screenshot({ path: join(SHOTS, 'incident-editor-ar.png'), fullPage: true });
  });

  it('loaded nothing from outside the node, and nothing failed in the page', () => {
    assert.deepEqual(external, []);
    assert.deepEqual(problems, []);
  });
});

/**
 * The map picker in Chromium with JavaScript off, on a node with a tile folder: the SVG image (its
 * tiles inside as data: URIs) is shown at its own size, and a click sends the pixel the server
 * turns into the point under it; a key press on the image button is refused.
 */
describe('the incident map picker in Chromium', () => {
  // A 1 × 1 PNG, drawn over the whole tile.
  const PNG = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  );
  let root: string;
  let server: RunningServer;
  let browser: Browser;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'accord-browser-map-'));
    const tiles = join(root, 'tiles');
    const { x, y } = project(50.0336, 36.3497, 15);
    for (let dx = -1; dx <= 1; dx += 1) {
      const column = join(tiles, '15', String(Math.floor(x) + dx));
      await mkdir(column, { recursive: true });
      for (let dy = -1; dy <= 1; dy += 1) await writeFile(join(column, `${Math.floor(y) + dy}.png`), PNG);
    }
    const dataDir = join(root, 'data');
    await initDataFolder(dataDir);
    server = await startServer({
      dataDir,
      databaseUrl: undefined,
      host: '127.0.0.1',
      port: 0,
      secureCookies: false,
      logLevel: 'silent',
      bodyLimitBytes: 65536,
      mapTilesDir: tiles,
    });
    await seedDemo(server.node);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('a click on the map moves the incident to the point under the pointer', async () => {
    const { cases, accounts } = server.node;
    const lead = actorOf((await accounts.listUsers(OPERATOR)).find((u) => u.username === 'demo-legal')!);
    const caseId = (await cases.list(lead))[0]!.id as CaseId;
    const { id } = await cases.saveIncident(lead, caseId, {
      title: 'Shelling of School No. 12',
      occurredFrom: '2022-03-09',
      latitude: '50.0336',
      longitude: '36.3497',
    });
    const { page, external, problems } = await offlinePage(browser, server.url, { width: 1280 });
    await signInFirstTime(page, server.url, 'demo-legal');
    await page.goto(`${server.url}/incidents/${id}`);
    const pick = page.locator('input[type="image"][name="pick"]');
    const box = await pick.boundingBox();
    assert.deepEqual([box?.width, box?.height], [512, 512], 'shown at its own size');
    await page.screenshot({ path: join(SHOTS, 'incident-map-pick.png'), fullPage: true });
    const expected = pixelToPoint(mapFrame(50.0336, 36.3497, 15), 300, 200)!;
    await pick.click({ position: { x: 300, y: 200 } });
    assert.equal(new URL(page.url()).search, '?done=located');
    assert.equal(
      (await page.locator('.notice-info').textContent())?.trim(),
      'The place of the incident was moved to the point chosen on the map.',
    );
    const { incident } = await cases.incident(OPERATOR, id);
    assert.deepEqual({ latitude: incident.latitude, longitude: incident.longitude }, expected);
    // On a narrow screen the map keeps its size (and scrolls), so the pixels still mean the same.
    await page.setViewportSize({ width: 360, height: 800 });
    assert.equal((await pick.boundingBox())?.width, 512);
    // A key press sends (0, 0): refused, the place stays.
    await pick.focus();
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.match(
      (await page.locator('.notice-error').textContent()) ?? '',
      /^No point was chosen on the map/,
    );
    assert.deepEqual((await cases.incident(OPERATOR, id)).incident, incident);
    assert.deepEqual(external, []);
    assert.deepEqual(
      problems,
      ['Failed to load resource: the server responded with a status of 400 (Bad Request)'],
      'only the refused key press',
    );
    await page.context().close();
  });
});
