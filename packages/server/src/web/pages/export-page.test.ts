import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, it } from 'node:test';
import { actorOf } from '@accord/core';
import { verifyBundle } from '../../export/bundle-verifier.ts';
import { DEMO_PASSWORD, seedDemo } from '../../node/demo.ts';
import { TestClient } from '../../testing/client.ts';
import { addMember, createTestNode, describeEachDatabase, type TestNode } from '../../testing/harness.ts';
import { testdataPath } from '../../testing/testdata.ts';

const JPEG = testdataPath('media', 'exif-samples', 'jpg', 'gps', 'DSCN0010.jpg');

/**
 * The export page without JavaScript: reached from the case list and the filtered evidence list,
 * a form with the case's items (sealed ones disabled, with the reason), posted as a plain form,
 * answered with the bundle download — or with the form again and the reason, in the reader's
 * language, when the export is refused.
 */
describeEachDatabase('export page', (create, name) => {
  let n: TestNode;
  let dir = '';
  let investigator: TestClient;
  let caseId = '';
  const ids = { photo: '', redacted: '', sealed: '' };

  before(async () => {
    n = await createTestNode(create, name, { checkpointIntervalMs: 20 });
    dir = await mkdtemp(join(tmpdir(), 'accord-export-page-'));
    await seedDemo(n.node);
    const user = await n.node.accounts.findUserByUsername('demo-investigator');
    const actor = actorOf(user);
    caseId = (await n.node.cases.create(actor, { title: 'Water plant', leadOrgId: user.orgId })).id;
    for (const [username, role] of [
      ['demo-legal', 'legal_officer'],
      ['demo-admin', 'lead'],
      ['demo-analyst', 'analyst'],
    ] as const) {
      await addMember(n.node, caseId, await n.node.accounts.findUserByUsername(username), role);
    }
    const evidence = n.node.evidence;
    const ingest = async (bytes: Uint8Array, fileName: string) =>
      (await evidence.ingest(actor, { caseId, source: Readable.from([bytes]), fileName }, 'web')).item.id;
    ids.photo = await ingest(await readFile(JPEG), 'DSCN0010.jpg');
    ids.redacted = (
      await evidence.derive(
        actor,
        ids.photo,
        { source: Readable.from([Buffer.from('blurred')]), kind: 'redacted', title: 'Faces blurred' },
        'web',
      )
    ).item.id;
    ids.sealed = await ingest(Buffer.from('withdrawn statement'), 'statement.txt');
    await evidence.seal(actor, ids.sealed, 'Consent withdrawn', 'web');
    investigator = new TestClient(n.app.app);
    await investigator.signIn('demo-investigator', DEMO_PASSWORD, () => n.clock.now());
  });
  after(async () => {
    await n?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const html = async (res: Response, status = 200): Promise<string> => {
    const text = await res.text();
    assert.equal(res.status, status, text.slice(0, 2000));
    assert.match(res.headers.get('Content-Type') ?? '', /^text\/html/);
    return text;
  };
  const exported = async (id: string) =>
    (await n.node.evidence.timeline({ operator: true }, id)).filter((e) => e.action === 'exported');
  const logSize = async () => {
    await n.node.custody.flush();
    return (await n.node.custody.state()).size;
  };

  it('is linked from the case list and from the evidence list filtered by the case', async () => {
    const cases = await html(await investigator.get('/cases'));
    assert.match(cases, new RegExp(`<a href="/cases/${caseId}/export">Export for a court or partner</a>`));
    const filtered = await html(await investigator.get(`/evidence?caseId=${caseId}`));
    assert.match(filtered, new RegExp(`href="/cases/${caseId}/export" data-export`));
    const unfiltered = await html(await investigator.get('/evidence'));
    assert.doesNotMatch(unfiltered, /data-export/);
    // Roles that may not export see no link.
    const analyst = new TestClient(n.app.app);
    await analyst.signIn('demo-analyst', DEMO_PASSWORD, () => n.clock.now());
    assert.doesNotMatch(await html(await analyst.get('/cases')), /\/export"/);
    assert.doesNotMatch(await html(await analyst.get(`/evidence?caseId=${caseId}`)), /data-export/);
    assert.equal((await analyst.get(`/cases/${caseId}/export`)).status, 403);
    const csrf = await analyst.csrf();
    const refused = await analyst.postForm(
      `/cases/${caseId}/export`,
      { recipient: 'Court', purpose: 'Trial' },
      csrf,
    );
    assert.equal(refused.status, 403);
    assert.equal((await exported(ids.photo)).length, 0);
  });

  it('shows the items with checkboxes; a sealed one is disabled with its reason', async () => {
    const page = await html(await investigator.get(`/cases/${caseId}/export`));
    assert.match(page, /<h1>Export: Water plant<\/h1>/);
    assert.match(page, new RegExp(`<form method="post" action="/cases/${caseId}/export"`));
    assert.match(page, /name="_csrf" value="[^"]+"/);
    for (const id of [ids.photo, ids.redacted])
      assert.match(page, new RegExp(`<input type="checkbox" id="x-${id}" name="itemIds" value="${id}">`));
    assert.match(
      page,
      new RegExp(
        `<tr data-item="${ids.sealed}" data-sealed><td><input type="checkbox" id="x-${ids.sealed}" name="itemIds" value="${ids.sealed}" disabled aria-describedby="s-${ids.sealed}">`,
      ),
    );
    assert.match(page, /Sealed on .*: Consent withdrawn\. Sealed items cannot be exported\./);
    assert.match(page, /name="derivedOnly" value="on"/);
    for (const field of ['recipient', 'purpose', 'legalBasis'])
      assert.match(page, new RegExp(`name="${field}"`));
    assert.doesNotMatch(page, /<script/, 'works without JavaScript');
    assert.equal((await investigator.get('/cases/6f1c1f8e-1d2b-4c3a-9e4f-5a6b7c8d9e0f/export')).status, 404);
    assert.equal((await investigator.get('/cases/not-a-case/export')).status, 404);
  });

  it('posts the form and downloads a bundle that verifies; the export is recorded via the web', async () => {
    const res = await investigator.postForm(`/cases/${caseId}/export`, {
      itemIds: [ids.photo, ids.redacted],
      recipient: 'Registry of the Court',
      purpose: 'Trial bundle',
      legalBasis: '',
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('Content-Type'), 'application/x-tar');
    assert.match(
      res.headers.get('Content-Disposition') ?? '',
      new RegExp(`^attachment; filename="${caseId}-\\d{4}-\\d{2}-\\d{2}\\.accord\\.tar"`),
    );
    const path = join(dir, 'page.accord.tar');
    await writeFile(path, new Uint8Array(await res.arrayBuffer()));
    const report = await verifyBundle(path, { vkey: n.node.logVerifierKey });
    assert.ok(report.ok, JSON.stringify({ problems: report.problems, items: report.items }));
    assert.deepEqual(new Set(report.items.map((i) => i.itemId)), new Set([ids.photo, ids.redacted]));
    assert.equal(report.export?.legalBasis, null);
    for (const id of [ids.photo, ids.redacted]) {
      const events = await exported(id);
      assert.equal(events.length, 1);
      assert.equal(JSON.parse(Buffer.from(events[0]!.event.bytes).toString()).actor.via, 'web');
    }
    // Nothing chosen, derivatives only: every derivative of the case.
    const derived = await investigator.postForm(`/cases/${caseId}/export`, {
      derivedOnly: 'on',
      recipient: 'Partner NGO',
      purpose: 'Joint analysis',
    });
    assert.equal(derived.status, 200);
    const derivedPath = join(dir, 'derived.accord.tar');
    await writeFile(derivedPath, new Uint8Array(await derived.arrayBuffer()));
    const second = await verifyBundle(derivedPath, { vkey: n.node.logVerifierKey });
    assert.ok(second.ok, JSON.stringify(second.problems));
    assert.deepEqual(
      second.items.map((i) => i.itemId),
      [ids.redacted],
    );
  });

  it('shows the form again with the reason, in the reader’s language, and records nothing', async () => {
    const size = await logSize();
    const sealed = await html(
      await investigator.postForm(`/cases/${caseId}/export`, {
        itemIds: [ids.photo, ids.sealed],
        recipient: 'Court',
        purpose: 'Trial',
      }),
      409,
    );
    assert.match(sealed, /role="alert">“statement\.txt” is sealed and cannot be exported\./);
    // What the reader typed and chose is kept.
    assert.match(sealed, /name="recipient" required maxlength="300" value="Court"/);
    assert.match(sealed, new RegExp(`value="${ids.photo}" checked>`));
    const original = await html(
      await investigator.postForm(`/cases/${caseId}/export`, {
        itemIds: [ids.photo],
        derivedOnly: 'on',
        recipient: 'Court',
        purpose: 'Trial',
      }),
      400,
    );
    assert.match(original, /“DSCN0010\.jpg” is an original/);
    const missing = await html(
      await investigator.postForm(`/cases/${caseId}/export`, { recipient: 'Court', purpose: '  ' }),
      400,
    );
    assert.match(missing, /role="alert">Fill in every required field\./);
    const stranger = await html(
      await investigator.postForm(`/cases/${caseId}/export`, {
        itemIds: ['6f1c1f8e-1d2b-4c3a-9e4f-5a6b7c8d9e0f'],
        recipient: 'Court',
        purpose: 'Trial',
      }),
      400,
    );
    assert.match(stranger, /One of the chosen items is not part of this case\./);

    const french = new TestClient(n.app.app, { 'Accept-Language': 'fr' });
    await french.signIn('demo-legal', DEMO_PASSWORD, () => n.clock.now());
    const fr = await html(
      await french.postForm(`/cases/${caseId}/export`, {
        itemIds: [ids.sealed],
        recipient: 'Cour',
        purpose: 'Procès',
      }),
      409,
    );
    assert.match(fr, /<html lang="fr"/);
    assert.match(fr, /« statement\.txt » est scellé et ne peut pas être exporté\./);
    const frMissing = await html(
      await french.postForm(`/cases/${caseId}/export`, { recipient: '', purpose: 'Procès' }),
      400,
    );
    assert.match(frMissing, /Remplissez/);

    const arabic = new TestClient(n.app.app, { 'Accept-Language': 'ar' });
    await arabic.signIn('demo-admin', DEMO_PASSWORD, () => n.clock.now());
    const ar = await html(await arabic.get(`/cases/${caseId}/export`));
    assert.match(ar, /<html lang="ar" dir="rtl"/);
    assert.match(ar, /تصدير وتنزيل/);

    // A forged post without the form's token is refused.
    const forged = await investigator.postForm(
      `/cases/${caseId}/export`,
      { recipient: 'Court', purpose: 'Trial' },
      null,
    );
    assert.equal(forged.status, 403);
    assert.equal(await logSize(), size, 'no custody event was recorded');
  });

  it('names the recipient organisation: a witness’s statement goes only where the witness consented to share it', async () => {
    const operator = { operator: true } as const;
    const police = (await n.node.accounts.listOrganisations(operator)).find((o) => o.kind === 'police')!;
    const form = await html(await investigator.get(`/cases/${caseId}/export`));
    assert.match(
      form,
      /<label for="e-recipient-org">Recipient organisation<\/label><select id="e-recipient-org" name="recipientOrgId" aria-describedby="e-recipient-org-help"><option value="">None \/ outside this node<\/option>/,
    );
    assert.match(
      form,
      new RegExp(`<option value="${police.id}">Federal War Crimes Unit \\(demo\\)</option>`),
    );
    // The photo is a witness's statement; its redacted copy was derived from it.
    const witness = await n.node.witnesses.create(operator, caseId, { kind: 'witness' });
    await n.node.witnesses.addStatement(operator, witness.id, {
      itemId: ids.photo,
      takenOn: '2026-02-01',
      takenBy: 'Investigator',
      orgId: police.id,
      language: 'uk',
    });
    const size = await logSize();
    const send = (client: TestClient, recipientOrgId: string, itemIds = [ids.redacted]) =>
      client.postForm(`/cases/${caseId}/export`, {
        itemIds,
        recipient: 'Federal War Crimes Unit',
        recipientOrgId,
        purpose: 'Joint analysis',
      });
    const alert = (page: string) => /role="alert">([^<]*)</.exec(page)?.[1] ?? '';
    assert.equal(
      alert(await html(await send(investigator, ''), 400)),
      'Choose the recipient organisation: the export includes witness statements, whose consent to sharing must be checked.',
    );
    const refused = await html(await send(investigator, police.id), 403);
    assert.equal(
      alert(refused),
      'The export was refused: W-0001 has not consented to sharing with this recipient, or has withdrawn consent.',
    );
    assert.match(refused, new RegExp(`<option value="${police.id}" selected>`), 'the choice is kept');
    assert.equal(
      alert(await html(await send(investigator, '6f1c1f8e-1d2b-4c3a-9e4f-5a6b7c8d9e0f'), 400)),
      'The chosen recipient organisation does not exist on this node.',
    );
    // In the reader's language (chosen on the profile page, then set back).
    const language = async (locale: string) =>
      assert.equal((await investigator.postForm('/profile/language', { locale })).status, 303);
    await language('fr');
    assert.match(
      alert(await html(await send(investigator, police.id), 403)),
      /^L’export a été refusé : W-0001 n’a pas consenti au partage avec ce destinataire/,
    );
    await language('');
    assert.equal(await logSize(), size, 'refused exports record nothing');

    await n.node.witnesses.recordConsent(operator, witness.id, {
      purpose: 'sharing',
      scope: police.id,
      state: 'given',
    });
    const sent = await send(investigator, police.id);
    assert.equal(sent.status, 200, (await sent.clone().text()).slice(0, 2000));
    const path = join(dir, 'consented.accord.tar');
    await writeFile(path, new Uint8Array(await sent.arrayBuffer()));
    const report = await verifyBundle(path, { vkey: n.node.logVerifierKey });
    assert.ok(report.ok, JSON.stringify(report.problems));

    // Once the witness's identity is on file, an item naming them is refused, whoever receives it.
    const compartment = await n.node.cases.createCompartment(operator, caseId, {
      name: 'Protection',
      members: [(await n.node.accounts.findUserByUsername('demo-investigator')).id],
    });
    await n.node.witnesses.setIdentity(operator, witness.id, {
      compartmentId: compartment.id,
      fullName: 'Mykola Zaporozhets',
    });
    const named = (
      await n.node.evidence.ingest(
        actorOf(await n.node.accounts.findUserByUsername('demo-investigator')),
        {
          caseId,
          source: Readable.from([Buffer.from('Mykola Zaporozhets saw the trucks.')]),
          fileName: 'note.txt',
        },
        'web',
      )
    ).item.id;
    const before = await logSize();
    const protectedName = await html(await send(investigator, '', [named]), 403);
    assert.equal(
      alert(protectedName),
      'The export was refused: an item names a protected witness. Export a redacted derivative instead.',
    );
    assert.ok(!protectedName.includes('Zaporozhets'), 'the refusal does not repeat the name');
    assert.equal(await logSize(), before);
  });
});
