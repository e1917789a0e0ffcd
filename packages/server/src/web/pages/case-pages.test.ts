import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { actorOf, type OrgId, type UserId } from '@accord/core';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PASSWORD, seedDemo } from '../../node/demo.ts';
import type { RunningServer } from '../../server.ts';
import {
  launchChromium,
  offlinePage,
  SHOTS,
  signInFirstTime,
  startDemoServer,
} from '../../testing/browser.ts';
import { TestClient } from '../../testing/client.ts';
import { createTestNode, describeEachDatabase, type TestNode } from '../../testing/harness.ts';

/**
 * The cases pages without JavaScript, on both databases: the list and the new-case form, the
 * dashboard, the edit form, and the team page (members, agreements, compartments), each form
 * with its refusals. Then the same journey in a real Chromium, with screenshots in two languages.
 */
describeEachDatabase('case pages', (create, name) => {
  let n: TestNode;
  /** demo-legal: a lead of the demo case, legal officer at the prosecutor's office (lead organisation). */
  let lead: TestClient;
  /** demo-analyst: police, another organisation. */
  let analyst: TestClient;
  /** demo-observer: police, the least privileged node role. */
  let observer: TestClient;
  const users = new Map<string, UserId>();
  const orgs = new Map<string, OrgId>();
  let caseId = '';

  before(async () => {
    n = await createTestNode(create, name);
    await seedDemo(n.node);
    for (const u of await n.node.accounts.listUsers({ operator: true })) users.set(u.username, u.id);
    for (const o of await n.node.accounts.listOrganisations({ operator: true })) orgs.set(o.kind, o.id);
    const now = () => n.clock.now();
    lead = new TestClient(n.app.app, { 'Accept-Language': 'en' });
    analyst = new TestClient(n.app.app, { 'Accept-Language': 'en' });
    observer = new TestClient(n.app.app, { 'Accept-Language': 'en' });
    await lead.signIn('demo-legal', DEMO_PASSWORD, now);
    await analyst.signIn('demo-analyst', DEMO_PASSWORD, now);
    await observer.signIn('demo-observer', DEMO_PASSWORD, now);
  });
  after(() => n?.close());

  const html = async (res: Response, status = 200): Promise<string> => {
    const text = await res.text();
    assert.equal(res.status, status, text.slice(0, 3000));
    assert.match(res.headers.get('Content-Type') ?? '', /^text\/html/);
    assert.doesNotMatch(text, /<script|\sstyle=|\son[a-z]+=/i, 'no script, no inline style');
    assert.doesNotMatch(text, /at [\w.<>]+ \(|AccordError|file:\/\//, 'no stack trace');
    return text;
  };
  /** A POST answered with a redirect (POST-redirect-GET): follows it and returns the page. */
  const follow = async (client: TestClient, res: Response, to: RegExp): Promise<string> => {
    assert.equal(res.status, 303, (await res.clone().text()).slice(0, 3000));
    const location = res.headers.get('Location') ?? '';
    assert.match(location, to);
    return html(await client.get(location));
  };
  const alert = (page: string): string => {
    const m = /<div class="notice notice-error" role="alert">([^<]*)<\/div>/.exec(page);
    assert.ok(m, 'an error notice');
    return m[1]!.replace(/&#39;/g, "'").replace(/&quot;/g, '"');
  };
  const caseForm = (fields: Record<string, string | string[]>) => ({
    title: 'Siege of the hospital',
    summary: 'Attacks on the regional hospital.\nTwo waves.',
    status: 'investigation',
    jurisdictions: ['ICC', 'DE'],
    legalBasis: 'Universal jurisdiction (VStGB)',
    openedOn: '2026-02-01',
    ...fields,
  });

  it('/cases lists only the reader’s cases; opening one redirects to its dashboard', async () => {
    const list = await html(await lead.get('/cases'));
    assert.match(
      list,
      /<a href="\/cases\/[0-9a-f-]{36}">Shelling of residential districts, spring 2022 \(demo\)<\/a>/,
    );
    assert.match(
      list,
      /<td>Investigation<\/td><td>Case lead<\/td><td>Office of the Prosecutor \(demo\)<\/td>/,
    );
    assert.match(list, /<span class="ltr">ICC, DE, UA<\/span>/);
    // The form offers the ICC and every national profile of the catalogue.
    for (const code of ['ICC', 'DE', 'FR', 'UA', 'AR']) {
      assert.match(
        list,
        new RegExp(`<input type="checkbox" id="c-j-${code}" name="jurisdictions" value="${code}">`),
      );
    }
    const dashboard = await follow(
      lead,
      await lead.postForm('/cases', caseForm({})),
      /^\/cases\/[0-9a-f-]{36}\?done=created$/,
    );
    caseId = /href="\/cases\/([0-9a-f-]{36})\/team"/.exec(dashboard)?.[1] ?? '';
    assert.ok(caseId);
    assert.match(dashboard, /<h1>Siege of the hospital<\/h1>/);
    assert.match(dashboard, /role="status">The case was opened\. You are its lead\.<\/div>/);
    assert.match(dashboard, /<dd data-status="investigation">Investigation<\/dd>/);
    assert.match(dashboard, /<dd data-role="lead">Case lead<\/dd>/);
    assert.match(dashboard, /<dd>Office of the Prosecutor \(demo\)<\/dd>/);
    assert.match(
      dashboard,
      /International Criminal Court \(Rome Statute\)<\/span> <span class="ltr">\(ICC\)/,
    );
    assert.match(dashboard, /<dt>Opened on<\/dt><dd>February 1, 2026<\/dd>/);
    assert.match(dashboard, /<dd>still open<\/dd>/);
    assert.match(
      dashboard,
      /<p class="prose" dir="auto">Attacks on the regional hospital\.\nTwo waves\.<\/p>/,
    );
    assert.match(dashboard, /<li data-count="members"><span class="count">1<\/span> Members<\/li>/);
    assert.doesNotMatch(dashboard, /id="receives"/, 'the lead organisation receives everything');
    // Only cases one is a member of.
    assert.doesNotMatch(await html(await observer.get('/cases')), /Siege of the hospital/);
  });

  it('the new-case form refuses bad input in words and keeps what was typed', async () => {
    const bad = await html(await lead.postForm('/cases', caseForm({ openedOn: '2026-02-30' })), 400);
    assert.equal(alert(bad), '“Opened on” must be a real date such as 2024-03-01.');
    assert.match(bad, /value="Siege of the hospital"/);
    assert.match(bad, /id="c-j-DE" name="jurisdictions" value="DE" checked>/);
    assert.match(bad, /<option value="investigation" selected>/);
    const untitled = await html(await lead.postForm('/cases', caseForm({ title: '  ' })), 400);
    assert.equal(alert(untitled), 'Fill in every required field.');
    const unknown = await html(await lead.postForm('/cases', caseForm({ jurisdictions: ['XX'] })), 400);
    assert.equal(alert(unknown), 'Choose the jurisdictions from the legal catalogue.');
    // The observer role may not open cases at all (the node's route rule), nor without the CSRF field.
    assert.equal((await observer.postForm('/cases', caseForm({}))).status, 403);
    assert.equal((await lead.postForm('/cases', caseForm({}), null)).status, 403);
    const titles = (await n.node.cases.list({ operator: true })).map((k) => k.title);
    assert.equal(titles.filter((x) => x === 'Siege of the hospital').length, 1);
  });

  it('a non-member gets the same 404 page as for a case that does not exist', async () => {
    const missing = '0b0e8c52-6d1e-4f53-9a2e-3f4a1c9d7e10';
    for (const suffix of ['', '/team', '/edit']) {
      const hidden = await html(await observer.get(`/cases/${caseId}${suffix}`), 404);
      const none = await html(await observer.get(`/cases/${missing}${suffix}`), 404);
      assert.equal(hidden, none);
      assert.doesNotMatch(hidden, /Siege/);
      assert.equal(await html(await observer.get(`/cases/not-a-case${suffix}`), 404), none);
    }
    // Forms too: nothing is changed, and the answer says no more.
    const post = await html(
      await observer.postForm(`/cases/${caseId}/team/members`, {
        userId: users.get('demo-observer')!,
        role: 'lead',
      }),
      404,
    );
    assert.equal(post, await html(await observer.get(`/cases/${missing}`), 404));
    assert.equal(
      await html(await observer.postForm(`/cases/${caseId}/edit`, caseForm({ title: 'Taken over' })), 404),
      post,
    );
    const members = await n.node.cases.members({ operator: true }, caseId);
    assert.deepEqual(
      members.map((m) => m.username),
      ['demo-legal'],
    );
  });

  it('team: adds a member from another organisation, changes roles, refuses to lose the last lead', async () => {
    const team = await html(await lead.get(`/cases/${caseId}/team`));
    assert.match(team, /<h1>Team: Siege of the hospital<\/h1>/);
    // Accounts of every organisation, grouped; members and nobody else offered.
    assert.match(team, /<optgroup label="Federal War Crimes Unit \(demo\)">.*Jonas Weber \(demo-analyst\)/s);
    assert.doesNotMatch(team, /<option value="[^"]+">Camille Laurent/);
    const added = await follow(
      lead,
      await lead.postForm(`/cases/${caseId}/team/members`, {
        userId: users.get('demo-analyst')!,
        role: 'analyst',
      }),
      new RegExp(`^/cases/${caseId}/team\\?done=member-added#members$`),
    );
    assert.match(added, /role="status">The member was added to the case\.<\/div>/);
    assert.match(
      added,
      new RegExp(
        `<tr data-member="${users.get('demo-analyst')}"><td>Jonas Weber .*?<td>Federal War Crimes Unit \\(demo\\)</td><td data-role="analyst">`,
      ),
    );
    await follow(
      lead,
      await lead.postForm(`/cases/${caseId}/team/members/${users.get('demo-analyst')}/role`, {
        role: 'investigator',
      }),
      /done=role-changed/,
    );
    assert.equal(
      (await n.node.cases.members({ operator: true }, caseId)).find((m) => m.username === 'demo-analyst')
        ?.role,
      'investigator',
    );

    const me = users.get('demo-legal')!;
    const demote = await html(
      await lead.postForm(`/cases/${caseId}/team/members/${me}/role`, { role: 'analyst' }),
      409,
    );
    assert.equal(alert(demote), 'A case must keep at least one lead. Name another lead first.');
    const leave = await html(await lead.postForm(`/cases/${caseId}/team/members/${me}/remove`, {}), 409);
    assert.equal(alert(leave), 'A case must keep at least one lead. Name another lead first.');
    const nobody = await html(
      await lead.postForm(`/cases/${caseId}/team/members`, {
        userId: '0b0e8c52-6d1e-4f53-9a2e-3f4a1c9d7e10',
        role: 'analyst',
      }),
      404,
    );
    assert.equal(alert(nobody), 'There is no such account on this node.');
    const badRole = await html(
      await lead.postForm(`/cases/${caseId}/team/members`, {
        userId: users.get('demo-auditor')!,
        role: 'boss',
      }),
      400,
    );
    assert.equal(alert(badRole), 'Choose one of the options offered.');
    const stranger = await html(
      await lead.postForm(`/cases/${caseId}/team/members/${users.get('demo-observer')}/role`, {
        role: 'lead',
      }),
      404,
    );
    assert.equal(alert(stranger), 'This person is not a member of the case.');
    const gone = await html(
      await lead.postForm(`/cases/${caseId}/team/members/${users.get('demo-observer')}/remove`, {}),
      404,
    );
    assert.equal(alert(gone), 'This person is not a member of the case.');

    // A member who is not a lead sees the team but no forms, and is refused if they post anyway.
    const seen = await html(await analyst.get(`/cases/${caseId}/team`));
    assert.match(seen, /Jonas Weber/);
    assert.doesNotMatch(seen, /<form method="post" action="\/cases\//);
    const refused = await html(
      await analyst.postForm(`/cases/${caseId}/team/members`, { username: 'demo-observer', role: 'lead' }),
      403,
    );
    assert.equal(alert(refused), 'Your role on this case does not allow this.');
    // Adding the observer and removing them again.
    await follow(
      lead,
      await lead.postForm(`/cases/${caseId}/team/members`, {
        userId: users.get('demo-observer')!,
        role: 'observer',
      }),
      /done=member-added/,
    );
    const removed = await follow(
      lead,
      await lead.postForm(`/cases/${caseId}/team/members/${users.get('demo-observer')}/remove`, {}),
      /done=member-removed/,
    );
    assert.match(removed, /The member was removed from the case\./);
    assert.doesNotMatch(removed, new RegExp(`<tr data-member="${users.get('demo-observer')}">`));
  });

  it('a lead without the right to list accounts adds members by username', async () => {
    // The observer's node role may not list users; as lead of a case of their own they type a username.
    const kase = await n.node.cases.create(
      { operator: true },
      { title: 'Observer-led case', leadOrgId: orgs.get('police'), leadUserId: users.get('demo-observer') },
    );
    const team = await html(await observer.get(`/cases/${kase.id}/team`));
    assert.match(team, /<input type="text" id="m-username" name="username" required/);
    assert.doesNotMatch(team, /name="userId"/);
    await follow(
      observer,
      await observer.postForm(`/cases/${kase.id}/team/members`, {
        username: 'Demo-Analyst',
        role: 'analyst',
      }),
      /done=member-added/,
    );
    const unknown = await html(
      await observer.postForm(`/cases/${kase.id}/team/members`, { username: 'nobody-here', role: 'analyst' }),
      404,
    );
    assert.equal(alert(unknown), 'There is no such account on this node.');
    assert.match(
      unknown,
      /id="m-username" name="username" required maxlength="64" dir="ltr" autocomplete="off" value="nobody-here"/,
    );
  });

  it('agreements: records one with its participants; refuses bad dates and missing participants', async () => {
    const police = orgs.get('police')!;
    const ngo = orgs.get('ngo')!;
    const agreement = {
      title: 'JIT Hospital (DE–NL)',
      basisKind: 'eu_jit_model',
      legalBasis: 'Council Framework Decision 2002/465/JHA',
      startsOn: '2026-01-15',
      endsOn: '',
      scope: 'The attacks on the hospital.',
      purposeLimitation: 'Prosecution of the crimes in scope only.',
      participants: [police],
      [`country.${police}`]: 'de',
      [`receives.${police}`]: ['derivatives', 'incidents'],
      [`country.${ngo}`]: 'UA',
      [`receives.${ngo}`]: ['originals'],
    };
    // Before any agreement, the member from the police receives nothing, and is told so.
    const before = await html(await analyst.get(`/cases/${caseId}`));
    assert.match(
      before,
      /<strong>No agreement in force lets your organisation receive anything from this case yet\.<\/strong>/,
    );
    assert.doesNotMatch(
      before,
      /href="\/evidence\?caseId=|\/export"|data-count="items"|data-count="incidents"|id="charges"/,
    );
    assert.doesNotMatch(await html(await analyst.get('/cases')), new RegExp(`/cases/${caseId}/export`));
    const late = await html(
      await lead.postForm(`/cases/${caseId}/team/agreements`, { ...agreement, endsOn: '2026-01-01' }),
      400,
    );
    assert.equal(alert(late), 'The agreement cannot end before it starts.');
    // What was typed and ticked is kept.
    assert.match(late, /id="a-title" name="title" required maxlength="300" value="JIT Hospital \(DE–NL\)"/);
    assert.match(late, new RegExp(`name="participants" value="${police}" checked>`));
    assert.match(late, new RegExp(`name="receives.${police}" value="incidents" checked>`));
    assert.match(late, new RegExp(`name="participants" value="${ngo}">`));
    const badDate = await html(
      await lead.postForm(`/cases/${caseId}/team/agreements`, { ...agreement, startsOn: 'next week' }),
      400,
    );
    assert.equal(alert(badDate), '“Starts on” must be a real date such as 2024-03-01.');
    const alone = await html(
      await lead.postForm(`/cases/${caseId}/team/agreements`, { ...agreement, participants: [] }),
      400,
    );
    assert.equal(alert(alone), 'Tick at least one organisation that takes part.');
    const country = await html(
      await lead.postForm(`/cases/${caseId}/team/agreements`, {
        ...agreement,
        [`country.${police}`]: 'Germany',
      }),
      400,
    );
    assert.equal(alert(country), 'The country must be a two-letter ISO 3166-1 code such as UA, DE or AR.');
    const refused = await html(await analyst.postForm(`/cases/${caseId}/team/agreements`, agreement), 403);
    assert.equal(alert(refused), 'Your role on this case does not allow this.');

    const team = await follow(
      lead,
      await lead.postForm(`/cases/${caseId}/team/agreements`, agreement),
      /done=agreement-recorded#agreements$/,
    );
    assert.match(team, /The agreement was recorded\./);
    assert.match(
      team,
      /<h3 dir="auto">JIT Hospital \(DE–NL\) <span class="badge badge-ok">In force<\/span><\/h3>/,
    );
    assert.match(team, /<dd>EU model agreement for a joint investigation team<\/dd>/);
    assert.match(team, /<dd>from January 15, 2026<\/dd>/);
    assert.match(
      team,
      new RegExp(
        `<tr data-participant="${police}"><td>Federal War Crimes Unit \\(demo\\)</td><td><span class="ltr">DE</span></td><td>Derived copies \\(redactions, transcripts, translations\\) and Incidents</td></tr>`,
      ),
    );
    const saved = await n.node.cases.agreements({ operator: true }, caseId);
    assert.deepEqual(saved[0]?.participants, [
      { orgId: police, country: 'DE', receives: ['derivatives', 'incidents'] },
    ]);

    // The member from the police sees what their organisation receives, and under which agreement.
    const theirs = await html(await analyst.get(`/cases/${caseId}`));
    assert.match(
      theirs,
      /<strong>Your organisation receives: Derived copies \(redactions, transcripts, translations\) and Incidents\.<\/strong>/,
    );
    assert.match(theirs, /<li>JIT Hospital \(DE–NL\): Derived copies/);
    // Derived copies are evidence: the evidence link appears. Export and the analysis stay out of
    // reach (the analyst's node role may not export; the agreement grants no analysis).
    assert.match(theirs, new RegExp(`<li><a href="/evidence\\?caseId=${caseId}">`));
    assert.doesNotMatch(theirs, /\/export"/);
    assert.match(theirs, new RegExp(`<li><a href="/cases/${caseId}/incidents">`));
    assert.doesNotMatch(theirs, /id="charges"|\/matrix"/);
  });

  it('agreements: a lead changes one with the same form, and what the partner receives follows', async () => {
    const operator = { operator: true } as const;
    const police = orgs.get('police')!;
    const ngo = orgs.get('ngo')!;
    const partner = actorOf(await n.node.accounts.findUserByUsername('demo-analyst'));
    const jit = (await n.node.cases.agreements(operator, caseId)).find(
      (a) => a.title === 'JIT Hospital (DE–NL)',
    )!;
    const changeLink = `<a href="/cases/${caseId}/team?agreement=${jit.id}#agreement-form" class="change-agreement" aria-label="Change the agreement “JIT Hospital (DE–NL)”">Change the agreement</a>`;
    const action = `<form method="post" action="/cases/${caseId}/team/agreements/${jit.id}" id="change-agreement">`;
    assert.ok((await html(await lead.get(`/cases/${caseId}/team`))).includes(changeLink));
    assert.doesNotMatch(await html(await analyst.get(`/cases/${caseId}/team`)), /change-agreement/);

    // The link shows the agreement form filled in with the agreement, posting to its own address.
    const form = await html(await lead.get(`/cases/${caseId}/team?agreement=${jit.id}`));
    assert.ok(form.includes(action));
    assert.doesNotMatch(form, /id="record-agreement"/);
    assert.match(form, /<h3 id="agreement-form">Change the agreement “JIT Hospital \(DE–NL\)”<\/h3>/);
    assert.match(form, /id="a-title" name="title" required maxlength="300" value="JIT Hospital \(DE–NL\)"/);
    assert.match(form, /<option value="eu_jit_model" selected>/);
    assert.match(
      form,
      /name="legalBasis" maxlength="2000">Council Framework Decision 2002\/465\/JHA<\/textarea>/,
    );
    assert.match(form, /name="startsOn" required value="2026-01-15"/);
    assert.match(form, /name="endsOn" value=""/);
    assert.match(form, /name="scope" maxlength="4000">The attacks on the hospital\.<\/textarea>/);
    assert.match(
      form,
      /name="purposeLimitation" maxlength="4000">Prosecution of the crimes in scope only\.<\/textarea>/,
    );
    assert.match(form, new RegExp(`name="participants" value="${police}" checked>`));
    assert.match(form, new RegExp(`name="country.${police}" value="DE"`));
    for (const cat of ['originals', 'derivatives', 'incidents', 'analysis', 'witnesses']) {
      const on = cat === 'derivatives' || cat === 'incidents' ? ' checked' : '';
      assert.match(form, new RegExp(`name="receives.${police}" value="${cat}"${on}>`));
    }
    assert.match(form, new RegExp(`name="participants" value="${ngo}">`));
    assert.match(
      form,
      /<button type="submit">Save the changes<\/button> <a href="[^"]+\/team#agreements">Leave it unchanged<\/a>/,
    );

    const changed = {
      title: 'JIT Hospital (DE–NL)',
      basisKind: 'eu_jit_model',
      legalBasis: 'Council Framework Decision 2002/465/JHA',
      startsOn: '2026-01-15',
      endsOn: '',
      scope: 'The attacks on the hospital and its staff.',
      purposeLimitation: 'Prosecution of the crimes in scope only.',
      participants: [police],
      [`country.${police}`]: 'DE',
      [`receives.${police}`]: ['derivatives', 'witnesses'],
      [`country.${ngo}`]: 'UA',
    };
    const post = (client: TestClient, id: string, fields: Record<string, string | string[]>) =>
      client.postForm(`/cases/${caseId}/team/agreements/${id}`, fields);
    const stored = async () => (await n.node.cases.agreements(operator, caseId)).find((a) => a.id === jit.id);
    const before = await stored();
    assert.deepEqual((await n.node.cases.view(partner, caseId)).receives, ['derivatives', 'incidents']);

    // Refused: the same form again, with what was typed and the reason; nothing is saved.
    const late = await html(await post(lead, jit.id, { ...changed, endsOn: '2026-01-01' }), 400);
    assert.equal(alert(late), 'The agreement cannot end before it starts.');
    assert.ok(late.includes(action));
    assert.match(late, /name="endsOn" value="2026-01-01"/);
    assert.match(
      late,
      /name="scope" maxlength="4000">The attacks on the hospital and its staff\.<\/textarea>/,
    );
    assert.match(late, new RegExp(`name="receives.${police}" value="incidents">`));
    assert.match(late, new RegExp(`name="receives.${police}" value="witnesses" checked>`));
    assert.deepEqual(await stored(), before);

    // Only leads; only agreements of this case.
    const refused = await html(await post(analyst, jit.id, changed), 403);
    assert.equal(alert(refused), 'Your role on this case does not allow this.');
    assert.equal(
      alert(await html(await analyst.get(`/cases/${caseId}/team?agreement=${jit.id}`), 403)),
      alert(refused),
    );
    const demo = (await n.node.cases.list(operator)).find((k) => k.title.startsWith('Shelling'))!;
    const other = (await n.node.cases.agreements(operator, demo.id))[0]!;
    const elsewhere = await html(await post(lead, other.id, changed), 404);
    assert.equal(alert(elsewhere), 'This agreement is not part of the case, or the link is out of date.');
    assert.match(
      elsewhere,
      /id="record-agreement"/,
      'the form is not filled in for another case’s agreement',
    );
    const shown = await html(await lead.get(`/cases/${caseId}/team?agreement=${other.id}`), 404);
    assert.equal(alert(shown), alert(elsewhere));
    assert.doesNotMatch(shown, /Joint investigation team agreement \(demo\)/);
    await html(await post(lead, 'nonsense', changed), 404);
    await html(await lead.get(`/cases/${caseId}/team?agreement=nonsense`), 404);
    assert.deepEqual((await n.node.cases.agreements(operator, demo.id))[0], other);
    assert.deepEqual(await stored(), before);

    // Changed: the partner no longer receives incidents, and now receives witnesses.
    const team = await follow(lead, await post(lead, jit.id, changed), /done=agreement-changed#agreements$/);
    assert.match(team, /role="status">The agreement was changed\.<\/div>/);
    assert.match(team, /id="record-agreement"/);
    assert.match(
      team,
      new RegExp(
        `<tr data-participant="${police}"><td>Federal War Crimes Unit \\(demo\\)</td><td><span class="ltr">DE</span></td><td>Derived copies \\(redactions, transcripts, translations\\) and Witnesses \\(pseudonyms, consent, statements\\)</td></tr>`,
      ),
    );
    const after = await stored();
    assert.deepEqual(
      { ...after, updatedAt: before?.updatedAt },
      {
        ...before,
        scope: 'The attacks on the hospital and its staff.',
        participants: [{ orgId: police, country: 'DE', receives: ['derivatives', 'witnesses'] }],
      },
    );
    assert.equal((await n.node.cases.agreements(operator, caseId)).length, 1, 'replaced, not added');
    const now = await n.node.cases.view(partner, caseId);
    assert.deepEqual(now.receives, ['derivatives', 'witnesses']);
    assert.equal(now.may['incident.read'], false);
    await assert.rejects(n.node.cases.listIncidents(partner, caseId));

    // And back, as it was recorded (the next test ends it).
    await follow(
      lead,
      await post(lead, jit.id, {
        ...changed,
        scope: 'The attacks on the hospital.',
        [`receives.${police}`]: ['derivatives', 'incidents'],
      }),
      /done=agreement-changed/,
    );
    assert.deepEqual((await n.node.cases.view(partner, caseId)).receives, ['derivatives', 'incidents']);
    assert.deepEqual({ ...(await stored()), updatedAt: before?.updatedAt }, before);
  });

  it('agreements: a lead ends one today, and the partner organisation receives nothing under it from then on', async () => {
    const operator = { operator: true } as const;
    const ngo = orgs.get('ngo')!;
    const partner = actorOf(await n.node.accounts.findUserByUsername('demo-analyst'));
    const jit = (await n.node.cases.agreements(operator, caseId)).find(
      (a) => a.title === 'JIT Hospital (DE–NL)',
    )!;
    const endForm = (id: string) =>
      new RegExp(`<form method="post" action="/cases/${caseId}/team/agreements/${id}/end"`);
    const team = await html(await lead.get(`/cases/${caseId}/team`));
    assert.match(team, endForm(jit.id));
    assert.match(
      team,
      /<button type="submit" class="danger" aria-describedby="end-help-[^"]+">End the agreement today<\/button>/,
    );
    // Only leads are offered the form, and only leads may use it.
    assert.doesNotMatch(await html(await analyst.get(`/cases/${caseId}/team`)), endForm(jit.id));
    const refused = await html(
      await analyst.postForm(`/cases/${caseId}/team/agreements/${jit.id}/end`, {}),
      403,
    );
    assert.equal(alert(refused), 'Your role on this case does not allow this.');
    await html(
      await lead.postForm(`/cases/${caseId}/team/agreements/0b0e8c52-6d1e-4f53-9a2e-3f4a1c9d7e10/end`, {}),
      404,
    );
    await html(await lead.postForm(`/cases/${caseId}/team/agreements/nonsense/end`, {}), 404);

    // One that starts later cannot end today: the domain refuses, and says why.
    const future = await n.node.cases.saveAgreement(operator, caseId, {
      title: 'JIT Hospital, second phase',
      basisKind: 'ad_hoc',
      startsOn: '2026-06-01',
      participants: [{ orgId: ngo, country: 'UA', receives: ['derivatives'] }],
    });
    const early = await html(
      await lead.postForm(`/cases/${caseId}/team/agreements/${future.id}/end`, {}),
      400,
    );
    assert.equal(alert(early), 'The agreement cannot end before it starts.');
    // One that has ended is not offered, and is not brought back into force by ending it "today".
    const past = await n.node.cases.saveAgreement(operator, caseId, {
      title: 'Exchange of letters 2025',
      basisKind: 'bilateral',
      startsOn: '2025-01-01',
      endsOn: '2025-12-31',
      participants: [{ orgId: ngo, country: 'UA', receives: ['originals'] }],
    });
    const withPast = await html(await lead.get(`/cases/${caseId}/team`));
    assert.doesNotMatch(withPast, endForm(past.id));
    assert.doesNotMatch(withPast, new RegExp(`\\?agreement=${past.id}`), 'nor offered to be changed');
    const again = await html(await lead.postForm(`/cases/${caseId}/team/agreements/${past.id}/end`, {}), 409);
    assert.equal(alert(again), 'This agreement has already ended.');
    // Nor changed back into force.
    const revived = await html(
      await lead.postForm(`/cases/${caseId}/team/agreements/${past.id}`, {
        title: 'Exchange of letters 2025',
        basisKind: 'bilateral',
        startsOn: '2025-01-01',
        endsOn: '',
        participants: [ngo],
        [`country.${ngo}`]: 'UA',
        [`receives.${ngo}`]: ['originals'],
      }),
      409,
    );
    assert.equal(alert(revived), 'This agreement has already ended.');
    assert.equal(
      alert(await html(await lead.get(`/cases/${caseId}/team?agreement=${past.id}`), 409)),
      'This agreement has already ended.',
    );
    const unchanged = await n.node.cases.agreements(operator, caseId);
    assert.equal(unchanged.find((a) => a.id === past.id)?.endsOn, '2025-12-31');
    assert.equal(unchanged.find((a) => a.id === future.id)?.endsOn, null);

    assert.deepEqual((await n.node.cases.view(partner, caseId)).receives, ['derivatives', 'incidents']);
    const ended = await follow(
      lead,
      await lead.postForm(`/cases/${caseId}/team/agreements/${jit.id}/end`, {}),
      /done=agreement-ended#agreements$/,
    );
    assert.match(
      ended,
      /role="status">The agreement has ended: its participants receive nothing more under it\.<\/div>/,
    );
    assert.match(ended, /<dd>January 15, 2026 to March 1, 2026<\/dd>/);
    assert.doesNotMatch(ended, endForm(jit.id), 'nothing more to end');
    assert.doesNotMatch(ended, new RegExp(`\\?agreement=${jit.id}`), 'nothing more to change');
    // The same agreement, with today (UTC) as its end date; everything else as it was.
    const saved = (await n.node.cases.agreements(operator, caseId)).find((a) => a.id === jit.id)!;
    assert.deepEqual({ ...saved, updatedAt: jit.updatedAt }, { ...jit, endsOn: '2026-03-01' });
    assert.equal(n.clock.now().toISOString().slice(0, 10), '2026-03-01');
    const changed = await html(await lead.get(`/cases/${caseId}`));
    assert.match(changed, /Camille Laurent changed the agreement “JIT Hospital \(DE–NL\)”\./);

    // An agreement is in force until (not including) its end date: ended today, the partner
    // receives nothing from now on — no incidents, no evidence.
    const now = await n.node.cases.view(partner, caseId);
    assert.deepEqual(now.receives, []);
    assert.equal(now.may['incident.read'], false);
    await assert.rejects(n.node.cases.listIncidents(partner, caseId));
  });

  it('compartments: created with members, members changed; refusals in words', async () => {
    const analystId = users.get('demo-analyst')!;
    const me = users.get('demo-legal')!;
    const team = await follow(
      lead,
      await lead.postForm(`/cases/${caseId}/team/compartments`, {
        name: 'Insider witnesses',
        description: 'Two insiders from the unit.',
        members: [analystId],
      }),
      /done=compartment-created#compartments$/,
    );
    const id =
      /<article class="compartment" data-compartment="([^"]+)"><h3 dir="auto">Insider witnesses<\/h3>/.exec(
        team,
      )?.[1];
    assert.ok(id);
    // The creator is added; both boxes are ticked on the form that changes the members.
    assert.match(team, new RegExp(`id="k-${id}-${analystId}" name="members" value="${analystId}" checked>`));
    assert.match(team, new RegExp(`id="k-${id}-${me}" name="members" value="${me}" checked>`));

    const twice = await html(
      await lead.postForm(`/cases/${caseId}/team/compartments`, { name: 'insider WITNESSES', members: [] }),
      409,
    );
    assert.equal(alert(twice), 'This case already has a compartment with this name.');
    assert.match(twice, /id="k-name" name="name" required maxlength="100" value="insider WITNESSES"/);
    const outsider = await html(
      await lead.postForm(`/cases/${caseId}/team/compartments`, {
        name: 'Sources',
        members: [users.get('demo-auditor')!],
      }),
      400,
    );
    assert.equal(alert(outsider), 'Everyone in a compartment must be a member of the case.');
    const empty = await html(
      await lead.postForm(`/cases/${caseId}/team/compartments/${id}/members`, {}),
      400,
    );
    assert.equal(alert(empty), 'A compartment needs at least one member.');
    // A compartment of another case cannot be changed through this one.
    const demo = (await n.node.cases.list({ operator: true })).find((k) => k.title.startsWith('Shelling'))!;
    const other = (await n.node.cases.compartments({ operator: true }, demo.id))[0]!;
    const elsewhere = await html(
      await lead.postForm(`/cases/${caseId}/team/compartments/${other.id}/members`, { members: [me] }),
      404,
    );
    assert.equal(alert(elsewhere), 'This link is broken or out of date.');
    const analystSees = await html(await analyst.get(`/cases/${caseId}/team`));
    assert.match(
      analystSees,
      /Insider witnesses<\/h3><p class="prose" dir="auto">Two insiders from the unit\.<\/p><p><strong>Members:<\/strong> /,
    );

    const changed = await follow(
      lead,
      await lead.postForm(`/cases/${caseId}/team/compartments/${id}/members`, { members: [me] }),
      /done=compartment-members#compartments$/,
    );
    assert.match(changed, /The members of the compartment were saved\./);
    // The analyst is no longer in it, and no longer sees it.
    assert.doesNotMatch(await html(await analyst.get(`/cases/${caseId}/team`)), /Insider witnesses/);
  });

  it('edit: the lead changes status and dates; refusals for bad dates and closing before opening', async () => {
    const form = await html(await lead.get(`/cases/${caseId}/edit`));
    assert.match(form, /<h1>Change the case record: Siege of the hospital<\/h1>/);
    assert.match(form, /id="c-opened" name="openedOn" value="2026-02-01"/);
    assert.match(form, /id="c-closed" name="closedOn" value=""/);
    const edit = (fields: Record<string, string | string[]>) =>
      lead.postForm(`/cases/${caseId}/edit`, caseForm({ closedOn: '', ...fields }));
    assert.equal(
      alert(await html(await edit({ status: 'closed', closedOn: '2026-01-20' }), 400)),
      'A case cannot close before it opens.',
    );
    assert.equal(
      alert(await html(await edit({ status: 'trial', closedOn: '2026-02-20' }), 400)),
      'Only a closed case has a closing date: choose the status “Closed” or leave the closing date empty.',
    );
    const bad = await html(await edit({ status: 'closed', closedOn: '20/02/2026' }), 400);
    assert.equal(alert(bad), '“Closed on” must be a real date such as 2024-03-01.');
    assert.match(bad, /id="c-closed" name="closedOn" value="20\/02\/2026"/);
    assert.match(bad, /<option value="closed" selected>/);

    const closed = await follow(
      lead,
      await edit({ status: 'closed', closedOn: '2026-02-20', jurisdictions: ['ICC', 'DE', 'FR'] }),
      new RegExp(`^/cases/${caseId}\\?done=updated$`),
    );
    assert.match(closed, /The case record was saved\./);
    assert.match(closed, /<dd data-status="closed">Closed<\/dd>/);
    assert.match(closed, /<dt>Closed on<\/dt><dd>February 20, 2026<\/dd>/);
    // Reopened; every jurisdiction unticked means none.
    const reopened = await follow(lead, await edit({ status: 'trial', jurisdictions: [] }), /done=updated/);
    assert.match(reopened, /<dd>still open<\/dd>/);
    assert.match(reopened, /<dt>Jurisdictions<\/dt><dd>none<\/dd>/);
    await follow(lead, await edit({ status: 'investigation' }), /done=updated/);

    // Someone who is a member but not a lead.
    const notLead = await html(await analyst.get(`/cases/${caseId}/edit`), 403);
    assert.match(notLead, /Only a lead of the case may change its record\./);
    assert.doesNotMatch(notLead, /<form method="post" action="\/cases\/[^"]+\/edit"/);
    await html(await analyst.postForm(`/cases/${caseId}/edit`, caseForm({ title: 'Renamed' })), 403);
    assert.equal((await n.node.cases.view({ operator: true }, caseId)).record.title, 'Siege of the hospital');
  });

  it('dashboard: counts, charges × jurisdiction linking to gap reports, history in words, links by role', async () => {
    const operator = { operator: true } as const;
    await n.node.cases.update(operator, caseId, { jurisdictions: ['ICC', 'DE', 'AR'] });
    const suspect = await n.node.cases.addSuspect(operator, caseId, {
      name: 'Col. A. Example',
      position: 'Brigade commander',
    });
    const charge = await n.node.cases.addCharge(operator, caseId, {
      suspectId: suspect.id,
      crimeId: 'rs-7-1-a',
      modeId: 'rs-28-a',
    });
    const page = await html(await lead.get(`/cases/${caseId}`));
    assert.match(page, /<li data-count="suspects"><span class="count">1<\/span> Suspects<\/li>/);
    assert.match(page, /<li data-count="charges"><span class="count">1<\/span> Charges<\/li>/);
    assert.match(page, /<li data-count="items"><span class="count">0<\/span> Evidence items<\/li>/);
    const row = new RegExp(`<tr data-charge="${charge.id}">(.*?)</tr>`, 's').exec(page)?.[1] ?? '';
    assert.match(row, /<th scope="row" dir="auto">Col\. A\. Example: /);
    for (const j of ['ICC', 'DE', 'AR']) {
      const { report } = await n.node.cases.gaps(operator, charge.id, j);
      const state = !report.applicable ? 'none' : report.proven ? 'proven' : 'gaps';
      const cell = new RegExp(
        `<td data-jurisdiction="${j}" data-state="${state}"><a href="/charges/${charge.id}\\?jurisdiction=${j}"><span class="badge [\\w-]+">([^<]+)</span>`,
      ).exec(row);
      assert.ok(cell, `${j} cell in ${row}`);
      assert.equal(
        cell[1],
        state === 'none'
          ? 'No national offence'
          : state === 'proven'
            ? 'Proven'
            : `Gaps: ${report.counts.gaps}`,
      );
    }
    for (const href of [
      `/evidence?caseId=${caseId}`,
      `/cases/${caseId}/export`,
      `/cases/${caseId}/incidents`,
      `/cases/${caseId}/matrix`,
      `/cases/${caseId}/team`,
      `/cases/${caseId}/edit`,
    ]) {
      assert.match(page, new RegExp(`<li><a href="${href.replace(/[?]/g, '\\?')}">`));
    }
    const history = [
      ...page.matchAll(/<li data-event="([\w.]+)"><time datetime="[^"]+">[^<]+<\/time> ([^<]*)<\/li>/g),
    ].map((m) => [m[1], m[2]!.replace(/&quot;/g, '"')]);
    const said = history.map(([, text]) => text);
    assert.ok(said.includes('Camille Laurent opened the case.'), said.join('\n'));
    assert.ok(said.includes('Camille Laurent added Jonas Weber as Analyst.'));
    assert.ok(said.includes('Camille Laurent gave Jonas Weber the role Investigator.'));
    assert.ok(said.includes('Camille Laurent removed Taro Yamada from the case.'));
    assert.ok(said.includes('Camille Laurent recorded the agreement “JIT Hospital (DE–NL)”.'));
    assert.ok(said.includes('Camille Laurent created the compartment “Insider witnesses”.'));
    assert.ok(said.includes('The node operator added a charge.'));
    assert.ok(said.includes('Camille Laurent changed the case record (status: Closed).'));
    assert.equal(history[0]?.[0], 'charge.added', 'newest first');

    // An observer on the case: no evidence, export, matrix or edit links; no charges; no counts they may not read.
    await n.node.cases.putMember(operator, caseId, { userId: users.get('demo-observer'), role: 'observer' });
    const seen = await html(await observer.get(`/cases/${caseId}`));
    assert.match(seen, /<dd data-role="observer">Observer<\/dd>/);
    assert.match(seen, new RegExp(`<li><a href="/cases/${caseId}/team">`));
    for (const hidden of [
      // The observer's organisation (police) receives nothing since its agreement ended above.
      `/cases/${caseId}/incidents`,
      '/evidence\\?caseId=',
      `/cases/${caseId}/export`,
      `/cases/${caseId}/matrix`,
      `/cases/${caseId}/edit`,
    ]) {
      assert.doesNotMatch(seen, new RegExp(`href="${hidden}`));
    }
    assert.doesNotMatch(seen, /id="charges"|data-count="items"|data-count="suspects"/);
  });

  it('in Arabic the pages are right-to-left and translated', async () => {
    const arabic = new TestClient(n.app.app, { 'Accept-Language': 'ar' });
    await arabic.signIn('demo-admin', DEMO_PASSWORD, () => n.clock.now());
    const demo = (await n.node.cases.list({ operator: true })).find((k) => k.title.startsWith('Shelling'))!;
    const page = await html(await arabic.get(`/cases/${demo.id}`));
    assert.match(page, /<html lang="ar" dir="rtl">/);
    assert.match(page, /<h2>سجل القضية<\/h2>/);
    assert.match(page, /<dd data-role="lead">قائد القضية<\/dd>/);
    const team = await html(await arabic.get(`/cases/${demo.id}/team`));
    assert.match(team, /<h2>اتفاقات فريق التحقيق المشترك<\/h2>/);
    assert.match(team, /Witness protection/);
    const bad = await html(await arabic.postForm(`/cases/${demo.id}/edit`, caseForm({ openedOn: 'x' })), 400);
    assert.match(alert(bad), /\p{Script=Arabic}/u);
  });
});

/**
 * The journey in Chromium with JavaScript switched off: a demo lead opens a case, adds a member
 * from another organisation, records an agreement and creates a compartment; screenshots of the
 * dashboard and the team page in English and Arabic. Nothing may be loaded from outside the node.
 */
describe('case pages in Chromium', () => {
  let root: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let external: string[] = [];
  let problems: string[] = [];

  before(async () => {
    ({ root, server } = await startDemoServer('cases'));
    browser = await launchChromium();
    ({ page, external, problems } = await offlinePage(browser, server.url));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('a lead opens a case, builds the team, records an agreement and a compartment', async () => {
    await signInFirstTime(page, server.url, 'demo-legal');
    await page.click('nav a[href="/cases"]');

    await page.fill('#c-title', 'Deportations from the eastern districts');
    await page.fill('#c-summary', 'Forcible transfer of civilians, spring 2022.');
    await page.selectOption('#c-status', 'investigation');
    await page.check('#c-j-ICC');
    await page.check('#c-j-DE');
    await page.fill('#c-legal', 'Universal jurisdiction; JIT under negotiation.');
    await page.fill('#c-opened', '2026-01-10');
    await page.click('form[action="/cases"] button[type=submit]');
    assert.match(new URL(page.url()).pathname, /^\/cases\/[0-9a-f-]{36}$/);
    const dashboard = page.url().split('?')[0]!;
    assert.equal(await page.locator('main h1').textContent(), 'Deportations from the eastern districts');

    await page.click('a[href$="/team"]');
    await page.selectOption('#m-user', { label: 'Jonas Weber (demo-analyst)' });
    await page.selectOption('#m-role', 'analyst');
    await page.click('#add-member button[type=submit]');
    assert.equal(await page.locator('.notice-info').textContent(), 'The member was added to the case.');
    assert.match((await page.locator('table.members').textContent()) ?? '', /Jonas Weber/);

    await page.fill('#a-title', 'JIT Eastern districts (NL–DE)');
    await page.selectOption('#a-kind', 'eu_jit_model');
    await page.fill('#a-start', '2026-01-15');
    await page.fill('#a-scope', 'Deportations and forcible transfers.');
    const police = page.locator('fieldset.participant', { hasText: 'Federal War Crimes Unit (demo)' });
    await police.getByLabel('Takes part in the agreement').check();
    await police.getByLabel('Derived copies (redactions, transcripts, translations)').check();
    await police.getByLabel('Incidents').check();
    await page.click('#record-agreement button[type=submit]');
    assert.equal(await page.locator('.notice-info').textContent(), 'The agreement was recorded.');
    assert.match((await page.locator('article.agreement').textContent()) ?? '', /In force/);

    await page.fill('#k-name', 'Witness identities');
    await page.fill('#k-description', 'Names and contacts of the witnesses.');
    await page
      .locator('#create-compartment')
      .getByLabel(/Jonas Weber/)
      .check();
    await page.click('#create-compartment button[type=submit]');
    assert.equal(await page.locator('.notice-info').textContent(), 'The compartment was created.');
    assert.equal(await page.locator('article.compartment h3').textContent(), 'Witness identities');
    await page.screenshot({ path: join(SHOTS, 'case-team.png'), fullPage: true });

    // A charge, so that the dashboard shows its row of jurisdictions (charges have pages of their own).
    const operator = { operator: true } as const;
    const id = dashboard.split('/').at(-1)!;
    const suspect = await server.node.cases.addSuspect(operator, id, { name: 'Maj. B. Example' });
    await server.node.cases.addCharge(operator, id, {
      suspectId: suspect.id,
      crimeId: 'rs-7-1-d',
      modeId: 'rs-25-3-a-1',
    });
    await page.goto(dashboard);
    assert.equal(await page.locator('[data-count="members"] .count').textContent(), '2');
    assert.equal(await page.locator('table.charges tbody td').count(), 2);
    assert.match(
      (await page.locator('#history').textContent()) ?? '',
      /Camille Laurent created the compartment “Witness identities”\./,
    );
    await page.screenshot({ path: join(SHOTS, 'case-dashboard.png'), fullPage: true });

    // The same pages in Arabic.
    await page.goto(`${server.url}/profile`);
    await page.selectOption('#locale', 'ar');
    await page.click('form[action="/profile/language"] button[type=submit]');
    await page.goto(dashboard);
    assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
    assert.equal(await page.locator('#record h2').textContent(), 'سجل القضية');
    await page.screenshot({ path: join(SHOTS, 'case-dashboard-ar.png'), fullPage: true });
    await page.goto(`${dashboard}/team`);
    assert.equal(await page.locator('#compartments h2').textContent(), 'الأقسام المغلقة');
    await page.screenshot({ path: join(SHOTS, 'case-team-ar.png'), fullPage: true });
  });

  it('loaded nothing from outside the node, and nothing failed in the page', () => {
    assert.deepEqual(external, []);
    assert.deepEqual(problems, []);
  });
});
