import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { randomToken, type Session, sha256Hex, type User } from '@accord/core';
import { KyselyAccountsRepo } from '@accord/store';
import { seedDemo } from '../node/demo.ts';
import { createTestNode, describeEachDatabase, type TestNode } from '../testing/harness.ts';
import { legalFixture } from './legal-fixture.ts';

type Json = Record<string, unknown>;
type ErrorJson = { error: { code: string; message: string; field?: string } };
type CaseJson = {
  id: string;
  title: string;
  status: string;
  jurisdictions: string[];
  leadOrgId: string;
} & Json;
type Member = { userId: string; role: string; orgName: string };
type Row = {
  element: { id: string; text: string; citation: { article: string } };
  of: string;
  required: boolean;
  status: string;
  contradicted: boolean;
  gap: boolean;
  reasons: string[];
  sources: { label: string; kinds: (string | null)[] }[];
  cells: { itemId: string; linkIds: string[] }[];
};
type GapJson = {
  chargeId: string;
  jurisdiction: string;
  suspect: { id: string; name: string };
  crime: { id: string; name: string };
  mode: { id: string; name: string } | null;
  offences: { id: string }[];
  applicable: boolean;
  proven: boolean;
  counts: Record<string, number>;
  items: { itemId: string; sourceLabel: string; sourceKind: string | null; notMet: string[] }[];
  rows: Row[];
};

/**
 * The cases API end to end through the real app, the Cases service and the database: a case led by
 * one organisation with members from two, its agreement, a compartment, an incident and the proof
 * matrix down to the gap report; and the refusals, with the service's own words.
 */
