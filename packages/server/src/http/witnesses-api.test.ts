import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, it } from 'node:test';
import { type Actor, actorOf, type User } from '@accord/core';
import { verifyBundle } from '../export/bundle-verifier.ts';
import { createTestNode, describeEachDatabase, type TestNode } from '../testing/harness.ts';

type Json = Record<string, unknown>;
type ErrorJson = { error: { code: string; message: string; field?: string } };
type WitnessJson = {
  id: string;
  caseId: string;
  pseudonym: string;
  kind: string;
  languages: string[];
  note: string;
};
type ConsentStateJson = { purpose: string; scope: string; state: string; at: string };
type ConsentEventJson = ConsentStateJson & {
  seq: number;
  via: string;
  note: string;
  recordedBy: string | null;
};
type StatementJson = {
  id: string;
  itemId: string | null;
  orgId: string;
  language: string;
  consentAtTime: ConsentStateJson[];
};
type RiskJson = { id: string; witnessId: string; level: string; reviewOn: string };
type ViewJson = {
  witness: WitnessJson;
  consent: ConsentEventJson[];
  current: ConsentStateJson[];
  statements: StatementJson[];
  identity?: { fullName: string; compartmentId: string; otherNames: string[] };
  risks?: RiskJson[];
  may: { edit: boolean; protect: boolean };
};

/**
 * The witnesses API end to end through the real app, the Witnesses service and the database:
 * witnesses by pseudonym, real identities only for protection officers named in the protection
 * compartment, the consent history (the latest word counts), statements, risk assessments and the
 * reviews due; exports that need the witness's consent to sharing with the recipient organisation;
 * and the refusals, with the service's own words.
 */
