import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  type Agreement,
  type CaseChange,
  type CaseId,
  type CaseRecord,
  type Charge,
  type Compartment,
  type Incident,
  type ItemId,
  isAccordError,
  type NewCaseEvent,
  newId,
  type OrgId,
  type ProofLink,
  type Suspect,
  type UserId,
} from '@accord/core';
import { sql } from 'kysely';
import type { OpenDatabase } from '../db/open.ts';
import { m20261125_0005_case_leads } from '../migrations/20261125-0005-case-leads.ts';
import { describeEachDatabase, withDatabase } from '../testing/index.ts';
import { insertItem, insertOrg, insertUser, ROW_TIME, rowTime } from '../testing/rows.ts';
import { KyselyCaseRepo } from './case-repo.ts';

const NOW = ROW_TIME;
const at = rowTime;

const setup = async (database: OpenDatabase) => {
  const leadOrg = await insertOrg(database, 'Lead Org');
  const partnerOrg = await insertOrg(database, 'Partner Org');
  const alice = await insertUser(database, leadOrg, 'alice');
  const bob = await insertUser(database, partnerOrg, 'bob');
  const carol = await insertUser(database, leadOrg, 'carol', NOW);
  return { repo: new KyselyCaseRepo(database.db), leadOrg, partnerOrg, alice, bob, carol };
};

const event = (caseId: CaseId, type: string, extra: Partial<NewCaseEvent> = {}): NewCaseEvent => ({
  id: newId(),
  caseId,
  compartmentId: null,
  at: NOW,
  actorUserId: null,
  actorOrgId: null,
  type,
  subjectId: null,
  details: {},
  ...extra,
});

const caseRecord = (leadOrgId: OrgId, createdAt = NOW, over: Partial<CaseRecord> = {}): CaseRecord => ({
  id: newId<CaseId>(),
  title: 'Shelling of the market',
  summary: 'Artillery strike on a civilian market.',
  status: 'investigation',
  jurisdictions: ['DE', 'ICC'],
  leadOrgId,
  legalBasis: 'Art. 8 Rome Statute',
  openedOn: '2026-11-01',
  closedOn: null,
  createdAt,
  updatedAt: createdAt,
  ...over,
});

/** Opens a case through the repository, the way the case service does. */
const openCase = async (
  repo: KyselyCaseRepo,
  leadOrgId: OrgId,
  createdAt = NOW,
  over: Partial<CaseRecord> = {},
): Promise<CaseRecord> => {
  const record = caseRecord(leadOrgId, createdAt, over);
  await repo.apply([{ type: 'case', record }], event(record.id, 'case.opened'));
  return record;
};