describeEachDatabase('cases API', (create, name) => {
  let n: TestNode;
  const users: Record<string, User> = {};
  const tokens: Record<string, string> = {};
  // What the steps make, in order.
  let caseId = '';
  let compartmentId = '';
  let agreementId = '';
  let itemA = '';
  let itemB = '';
  let suspectId = '';
  let incidentId = '';
  let chargeId = '';
  let linkId = '';

  before(async () => {
    n = await createTestNode(create, name, { legal: legalFixture() });
    await seedDemo(n.node);
    // lead: NGO (the lead organisation); colleague: NGO; analyst and observer: police (a partner
    // under an agreement); outsider: the prosecutor's office, not a member of this case.
    for (const [key, username] of [
      ['lead', 'demo-investigator'],
      ['colleague', 'demo-advocate'],
      ['analyst', 'demo-analyst'],
      ['observer', 'demo-observer'],
      ['outsider', 'demo-auditor'],
      ['protection', 'demo-protection'],
    ] as const) {
      users[key] = await n.node.accounts.findUserByUsername(username);
      tokens[key] = (
        await n.node.accounts.createToken(users[key]!, { name: key, scopes: ['read', 'write'] })
      ).secret;
    }
    tokens.reader = (
      await n.node.accounts.createToken(users.lead!, { name: 'reader', scopes: ['read'] })
    ).secret;
  });
  after(() => n?.close());

  const call = async (path: string, init: RequestInit & { as?: string } = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${tokens[init.as ?? 'lead']}`);
    return n.app.app.request(`http://127.0.0.1/api/v1${path}`, { ...init, headers });
  };
  const send = (method: string, path: string, body?: unknown, as?: string) =>
    call(path, {
      method,
      ...(as ? { as } : {}),
      ...(body === undefined
        ? {}
        : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
    });
  const json = async <T = Json>(res: Response, status: number): Promise<T> => {
    const text = await res.text();
    assert.equal(res.status, status, text);
    return JSON.parse(text) as T;
  };
  /** A refusal: its status, code and exact message. */
  const refused = async (res: Response, status: number, message: string | RegExp) => {
    const body = await json<ErrorJson>(res, status);
    if (typeof message === 'string') assert.equal(body.error.message, message);
    else assert.match(body.error.message, message);
    return body.error;
  };
  const get = async <T = Json>(path: string, as?: string): Promise<T> =>
    json<T>(await call(path, as ? { as } : {}), 200);
  const upload = (path: string, text: string) =>
    call(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: new TextEncoder().encode(text),
    });

  it('opens a case with its record; bad content is refused in the service’s words', async () => {
    const created = await json<CaseJson>(
      await send('POST', '/cases', {
        title: 'Shelling of the central market',
        summary: 'Three strikes on a market day.',
        status: 'investigation',
        jurisdictions: ['de', 'ICC'],
        legalBasis: 'Universal jurisdiction (VStGB §1).',
        openedOn: '2024-03-01',
      }),
      201,
    );
    caseId = created.id;
    assert.equal(created.leadOrgId, users.lead!.orgId);
    assert.deepEqual(created.jurisdictions, ['DE', 'ICC']);
    assert.equal(created.status, 'investigation');
    assert.equal(created.openedOn, '2024-03-01');
    assert.equal(created.closedOn, null);

    const listed = await get<(CaseJson & { role: string | null })[]>('/cases');
    assert.equal(listed.find((k) => k.id === caseId)?.role, 'lead');

    const status = await refused(
      await send('POST', '/cases', { title: 'X', status: 'open' }),
      400,
      'the status must be one of: preliminary, investigation, prosecution, trial, closed',
    );
    assert.equal(status.code, 'invalid_input');
    assert.equal(status.field, 'status');
    await refused(
      await send('POST', '/cases', { title: 'X', jurisdictions: ['XX'] }),
      400,
      'there is no national profile "XX"; use ICC for the Rome Statute or one of: DE, FR, UA',
    );
    await refused(
      await send('POST', '/cases', { title: 'X', openedOn: '2024-02-30' }),
      400,
      'the opening date must be a date such as 2024-03-01',
    );
    // Shape is the schema's business: wrong types and unknown fields never reach the service.
    const shape = await refused(await send('POST', '/cases', { title: 5 }), 400, /^title: /);
    assert.equal(shape.code, 'invalid_request');
    await refused(
      await send('POST', '/cases', { title: 'X', leadOrgId: users.analyst!.orgId }),
      400,
      /^body: /,
    );
    // Opening a case needs the write scope (the node-level guard).
    assert.equal((await send('POST', '/cases', { title: 'X' }, 'reader')).status, 403);
  });

  it('shows the case with the viewer’s role and rights; a lead changes it', async () => {
    const view = await get<{ case: CaseJson; role: string; may: Record<string, boolean>; receives: unknown }>(
      `/cases/${caseId}`,
    );
    assert.equal(view.case.id, caseId);
    assert.equal(view.role, 'lead');
    assert.equal(view.may['case.edit'], true);
    assert.equal(view.may['matrix.edit'], true);
    assert.equal(view.receives, null, 'no limit inside the lead organisation');

    const changed = await json<CaseJson>(
      await send('PATCH', `/cases/${caseId}`, { status: 'prosecution', summary: 'Three strikes.' }),
      200,
    );
    assert.equal(changed.status, 'prosecution');
    assert.equal(changed.title, 'Shelling of the central market', 'what was not sent keeps its value');
    assert.deepEqual(changed.jurisdictions, ['DE', 'ICC']);
    await refused(
      await send('PATCH', `/cases/${caseId}`, { closedOn: '2024-05-01' }),
      400,
      'only a closed case has a closing date',
    );
    // A read-only token reads but never writes, whatever the role.
    assert.equal((await call(`/cases/${caseId}`, { as: 'reader' })).status, 200);
    await refused(
      await send('PATCH', `/cases/${caseId}`, { summary: 'no' }, 'reader'),
      403,
      'not allowed: this API token lacks the "write" scope',
    );
  });

  it('adds members from two organisations; the last lead cannot go', async () => {
    for (const [key, role] of [
      ['colleague', 'investigator'],
      ['analyst', 'analyst'],
      ['observer', 'observer'],
      ['protection', 'protection_officer'],
    ] as const) {
      await json(await send('PUT', `/cases/${caseId}/members/${users[key]!.id}`, { role }), 200);
    }
    const members = await get<Member[]>(`/cases/${caseId}/members`);
    assert.equal(members.length, 5);
    const byUser = new Map(members.map((m) => [m.userId, m]));
    assert.equal(byUser.get(users.lead!.id)?.role, 'lead');
    assert.equal(byUser.get(users.analyst!.id)?.orgName, 'Federal War Crimes Unit (demo)');
    assert.equal(byUser.get(users.colleague!.id)?.orgName, 'Kharkiv Human Rights Documentation Group (demo)');

    await refused(
      await send('PUT', `/cases/${caseId}/members/${users.outsider!.id}`, { role: 'boss' }),
      400,
      'the role on the case must be one of: lead, investigator, analyst, legal_officer, survivor_advocate, protection_officer, auditor, observer',
    );
    await refused(
      await send('DELETE', `/cases/${caseId}/members/${users.lead!.id}`),
      409,
      'a case must keep at least one lead; name another lead first',
    );
    const left = await json<Member[]>(
      await send('DELETE', `/cases/${caseId}/members/${users.protection!.id}`),
      200,
    );
    assert.equal(left.length, 4);
    await refused(
      await send('DELETE', `/cases/${caseId}/members/${users.protection!.id}`),
      404,
      'this user is not a member of the case',
    );
    // Gone means gone: the former member cannot even learn the case exists.
    await refused(await call(`/cases/${caseId}`, { as: 'protection' }), 404, `there is no case ${caseId}`);
  });

  it('records a joint investigation team agreement that decides what the partner receives', async () => {
    const police = users.analyst!.orgId;
    const agreement = {
      title: 'JIT agreement',
      basisKind: 'eu_jit_model',
      legalBasis: 'Council Framework Decision 2002/465/JHA',
      startsOn: '2024-01-01',
      participants: [{ orgId: police, country: 'de', receives: ['incidents', 'derivatives', 'analysis'] }],
    };
    const saved = await json<{ id: string; participants: { country: string; receives: string[] }[] }>(
      await send('POST', `/cases/${caseId}/agreements`, agreement),
      201,
    );
    agreementId = saved.id;
    assert.deepEqual(saved.participants[0], {
      orgId: police,
      country: 'DE',
      receives: ['analysis', 'derivatives', 'incidents'],
    });
    const replaced = await json<{ id: string; title: string }>(
      await send('PUT', `/cases/${caseId}/agreements/${agreementId}`, {
        ...agreement,
        title: 'JIT agreement (amended)',
      }),
      200,
    );
    assert.equal(replaced.id, agreementId);
    assert.deepEqual(
      (await get<{ title: string }[]>(`/cases/${caseId}/agreements`)).map((a) => a.title),
      ['JIT agreement (amended)'],
    );
    await refused(
      await send('POST', `/cases/${caseId}/agreements`, { ...agreement, endsOn: '2023-12-31' }),
      400,
      'the agreement cannot end before it starts',
    );
    await refused(
      await send('POST', `/cases/${caseId}/agreements`, {
        ...agreement,
        participants: [{ orgId: police, country: 'DEU', receives: [] }],
      }),
      400,
      'each participant needs a two-letter country code (ISO 3166-1, such as DE)',
    );

    const partner = await get<{ role: string; receives: string[]; may: Record<string, boolean> }>(
      `/cases/${caseId}`,
      'analyst',
    );
    assert.equal(partner.role, 'analyst');
    assert.deepEqual(partner.receives, ['analysis', 'derivatives', 'incidents']);
  });

  it('creates a compartment and names its members; items can be filed in it', async () => {
    const k = await json<{ id: string; members: string[] }>(
      await send('POST', `/cases/${caseId}/compartments`, {
        name: 'Insider witnesses',
        description: 'Two insiders.',
        members: [users.analyst!.id],
      }),
      201,
    );
    compartmentId = k.id;
    assert.deepEqual(
      new Set(k.members),
      new Set([users.analyst!.id, users.lead!.id]),
      'its creator is in it',
    );
    await refused(
      await send('POST', `/cases/${caseId}/compartments`, { name: 'insider witnesses' }),
      409,
      'this case already has a compartment called "insider witnesses"',
    );
    await refused(
      await send('PUT', `/compartments/${compartmentId}/members`, { members: [users.outsider!.id] }),
      400,
      `user ${users.outsider!.id} is not a member of the case; add them to the case first`,
    );
    const renamed = await json<{ members: string[] }>(
      await send('PUT', `/compartments/${compartmentId}/members`, { members: [users.lead!.id] }),
      200,
    );
    assert.deepEqual(renamed.members, [users.lead!.id]);
    assert.deepEqual(await get(`/cases/${caseId}/compartments`, 'colleague'), [], 'not named in it');
    assert.equal((await get<unknown[]>(`/cases/${caseId}/compartments`)).length, 1);

    // Evidence: one item in the general area, one uploaded straight into the compartment.
    type Ingest = { item: { id: string } };
    itemA = (
      await json<Ingest>(
        await upload(`/cases/${caseId}/evidence?fileName=statement.txt`, 'Witness statement W-0421'),
        201,
      )
    ).item.id;
    itemB = (
      await json<Ingest>(
        await upload(
          `/cases/${caseId}/evidence?fileName=insider.txt&compartmentId=${compartmentId}`,
          'Insider account',
        ),
        201,
      )
    ).item.id;
    const nowhere = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    await refused(
      await upload(`/cases/${caseId}/evidence?fileName=x.txt&compartmentId=${nowhere}`, 'x'),
      404,
      `there is no compartment ${nowhere} in this case`,
    );
    assert.equal((await call(`/evidence/${itemA}`, { as: 'colleague' })).status, 200);
    await refused(
      await call(`/evidence/${itemB}`, { as: 'colleague' }),
      404,
      `there is no evidence item ${itemB}`,
    );

    // Filing moves an item in and out of the compartment.
    assert.equal((await send('PUT', `/evidence/${itemA}/compartment`, { compartmentId })).status, 204);
    assert.equal((await call(`/evidence/${itemA}`, { as: 'colleague' })).status, 404);
    assert.equal((await send('PUT', `/evidence/${itemA}/compartment`, { compartmentId: null })).status, 204);
    assert.equal((await call(`/evidence/${itemA}`, { as: 'colleague' })).status, 200);
    await refused(await send('PUT', `/evidence/${itemA}/compartment`, {}), 400, /^compartmentId: /);
  });

  it('classifies an item as a source and records its admissibility', async () => {
    const profile = await json<Json>(
      await send('PUT', `/evidence/${itemA}/profile`, { sourceKind: 'testimony', sourceLabel: 'W-0421' }),
      200,
    );
    assert.equal(profile.sourceKind, 'testimony');
    await refused(
      await send('PUT', `/evidence/${itemA}/profile`, { sourceKind: 'rumour', sourceLabel: 'W-0421' }),
      400,
      'the kind of source must be one of: testimony, documentary, digital, forensic, physical, expert',
    );
    const answer = await json<Json>(
      await send('PUT', `/evidence/${itemA}/admissibility`, {
        jurisdiction: 'de',
        ruleId: 'chain-of-custody',
        answer: 'met',
        note: 'Custody log complete.',
      }),
      200,
    );
    assert.equal(answer.jurisdiction, 'DE');
    await refused(
      await send('PUT', `/evidence/${itemA}/admissibility`, {
        jurisdiction: 'DE',
        ruleId: 'sworn',
        answer: 'met',
      }),
      400,
      'the DE checklist has no entry "sworn"; it has: chain-of-custody',
    );
    await refused(
      await send('PUT', `/evidence/${itemA}/admissibility`, {
        jurisdiction: 'XX',
        ruleId: 'x',
        answer: 'met',
      }),
      400,
      'there is no national profile "XX" in the legal catalogue',
    );
  });

  it('adds a suspect and records an incident naming them, with linked evidence', async () => {
    const suspect = await json<{ id: string; name: string }>(
      await send('POST', `/cases/${caseId}/suspects`, {
        name: 'Colonel A. B.',
        position: 'Commander, 12th Brigade',
      }),
      201,
    );
    suspectId = suspect.id;
    assert.deepEqual(
      (await get<{ id: string }[]>(`/cases/${caseId}/suspects`)).map((s) => s.id),
      [suspectId],
    );

    const incident = {
      title: 'Strike on the market',
      occurredFrom: '2022-03-09T10:15:00+02:00',
      place: 'Central market',
      latitude: 49.99,
      longitude: 36.23,
      acts: ['shelling with cluster munitions'],
      victims: ['V-0012', 'V-0013'],
      perpetratorIds: [suspectId],
    };
    const recorded = await json<{ id: string; perpetratorIds: string[]; compartmentId: string | null }>(
      await send('POST', `/cases/${caseId}/incidents`, incident),
      201,
    );
    incidentId = recorded.id;
    assert.deepEqual(recorded.perpetratorIds, [suspectId]);
    assert.equal(recorded.compartmentId, null);
    await refused(
      await send('POST', `/cases/${caseId}/incidents`, { ...incident, victims: ['Ivan Petrenko'] }),
      400,
      'victims are listed by pseudonym (such as V-0012 or W-0421), not by name: "Ivan Petrenko" has spaces or other characters',
    );
    await refused(
      await send('POST', `/cases/${caseId}/incidents`, { ...incident, occurredFrom: 'last spring' }),
      400,
      'when it happened must be a month (2022-03), a date (2022-03-09) or a time with its offset (2022-03-09T10:15:00+02:00)',
    );

    assert.equal((await send('PUT', `/incidents/${incidentId}/items/${itemA}`)).status, 204);
    const detail = await get<{
      incident: { id: string };
      items: { id: string }[];
      suspects: { id: string }[];
    }>(`/incidents/${incidentId}`);
    assert.equal(detail.incident.id, incidentId);
    assert.deepEqual(
      detail.items.map((i) => i.id),
      [itemA],
    );
    assert.deepEqual(
      detail.suspects.map((s) => s.id),
      [suspectId],
    );
    // The partner receives derivatives only: the original item stays hidden from them.
    const partner = await get<{ items: unknown[] }>(`/incidents/${incidentId}`, 'analyst');
    assert.deepEqual(partner.items, []);
    assert.equal((await send('DELETE', `/incidents/${incidentId}/items/${itemA}`)).status, 204);
    assert.deepEqual((await get<{ items: unknown[] }>(`/incidents/${incidentId}`)).items, []);
    assert.equal((await send('PUT', `/incidents/${incidentId}/items/${itemA}`)).status, 204);

    const changed = await json<{ title: string; victims: string[] }>(
      await send('PUT', `/incidents/${incidentId}`, { ...incident, title: 'Strikes on the market' }),
      200,
    );
    assert.equal(changed.title, 'Strikes on the market');
    assert.deepEqual(
      (await get<{ title: string }[]>(`/cases/${caseId}/incidents`, 'observer')).map((i) => i.title),
      ['Strikes on the market'],
      'observers see incidents',
    );
  });

  it('charges the suspect, links evidence to elements, and withdraws', async () => {
    const charge = await json<{ id: string; crimeId: string; modeId: string }>(
      await send('POST', `/cases/${caseId}/charges`, { suspectId, crimeId: 'rs-6a', modeId: 'rs-25-3-a' }),
      201,
    );
    chargeId = charge.id;
    await refused(
      await send('POST', `/cases/${caseId}/charges`, { suspectId, crimeId: 'rs-6a', modeId: 'rs-25-3-a' }),
      409,
      'this suspect is already charged with this crime under this mode of liability',
    );
    await refused(
      await send('POST', `/cases/${caseId}/charges`, {
        suspectId,
        crimeId: 'rs-25-3-a',
        modeId: 'rs-25-3-a',
      }),
      400,
      'choose a crime of the legal catalogue (accord legal list), such as rs-7-1-a',
    );
    await refused(
      await send('POST', `/cases/${caseId}/charges`, {
        suspectId: 'nobody',
        crimeId: 'rs-6a',
        modeId: 'rs-25-3-a',
      }),
      400,
      'the suspect must be a lowercase UUID',
    );

    const link = {
      itemId: itemA,
      elementId: 'rs-6a.1',
      partKind: 'page',
      part: '2 - 3',
      stance: 'supports',
      weight: 'high',
      reliability: 'B',
      credibility: 2,
    };
    const added = await json<{ id: string; part: string; credibility: string; createdBy: string }>(
      await send('POST', `/charges/${chargeId}/links`, link),
      201,
    );
    linkId = added.id;
    // Links are ordered by when they were made: let time pass between them.
    n.clock.advance(1000);
    assert.equal(added.part, '2-3', 'the canonical spelling');
    assert.equal(added.credibility, '2');
    assert.equal(added.createdBy, users.lead!.id);
    const part = await refused(
      await send('POST', `/charges/${chargeId}/links`, { ...link, part: '3-2' }),
      400,
      'the last page comes before the first',
    );
    assert.equal(part.field, 'part');
    await refused(
      await send('POST', `/charges/${chargeId}/links`, { ...link, partKind: 'time', part: '1:30' }),
      400,
      'a time range must look like 00:01:30-00:02:10 (hours:minutes:seconds)',
    );
    await refused(
      await send('POST', `/charges/${chargeId}/links`, { ...link, elementId: 'rs-6a.9' }),
      400,
      'the element must be one of rs-6a or of the mode of liability rs-25-3-a (such as rs-6a.1)',
    );
    // The insider account (in the compartment) bears on the second element.
    await json(
      await send('POST', `/charges/${chargeId}/links`, {
        ...link,
        itemId: itemB,
        elementId: 'rs-6a.2',
        partKind: 'whole',
        part: '',
      }),
      201,
    );
    n.clock.advance(1000);
    // A link made in error is withdrawn, and stays on record.
    const mistaken = await json<{ id: string }>(
      await send('POST', `/charges/${chargeId}/links`, {
        ...link,
        elementId: 'rs-6a.3',
        stance: 'contradicts',
      }),
      201,
    );
    const withdrawnLink = await json<{ withdrawnAt: string | null }>(
      await send('DELETE', `/links/${mistaken.id}`),
      200,
    );
    assert.ok(withdrawnLink.withdrawnAt);
    await refused(
      await send('DELETE', `/links/${mistaken.id}`),
      409,
      `this link was withdrawn on ${withdrawnLink.withdrawnAt}`,
    );

    // A second charge, withdrawn: 200 with the withdrawn charge, then a conflict.
    const other = await json<{ id: string }>(
      await send('POST', `/cases/${caseId}/charges`, { suspectId, crimeId: 'rs-7-1-a', modeId: 'rs-25-3-a' }),
      201,
    );
    const withdrawn = await json<{ id: string; withdrawnAt: string | null }>(
      await send('DELETE', `/charges/${other.id}`),
      200,
    );
    assert.equal(withdrawn.id, other.id);
    assert.ok(withdrawn.withdrawnAt);
    await refused(
      await send('DELETE', `/charges/${other.id}`),
      409,
      `this charge was withdrawn on ${withdrawn.withdrawnAt}`,
    );
    await refused(await send('POST', `/charges/${other.id}/links`, link), 409, 'this charge was withdrawn');
  });

  it('serves the proof matrix as each member may see it', async () => {
    type Matrix = {
      suspects: unknown[];
      charges: { id: string }[];
      links: { id: string; itemId: string; withdrawnAt: string | null }[];
      items: { id: string; title: string }[];
      profiles: unknown[];
      admissibility: unknown[];
    };
    const full = await get<Matrix>(`/cases/${caseId}/matrix`);
    assert.equal(full.suspects.length, 1);
    assert.equal(full.charges.length, 2);
    // Withdrawn links are not part of the matrix.
    assert.deepEqual(
      full.links.map((l) => [l.itemId, l.withdrawnAt]),
      [
        [itemA, null],
        [itemB, null],
      ],
    );
    assert.deepEqual(new Set(full.items.map((i) => i.id)), new Set([itemA, itemB]));
    assert.equal(full.profiles.length, 1);
    assert.equal(full.admissibility.length, 1);
    // Outside the compartment, its item and the links to it are not there.
    const colleague = await get<Matrix>(`/cases/${caseId}/matrix`, 'colleague');
    assert.deepEqual(
      colleague.items.map((i) => i.id),
      [itemA],
    );
    assert.ok(colleague.links.every((l) => l.itemId === itemA));
    // The partner receives analysis but no originals: charges yes, links to originals no.
    const partner = await get<Matrix>(`/cases/${caseId}/matrix`, 'analyst');
    assert.equal(partner.charges.length, 2);
    assert.deepEqual(partner.links, []);
  });

  it('reports the gaps of a charge as JSON and as CSV', async () => {
    const report = await get<GapJson>(`/charges/${chargeId}/gaps?jurisdiction=de`);
    assert.equal(report.chargeId, chargeId);
    assert.equal(report.jurisdiction, 'DE');
    assert.deepEqual(report.suspect, { id: suspectId, name: 'Colonel A. B.' });
    assert.deepEqual(report.crime, { id: 'rs-6a', name: 'Genocide by killing', article: '6(a)' });
    assert.equal(report.mode?.id, 'rs-25-3-a');
    assert.deepEqual(
      report.offences.map((o) => o.id),
      ['de-vstgb-6'],
    );
    assert.equal(report.applicable, true);
    assert.equal(report.proven, false);
    assert.deepEqual(
      report.rows.map((r) => [r.element.id, r.of, r.status, r.gap]),
      [
        ['rs-6a.1', 'crime', 'single_source', true],
        ['rs-6a.2', 'crime', 'single_source', true],
        ['rs-6a.3', 'crime', 'unproven', true],
        ['rs-6a.4', 'crime', 'unproven', true],
        ['rs-25-3-a.1', 'mode', 'unproven', true],
      ],
    );
    const first = report.rows[0]!;
    assert.equal(first.element.text, 'The perpetrator killed one or more persons.');
    assert.equal(first.element.citation.article, '6(a)');
    assert.deepEqual(first.reasons, ['only one independent source (W-0421)']);
    assert.deepEqual(first.sources, [{ label: 'W-0421', kinds: ['testimony'] }]);
    assert.deepEqual(first.cells, [{ itemId: itemA, linkIds: [linkId] }]);
    // The withdrawn contradicting link is not counted.
    assert.equal(report.rows[2]!.contradicted, false);
    assert.deepEqual(report.counts, {
      unproven: 3,
      inadmissible: 0,
      single_source: 2,
      corroborated: 0,
      contradicted: 0,
      gaps: 5,
    });
    assert.deepEqual(
      report.items.map((i) => [i.itemId, i.sourceLabel, i.sourceKind, i.notMet]),
      [
        [itemA, 'W-0421', 'testimony', []],
        [itemB, 'insider.txt', null, []],
      ],
    );
    // Without a jurisdiction: the Rome Statute.
    assert.equal((await get<GapJson>(`/charges/${chargeId}/gaps`)).jurisdiction, 'ICC');
    // Outside the compartment the report is made of what the viewer sees.
    const colleague = await get<GapJson>(`/charges/${chargeId}/gaps?jurisdiction=DE`, 'colleague');
    assert.deepEqual(
      colleague.items.map((i) => i.itemId),
      [itemA],
    );
    assert.equal(colleague.rows[1]!.status, 'unproven');
    await refused(
      await call(`/charges/${chargeId}/gaps?jurisdiction=XX`),
      400,
      'there is no national profile "XX"; use ICC for the Rome Statute or one of: DE, FR, UA',
    );

    const csv = await call(`/charges/${chargeId}/gaps.csv?jurisdiction=DE`);
    assert.equal(csv.status, 200);
    assert.equal(csv.headers.get('Content-Type'), 'text/csv; charset=utf-8');
    assert.match(
      csv.headers.get('Content-Disposition') ?? '',
      /^attachment; filename="gap-report-rs-6a-DE\.csv"/,
    );
    const lines = (await csv.text()).split('\r\n');
    assert.equal(
      lines[0],
      'suspect,crime,mode_of_liability,jurisdiction,element,element_of,required,status,contradicted,gap,reasons,item_id,item_title,stance,part,weight,grade',
    );
    assert.ok(
      lines.includes(
        `Colonel A. B.,rs-6a,rs-25-3-a,DE,rs-6a.1,crime,true,single_source,false,true,only one independent source (W-0421),${itemA},statement.txt,supports,page 2-3,high,B2`,
      ),
      lines.join('\n'),
    );
    assert.equal(lines.at(-1), '', 'ends with a line break');
    assert.equal(lines.length, 1 + 5 + 1);
    await refused(
      await call(`/charges/${chargeId}/gaps.csv?jurisdiction=XX`),
      400,
      /^there is no national profile "XX"/,
    );
  });

  it('serves the dashboard and the history', async () => {
    type Dashboard = {
      case: { id: string };
      role: string;
      counts: Record<string, number>;
      charges: { charge: { id: string }; suspect: { id: string } | null; byJurisdiction: Json[] }[];
    };
    const d = await get<Dashboard>(`/cases/${caseId}/dashboard`);
    assert.equal(d.case.id, caseId);
    assert.equal(d.role, 'lead');
    assert.equal(d.counts.members, 4);
    assert.equal(d.counts.items, 2);
    assert.equal(d.counts.incidents, 1);
    assert.equal(d.counts.suspects, 1);
    const mine = d.charges.find((k) => k.charge.id === chargeId)!;
    assert.equal(mine.suspect?.id, suspectId);
    assert.deepEqual(mine.byJurisdiction, [
      { jurisdiction: 'DE', applicable: true, proven: false, gaps: 5 },
      { jurisdiction: 'ICC', applicable: true, proven: false, gaps: 5 },
    ]);
    // An observer may see the case but not the analysis.
    const observer = await get<Dashboard>(`/cases/${caseId}/dashboard`, 'observer');
    assert.deepEqual(observer.charges, []);
    assert.equal(observer.counts.items, 0);

    type Event = { seq: number; type: string; caseId: string };
    const latest = await get<Event[]>(`/cases/${caseId}/history?limit=3`);
    assert.equal(latest.length, 3);
    assert.ok(latest[0]!.seq > latest[1]!.seq, 'newest first');
    assert.equal(latest[0]!.type, 'charge.withdrawn');
    const all = await get<Event[]>(`/cases/${caseId}/history`);
    assert.equal(all.at(-1)!.type, 'case.created');
    // The observer's history leaves out what they may not read.
    const seen = (await get<Event[]>(`/cases/${caseId}/history?limit=500`, 'observer')).map((e) => e.type);
    assert.ok(seen.includes('member.added'));
    assert.ok(!seen.some((t) => /^(suspect|charge|link|profile|admissibility|item)\./.test(t)), seen.join());
    await refused(await call(`/cases/${caseId}/history?limit=0`), 400, /^limit: /);
  });

  it('a non-member learns nothing: 404 for the case and everything in it, and no listing', async () => {
    const as = 'outsider';
    assert.ok(!(await get<{ id: string }[]>('/cases', as)).some((k) => k.id === caseId));
    const noCase = `there is no case ${caseId}`;
    for (const path of [
      `/cases/${caseId}`,
      `/cases/${caseId}/dashboard`,
      `/cases/${caseId}/history`,
      `/cases/${caseId}/members`,
      `/cases/${caseId}/agreements`,
      `/cases/${caseId}/compartments`,
      `/cases/${caseId}/incidents`,
      `/cases/${caseId}/suspects`,
      `/cases/${caseId}/matrix`,
    ]) {
      await refused(await call(path, { as }), 404, noCase);
    }
    await refused(await send('PATCH', `/cases/${caseId}`, { title: 'Mine now' }, as), 404, noCase);
    await refused(await send('POST', `/cases/${caseId}/suspects`, { name: 'X' }, as), 404, noCase);
    await refused(await call(`/incidents/${incidentId}`, { as }), 404, `there is no incident ${incidentId}`);
    await refused(
      await send('PUT', `/evidence/${itemA}/profile`, { sourceKind: 'testimony', sourceLabel: 'X' }, as),
      404,
      `there is no evidence item ${itemA}`,
    );
    await refused(await send('DELETE', `/links/${linkId}`, undefined, as), 404, `there is no link ${linkId}`);
    for (const res of [
      await call(`/charges/${chargeId}/gaps`, { as }),
      await call(`/charges/${chargeId}/gaps.csv`, { as }),
      await send('DELETE', `/charges/${chargeId}`, undefined, as),
      await send('PUT', `/compartments/${compartmentId}/members`, { members: [] }, as),
    ]) {
      assert.equal((await json<ErrorJson>(res, 404)).error.code, 'not_found');
    }
  });

  it('a non-member cannot tell an existing charge or compartment from a missing one', async () => {
    const as = 'outsider';
    await refused(await call(`/charges/${chargeId}/gaps`, { as }), 404, `there is no charge ${chargeId}`);
    await refused(
      await send('PUT', `/compartments/${compartmentId}/members`, { members: [] }, as),
      404,
      `there is no compartment ${compartmentId}`,
    );
  });

  it('an observer reads but is refused every change, with the reason', async () => {
    const as = 'observer';
    assert.equal((await call(`/cases/${caseId}`, { as })).status, 200);
    await refused(
      await send('PATCH', `/cases/${caseId}`, { title: 'X' }, as),
      403,
      'not allowed: the observer role on this case may not change the case record',
    );
    await refused(
      await send('PUT', `/cases/${caseId}/members/${users.observer!.id}`, { role: 'lead' }, as),
      403,
      'not allowed: the observer role on this case may not manage members and agreements',
    );
    await refused(
      await send('POST', `/cases/${caseId}/compartments`, { name: 'Mine' }, as),
      403,
      'not allowed: the observer role on this case may not manage compartments',
    );
    await refused(
      await send('POST', `/cases/${caseId}/suspects`, { name: 'X' }, as),
      403,
      'not allowed: the observer role on this case may not change the proof matrix',
    );
    await refused(
      await send('POST', `/cases/${caseId}/incidents`, { title: 'X', occurredFrom: '2022-03' }, as),
      403,
      'not allowed: the observer role on this case may not record incidents',
    );
    await refused(
      await call(`/cases/${caseId}/matrix`, { as }),
      403,
      'not allowed: the observer role on this case may not view the proof matrix',
    );
    // The read-only token of a lead: reads, and every write refused for its scope.
    await refused(
      await send(
        'POST',
        `/charges/${chargeId}/links`,
        {
          itemId: itemA,
          elementId: 'rs-6a.4',
          stance: 'supports',
          weight: 'low',
          reliability: 'C',
          credibility: '3',
        },
        'reader',
      ),
      403,
      'not allowed: this API token lacks the "write" scope',
    );
    await refused(
      await send('POST', `/cases/${caseId}/suspects`, { name: 'X' }, 'reader'),
      403,
      'not allowed: this API token lacks the "write" scope',
    );
    assert.equal((await call(`/charges/${chargeId}/gaps`, { as: 'reader' })).status, 200);
  });

  it('works with a browser session too, which must send its CSRF token to change anything', async () => {
    const token = randomToken();
    const now = n.clock.now();
    const session: Session = {
      id: sha256Hex(token),
      userId: users.lead!.id,
      stage: 'full',
      csrfToken: randomToken(),
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
    };
    await new KyselyAccountsRepo(n.node.database.db).insertSession(session);
    const request = (method: string, path: string, body?: unknown, csrf?: string) =>
      n.app.app.request(`http://127.0.0.1/api/v1${path}`, {
        method,
        headers: {
          Cookie: `accord_session=${token}`,
          'Content-Type': 'application/json',
          ...(csrf ? { 'X-CSRF-Token': csrf } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    assert.equal((await request('GET', `/cases/${caseId}/members`)).status, 200);
    assert.equal((await request('POST', `/cases/${caseId}/suspects`, { name: 'Major C. D.' })).status, 403);
    await json(
      await request('POST', `/cases/${caseId}/suspects`, { name: 'Major C. D.' }, session.csrfToken),
      201,
    );
  });

  it('describes the routes in openapi.json', async () => {
    const spec = await json<{ paths: Record<string, Record<string, Json>>; components: { schemas: Json } }>(
      await n.app.app.request('http://127.0.0.1/api/v1/openapi.json'),
      200,
    );
    const expected: [string, string[]][] = [
      ['/cases', ['get', 'post']],
      ['/cases/{id}', ['get', 'patch']],
      ['/cases/{id}/dashboard', ['get']],
      ['/cases/{id}/history', ['get']],
      ['/cases/{id}/members', ['get']],
      ['/cases/{id}/members/{userId}', ['put', 'delete']],
      ['/cases/{id}/agreements', ['get', 'post']],
      ['/cases/{id}/agreements/{agreementId}', ['put']],
      ['/cases/{id}/compartments', ['get', 'post']],
      ['/compartments/{id}/members', ['put']],
      ['/evidence/{id}/compartment', ['put']],
      ['/evidence/{id}/profile', ['put']],
      ['/evidence/{id}/admissibility', ['put']],
      ['/cases/{id}/incidents', ['get', 'post']],
      ['/incidents/{id}', ['get', 'put']],
      ['/incidents/{id}/items/{itemId}', ['put', 'delete']],
      ['/cases/{id}/suspects', ['get', 'post']],
      ['/cases/{id}/charges', ['post']],
      ['/charges/{id}', ['delete']],
      ['/charges/{id}/links', ['post']],
      ['/links/{id}', ['delete']],
      ['/cases/{id}/matrix', ['get']],
      ['/charges/{id}/gaps', ['get']],
      ['/charges/{id}/gaps.csv', ['get']],
    ];
    for (const [path, methods] of expected) {
      for (const method of methods) assert.ok(spec.paths[path]?.[method], `${method} ${path}`);
    }
    const upload = spec.paths['/cases/{caseId}/evidence']!.post as { parameters: { name: string }[] };
    assert.ok(
      upload.parameters.some((p) => p.name === 'compartmentId'),
      'upload takes a compartment',
    );
    assert.ok((spec.paths['/charges/{id}/gaps.csv']!.get!.responses as Json)['200']);
    for (const schema of [
      'Case',
      'CaseView',
      'Agreement',
      'Incident',
      'ProofLink',
      'ProofMatrix',
      'GapReport',
    ])
      assert.ok(spec.components.schemas[schema], schema);
  });
});