describeEachDatabase('witnesses API', (create, name) => {
  let n: TestNode;
  let dir = '';
  const users: Record<string, User> = {};
  const tokens: Record<string, string> = {};
  const orgs: Record<string, string> = {};
  const REAL_NAME = 'Olena Petrivna Hrytsenko';
  // What the steps make, in order.
  let caseId = '';
  let compartmentId = '';
  let witnessId = '';
  let secondId = '';
  let statementItem = '';
  let redactedItem = '';
  let hiddenItem = '';

  before(async () => {
    n = await createTestNode(create, name, { checkpointIntervalMs: 20 });
    dir = await mkdtemp(join(tmpdir(), 'accord-witnesses-api-'));
    const operator = { operator: true } as const;
    const { accounts, cases } = n.node;
    for (const [key, country] of [
      ['lead', 'NL'],
      ['partner', 'DE'],
    ] as const) {
      orgs[key] = (
        await accounts.createOrganisation(operator, { name: `Org ${key}`, country, kind: 'other' })
      ).id;
    }
    // key, node role, role on the case (none: not a member)
    for (const [key, role, onCase] of [
      ['lead', 'investigator', null],
      ['advocate', 'survivor_advocate', 'survivor_advocate'],
      ['protection', 'protection_officer', 'protection_officer'],
      ['protectionOut', 'protection_officer', 'protection_officer'],
      ['analyst', 'analyst', 'analyst'],
      ['observer', 'observer', 'observer'],
      ['outsider', 'investigator', null],
    ] as const) {
      const { user } = await accounts.createUser(operator, {
        orgId: orgs.lead,
        username: key.toLowerCase(),
        displayName: key,
        role,
        password: 'correct horse battery staple',
      });
      users[key] = user;
      tokens[key] = (await accounts.createToken(user, { name: key, scopes: ['read', 'write'] })).secret;
      if (key === 'lead') caseId = (await cases.create(actorOf(user), { title: 'Detention site' })).id;
      if (onCase) await cases.putMember(operator, caseId, { userId: user.id, role: onCase });
    }
    tokens.advocateReader = (
      await accounts.createToken(users.advocate!, { name: 'reader', scopes: ['read'] })
    ).secret;
    compartmentId = (
      await cases.createCompartment(actorOf(users.lead!), caseId, {
        name: 'Witness protection',
        members: [users.protection!.id],
      })
    ).id;
  });
  after(async () => {
    await n?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const as = (key: string): Actor => actorOf(users[key]!);
  const call = async (path: string, init: RequestInit & { as?: string } = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${tokens[init.as ?? 'lead']}`);
    return n.app.app.request(`http://127.0.0.1/api/v1${path}`, { ...init, headers });
  };
  const send = (method: string, path: string, body: unknown, as: string) =>
    call(path, {
      method,
      as,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const json = async <T = Json>(res: Response, status: number): Promise<T> => {
    const text = await res.text();
    assert.equal(res.status, status, text);
    return JSON.parse(text) as T;
  };
  /** A refusal: its status and exact message (or pattern). */
  const refused = async (res: Response, status: number, message: string | RegExp) => {
    const body = await json<ErrorJson>(res, status);
    if (typeof message === 'string') assert.equal(body.error.message, message);
    else assert.match(body.error.message, message);
    return body.error;
  };
  const get = async <T = Json>(path: string, as: string): Promise<T> =>
    json<T>(await call(path, { as }), 200);
  const bytes = (text: string) => Readable.from([Buffer.from(text)]);

  it('records witnesses under pseudonyms; the service says what is wrong', async () => {
    const w = await json<WitnessJson>(
      await send(
        'POST',
        `/cases/${caseId}/witnesses`,
        { kind: 'survivor', languages: ['uk', 'ru'] },
        'advocate',
      ),
      201,
    );
    witnessId = w.id;
    assert.equal(w.pseudonym, 'W-0001');
    assert.equal(w.caseId, caseId);
    assert.deepEqual(w.languages, ['uk', 'ru']);
    secondId = (
      await json<WitnessJson>(await send('POST', `/cases/${caseId}/witnesses`, {}, 'advocate'), 201)
    ).id;

    await refused(
      await send('POST', `/cases/${caseId}/witnesses`, { pseudonym: 'Olena H' }, 'advocate'),
      400,
      'a pseudonym starts with a capital letter or a digit and has no spaces (such as W-0421): never a name',
    );
    await refused(
      await send('POST', `/cases/${caseId}/witnesses`, { pseudonym: 'W-0001' }, 'advocate'),
      409,
      'this case already has a witness W-0001',
    );
    const kind = await refused(
      await send('POST', `/cases/${caseId}/witnesses`, { kind: 'bystander' }, 'advocate'),
      400,
      'the kind of witness must be one of: survivor, witness, victim, insider, expert',
    );
    assert.equal(kind.code, 'invalid_input');
    assert.equal(kind.field, 'kind');
    await refused(
      await send('POST', `/cases/${caseId}/witnesses`, { languages: ['Ukrainian'] }, 'advocate'),
      400,
      '"Ukrainian" is not a language tag such as uk, ar or fr',
    );
    // Shape is the schema's business: wrong types and unknown fields never reach the service.
    const shape = await refused(
      await send('POST', `/cases/${caseId}/witnesses`, { languages: 'uk' }, 'advocate'),
      400,
      /^languages: /,
    );
    assert.equal(shape.code, 'invalid_request');
    await refused(
      await send('POST', `/cases/${caseId}/witnesses`, { name: 'X' }, 'advocate'),
      400,
      /^body: /,
    );
    await refused(
      await send('POST', `/cases/${caseId}/witnesses`, {}, 'analyst'),
      403,
      'not allowed: the analyst role on this case may not record witnesses, their consent and statements',
    );

    const listed = await get<WitnessJson[]>(`/cases/${caseId}/witnesses`, 'analyst');
    // The test clock stands still: both have the same creation time, so the order is the ids'.
    assert.deepEqual(listed.map((x) => x.pseudonym).sort(), ['W-0001', 'W-0002']);
    const changed = await json<WitnessJson>(
      await send(
        'PATCH',
        `/witnesses/${witnessId}`,
        { note: 'Met in Kharkiv', languages: ['uk'] },
        'advocate',
      ),
      200,
    );
    assert.equal(changed.note, 'Met in Kharkiv');
    assert.deepEqual(changed.languages, ['uk']);
    assert.equal(changed.kind, 'survivor', 'what was not sent keeps its value');
    assert.equal(changed.pseudonym, 'W-0001');
    await refused(
      await send('PATCH', `/witnesses/${witnessId}`, { pseudonym: 'W-0009' }, 'advocate'),
      400,
      /^body: /,
    );
  });

  it('the real identity opens only to protection officers named in the protection compartment', async () => {
    const identity = {
      compartmentId,
      fullName: REAL_NAME,
      otherNames: ['Olena H.'],
      dateOfBirth: '1990-04-12',
    };
    // The lead made the compartment (and so is in it) but is not a protection officer.
    await refused(
      await send('PUT', `/witnesses/${witnessId}/identity`, identity, 'lead'),
      403,
      'not allowed: the lead role on this case may not open witness identities and risk assessments',
    );
    // A protection officer outside the compartment cannot tell it exists.
    await refused(
      await send('PUT', `/witnesses/${witnessId}/identity`, identity, 'protectionOut'),
      404,
      `there is no compartment ${compartmentId} in this case`,
    );
    await refused(
      await send(
        'PUT',
        `/witnesses/${witnessId}/identity`,
        { ...identity, dateOfBirth: '1990-02-30' },
        'protection',
      ),
      400,
      'the date of birth must be a date such as 2024-03-01',
    );
    await refused(
      await send('PUT', `/witnesses/${witnessId}/identity`, { fullName: REAL_NAME }, 'protection'),
      400,
      /^compartmentId: /,
    );
    const saved = await json<{ fullName: string; compartmentId: string; otherNames: string[] }>(
      await send('PUT', `/witnesses/${witnessId}/identity`, identity, 'protection'),
      200,
    );
    assert.equal(saved.fullName, REAL_NAME);
    assert.equal(saved.compartmentId, compartmentId);
    assert.deepEqual(saved.otherNames, ['Olena H.']);

    const inside = await get<ViewJson>(`/witnesses/${witnessId}`, 'protection');
    assert.equal(inside.identity?.fullName, REAL_NAME);
    assert.deepEqual(inside.risks, []);
    assert.deepEqual(inside.may, { edit: true, protect: true });
    for (const who of ['lead', 'advocate', 'protectionOut', 'analyst']) {
      const res = await call(`/witnesses/${witnessId}`, { as: who });
      const text = await res.text();
      assert.equal(res.status, 200, `${who}: ${text}`);
      const view = JSON.parse(text) as ViewJson;
      assert.equal(view.witness.pseudonym, 'W-0001', who);
      assert.ok(!('identity' in view), `${who} gets no identity field`);
      assert.ok(!('risks' in view), `${who} gets no risks field`);
      assert.equal(view.may.protect, false, who);
      assert.ok(!text.includes('Hrytsenko') && !text.includes('1990-04-12'), `${who} sees no trace of it`);
    }
    assert.equal((await get<ViewJson>(`/witnesses/${witnessId}`, 'analyst')).may.edit, false);
    // A non-member cannot tell the witness exists.
    await refused(
      await call(`/witnesses/${witnessId}`, { as: 'outsider' }),
      404,
      `there is no witness ${witnessId}`,
    );
  });

  it('consent: given and withdrawn, the whole history kept, the latest word current', async () => {
    const consent = (body: Json, as = 'advocate') =>
      send('POST', `/witnesses/${witnessId}/consent`, body, as);
    const first = await json<ConsentStateJson[]>(
      await consent({ purpose: 'investigation', state: 'given' }),
      201,
    );
    assert.deepEqual(
      first.map((c) => `${c.purpose}:${c.scope}:${c.state}`),
      ['investigation::given'],
    );
    await json(await consent({ purpose: 'sharing', scope: orgs.partner, state: 'given' }), 201);
    await json(await consent({ purpose: 'prosecution', scope: 'icc', state: 'given' }), 201);
    const now = await json<ConsentStateJson[]>(
      await consent({ purpose: 'sharing', scope: orgs.partner, state: 'withdrawn', note: 'Afraid of leaks' }),
      201,
    );
    assert.deepEqual(now.map((c) => `${c.purpose}:${c.scope}:${c.state}`).sort(), [
      'investigation::given',
      'prosecution:ICC:given',
      `sharing:${orgs.partner}:withdrawn`,
    ]);

    await refused(
      await consent({ purpose: 'prosecution', scope: 'XX', state: 'given' }),
      400,
      'consent to prosecution names a jurisdiction: ICC or a national profile such as DE',
    );
    await refused(
      await consent({ purpose: 'contact', scope: 'x', state: 'given' }),
      400,
      'consent to contact has no scope',
    );
    const nowhere = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    await refused(
      await consent({ purpose: 'sharing', scope: nowhere, state: 'given' }),
      404,
      `there is no organisation ${nowhere}`,
    );
    await refused(
      await consent({ purpose: 'gossip', state: 'given' }),
      400,
      'the purpose must be one of: investigation, prosecution, sharing, public_reports, contact',
    );
    await refused(await consent({ purpose: 'contact' }), 400, /^state: /);

    const view = await get<ViewJson>(`/witnesses/${witnessId}`, 'analyst');
    assert.deepEqual(
      view.consent.map((c) => `${c.purpose}:${c.state}`),
      ['investigation:given', 'sharing:given', 'prosecution:given', 'sharing:withdrawn'],
      'oldest first, nothing lost',
    );
    assert.ok(view.consent.every((c, i) => i === 0 || c.seq > view.consent[i - 1]!.seq));
    assert.equal(view.consent.at(-1)?.note, 'Afraid of leaks');
    assert.equal(view.consent.at(-1)?.via, 'advocate');
    assert.equal(view.consent.at(-1)?.recordedBy, users.advocate!.id);
    assert.equal(view.current.find((c) => c.purpose === 'sharing')?.state, 'withdrawn');
  });

  it('statements: "tell it once", with the consent at the time; links to items a reader may not see are cut', async () => {
    const { evidence } = n.node;
    statementItem = (
      await evidence.ingest(
        as('lead'),
        {
          caseId,
          source: bytes(`Statement. My name is ${REAL_NAME}. They took us.`),
          fileName: 'statement.txt',
        },
        'api',
      )
    ).item.id;
    redactedItem = (
      await evidence.derive(
        as('lead'),
        statementItem,
        { source: bytes('Statement. My name is [W-0001]. They took us.'), kind: 'redacted' },
        'api',
      )
    ).item.id;
    hiddenItem = (
      await evidence.ingest(
        as('lead'),
        { caseId, source: bytes('Second interview, recorded for protection.'), compartmentId },
        'api',
      )
    ).item.id;

    const s = await json<StatementJson>(
      await send(
        'POST',
        `/witnesses/${witnessId}/statements`,
        {
          itemId: statementItem,
          takenOn: '2024-05-02',
          takenBy: 'Investigator of Org lead',
          language: 'uk',
          interpreter: 'Interpreter 7',
        },
        'advocate',
      ),
      201,
    );
    assert.equal(s.itemId, statementItem);
    assert.equal(s.orgId, orgs.lead, 'taken by the recorder’s organisation unless named');
    assert.deepEqual(s.consentAtTime.map((c) => `${c.purpose}:${c.scope}:${c.state}`).sort(), [
      'investigation::given',
      'prosecution:ICC:given',
      `sharing:${orgs.partner}:withdrawn`,
    ]);
    await json(
      await send(
        'POST',
        `/witnesses/${witnessId}/statements`,
        { itemId: hiddenItem, takenOn: '2024-06-10', takenBy: 'Protection unit', language: 'uk' },
        'lead',
      ),
      201,
    );

    const statement = (body: Json) =>
      send(
        'POST',
        `/witnesses/${witnessId}/statements`,
        { takenOn: '2024-05-02', takenBy: 'X', language: 'uk', ...body },
        'advocate',
      );
    await refused(
      await statement({ language: 'Ukrainian' }),
      400,
      'the language must be a language tag such as uk, ar or fr',
    );
    await refused(
      await statement({ takenOn: '2024-13-01' }),
      400,
      'the date it was taken must be a date such as 2024-03-01',
    );
    const nowhere = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    await refused(await statement({ itemId: nowhere }), 404, `there is no evidence item ${nowhere}`);
    // The advocate is not in the compartment: its item does not exist for them.
    await refused(await statement({ itemId: hiddenItem }), 404, `there is no evidence item ${hiddenItem}`);
    await refused(await statement({ takenBy: 5 }), 400, /^takenBy: /);

    const outside = await get<ViewJson>(`/witnesses/${witnessId}`, 'analyst');
    assert.deepEqual(
      outside.statements.map((x) => x.itemId),
      [statementItem, null],
      'the statement stays on record, without the link to an item the reader may not see',
    );
    const inside = await get<ViewJson>(`/witnesses/${witnessId}`, 'lead');
    assert.deepEqual(
      inside.statements.map((x) => x.itemId),
      [statementItem, hiddenItem],
    );
  });

  it('risk assessments: protection officers inside only; reviews due are listed for them', async () => {
    const risk = (body: Json, as = 'protection', id = witnessId) =>
      send('POST', `/witnesses/${id}/risks`, body, as);
    const assessment = {
      level: 'high',
      assessedOn: '2024-05-01',
      threats: 'Calls from unknown numbers',
      measures: 'New phone; address withheld',
      reviewOn: '2024-06-01',
    };
    await refused(
      await risk(assessment, 'lead'),
      403,
      'not allowed: the lead role on this case may not open witness identities and risk assessments',
    );
    // Outside the compartment the identity, and so its risk assessments, do not exist.
    assert.equal(
      (await json<ErrorJson>(await risk(assessment, 'protectionOut'), 404)).error.code,
      'not_found',
    );
    await refused(
      await risk({ ...assessment, reviewOn: '2024-04-01' }),
      400,
      'the review cannot come before the assessment',
    );
    await refused(
      await risk({ ...assessment, level: 'extreme' }),
      400,
      'the risk level must be one of: low, medium, high, critical',
    );
    await refused(await risk({ level: 'high', assessedOn: '2024-05-01' }), 400, /^reviewOn: /);
    const saved = await json<RiskJson>(await risk(assessment), 201);
    assert.equal(saved.witnessId, witnessId);
    assert.equal(saved.level, 'high');
    // W-0002 has no identity yet: risk assessments are kept with it, so there is none either.
    await refused(
      await risk(
        { level: 'low', assessedOn: '2026-02-01', reviewOn: '2099-01-01' },
        'protectionOut',
        secondId,
      ),
      409,
      "record W-0002's identity in a protection compartment first: risk assessments are kept with it",
    );

    const view = await get<ViewJson>(`/witnesses/${witnessId}`, 'protection');
    assert.deepEqual(
      view.risks?.map((r) => r.id),
      [saved.id],
    );
    const due = await get<{ witness: WitnessJson; risk: RiskJson }[]>(
      `/cases/${caseId}/witnesses/reviews-due`,
      'protection',
    );
    assert.deepEqual(
      due.map((d) => [d.witness.pseudonym, d.risk.id, d.risk.reviewOn]),
      [['W-0001', saved.id, '2024-06-01']],
    );
    assert.deepEqual(
      await get(`/cases/${caseId}/witnesses/reviews-due`, 'protectionOut'),
      [],
      'outside the compartment',
    );
    await refused(
      await call(`/cases/${caseId}/witnesses/reviews-due`, { as: 'lead' }),
      403,
      'not allowed: the lead role on this case may not open witness identities and risk assessments',
    );
  });

  const exportCall = (body: Json) =>
    n.app.app.request(`http://127.0.0.1/api/v1/cases/${caseId}/exports`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.lead}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ recipient: 'Federal prosecutor', purpose: 'Trial', ...body }),
    });
  const logSize = async () => {
    await n.node.custody.flush();
    return (await n.node.custody.state()).size;
  };

  it('an export including a statement needs the recipient organisation and the witness’s consent to share with it', async () => {
    const size = await logSize();
    const refusals: [Json, number, string | RegExp, string?][] = [
      [
        { itemIds: [redactedItem] },
        400,
        'name the recipient organisation: the export includes statements of W-0001, whose consent to sharing must be checked',
        'recipientOrgId',
      ],
      [
        { itemIds: [redactedItem], recipientOrgId: orgs.lead },
        403,
        'consent missing: W-0001 has not consented to sharing with the recipient organisation; nothing was exported',
      ],
      [
        { itemIds: [redactedItem], recipientOrgId: orgs.partner },
        403,
        'consent missing: W-0001 withdrew consent to sharing with the recipient organisation on 2026-03-01; nothing was exported',
      ],
      [
        { itemIds: [redactedItem], recipientOrgId: '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' },
        404,
        'there is no organisation 7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      ],
      [{ itemIds: [redactedItem], recipientOrgId: 5 }, 400, /^recipientOrgId: /],
      // The whole case holds the statement too.
      [
        {},
        400,
        'name the recipient organisation: the export includes statements of W-0001, whose consent to sharing must be checked',
      ],
    ];
    for (const [body, status, message, field] of refusals) {
      const res = await exportCall(body);
      assert.match(res.headers.get('Content-Type') ?? '', /^application\/json/, JSON.stringify(body));
      assert.equal(res.headers.get('Content-Disposition'), null, 'no bundle byte');
      const error = await refused(res, status, message);
      if (field) assert.equal(error.field, field);
    }
    assert.equal(await logSize(), size, 'refused exports record nothing');

    await json(
      await send(
        'POST',
        `/witnesses/${witnessId}/consent`,
        { purpose: 'sharing', scope: orgs.partner, state: 'given' },
        'advocate',
      ),
      201,
    );
    const res = await exportCall({ itemIds: [redactedItem], recipientOrgId: orgs.partner });
    assert.equal(res.status, 200, res.status === 200 ? '' : await res.clone().text());
    assert.equal(res.headers.get('Content-Type'), 'application/x-tar');
    const path = join(dir, `redacted-${name}.accord.tar`);
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      createWriteStream(path),
    );
    const report = await verifyBundle(path, { vkey: n.node.logVerifierKey });
    assert.ok(report.ok, JSON.stringify(report.problems));
    assert.deepEqual(
      report.items.map((i) => i.itemId),
      [redactedItem],
    );
  });

  it('an export never carries a protected witness’s real name: the original statement is refused', async () => {
    const size = await logSize();
    const res = await exportCall({ itemIds: [statementItem], recipientOrgId: orgs.partner });
    assert.equal(res.headers.get('Content-Disposition'), null);
    const error = await refused(
      res,
      403,
      `item ${statementItem}: its content names a protected witness; nothing was exported — export a redacted derivative instead`,
    );
    assert.ok(!error.message.includes('Hrytsenko'), 'the refusal does not repeat the name');
    assert.equal(await logSize(), size);
  });

  it('a non-member learns nothing: 404 for the case, the witness and everything about it', async () => {
    const as = 'outsider';
    const noCase = `there is no case ${caseId}`;
    const noWitness = `there is no witness ${witnessId}`;
    await refused(await call(`/cases/${caseId}/witnesses`, { as }), 404, noCase);
    await refused(await call(`/cases/${caseId}/witnesses/reviews-due`, { as }), 404, noCase);
    await refused(await send('POST', `/cases/${caseId}/witnesses`, {}, as), 404, noCase);
    await refused(await call(`/witnesses/${witnessId}`, { as }), 404, noWitness);
    await refused(await send('PATCH', `/witnesses/${witnessId}`, { note: 'x' }, as), 404, noWitness);
    await refused(
      await send('PUT', `/witnesses/${witnessId}/identity`, { compartmentId, fullName: 'X' }, as),
      404,
      noWitness,
    );
    await refused(
      await send('POST', `/witnesses/${witnessId}/consent`, { purpose: 'contact', state: 'given' }, as),
      404,
      noWitness,
    );
    await refused(
      await send(
        'POST',
        `/witnesses/${witnessId}/statements`,
        { takenOn: '2024-05-02', takenBy: 'X', language: 'uk' },
        as,
      ),
      404,
      noWitness,
    );
    await refused(
      await send(
        'POST',
        `/witnesses/${witnessId}/risks`,
        { level: 'low', assessedOn: '2024-05-01', reviewOn: '2024-06-01' },
        as,
      ),
      404,
      noWitness,
    );
    // Exactly as for a witness that exists nowhere.
    const nowhere = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    await refused(await call(`/witnesses/${nowhere}`, { as: 'lead' }), 404, `there is no witness ${nowhere}`);
  });

  it('an observer is refused witnesses and every change, with the reason; a read-only token never writes', async () => {
    const as = 'observer';
    const view = 'not allowed: the observer role on this case may not view witnesses';
    const edit =
      'not allowed: the observer role on this case may not record witnesses, their consent and statements';
    await refused(await call(`/cases/${caseId}/witnesses`, { as }), 403, view);
    await refused(await call(`/witnesses/${witnessId}`, { as }), 403, view);
    await refused(await send('POST', `/cases/${caseId}/witnesses`, {}, as), 403, edit);
    await refused(await send('PATCH', `/witnesses/${witnessId}`, { note: 'x' }, as), 403, edit);
    await refused(
      await send('POST', `/witnesses/${witnessId}/consent`, { purpose: 'contact', state: 'given' }, as),
      403,
      edit,
    );
    await refused(
      await send(
        'POST',
        `/witnesses/${witnessId}/statements`,
        { takenOn: '2024-05-02', takenBy: 'X', language: 'uk' },
        as,
      ),
      403,
      edit,
    );
    await refused(
      await send('PUT', `/witnesses/${witnessId}/identity`, { compartmentId, fullName: 'X' }, as),
      403,
      view,
    );
    await refused(
      await send(
        'POST',
        `/witnesses/${witnessId}/risks`,
        { level: 'low', assessedOn: '2024-05-01', reviewOn: '2024-06-01' },
        as,
      ),
      403,
      view,
    );
    const scope = 'not allowed: this API token lacks the "write" scope';
    assert.equal((await call(`/witnesses/${witnessId}`, { as: 'advocateReader' })).status, 200);
    await refused(
      await send(
        'POST',
        `/witnesses/${witnessId}/consent`,
        { purpose: 'contact', state: 'given' },
        'advocateReader',
      ),
      403,
      scope,
    );
    await refused(await send('POST', `/cases/${caseId}/witnesses`, {}, 'advocateReader'), 403, scope);
  });

  it('describes the routes in openapi.json', async () => {
    const spec = await json<{ paths: Record<string, Record<string, Json>>; components: { schemas: Json } }>(
      await n.app.app.request('http://127.0.0.1/api/v1/openapi.json'),
      200,
    );
    const expected: [string, string[]][] = [
      ['/cases/{id}/witnesses', ['get', 'post']],
      ['/cases/{id}/witnesses/reviews-due', ['get']],
      ['/witnesses/{id}', ['get', 'patch']],
      ['/witnesses/{id}/identity', ['put']],
      ['/witnesses/{id}/consent', ['post']],
      ['/witnesses/{id}/statements', ['post']],
      ['/witnesses/{id}/risks', ['post']],
    ];
    for (const [path, methods] of expected) {
      for (const method of methods) assert.ok(spec.paths[path]?.[method], `${method} ${path}`);
    }
    for (const schema of [
      'Witness',
      'WitnessView',
      'WitnessIdentity',
      'ConsentEvent',
      'Statement',
      'RiskAssessment',
    ])
      assert.ok(spec.components.schemas[schema], schema);
    const exportBody = JSON.stringify(spec.paths['/cases/{caseId}/exports']?.post);
    assert.ok(exportBody.includes('recipientOrgId'), 'the export takes the recipient organisation');
  });
});
