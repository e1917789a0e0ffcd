import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  type CaseId,
  type ConsentEvent,
  type ItemId,
  isAccordError,
  newId,
  type OrgId,
  type RiskAssessment,
  type Statement,
  type Witness,
  type WitnessIdentity,
} from '@accord/core';
import { sql } from 'kysely';
import type { OpenDatabase } from '../db/open.ts';
import { describeEachDatabase, withDatabase } from '../testing/index.ts';
import { insertCase, insertItem, insertOrg, insertUser, ROW_TIME, rowTime } from '../testing/rows.ts';
import { KyselyWitnessRepo } from './witness-repo.ts';

const NOW = ROW_TIME;
const at = rowTime;

const insertCompartment = async (database: OpenDatabase, caseId: CaseId, name: string): Promise<string> => {
  const id = newId();
  await database.db
    .insertInto('case_compartments')
    .values({ id, case_id: caseId, name, description: '', created_at: NOW })
    .execute();
  return id;
};

const setup = async (database: OpenDatabase) => {
  const org = await insertOrg(database, 'Lead Org');
  const alice = await insertUser(database, org, 'alice');
  const caseId = await insertCase(database, org, 'Shelling of the market');
  const otherCase = await insertCase(database, org, 'Filtration camp');
  const protection = await insertCompartment(database, caseId, 'Protection');
  return { repo: new KyselyWitnessRepo(database.db), org, alice, caseId, otherCase, protection };
};

const witness = (caseId: CaseId, pseudonym: string, over: Partial<Witness> = {}): Witness => ({
  id: newId(),
  caseId,
  pseudonym,
  kind: 'survivor',
  languages: ['uk', 'ru'],
  note: 'Met at the shelter.',
  createdAt: NOW,
  updatedAt: NOW,
  ...over,
});

const identity = (
  w: Witness,
  compartmentId: string,
  over: Partial<WitnessIdentity> = {},
): WitnessIdentity => ({
  witnessId: w.id,
  caseId: w.caseId,
  compartmentId,
  fullName: 'Олена Петренко',
  otherNames: ['Olena Petrenko', 'Алёна'],
  dateOfBirth: '1981-04-02',
  contact: '+380 44 000 0000',
  address: 'Kharkiv',
  note: '',
  updatedAt: NOW,
  ...over,
});

const consent = (w: Witness, over: Partial<Omit<ConsentEvent, 'seq'>> = {}): Omit<ConsentEvent, 'seq'> => ({
  id: newId(),
  witnessId: w.id,
  caseId: w.caseId,
  purpose: 'investigation',
  scope: '',
  state: 'given',
  at: NOW,
  recordedBy: null,
  via: 'advocate',
  note: '',
  ...over,
});

const statement = (w: Witness, orgId: OrgId, over: Partial<Statement> = {}): Statement => ({
  id: newId(),
  witnessId: w.id,
  caseId: w.caseId,
  itemId: null,
  takenOn: '2026-11-20',
  takenBy: 'Interviewer 3',
  orgId,
  language: 'uk',
  interpreter: '',
  consentAtTime: [],
  note: '',
  createdAt: NOW,
  createdBy: null,
  ...over,
});

const risk = (w: Witness, over: Partial<RiskAssessment> = {}): RiskAssessment => ({
  id: newId(),
  witnessId: w.id,
  caseId: w.caseId,
  level: 'medium',
  assessedOn: '2026-11-01',
  threats: '',
  measures: '',
  reviewOn: '2026-12-01',
  createdAt: NOW,
  createdBy: null,
  ...over,
});

