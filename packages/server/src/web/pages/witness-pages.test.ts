import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { type Actor, actorOf, type CaseRole, type DataCategory, type Role } from '@accord/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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
 * The witness pages without JavaScript, on both databases: the list of a case's witnesses with the
 * new-witness form and, for protection officers, the reviews due; the page of a witness with its
 * consent, statements, and — only for protection officers inside the protection compartment — the
 * identity and the risk assessments; every form with its refusals. The real name is searched for
 * in every page the other roles see. Then the export page, which checks consent to sharing with
 * the recipient organisation. Last, the journey in Chromium with screenshots in two languages.
 */
describeEachDatabase('witness pages', (create, name) => {
  let n: TestNode;
  const PASSWORD = 'correct horse battery staple';
  const REAL_NAME = 'Olena Petrivna Hrytsenko';
  /** What must never reach anyone but the protection officer inside the compartment. */
  const SECRETS = [
    'Hrytsenko',
    'Olena Petrivna',
    '+380 00 000 0000',
    '1990-04-12',
    'Sumska street 7',
    'Moved in May',
  ];
  const operator = { operator: true } as const;
  const orgs: Record<'lead' | 'partner', string> = { lead: '', partner: '' };
  const actors = new Map<string, Actor>();
  const clients = new Map<string, TestClient>();
  let caseId = '';
  let otherCaseId = '';
  let otherWitnessId = '';
  let compartmentId = '';
  let witnessId = '';
  let statementItem = '';
  let otherItem = '';
  const missing = '0b0e8c52-6d1e-4f53-9a2e-3f4a1c9d7e10';

  const as = (key: string): TestClient => clients.get(key)!;

  before(async () => {
    n = await createTestNode(create, name, { checkpointIntervalMs: 20 });
    const { accounts, cases } = n.node;
    for (const [key, country] of [
      ['lead', 'NL'],
      ['partner', 'DE'],
    ] as const) {
      orgs[key] = (
        await accounts.createOrganisation(operator, { name: `Org ${key}`, country, kind: 'other' })
      ).id;
    }
    const people: [string, 'lead' | 'partner', Role, CaseRole | undefined][] = [
      ['lead', 'lead', 'investigator', 'lead'],
      ['advocate', 'lead', 'survivor_advocate', 'survivor_advocate'],
      ['protection', 'lead', 'protection_officer', 'protection_officer'],
      ['protectionout', 'lead', 'protection_officer', 'protection_officer'],
      ['analyst', 'lead', 'analyst', 'analyst'],
      ['observer', 'lead', 'observer', 'observer'],
      ['stranger', 'lead', 'investigator', undefined],
      ['partner', 'partner', 'investigator', 'investigator'],
    ];
    for (const [key, org, role] of people) {
      const { user } = await accounts.createUser(operator, {
        orgId: orgs[org],
        username: key,
        displayName: `The ${key}`,
        role,
        password: PASSWORD,
      });
      actors.set(key, actorOf(user));
    }
    caseId = (await cases.create(actors.get('lead')!, { title: 'Detention site' })).id;
    for (const [key, , , onCase] of people) {
      if (!onCase || key === 'lead') continue;
      await cases.putMember(operator, caseId, { userId: actors.get(key)!.userId, role: onCase });
    }
    // The partner organisation receives derivatives, never witnesses.
    const receives: DataCategory[] = ['derivatives'];
    await cases.saveAgreement(operator, caseId, {
      title: 'JIT',
      basisKind: 'ad_hoc',
      startsOn: '2000-01-01',
      participants: [{ orgId: orgs.partner, country: 'DE', receives }],
    });
    compartmentId = (
      await cases.createCompartment(actors.get('lead')!, caseId, {
        name: 'Witness protection',
        members: [actors.get('protection')!.userId],
      })
    ).id;
    // Another case of the lead's, with a witness of its own; the advocate is not a member.
    otherCaseId = (await cases.create(actors.get('lead')!, { title: 'Other case' })).id;
    otherWitnessId = (await n.node.witnesses.create(actors.get('lead')!, otherCaseId, {})).id;
    otherItem = (
      await n.node.evidence.ingest(
        actors.get('lead')!,
        {
          caseId: otherCaseId,
          source: Readable.from([Buffer.from('other case bytes')]),
          fileName: 'other.txt',
        },
        'api',
      )
    ).item.id;
    for (const [key] of people) {
      const client = new TestClient(n.app.app, { 'Accept-Language': 'en' });
      await client.signIn(key, PASSWORD, () => n.clock.now());
      clients.set(key, client);
    }
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
  const decode = (s: string) =>
    s
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const alert = (page: string): string => {
    const m = /<div class="notice notice-error" role="alert">([^<]*)<\/div>/.exec(page);
    assert.ok(m, 'an error notice');
    return decode(m[1]!);
  };
  const info = (page: string): string => {
    const m = /<div class="notice notice-info" role="status">([^<]*)<\/div>/.exec(page);
    assert.ok(m, 'a confirmation');
    return decode(m[1]!);
  };
  const consent = (who: string, fields: Record<string, string>) =>
    as(who).postForm(`/witnesses/${witnessId}/consent`, { note: '', scope: '', ...fields });
  /** Sets a user's language on the profile page ("" for the browser's). */
  const language = async (who: string, locale: string) => {
    const res = await as(who).postForm('/profile/language', { locale });
    assert.equal(res.status, 303);
  };
  const logSize = async () => {
    await n.node.custody.flush();
    return (await n.node.custody.state()).size;
  };

  it('the dashboard links to the witnesses for those who may see them; the list starts empty', async () => {
    for (const who of ['lead', 'advocate', 'protection', 'analyst']) {
      const dashboard = await html(await as(who).get(`/cases/${caseId}`));
      assert.match(dashboard, new RegExp(`<a href="/cases/${caseId}/witnesses">Witnesses</a>`), who);
    }
    for (const who of ['observer', 'partner']) {
      const dashboard = await html(await as(who).get(`/cases/${caseId}`));
      assert.doesNotMatch(dashboard, /\/witnesses"/, who);
    }
    const list = await html(await as('advocate').get(`/cases/${caseId}/witnesses`));
    assert.match(list, /<h1>Witnesses: Detention site<\/h1>/);
    assert.match(list, /No witness has been recorded in this case yet\./);
    assert.match(list, new RegExp(`<form method="post" action="/cases/${caseId}/witnesses">`));
    assert.match(list, /name="_csrf" value="[^"]+"/);
    assert.doesNotMatch(list, /id="reviews-due"/, 'reviews are for protection officers');
    const analyst = await html(await as('analyst').get(`/cases/${caseId}/witnesses`));
    assert.doesNotMatch(analyst, /id="new-witness"/, 'analysts do not record witnesses');
    const protection = await html(await as('protection').get(`/cases/${caseId}/witnesses`));
    assert.match(protection, /<section class="card" id="reviews-due"/);
    assert.match(protection, /No review is due\./);
  });

  it('a new witness gets the next pseudonym and its own page', async () => {
    const page = await follow(
      as('advocate'),
      await as('advocate').postForm(`/cases/${caseId}/witnesses`, {
        pseudonym: '',
        kind: 'survivor',
        languages: 'uk, ru',
        note: 'Met at the shelter',
      }),
      /^\/witnesses\/[0-9a-f-]{36}\?done=created$/,
    );
    witnessId = /action="\/witnesses\/([0-9a-f-]{36})\/consent"/.exec(page)?.[1] ?? '';
    assert.ok(witnessId);
    assert.match(page, /<h1>Witness W-0001<\/h1>/);
    assert.equal(info(page), 'The witness was recorded.');
    assert.match(page, /<dd>Survivor<\/dd>/);
    assert.match(page, /Ukrainian \(uk\) and Russian \(ru\)/);
    assert.match(page, /Met at the shelter/);
    assert.match(page, new RegExp(`<a href="/cases/${caseId}/witnesses">All witnesses of the case</a>`));
    assert.doesNotMatch(page, /id="identity"|id="risks"/, 'the advocate sees no identity part');
    const list = await html(await as('analyst').get(`/cases/${caseId}/witnesses`));
    assert.match(list, new RegExp(`<a href="/witnesses/${witnessId}" class="ltr">W-0001</a>`));
    assert.match(list, /No consent recorded/);
  });

  it('the new-witness form refuses names, duplicates and bad languages in words and keeps what was typed', async () => {
    const post = (fields: Record<string, string>, who = 'advocate') =>
      as(who).postForm(`/cases/${caseId}/witnesses`, {
        pseudonym: '',
        kind: 'witness',
        languages: '',
        note: '',
        ...fields,
      });
    const named = await html(await post({ pseudonym: 'Olena H', note: 'kept' }), 400);
    assert.equal(
      alert(named),
      'A pseudonym starts with a capital letter or a digit and has no spaces (such as W-0421): never a name.',
    );
    assert.match(named, /<details class="card" id="new-witness" open>/);
    assert.match(named, /name="pseudonym" maxlength="40"[^>]* value="Olena H"/);
    assert.match(named, />kept<\/textarea>/);
    const taken = await html(await post({ pseudonym: 'W-0001' }), 409);
    assert.equal(alert(taken), 'This case already has a witness with this pseudonym.');
    const languages = await html(await post({ languages: 'Ukrainian!' }), 400);
    assert.equal(alert(languages), 'Give the languages as tags such as uk, ar or fr.');
    const kind = await html(await post({ kind: 'king' }), 400);
    assert.equal(alert(kind), 'Choose one of the options offered. Check the field “Kind of witness”.');
    const analyst = await html(await post({}, 'analyst'), 403);
    assert.equal(alert(analyst), 'Your role on this case does not allow this.');
    assert.equal(
      (await as('advocate').postForm(`/cases/${caseId}/witnesses`, { pseudonym: 'W-9' }, null)).status,
      403,
    );
    // In the reader's language.
    await language('advocate', 'fr');
    const fr = await html(await post({ pseudonym: 'Olena H' }), 400);
    assert.match(fr, /<html lang="fr"/);
    assert.equal(
      alert(fr),
      'Un pseudonyme commence par une majuscule ou un chiffre et ne contient pas d’espace (par exemple W-0421) : jamais un nom.',
    );
    await language('advocate', 'ar');
    const ar = await html(await post({ pseudonym: 'W-0001' }), 409);
    assert.match(ar, /<html lang="ar" dir="rtl"/);
    assert.equal(alert(ar), 'في هذه القضية شاهد يحمل هذا الاسم المستعار بالفعل.');
    assert.match(ar, /<summary>تسجيل شاهد جديد<\/summary>/);
    await language('advocate', '');
    const list = await n.node.witnesses.list(operator, caseId);
    assert.deepEqual(
      list.map((w) => w.pseudonym),
      ['W-0001'],
    );
  });

  it('consent: given and withdrawn per purpose, scope shown by name, the history kept oldest first', async () => {
    const entries: Record<string, string>[] = [
      { purpose: 'investigation', state: 'given', note: 'In person, with an interpreter' },
      { purpose: 'prosecution', scope: 'DE', state: 'given' },
      { purpose: 'sharing', scope: orgs.partner, state: 'given' },
      { purpose: 'sharing', scope: orgs.partner, state: 'withdrawn', note: 'Changed her mind' },
    ];
    for (const fields of entries) {
      const page = await follow(as('advocate'), await consent('advocate', fields), /\?done=consent#consent$/);
      assert.equal(info(page), 'The consent was recorded.');
    }
    const page = await html(await as('analyst').get(`/witnesses/${witnessId}`));
    const germany = n.node.legal.jurisdiction('DE')!.name;
    assert.match(page, /<li data-consent="investigation::given"><span dir="auto">The investigation<\/span>/);
    assert.match(
      page,
      new RegExp(
        `<li data-consent="prosecution:DE:given"><span dir="auto">Prosecution: ${germany} \\(DE\\)</span>`,
      ),
    );
    assert.match(
      page,
      new RegExp(
        `<li data-consent="sharing:${orgs.partner}:withdrawn"><span dir="auto">Sharing with a partner: Org partner</span> <span class="badge badge-danger">Withdrawn</span>`,
      ),
    );
    const seqs = [...page.matchAll(/<tr data-seq="(\d+)">/g)].map((m) => Number(m[1]));
    assert.equal(seqs.length, 4);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'oldest first, newest last',
    );
    assert.match(page, /Changed her mind/);
    assert.match(page, /The advocate, with the witness/);
    assert.doesNotMatch(page, /id="record-consent"/, 'analysts do not record consent');
    // The list sums it up.
    const list = await html(await as('lead').get(`/cases/${caseId}/witnesses`));
    assert.match(list, new RegExp(`data-consent="sharing:${orgs.partner}:withdrawn"`));
  });

  it('consent: a wrong scope is refused in words; nothing is recorded', async () => {
    const before = (await n.node.witnesses.view(operator, witnessId)).consent.length;
    const scope =
      'Choose a jurisdiction for prosecution and an organisation for sharing; the other purposes have no scope.';
    const unknown = await html(
      await consent('advocate', { purpose: 'prosecution', scope: 'XX', state: 'given' }),
      400,
    );
    assert.equal(alert(unknown), scope);
    assert.match(unknown, /<option value="prosecution" selected>/, 'the choice is kept');
    assert.match(unknown, /<details class="subform" open><summary>Record consent/);
    assert.equal(
      alert(
        await html(
          await consent('advocate', { purpose: 'contact', scope: orgs.partner, state: 'given' }),
          400,
        ),
      ),
      scope,
    );
    assert.equal(
      alert(await html(await consent('advocate', { purpose: 'sharing', scope: '', state: 'given' }), 400)),
      scope,
    );
    assert.equal(
      alert(await html(await consent('advocate', { purpose: 'sharing', scope: 'DE', state: 'given' }), 400)),
      scope,
    );
    assert.equal(
      alert(
        await html(await consent('advocate', { purpose: 'sharing', scope: missing, state: 'given' }), 404),
      ),
      scope,
    );
    assert.equal(
      alert(await html(await consent('advocate', { purpose: 'investigation', state: 'maybe' }), 400)),
      'Choose one of the options offered. Check the field “Consent”.',
    );
    assert.equal(
      alert(await html(await consent('analyst', { purpose: 'investigation', state: 'given' }), 403)),
      'Your role on this case does not allow this.',
    );
    assert.equal((await n.node.witnesses.view(operator, witnessId)).consent.length, before);
  });

  it('statements: recorded with the consent at the time and a link to the item; refusals in words', async () => {
    statementItem = (
      await n.node.evidence.ingest(
        actors.get('advocate')!,
        {
          caseId,
          source: Readable.from([Buffer.from('Statement of W-0001. They took us.')]),
          fileName: 'statement.txt',
        },
        'api',
      )
    ).item.id;
    const page = await html(await as('advocate').get(`/witnesses/${witnessId}`));
    assert.match(
      page,
      new RegExp(`<option value="${statementItem}">statement\\.txt \\(Original\\)</option>`),
    );
    assert.match(
      page,
      /<input type="text" id="s-language" name="language" required maxlength="20" dir="ltr" autocomplete="off" value="uk"/,
    );
    const fields = {
      takenOn: '2024-05-02',
      takenBy: 'Investigator 3',
      orgId: orgs.lead,
      language: 'uk',
      interpreter: 'Interpreter 7',
      itemId: statementItem,
      note: 'First interview',
    };
    const post = (extra: Record<string, string>, who = 'advocate') =>
      as(who).postForm(`/witnesses/${witnessId}/statements`, { ...fields, ...extra });
    const bad = await html(await post({ takenOn: '2024-02-30' }), 400);
    assert.equal(alert(bad), '“Taken on” must be a real date such as 2024-03-01.');
    assert.match(bad, /value="Investigator 3"/, 'what was typed is kept');
    assert.equal(
      alert(await html(await post({ language: 'Ukrainian' }), 400)),
      'Give the language as a tag such as uk, ar or fr.',
    );
    assert.equal(
      alert(await html(await post({ takenBy: ' ' }), 400)),
      'Fill in every required field. Check the field “Taken by”.',
    );
    assert.equal(
      alert(await html(await post({ itemId: otherItem }), 404)),
      'The chosen evidence item is not part of this case, or is not visible to you.',
    );
    assert.equal(
      alert(await html(await post({}, 'analyst'), 403)),
      'Your role on this case does not allow this.',
    );
    const done = await follow(as('advocate'), await post({}), /\?done=statement#statements$/);
    assert.equal(info(done), 'The statement was recorded.');
    const row = /<tr data-statement="[^"]+">[\s\S]*?<\/tr>/.exec(done)?.[0] ?? '';
    assert.match(
      row,
      /<td>May 2, 2024<\/td><td dir="auto">Investigator 3<\/td><td>Org lead<\/td><td>Ukrainian \(uk\)<\/td><td dir="auto">Interpreter 7<\/td>/,
    );
    assert.match(row, new RegExp(`data-consent="sharing:${orgs.partner}:withdrawn"`), 'consent at the time');
    assert.match(
      row,
      new RegExp(
        `<a href="/evidence/${statementItem}" dir="auto" data-item="${statementItem}">statement\\.txt</a>`,
      ),
    );
    assert.match(row, /First interview/);
    assert.equal((await n.node.witnesses.view(operator, witnessId)).statements.length, 1);
  });

  it('the identity: recorded only by a protection officer inside the protection compartment', async () => {
    const identity = {
      compartmentId,
      fullName: REAL_NAME,
      otherNames: 'Olena H.\nO. Hrytsenko',
      dateOfBirth: '1990-04-12',
      contact: '+380 00 000 0000',
      address: 'Sumska street 7, Kharkiv',
      note: 'Moved in May',
    };
    const protectOnly =
      'Only protection officers who are members of the protection compartment may record identities and risk assessments.';
    // Refused to everyone else, even the lead who is in the compartment; nothing of the form shows.
    for (const who of ['advocate', 'lead', 'analyst']) {
      const page = await html(await as(who).get(`/witnesses/${witnessId}`));
      assert.doesNotMatch(page, /id="identity"|id="identity-form"|name="fullName"|id="risks"/, who);
      const refused = await html(await as(who).postForm(`/witnesses/${witnessId}/identity`, identity), 403);
      assert.equal(alert(refused), protectOnly, who);
      assert.doesNotMatch(refused, /name="fullName"/, who);
    }
    // A protection officer outside every compartment is offered no compartment to file it in.
    const out = await html(await as('protectionout').get(`/witnesses/${witnessId}`));
    assert.match(out, /data-no-compartment/);
    assert.equal(
      alert(
        await html(await as('protectionout').postForm(`/witnesses/${witnessId}/identity`, identity), 404),
      ),
      protectOnly,
    );
    const protection = await html(await as('protection').get(`/witnesses/${witnessId}`));
    assert.match(protection, /No identity has been recorded\./);
    assert.match(protection, new RegExp(`<option value="${compartmentId}">Witness protection</option>`));
    const post = (extra: Record<string, string>) =>
      as('protection').postForm(`/witnesses/${witnessId}/identity`, { ...identity, ...extra });
    const born = await html(await post({ dateOfBirth: '12.04.1990' }), 400);
    assert.equal(alert(born), '“Date of birth” must be a real date such as 2024-03-01.');
    assert.match(born, new RegExp(`value="${REAL_NAME}"`), 'kept for the protection officer');
    assert.equal(
      alert(await html(await post({ fullName: '' }), 400)),
      'Fill in every required field. Check the field “Full name”.',
    );
    assert.equal(alert(await html(await post({ compartmentId: missing }), 404)), protectOnly);
    assert.equal((await n.node.witnesses.view(actors.get('protection')!, witnessId)).identity, undefined);
    const done = await follow(as('protection'), await post({}), /\?done=identity#identity$/);
    assert.equal(info(done), 'The identity was saved in the protection compartment.');
    assert.match(done, new RegExp(`<span dir="auto" data-full-name>${REAL_NAME}</span>`));
    assert.match(done, /<li><span dir="auto">O\. Hrytsenko<\/span><\/li>/);
    assert.match(done, /April 12, 1990/);
    assert.match(done, /<dt>Protection compartment<\/dt><dd>Witness protection<\/dd>/);
    // Once filed, the officer outside the compartment no longer sees the part at all.
    const after = await html(await as('protectionout').get(`/witnesses/${witnessId}`));
    assert.doesNotMatch(after, /id="identity"|id="risks"/);
  });

  it('risk assessments and reviews due: protection officers inside only', async () => {
    const risk = {
      level: 'high',
      assessedOn: '2026-02-01',
      reviewOn: '2026-02-15',
      threats: 'Calls from unknown numbers',
      measures: 'New phone; address withheld',
    };
    const post = (extra: Record<string, string>, who = 'protection') =>
      as(who).postForm(`/witnesses/${witnessId}/risks`, { ...risk, ...extra });
    assert.equal(
      alert(await html(await post({ reviewOn: '2026-01-15' }), 400)),
      'The review cannot come before the assessment.',
    );
    assert.equal(
      alert(await html(await post({ level: 'extreme' }), 400)),
      'Choose one of the options offered. Check the field “Risk level”.',
    );
    for (const who of ['advocate', 'protectionout']) {
      assert.match(alert(await html(await post({}, who), 403)), /^Only protection officers/, who);
    }
    const done = await follow(as('protection'), await post({}), /\?done=risk#risks$/);
    assert.equal(info(done), 'The risk assessment was recorded.');
    assert.match(done, /<span class="badge badge-danger" data-level="high">High<\/span>/);
    assert.match(done, /Review due/);
    const list = await html(await as('protection').get(`/cases/${caseId}/witnesses`));
    assert.match(
      list,
      new RegExp(
        `<tr data-due="${witnessId}"><th scope="row"><a href="/witnesses/${witnessId}#risks" class="ltr">W-0001</a>`,
      ),
    );
    assert.doesNotMatch(list, /Hrytsenko/, 'the list never shows the identity');
    const outside = await html(await as('protectionout').get(`/cases/${caseId}/witnesses`));
    assert.match(outside, /No review is due\./);
  });

  it('the identity appears in no page that the lead, the advocate, the analyst or another protection officer sees', async () => {
    const paths = [
      `/cases/${caseId}`,
      `/cases/${caseId}/witnesses`,
      `/witnesses/${witnessId}`,
      `/cases/${caseId}/team`,
      `/cases/${caseId}/incidents`,
      `/evidence?caseId=${caseId}`,
      `/evidence/${statementItem}`,
      `/cases/${caseId}/export`,
    ];
    for (const who of ['lead', 'advocate', 'analyst', 'protectionout']) {
      for (const path of paths) {
        const res = await as(who).get(path);
        const text = await res.text();
        for (const secret of SECRETS)
          assert.ok(!text.includes(secret), `${who} sees “${secret}” on ${path} (${res.status})`);
      }
    }
    // And it is there for the protection officer, on the witness page only.
    assert.ok((await (await as('protection').get(`/witnesses/${witnessId}`)).text()).includes(REAL_NAME));
    assert.ok(!(await (await as('protection').get(`/cases/${caseId}/witnesses`)).text()).includes(REAL_NAME));
  });

  it('a non-member, a partner without witnesses and a witness of another case get the same 404 as for nothing', async () => {
    const none = await html(await as('stranger').get(`/cases/${missing}/witnesses`), 404);
    for (const [who, path] of [
      ['stranger', `/cases/${caseId}/witnesses`],
      ['stranger', `/witnesses/${witnessId}`],
      ['stranger', `/witnesses/${missing}`],
      ['stranger', '/witnesses/not-an-id'],
      ['stranger', '/cases/not-a-case/witnesses'],
    ] as const) {
      const page = await html(await as(who).get(path), 404);
      assert.equal(page, none, path);
      assert.doesNotMatch(page, /W-0001|Detention site/);
    }
    // The partner is a member, but receives no witnesses: they do not exist for them.
    const partnerNone = await html(await as('partner').get(`/cases/${missing}/witnesses`), 404);
    assert.equal(await html(await as('partner').get(`/cases/${caseId}/witnesses`), 404), partnerNone);
    assert.equal(await html(await as('partner').get(`/witnesses/${witnessId}`), 404), partnerNone);
    // A witness of a case the advocate is not a member of: the same page, and forms change nothing.
    const advocateNone = await html(await as('advocate').get(`/witnesses/${missing}`), 404);
    assert.equal(await html(await as('advocate').get(`/witnesses/${otherWitnessId}`), 404), advocateNone);
    for (const [path, fields] of [
      [`/witnesses/${otherWitnessId}/consent`, { purpose: 'investigation', state: 'given' }],
      [`/witnesses/${otherWitnessId}/statements`, { takenOn: '2024-05-02', takenBy: 'X', language: 'uk' }],
      [`/witnesses/${otherWitnessId}/identity`, { compartmentId, fullName: 'X Y' }],
      [
        `/witnesses/${otherWitnessId}/risks`,
        { level: 'low', assessedOn: '2026-01-01', reviewOn: '2026-02-01' },
      ],
      [`/cases/${otherCaseId}/witnesses`, { pseudonym: 'W-0100' }],
    ] as const) {
      assert.equal(await html(await as('advocate').postForm(path, fields), 404), advocateNone, path);
    }
    const other = await n.node.witnesses.view(operator, otherWitnessId);
    assert.equal(other.consent.length + other.statements.length, 0);
    assert.equal((await n.node.witnesses.list(operator, otherCaseId)).length, 1);
    // A member whose role may not see witnesses is told so.
    const observer = await html(await as('observer').get(`/cases/${caseId}/witnesses`), 403);
    assert.equal(alert(observer), 'Your role on this case does not allow you to view its witnesses.');
  });

  it('the export page checks consent to sharing with the recipient organisation, and refuses protected names', async () => {
    const lead = as('lead');
    const form = await html(await lead.get(`/cases/${caseId}/export`));
    assert.match(
      form,
      /<select id="e-recipient-org" name="recipientOrgId" aria-describedby="e-recipient-org-help"><option value="">None \/ outside this node<\/option>/,
    );
    assert.match(form, new RegExp(`<option value="${orgs.partner}">Org partner</option>`));
    const size = await logSize();
    const post = (fields: Record<string, string>) =>
      lead.postForm(`/cases/${caseId}/export`, {
        itemIds: statementItem,
        recipient: 'Federal prosecutor',
        purpose: 'Trial',
        ...fields,
      });
    const unnamed = await html(await post({}), 400);
    assert.equal(
      alert(unnamed),
      'Choose the recipient organisation: the export includes witness statements, whose consent to sharing must be checked.',
    );
    const refused = await html(await post({ recipientOrgId: orgs.partner }), 403);
    assert.equal(
      alert(refused),
      'The export was refused: W-0001 has not consented to sharing with this recipient, or has withdrawn consent.',
    );
    assert.match(
      refused,
      new RegExp(`<option value="${orgs.partner}" selected>Org partner</option>`),
      'the choice is kept',
    );
    assert.match(refused, /value="Federal prosecutor"/);
    assert.equal(
      alert(await html(await post({ recipientOrgId: missing }), 400)),
      'The chosen recipient organisation does not exist on this node.',
    );
    assert.equal(await logSize(), size, 'refused exports record nothing');
    // The witness consents again (recorded on the witness page); the same export goes through.
    await follow(
      as('advocate'),
      await consent('advocate', { purpose: 'sharing', scope: orgs.partner, state: 'given' }),
      /done=consent/,
    );
    const bundle = await post({ recipientOrgId: orgs.partner });
    assert.equal(bundle.status, 200, (await bundle.clone().text()).slice(0, 2000));
    assert.equal(bundle.headers.get('Content-Type'), 'application/x-tar');
    const bytes = Buffer.from(await bundle.arrayBuffer());
    assert.ok(!bytes.toString('latin1').includes('Hrytsenko'));
    // An item naming the protected witness is refused, whatever the consent; the name is not repeated.
    const named = (
      await n.node.evidence.ingest(
        actors.get('advocate')!,
        {
          caseId,
          source: Readable.from([Buffer.from(`Notes: ${REAL_NAME} called.`)]),
          fileName: 'notes.txt',
        },
        'api',
      )
    ).item.id;
    const protectedName = await html(await post({ itemIds: named, recipientOrgId: orgs.partner }), 403);
    assert.equal(
      alert(protectedName),
      'The export was refused: an item names a protected witness. Export a redacted derivative instead.',
    );
    assert.ok(!protectedName.includes('Hrytsenko'));
    // In the reader's language, with the form in it.
    await language('lead', 'fr');
    const fr = await html(await post({ itemIds: named, recipientOrgId: orgs.partner }), 403);
    assert.match(fr, /<label for="e-recipient-org">Organisation destinataire<\/label>/);
    assert.match(alert(fr), /^L’export a été refusé : un élément nomme un témoin protégé/);
    await language('lead', 'ar');
    const ar = await html(await post({ recipientOrgId: '' }), 400);
    assert.equal(
      alert(ar),
      'اختر الجهة المتلقية: يتضمن التصدير إفادات شهود يجب التحقق من موافقتهم على المشاركة.',
    );
    await language('lead', '');
  });
});

/**
 * The journey in Chromium with JavaScript switched off: an advocate records a witness and its
 * consent; a protection officer records the identity. Screenshots of the witness page in English
 * and Arabic, as the advocate (no identity) and as the protection officer (the identity shown).
 */
describe('witness pages in Chromium', () => {
  let root: string;
  let server: RunningServer;
  let browser: Browser;
  const sessions: { context: BrowserContext; page: Page; external: string[]; problems: string[] }[] = [];
  let caseId = '';
  let witnessUrl = '';
  const NAME = 'Halyna Ivanivna Marchenko';

  before(async () => {
    ({ root, server } = await startDemoServer('witnesses'));
    browser = await launchChromium();
    const operator = { operator: true } as const;
    const { accounts, cases } = server.node;
    const user = (username: string) => accounts.findUserByUsername(username);
    const legal = await user('demo-legal');
    const advocate = await user('demo-advocate');
    const protection = await user('demo-protection');
    caseId = (
      await cases.create(operator, {
        title: 'Filtration camp',
        jurisdictions: ['ICC', 'DE'],
        leadOrgId: legal.orgId,
        leadUserId: legal.id,
      })
    ).id;
    await cases.putMember(operator, caseId, { userId: advocate.id, role: 'survivor_advocate' });
    await cases.putMember(operator, caseId, { userId: protection.id, role: 'protection_officer' });
    await cases.saveAgreement(operator, caseId, {
      title: 'JIT Filtration camp',
      basisKind: 'ad_hoc',
      startsOn: '2022-04-01',
      participants: [{ orgId: advocate.orgId, country: 'UA', receives: ['originals', 'witnesses'] }],
    });
    await cases.createCompartment(operator, caseId, { name: 'Witness protection', members: [protection.id] });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const toArabic = async (page: Page) => {
    await page.goto(`${server.url}/profile`);
    await page.selectOption('#locale', 'ar');
    await page.click('form[action="/profile/language"] button[type=submit]');
  };

  it('an advocate records a witness and its consent', async () => {
    const session = await offlinePage(browser, server.url);
    sessions.push(session);
    const { page } = session;
    await signInFirstTime(page, server.url, 'demo-advocate');
    await page.goto(`${server.url}/cases/${caseId}`);
    await page.click(`a[href="/cases/${caseId}/witnesses"]`);
    assert.equal(await page.locator('main h1').textContent(), 'Witnesses: Filtration camp');
    await page.click('#new-witness summary');
    await page.selectOption('#w-kind', 'survivor');
    await page.fill('#w-languages', 'uk, ru');
    await page.fill('#w-note', 'Interviewed at the shelter; prefers a female interviewer.');
    await page.click('form[action$="/witnesses"] button[type=submit]');
    assert.equal(await page.locator('main h1').textContent(), 'Witness W-0001');
    assert.equal(await page.locator('.notice-info').textContent(), 'The witness was recorded.');
    witnessUrl = page.url().split('?')[0]!;

    for (const [purpose, scope] of [
      ['investigation', ''],
      ['prosecution', 'DE'],
      ['sharing', 'Kharkiv Human Rights Documentation Group (demo)'],
    ] as const) {
      await page.click('#consent summary');
      await page.selectOption('#k-purpose', purpose);
      if (scope === 'DE') await page.selectOption('#k-scope', 'DE');
      else if (scope) await page.selectOption('#k-scope', { label: scope });
      await page.check('#k-state-given');
      await page.click('#record-consent button[type=submit]');
      assert.equal(await page.locator('.notice-info').textContent(), 'The consent was recorded.');
    }
    assert.equal(await page.locator('table.consent-history tbody tr').count(), 3);
    assert.equal(await page.locator('#identity').count(), 0);
  });

  it('a protection officer records the identity, and sees it in English and Arabic', async () => {
    const session = await offlinePage(browser, server.url);
    sessions.push(session);
    const { page } = session;
    await signInFirstTime(page, server.url, 'demo-protection');
    await page.goto(witnessUrl);
    assert.equal(await page.locator('#identity [data-no-identity]').count(), 1);
    await page.selectOption('#i-compartment', { label: 'Witness protection' });
    await page.fill('#i-name', NAME);
    await page.fill('#i-other', 'Halyna M.\nGalina Marchenko');
    await page.fill('#i-born', '1984-09-30');
    await page.fill('#i-contact', 'Through the shelter only');
    await page.click('#identity-form button[type=submit]');
    assert.equal(
      await page.locator('.notice-info').textContent(),
      'The identity was saved in the protection compartment.',
    );
    assert.equal(await page.locator('[data-full-name]').textContent(), NAME);
    await page.screenshot({ path: join(SHOTS, 'witness-protection.png'), fullPage: true });
    await toArabic(page);
    await page.goto(witnessUrl);
    assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
    assert.equal(await page.locator('#h-identity').textContent(), 'الهوية (قسم الحماية المغلق)');
    assert.equal(await page.locator('[data-full-name]').textContent(), NAME);
    await page.screenshot({ path: join(SHOTS, 'witness-protection-ar.png'), fullPage: true });
  });

  it('the advocate sees the witness without its identity, in English and Arabic', async () => {
    const { page } = sessions[0]!;
    await page.goto(witnessUrl);
    assert.equal(await page.locator('#identity').count(), 0);
    assert.ok(!(await page.content()).includes('Marchenko'), 'no trace of the name');
    await page.screenshot({ path: join(SHOTS, 'witness-advocate.png'), fullPage: true });
    await toArabic(page);
    await page.goto(witnessUrl);
    assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
    assert.equal(await page.locator('#h-consent').textContent(), 'الموافقة');
    assert.ok(!(await page.content()).includes('Marchenko'));
    await page.screenshot({ path: join(SHOTS, 'witness-advocate-ar.png'), fullPage: true });
  });

  it('loaded nothing from outside the node, and nothing failed in the pages', () => {
    for (const s of sessions) {
      assert.deepEqual(s.external, []);
      assert.deepEqual(s.problems, []);
    }
  });
});