describeEachDatabase('case repository', (create) => {
  it(
    'every change round-trips, and every apply appends exactly one event',
    withDatabase(create, async ({ database }) => {
      const { repo, leadOrg, partnerOrg, alice, bob, carol } = await setup(database);
      const record = await openCase(repo, leadOrg);
      const caseId = record.id;
      assert.deepEqual(await repo.getCase(caseId), record);
      assert.deepEqual(await repo.listCases(), [record]);
      assert.equal(await repo.getCase(newId<CaseId>()), undefined);

      // case: a second put replaces the record.
      const closed: CaseRecord = {
        ...record,
        title: 'Market shelling',
        status: 'closed',
        jurisdictions: [],
        closedOn: '2026-12-01',
        updatedAt: at(30),
      };
      await repo.apply([{ type: 'case', record: closed }], event(caseId, 'case.edited'));
      assert.deepEqual(await repo.getCase(caseId), closed);

      // member.put: insert, then replace the role.
      await repo.apply(
        [
          { type: 'member.put', member: { caseId, userId: alice, role: 'lead', addedAt: at(1) } },
          { type: 'member.put', member: { caseId, userId: bob, role: 'observer', addedAt: at(2) } },
        ],
        event(caseId, 'member.added'),
      );
      await repo.apply(
        [{ type: 'member.put', member: { caseId, userId: bob, role: 'investigator', addedAt: at(2) } }],
        event(caseId, 'member.role'),
      );
      assert.deepEqual(await repo.getMember(caseId, bob), {
        caseId,
        userId: bob,
        role: 'investigator',
        addedAt: at(2),
      });
      assert.equal(await repo.getMember(caseId, carol), undefined);
      assert.deepEqual(await repo.listMembers(caseId), [
        {
          caseId,
          userId: alice,
          role: 'lead',
          addedAt: at(1),
          username: 'alice',
          displayName: 'Name of alice',
          orgId: leadOrg,
          orgName: 'Lead Org',
        },
        {
          caseId,
          userId: bob,
          role: 'investigator',
          addedAt: at(2),
          username: 'bob',
          displayName: 'Name of bob',
          orgId: partnerOrg,
          orgName: 'Partner Org',
        },
      ]);
      assert.deepEqual(await repo.findUser(bob), { orgId: partnerOrg, disabled: false });
      assert.deepEqual(await repo.findUser(carol), { orgId: leadOrg, disabled: true });
      assert.equal(await repo.findUser(newId<UserId>()), undefined);

      // compartment: members are replaced with the compartment (listed in user id order).
      const compartment: Compartment = {
        id: newId(),
        caseId,
        name: 'Witnesses',
        description: 'Protected witnesses',
        members: [alice, bob].sort(),
        createdAt: at(3),
      };
      await repo.apply([{ type: 'compartment', compartment }], event(caseId, 'compartment.created'));
      assert.deepEqual(await repo.getCompartment(compartment.id), compartment);
      const narrowed = { ...compartment, description: 'Only the lead', members: [alice] };
      await repo.apply([{ type: 'compartment', compartment: narrowed }], event(caseId, 'compartment.edited'));
      const other: Compartment = {
        ...compartment,
        id: newId(),
        name: 'Insiders',
        members: [],
        createdAt: at(4),
      };
      await repo.apply([{ type: 'compartment', compartment: other }], event(caseId, 'compartment.created'));
      assert.deepEqual(await repo.getCompartment(compartment.id), narrowed);
      assert.deepEqual(await repo.listCompartments(caseId), [narrowed, other]);
      assert.deepEqual(await repo.compartmentsOf(caseId, alice), [compartment.id]);
      assert.deepEqual(await repo.compartmentsOf(caseId, bob), []);
      assert.equal(await repo.getCompartment(newId()), undefined);

      // agreement: participants are JSON.
      const agreement: Agreement = {
        id: newId(),
        caseId,
        title: 'JIT DE–UA',
        basisKind: 'eu_jit_model',
        legalBasis: 'Council Resolution 2017/C 18/01',
        startsOn: '2026-11-01',
        endsOn: null,
        scope: 'Shelling of the market',
        purposeLimitation: 'Criminal proceedings only',
        participants: [
          { orgId: leadOrg, country: 'DE', receives: ['originals', 'derivatives', 'incidents', 'analysis'] },
          { orgId: partnerOrg, country: 'UA', receives: ['derivatives'] },
        ],
        createdAt: at(5),
        updatedAt: at(5),
      };
      await repo.apply([{ type: 'agreement', agreement }], event(caseId, 'agreement.recorded'));
      const ended = { ...agreement, endsOn: '2027-11-01', participants: [], updatedAt: at(6) };
      await repo.apply([{ type: 'agreement', agreement: ended }], event(caseId, 'agreement.edited'));
      assert.deepEqual(await repo.getAgreement(agreement.id), ended);
      assert.deepEqual(await repo.listAgreements(caseId), [ended]);

      // incident: arrays as JSON, coordinates as numbers, nulls kept.
      const incident: Incident = {
        id: newId(),
        caseId,
        compartmentId: compartment.id,
        title: 'Strike on the market',
        occurredFrom: '2026-03-14T10:20:00+02:00',
        occurredTo: '2026-03-14T10:40:00+02:00',
        place: 'Central market',
        latitude: 49.9935,
        longitude: 36.2304,
        acts: ['attack on civilians', 'destruction of property'],
        victims: ['V-12', 'W-0421'],
        perpetratorIds: [],
        perpetratorsOther: 'Unknown artillery unit',
        sources: 'Witness statements',
        createdAt: at(7),
        updatedAt: at(7),
      };
      const bare: Incident = {
        ...incident,
        id: newId(),
        compartmentId: null,
        occurredTo: null,
        latitude: null,
        longitude: null,
        acts: [],
        victims: [],
        createdAt: at(8),
        updatedAt: at(8),
      };
      await repo.apply(
        [
          { type: 'incident', incident },
          { type: 'incident', incident: bare },
        ],
        event(caseId, 'incident.recorded'),
      );
      assert.deepEqual(await repo.getIncident(incident.id), incident);
      assert.deepEqual(await repo.listIncidents(caseId), [incident, bare]);

      // incident.item: linking twice is harmless; unlinking removes the row.
      const item1 = await insertItem(database, caseId, 1);
      const item2 = await insertItem(database, caseId, 2);
      const link = (incidentId: string, itemId: ItemId, linked: boolean): CaseChange => ({
        type: 'incident.item',
        incidentId,
        itemId,
        linked,
      });
      await repo.apply(
        [link(incident.id, item2, true), link(incident.id, item1, true), link(bare.id, item1, true)],
        event(caseId, 'incident.items'),
      );
      await repo.apply([link(incident.id, item1, true)], event(caseId, 'incident.items'));
      assert.deepEqual(await repo.incidentItems(incident.id), [item1, item2]);
      assert.deepEqual(await repo.itemIncidents(item1), [incident.id, bare.id]);
      await repo.apply([link(incident.id, item1, false)], event(caseId, 'incident.items'));
      assert.deepEqual(await repo.incidentItems(incident.id), [item2]);
      assert.deepEqual(await repo.itemIncidents(item1), [bare.id]);

      // suspect, charge, link.
      const suspect: Suspect = {
        id: newId(),
        caseId,
        name: 'Col. X',
        position: 'Commander, 3rd brigade',
        note: '',
        createdAt: at(9),
      };
      const charge: Charge = {
        id: newId(),
        caseId,
        suspectId: suspect.id,
        crimeId: 'icc-8-2-b-i',
        modeId: 'icc-28-a',
        note: 'command responsibility',
        createdAt: at(10),
        withdrawnAt: null,
      };
      const proof: ProofLink = {
        id: newId(),
        caseId,
        chargeId: charge.id,
        elementId: 'icc-8-2-b-i-e1',
        itemId: item1,
        partKind: 'time',
        part: '00:01:30-00:02:10',
        stance: 'supports',
        weight: 'high',
        reliability: 'B',
        credibility: '2',
        note: '',
        createdAt: at(11),
        createdBy: alice,
        withdrawnAt: null,
      };
      const contrary: ProofLink = {
        ...proof,
        id: newId(),
        itemId: item2,
        partKind: 'whole',
        part: '',
        stance: 'contradicts',
        createdBy: null,
        createdAt: at(12),
      };
      await repo.apply(
        [
          { type: 'suspect', suspect },
          { type: 'charge', charge },
          { type: 'link', link: proof },
          { type: 'link', link: contrary },
        ],
        event(caseId, 'matrix.edited'),
      );
      const renamed = { ...suspect, name: 'Col. Y', note: 'identified' };
      const withdrawnCharge = { ...charge, withdrawnAt: at(40) };
      const withdrawnLink = { ...contrary, withdrawnAt: at(41) };
      await repo.apply(
        [
          { type: 'suspect', suspect: renamed },
          { type: 'charge', charge: withdrawnCharge },
          { type: 'link', link: withdrawnLink },
        ],
        event(caseId, 'matrix.edited'),
      );
      assert.deepEqual(await repo.getSuspect(suspect.id), renamed);
      assert.deepEqual(await repo.listSuspects(caseId), [renamed]);
      assert.deepEqual(await repo.getCharge(charge.id), withdrawnCharge);
      assert.deepEqual(await repo.listCharges(caseId), [withdrawnCharge]);
      assert.deepEqual(await repo.getLink(proof.id), proof);
      assert.deepEqual(await repo.getLink(contrary.id), withdrawnLink);
      assert.deepEqual(await repo.listLinks(caseId), [proof], 'withdrawn links are not listed');

      // profile and admissibility: upserts by item (and jurisdiction and rule).
      await repo.apply(
        [
          {
            type: 'profile',
            profile: {
              itemId: item1,
              caseId,
              sourceKind: 'testimony',
              sourceLabel: 'W-0421',
              updatedAt: at(13),
            },
          },
          {
            type: 'admissibility',
            answer: {
              itemId: item1,
              caseId,
              jurisdiction: 'DE',
              ruleId: 'de-chain',
              answer: 'met',
              note: '',
              updatedAt: at(13),
            },
          },
          {
            type: 'admissibility',
            answer: {
              itemId: item1,
              caseId,
              jurisdiction: 'ICC',
              ruleId: 'icc-69-4',
              answer: 'met',
              note: '',
              updatedAt: at(13),
            },
          },
        ],
        event(caseId, 'item.classified'),
      );
      const profile = {
        itemId: item1,
        caseId,
        sourceKind: 'documentary' as const,
        sourceLabel: 'Ministry letter',
        updatedAt: at(14),
      };
      const answer = {
        itemId: item1,
        caseId,
        jurisdiction: 'DE',
        ruleId: 'de-chain',
        answer: 'not_met' as const,
        note: 'gap in custody',
        updatedAt: at(14),
      };
      await repo.apply(
        [
          { type: 'profile', profile },
          { type: 'admissibility', answer },
        ],
        event(caseId, 'item.classified'),
      );
      assert.deepEqual(await repo.listProfiles(caseId), [profile]);
      assert.deepEqual(
        (await repo.listAdmissibility(caseId)).map((a) => [a.jurisdiction, a.ruleId, a.answer, a.note]),
        [
          ['DE', 'de-chain', 'not_met', 'gap in custody'],
          ['ICC', 'icc-69-4', 'met', ''],
        ],
      );
      assert.deepEqual((await repo.listAdmissibility(caseId))[0], answer);

      // item.compartment: file, move, unfile.
      assert.equal(await repo.itemCompartment(item1), null);
      await repo.apply(
        [{ type: 'item.compartment', itemId: item1, compartmentId: compartment.id }],
        event(caseId, 'item.filed', { compartmentId: compartment.id }),
      );
      assert.equal(await repo.itemCompartment(item1), compartment.id);
      await repo.apply(
        [{ type: 'item.compartment', itemId: item1, compartmentId: other.id }],
        event(caseId, 'item.filed', { compartmentId: other.id }),
      );
      assert.equal(await repo.itemCompartment(item1), other.id);
      await repo.apply(
        [{ type: 'item.compartment', itemId: item1, compartmentId: null }],
        event(caseId, 'item.filed'),
      );
      assert.equal(await repo.itemCompartment(item1), null);

      // The history: one event per apply, newest first.
      const events = await repo.listEvents(caseId, 100);
      assert.equal(events.length, 20);
      assert.equal(events[0]?.type, 'item.filed');
      assert.equal(events.at(-1)?.type, 'case.opened');
      const seqs = events.map((e) => e.seq);
      assert.ok(seqs.every((s, i) => typeof s === 'number' && (i === 0 || s < (seqs[i - 1] as number))));
    }),
  );

  it(
    'events keep their fields, page by seq, and stay with their case',
    withDatabase(create, async ({ database }) => {
      const { repo, leadOrg, alice } = await setup(database);
      const one = await openCase(repo, leadOrg);
      const two = await openCase(repo, leadOrg);
      const detailed = event(one.id, 'member.added', {
        at: at(5),
        actorUserId: alice,
        actorOrgId: leadOrg,
        subjectId: alice,
        compartmentId: null,
        details: { role: 'lead', count: 3, ok: true, none: null },
      });
      await repo.apply([], detailed);
      for (let n = 0; n < 5; n += 1) await repo.apply([], event(one.id, `note.${n}`));
      const all = await repo.listEvents(one.id, 100);
      assert.equal(all.length, 7);
      const stored = all.find((e) => e.id === detailed.id);
      assert.ok(stored);
      const { seq, ...rest } = stored;
      assert.deepEqual(rest, detailed);
      assert.equal(typeof seq, 'number');
      const page1 = await repo.listEvents(one.id, 3);
      assert.deepEqual(
        page1.map((e) => e.type),
        ['note.4', 'note.3', 'note.2'],
      );
      const page2 = await repo.listEvents(one.id, 3, page1.at(-1)?.seq);
      assert.deepEqual(
        page2.map((e) => e.type),
        ['note.1', 'note.0', 'member.added'],
      );
      assert.deepEqual(
        (await repo.listEvents(two.id, 100)).map((e) => e.type),
        ['case.opened'],
      );
    }),
  );

  it(
    'a failing change leaves neither rows nor the event',
    withDatabase(create, async ({ database }) => {
      const { repo, leadOrg, alice } = await setup(database);
      const { id: caseId } = await openCase(repo, leadOrg);
      const suspect: Suspect = { id: newId(), caseId, name: 'S', position: '', note: '', createdAt: NOW };
      const orphanCharge: Charge = {
        id: newId(),
        caseId,
        suspectId: newId(),
        crimeId: 'c',
        modeId: 'm',
        note: '',
        createdAt: NOW,
        withdrawnAt: null,
      };
      await assert.rejects(
        repo.apply(
          [
            { type: 'member.put', member: { caseId, userId: alice, role: 'lead', addedAt: NOW } },
            { type: 'suspect', suspect },
            { type: 'charge', charge: orphanCharge },
          ],
          event(caseId, 'matrix.edited'),
        ),
      );
      assert.equal(await repo.getSuspect(suspect.id), undefined);
      assert.equal(await repo.getCharge(orphanCharge.id), undefined);
      assert.equal(await repo.getMember(caseId, alice), undefined);
      assert.equal((await repo.listEvents(caseId, 10)).length, 1);

      // The event itself failing (a change for a case that does not exist) also undoes the changes.
      const ghost = newId<CaseId>();
      await assert.rejects(
        repo.apply(
          [{ type: 'member.put', member: { caseId, userId: alice, role: 'lead', addedAt: NOW } }],
          event(ghost, 'member.added'),
        ),
      );
      assert.equal(await repo.getMember(caseId, alice), undefined);

      // Two compartments of one case with one name: a conflict, and nothing written.
      const first: Compartment = {
        id: newId(),
        caseId,
        name: 'Insiders',
        description: '',
        members: [],
        createdAt: NOW,
      };
      await repo.apply([{ type: 'compartment', compartment: first }], event(caseId, 'compartment.created'));
      const twin = { ...first, id: newId(), members: [alice] };
      await assert.rejects(
        repo.apply([{ type: 'compartment', compartment: twin }], event(caseId, 'compartment.created')),
        (e: unknown) => isAccordError(e) && e.code === 'conflict' && /Insiders/.test(e.message),
      );
      assert.deepEqual(
        (await repo.listCompartments(caseId)).map((c) => c.id),
        [first.id],
      );
      assert.equal((await repo.listEvents(caseId, 10)).length, 2);
    }),
  );

  it(
    'case events are append-only in the database',
    withDatabase(create, async ({ database }) => {
      const { repo, leadOrg } = await setup(database);
      await openCase(repo, leadOrg);
      for (const statement of [sql`UPDATE case_events SET type = 'forged'`, sql`DELETE FROM case_events`]) {
        await assert.rejects(statement.execute(database.db), /append-only/);
      }
    }),
  );

  it(
    "member.remove removes the membership and the user from that case's compartments only",
    withDatabase(create, async ({ database }) => {
      const { repo, leadOrg, alice, bob } = await setup(database);
      const one = await openCase(repo, leadOrg, at(1));
      const two = await openCase(repo, leadOrg, at(2));
      for (const c of [one, two]) {
        const compartment: Compartment = {
          id: newId(),
          caseId: c.id,
          name: 'Witnesses',
          description: '',
          members: [alice, bob],
          createdAt: NOW,
        };
        await repo.apply(
          [
            { type: 'member.put', member: { caseId: c.id, userId: alice, role: 'analyst', addedAt: NOW } },
            { type: 'member.put', member: { caseId: c.id, userId: bob, role: 'lead', addedAt: NOW } },
            { type: 'compartment', compartment },
          ],
          event(c.id, 'setup'),
        );
      }
      await repo.apply(
        [{ type: 'member.remove', caseId: one.id, userId: alice }],
        event(one.id, 'member.removed', { subjectId: alice }),
      );
      assert.equal(await repo.getMember(one.id, alice), undefined);
      assert.deepEqual(await repo.compartmentsOf(one.id, alice), []);
      assert.equal((await repo.compartmentsOf(one.id, bob)).length, 1);
      assert.equal((await repo.compartmentsOf(two.id, alice)).length, 1);
      assert.deepEqual((await repo.listCompartments(one.id))[0]?.members, [bob]);
      assert.deepEqual(
        (await repo.listCasesOf(alice)).map((c) => [c.id, c.role]),
        [[two.id, 'analyst']],
      );
      assert.deepEqual(
        (await repo.listMembers(one.id)).map((m) => m.userId),
        [bob],
      );
    }),
  );

  it(
    'lists all cases and the cases of a user newest first, with the role on each',
    withDatabase(create, async ({ database }) => {
      const { repo, leadOrg, alice, bob } = await setup(database);
      const older = await openCase(repo, leadOrg, at(1));
      const newer = await openCase(repo, leadOrg, at(2));
      const unrelated = await openCase(repo, leadOrg, at(3));
      await repo.apply(
        [{ type: 'member.put', member: { caseId: older.id, userId: alice, role: 'lead', addedAt: NOW } }],
        event(older.id, 'member.added'),
      );
      await repo.apply(
        [
          { type: 'member.put', member: { caseId: newer.id, userId: alice, role: 'observer', addedAt: NOW } },
          { type: 'member.put', member: { caseId: newer.id, userId: bob, role: 'lead', addedAt: NOW } },
        ],
        event(newer.id, 'member.added'),
      );
      assert.deepEqual(await repo.listCasesOf(alice), [
        { ...newer, role: 'observer' },
        { ...older, role: 'lead' },
      ]);
      assert.deepEqual(await repo.listCasesOf(bob), [{ ...newer, role: 'lead' }]);
      assert.deepEqual(await repo.listCasesOf(newId<UserId>()), []);
      assert.deepEqual(
        (await repo.listCases()).map((c) => c.id),
        [unrelated.id, newer.id, older.id],
      );
    }),
  );

  it(
    'upgrading: whoever opened a case before cases had members becomes its lead, in the history too',
    withDatabase(create, async ({ database }) => {
      const { repo, leadOrg, alice } = await setup(database);
      const id = newId<CaseId>();
      await database.db
        .insertInto('cases')
        .values({ id, title: 'Old case', lead_org_id: leadOrg, created_by: alice, created_at: NOW })
        .execute();
      const anonymous = newId<CaseId>();
      await database.db
        .insertInto('cases')
        .values({
          id: anonymous,
          title: 'By the operator',
          lead_org_id: leadOrg,
          created_by: null,
          created_at: NOW,
        })
        .execute();
      // The migration as it ran at start-up, run again over these rows.
      await m20261125_0005_case_leads(database.dialect).up(database.db as never);
      assert.equal((await repo.getMember(id, alice))?.role, 'lead');
      assert.deepEqual(await repo.listMembers(anonymous), []);
      const [event] = await repo.listEvents(id, 10);
      assert.equal(event?.type, 'member.added');
      assert.equal(event?.subjectId, alice);
      // Running it again changes nothing: the case has a member now.
      await m20261125_0005_case_leads(database.dialect).up(database.db as never);
      assert.equal((await repo.listEvents(id, 10)).length, 1);
    }),
  );

  it(
    'cases created before the case module read with their defaults',
    withDatabase(create, async ({ database }) => {
      const { repo, leadOrg } = await setup(database);
      const id = newId<CaseId>();
      await database.db
        .insertInto('cases')
        .values({ id, title: 'Old case', lead_org_id: leadOrg, created_by: null, created_at: NOW })
        .execute();
      assert.deepEqual(await repo.getCase(id), {
        id,
        title: 'Old case',
        summary: '',
        status: 'preliminary',
        jurisdictions: [],
        leadOrgId: leadOrg,
        legalBasis: '',
        openedOn: '2026-11-25',
        closedOn: null,
        createdAt: NOW,
        updatedAt: NOW,
      });
    }),
  );
});