describeEachDatabase('witness repository', (create) => {
  it(
    'witnesses round-trip, with their languages, and are updated in place',
    withDatabase(create, async ({ database }) => {
      const { repo, caseId, otherCase } = await setup(database);
      const second = witness(caseId, 'W-0002', { createdAt: at(2), updatedAt: at(2), languages: [] });
      const first = witness(caseId, 'W-0001', { createdAt: at(1), updatedAt: at(1) });
      const elsewhere = witness(otherCase, 'W-0001');
      await repo.apply([
        { type: 'witness', witness: second },
        { type: 'witness', witness: first },
        { type: 'witness', witness: elsewhere },
      ]);
      assert.deepEqual(await repo.getWitness(first.id), first);
      assert.deepEqual(await repo.getWitness(second.id), second);
      assert.equal(await repo.getWitness(newId()), undefined);
      assert.deepEqual(await repo.listWitnesses(caseId), [first, second]);
      assert.deepEqual(await repo.listWitnesses(otherCase), [elsewhere]);

      const edited: Witness = {
        ...first,
        kind: 'insider',
        languages: ['ar', 'fr', 'zh-Hant-TW'],
        note: 'Moved; "quotes" and \\ kept',
        updatedAt: at(5),
      };
      await repo.apply([{ type: 'witness', witness: edited }]);
      assert.deepEqual(await repo.getWitness(first.id), edited);
      assert.equal((await repo.listWitnesses(caseId)).length, 2);

      // Same creation time: by id.
      const third = witness(caseId, 'W-0003', { createdAt: at(2), updatedAt: at(2) });
      await repo.apply([{ type: 'witness', witness: third }]);
      assert.deepEqual(
        (await repo.listWitnesses(caseId)).map((w) => w.id),
        [first.id, ...[second.id, third.id].sort()],
      );
    }),
  );

  it(
    'identities round-trip, are replaced in place, and are listed per case',
    withDatabase(create, async ({ database }) => {
      const { repo, caseId, otherCase, protection } = await setup(database);
      const w = witness(caseId, 'W-0001');
      const v = witness(caseId, 'W-0002');
      const x = witness(otherCase, 'W-0001');
      const otherProtection = await insertCompartment(database, otherCase, 'Protection');
      const idW = identity(w, protection);
      const idV = identity(v, protection, { dateOfBirth: null, otherNames: [], fullName: 'Someone Else' });
      const idX = identity(x, otherProtection);
      await repo.apply([
        { type: 'witness', witness: w },
        { type: 'identity', identity: idW },
        { type: 'witness', witness: v },
        { type: 'identity', identity: idV },
        { type: 'witness', witness: x },
        { type: 'identity', identity: idX },
      ]);
      assert.deepEqual(await repo.getIdentity(w.id), idW);
      assert.deepEqual(await repo.getIdentity(v.id), idV);
      assert.equal(await repo.getIdentity(newId()), undefined);
      assert.deepEqual(
        (await repo.listIdentities(caseId)).map((i) => i.witnessId).sort(),
        [w.id, v.id].sort(),
      );
      assert.deepEqual(await repo.listIdentities(otherCase), [idX]);

      const inner = await insertCompartment(database, caseId, 'Inner circle');
      const moved: WitnessIdentity = {
        ...idW,
        compartmentId: inner,
        otherNames: ['O. P.'],
        dateOfBirth: null,
        contact: 'via the shelter',
        address: '',
        note: 'relocated',
        updatedAt: at(9),
      };
      await repo.apply([{ type: 'identity', identity: moved }]);
      assert.deepEqual(await repo.getIdentity(w.id), moved);
      assert.equal((await repo.listIdentities(caseId)).length, 2);
    }),
  );

  it(
    'consent history is kept oldest first, in the order it was recorded',
    withDatabase(create, async ({ database }) => {
      const { repo, caseId, alice, org } = await setup(database);
      const w = witness(caseId, 'W-0001');
      const other = witness(caseId, 'W-0002');
      await repo.apply([
        { type: 'witness', witness: w },
        { type: 'witness', witness: other },
      ]);
      const given = consent(w, { at: at(10), recordedBy: alice, note: 'in person' });
      const sharing = consent(w, { purpose: 'sharing', scope: org, at: at(11), via: 'survivor' });
      // Recorded later, about an earlier moment: the history keeps the order of recording.
      const withdrawn = consent(w, { purpose: 'sharing', scope: org, state: 'withdrawn', at: at(5) });
      await repo.apply([
        { type: 'consent', consent: given },
        { type: 'consent', consent: sharing },
      ]);
      await repo.apply([{ type: 'consent', consent: consent(other, { purpose: 'contact' }) }]);
      await repo.apply([{ type: 'consent', consent: withdrawn }]);

      const history = await repo.listConsent(w.id);
      assert.deepEqual(
        history.map(({ seq: _, ...rest }) => rest),
        [given, sharing, withdrawn],
      );
      for (const e of history) assert.equal(typeof e.seq, 'number');
      const seqs = history.map((e) => e.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
      );
      assert.equal(new Set(seqs).size, 3);
      assert.equal((await repo.listConsent(other.id)).length, 1);
      assert.deepEqual(await repo.listConsent(newId()), []);

      // An entry id is recorded once.
      await assert.rejects(repo.apply([{ type: 'consent', consent: { ...given, note: 'again' } }]));
      assert.equal((await repo.listConsent(w.id)).length, 3);
    }),
  );

  it(
    'statements round-trip with the consent at the time, ordered by date taken',
    withDatabase(create, async ({ database }) => {
      const { repo, caseId, otherCase, org, alice } = await setup(database);
      const recording = await insertItem(database, caseId, 1, {
        mediaType: 'audio/ogg',
        title: 'recording 1',
        sensitive: true,
      });
      const transcript = await insertItem(database, caseId, 2);
      const w = witness(caseId, 'W-0001');
      const v = witness(caseId, 'W-0002');
      const x = witness(otherCase, 'W-0001');
      await repo.apply([
        { type: 'witness', witness: w },
        { type: 'witness', witness: v },
        { type: 'witness', witness: x },
      ]);
      const later = statement(w, org, {
        takenOn: '2026-11-22',
        itemId: recording,
        language: 'uk',
        interpreter: 'Interpreter A',
        consentAtTime: [
          { purpose: 'investigation', scope: '', state: 'given', at: at(1) },
          { purpose: 'sharing', scope: org, state: 'withdrawn', at: at(2) },
          { purpose: 'prosecution', scope: 'DE', state: 'given', at: at(3) },
        ],
        note: 'Second interview',
        createdBy: alice,
      });
      const earlierSecond = statement(w, org, { takenOn: '2026-11-20', createdAt: at(30) });
      const earlierFirst = statement(w, org, {
        takenOn: '2026-11-20',
        createdAt: at(20),
        itemId: transcript,
      });
      const ofV = statement(v, org, { takenOn: '2026-11-01', itemId: transcript });
      const ofX = statement(x, org, { itemId: null });
      await repo.apply([
        { type: 'statement', statement: later },
        { type: 'statement', statement: earlierSecond },
        { type: 'statement', statement: earlierFirst },
        { type: 'statement', statement: ofV },
        { type: 'statement', statement: ofX },
      ]);
      assert.deepEqual(await repo.listStatements(w.id), [earlierFirst, earlierSecond, later]);
      assert.deepEqual(await repo.listStatements(v.id), [ofV]);
      assert.deepEqual(await repo.listStatements(newId()), []);

      // Only those of the case that point to an item.
      assert.deepEqual(await repo.listCaseStatements(caseId), [ofV, earlierFirst, later]);
      assert.deepEqual(await repo.listCaseStatements(otherCase), []);

      // A statement names an organisation and an item that exist.
      await assert.rejects(repo.apply([{ type: 'statement', statement: statement(w, newId<OrgId>()) }]));
      await assert.rejects(
        repo.apply([{ type: 'statement', statement: statement(w, org, { itemId: newId<ItemId>() }) }]),
      );
      assert.equal((await repo.listStatements(w.id)).length, 3);
    }),
  );

  it(
    'risk assessments round-trip, newest first',
    withDatabase(create, async ({ database }) => {
      const { repo, caseId, alice } = await setup(database);
      const w = witness(caseId, 'W-0001');
      await repo.apply([{ type: 'witness', witness: w }]);
      const oldest = risk(w, { assessedOn: '2026-10-01', level: 'low' });
      const sameDayEarlier = risk(w, {
        assessedOn: '2026-11-10',
        createdAt: at(1),
        level: 'high',
        threats: 'Calls from unknown numbers',
        measures: 'New phone; relocation',
        reviewOn: '2026-11-17',
        createdBy: alice,
      });
      const sameDayLater = risk(w, { assessedOn: '2026-11-10', createdAt: at(2), level: 'critical' });
      await repo.apply([
        { type: 'risk', risk: sameDayEarlier },
        { type: 'risk', risk: oldest },
        { type: 'risk', risk: sameDayLater },
      ]);
      assert.deepEqual(await repo.listRisks(w.id), [sameDayLater, sameDayEarlier, oldest]);
      assert.deepEqual(await repo.listRisks(newId()), []);
    }),
  );

  it(
    'a pseudonym is unique in its case: a conflict, and nothing written',
    withDatabase(create, async ({ database }) => {
      const { repo, caseId, otherCase } = await setup(database);
      const first = witness(caseId, 'W-0001');
      const second = witness(caseId, 'W-0002');
      await repo.apply([
        { type: 'witness', witness: first },
        { type: 'witness', witness: second },
      ]);
      const twin = witness(caseId, 'W-0001');
      const other = witness(caseId, 'W-0009');
      const isTaken = (e: unknown) =>
        isAccordError(e) &&
        e.code === 'conflict' &&
        e.message === 'this case already has a witness W-0001' &&
        (e.context as { reason?: string } | undefined)?.reason === 'pseudonym_taken';
      await assert.rejects(
        repo.apply([
          { type: 'witness', witness: other },
          { type: 'witness', witness: twin },
        ]),
        isTaken,
      );
      assert.equal(await repo.getWitness(twin.id), undefined);
      assert.equal(await repo.getWitness(other.id), undefined);

      // Renaming onto a taken pseudonym is refused the same way.
      await assert.rejects(
        repo.apply([{ type: 'witness', witness: { ...second, pseudonym: 'W-0001' } }]),
        isTaken,
      );
      assert.equal((await repo.getWitness(second.id))?.pseudonym, 'W-0002');
      // Letter case does not make another witness of it.
      await assert.rejects(
        repo.apply([{ type: 'witness', witness: witness(caseId, 'w-0001') }]),
        (e: unknown) => isAccordError(e) && e.code === 'conflict',
      );

      // Another case may use it.
      const elsewhere = witness(otherCase, 'W-0001');
      await repo.apply([{ type: 'witness', witness: elsewhere }]);
      assert.deepEqual(await repo.getWitness(elsewhere.id), elsewhere);
    }),
  );

  it(
    'consent, statements and risk assessments are append-only in the database',
    withDatabase(create, async ({ database }) => {
      const { repo, caseId, org } = await setup(database);
      const w = witness(caseId, 'W-0001');
      await repo.apply([
        { type: 'witness', witness: w },
        { type: 'consent', consent: consent(w) },
        { type: 'statement', statement: statement(w, org) },
        { type: 'risk', risk: risk(w) },
      ]);
      for (const statement of [
        sql`UPDATE consent_events SET state = 'withdrawn'`,
        sql`DELETE FROM consent_events`,
        sql`UPDATE witness_statements SET note = 'forged'`,
        sql`DELETE FROM witness_statements`,
        sql`UPDATE risk_assessments SET level = 'low'`,
        sql`DELETE FROM risk_assessments`,
        // Rewriting a row by inserting over it is a delete and an insert: refused too.
        database.dialect === 'sqlite'
          ? sql`INSERT OR REPLACE INTO risk_assessments SELECT * FROM risk_assessments`
          : sql`INSERT INTO risk_assessments SELECT * FROM risk_assessments ON CONFLICT (id) DO UPDATE SET level = 'low'`,
      ]) {
        await assert.rejects(statement.execute(database.db), /append-only/);
      }
      assert.equal((await repo.listConsent(w.id)).length, 1);
      assert.equal((await repo.listStatements(w.id)).length, 1);
      assert.equal((await repo.listRisks(w.id)).length, 1);
    }),
  );

  it(
    'a failing change leaves nothing of the others',
    withDatabase(create, async ({ database }) => {
      const { repo, caseId, org } = await setup(database);
      const w = witness(caseId, 'W-0001');
      const noSuchCompartment = identity(w, newId());
      await assert.rejects(
        repo.apply([
          { type: 'witness', witness: w },
          { type: 'consent', consent: consent(w) },
          { type: 'statement', statement: statement(w, org) },
          { type: 'risk', risk: risk(w) },
          { type: 'identity', identity: noSuchCompartment },
        ]),
      );
      assert.equal(await repo.getWitness(w.id), undefined);
      assert.equal(await repo.getIdentity(w.id), undefined);
      assert.deepEqual(await repo.listWitnesses(caseId), []);
      assert.deepEqual(await repo.listConsent(w.id), []);
      assert.deepEqual(await repo.listStatements(w.id), []);
      assert.deepEqual(await repo.listRisks(w.id), []);
      assert.equal(await repo.lastPseudonymNumber(caseId), 0);

      // An existing witness keeps its fields when an update fails with a later change.
      await repo.apply([{ type: 'witness', witness: w }]);
      await assert.rejects(
        repo.apply([
          { type: 'witness', witness: { ...w, note: 'changed', updatedAt: at(5) } },
          { type: 'consent', consent: consent({ ...w, id: newId() }) },
        ]),
      );
      assert.deepEqual(await repo.getWitness(w.id), w);
    }),
  );

  it(
    'lastPseudonymNumber is the highest W-<digits> of the case',
    withDatabase(create, async ({ database }) => {
      const { repo, caseId, otherCase } = await setup(database);
      assert.equal(await repo.lastPseudonymNumber(caseId), 0);
      await repo.apply(
        ['ALPHA', 'W-0003', 'W-12b', 'w-0500', 'X-0900', 'W-', 'W-0012 ', 'AW-0700'].map((p) => ({
          type: 'witness' as const,
          witness: witness(caseId, p),
        })),
      );
      assert.equal(await repo.lastPseudonymNumber(caseId), 3);
      await repo.apply([
        { type: 'witness', witness: witness(caseId, 'W-0011') },
        { type: 'witness', witness: witness(caseId, 'W-9') },
        { type: 'witness', witness: witness(otherCase, 'W-4000') },
      ]);
      assert.equal(await repo.lastPseudonymNumber(caseId), 11);
      assert.equal(await repo.lastPseudonymNumber(otherCase), 4000);
      await repo.apply([{ type: 'witness', witness: witness(caseId, 'W-00120') }]);
      assert.equal(await repo.lastPseudonymNumber(caseId), 120);
    }),
  );

  it(
    'reviewsDue looks at the latest assessment of each witness only',
    withDatabase(create, async ({ database }) => {
      const { repo, caseId, otherCase } = await setup(database);
      const day = '2026-11-25';
      const reassured = witness(caseId, 'W-0001');
      const due = witness(caseId, 'W-0002');
      const dueToday = witness(caseId, 'W-0003');
      const sameDay = witness(caseId, 'W-0004');
      const never = witness(caseId, 'W-0005');
      const elsewhere = witness(otherCase, 'W-0001');
      await repo.apply(
        [reassured, due, dueToday, sameDay, never, elsewhere].map((w) => ({
          type: 'witness' as const,
          witness: w,
        })),
      );
      // Was due, but a newer assessment set a later date.
      const reassuredOld = risk(reassured, { assessedOn: '2026-10-01', reviewOn: '2026-11-01' });
      const reassuredNew = risk(reassured, { assessedOn: '2026-11-20', reviewOn: '2026-12-20' });
      // Was not due by its older assessment; its newer one is overdue.
      const dueOld = risk(due, { assessedOn: '2026-09-01', reviewOn: '2027-01-01' });
      const dueNew = risk(due, { assessedOn: '2026-10-15', reviewOn: '2026-11-10', level: 'high' });
      const today = risk(dueToday, { assessedOn: '2026-11-18', reviewOn: day });
      // Two assessments on one day: the one recorded last counts.
      const sameDayFirst = risk(sameDay, {
        assessedOn: '2026-11-01',
        createdAt: at(1),
        reviewOn: '2026-11-02',
      });
      const sameDayLast = risk(sameDay, {
        assessedOn: '2026-11-01',
        createdAt: at(2),
        reviewOn: '2026-12-31',
      });
      const otherCaseDue = risk(elsewhere, { reviewOn: '2026-01-01' });
      // Recorded out of order on purpose.
      await repo.apply(
        [reassuredNew, reassuredOld, dueNew, dueOld, today, sameDayLast, sameDayFirst, otherCaseDue].map(
          (r) => ({
            type: 'risk' as const,
            risk: r,
          }),
        ),
      );
      assert.deepEqual(await repo.reviewsDue(caseId, day), [dueNew, today]);
      assert.deepEqual(await repo.reviewsDue(caseId, '2026-11-24'), [dueNew]);
      assert.deepEqual(await repo.reviewsDue(caseId, '2026-01-01'), []);
      assert.deepEqual(
        (await repo.reviewsDue(caseId, '2027-01-01')).map((r) => r.id),
        [dueNew.id, today.id, reassuredNew.id, sameDayLast.id],
      );
      assert.deepEqual(await repo.reviewsDue(otherCase, day), [otherCaseDue]);
    }),
  );
});
