import {
  AccordError,
  type CaseId,
  type ConsentEvent,
  type ConsentPurpose,
  type ConsentState,
  type ConsentStateValue,
  type ItemId,
  type OrgId,
  type RiskAssessment,
  type RiskLevel,
  type Statement,
  type UserId,
  type Witness,
  type WitnessChange,
  type WitnessIdentity,
  type WitnessKind,
  type WitnessRepo,
} from '@accord/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type {
  ConsentEventsTable,
  Database,
  RiskAssessmentsTable,
  WitnessesTable,
  WitnessIdentitiesTable,
  WitnessStatementsTable,
} from '../db/schema.ts';
import { conflictOnUnique } from './unique.ts';

/** The pseudonyms the node numbers itself: W-0001, W-0002… */
const NUMBERED_PSEUDONYM = /^W-(\d+)$/;

/**
 * WitnessRepo on Kysely, the same code for SQLite and PostgreSQL. `apply` writes all its changes in
 * one transaction. Witnesses and identities are records that change; consent entries, statements and
 * risk assessments are only ever inserted (the database refuses updates and deletes of them).
 */
export class KyselyWitnessRepo implements WitnessRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async apply(changes: readonly WitnessChange[]): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      for (const change of changes) await applyOne(trx, change);
    });
  }

  async getWitness(id: string): Promise<Witness | undefined> {
    const row = await this.#db.selectFrom('witnesses').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toWitness(row);
  }

  async listWitnesses(caseId: CaseId): Promise<Witness[]> {
    const rows = await this.#db
      .selectFrom('witnesses')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toWitness);
  }

  async lastPseudonymNumber(caseId: CaseId): Promise<number> {
    const rows = await this.#db
      .selectFrom('witnesses')
      .select('pseudonym')
      .where('case_id', '=', caseId)
      .where('pseudonym', 'like', 'W-%')
      .execute();
    let last = 0;
    for (const { pseudonym } of rows) {
      const match = NUMBERED_PSEUDONYM.exec(pseudonym);
      if (match) last = Math.max(last, Number(match[1]));
    }
    return last;
  }

  async getIdentity(witnessId: string): Promise<WitnessIdentity | undefined> {
    const row = await this.#db
      .selectFrom('witness_identities')
      .selectAll()
      .where('witness_id', '=', witnessId)
      .executeTakeFirst();
    return row && toIdentity(row);
  }

  async listIdentities(caseId?: CaseId): Promise<WitnessIdentity[]> {
    let query = this.#db.selectFrom('witness_identities').selectAll();
    if (caseId) query = query.where('case_id', '=', caseId);
    const rows = await query.orderBy('witness_id').execute();
    return rows.map(toIdentity);
  }

  async listConsent(witnessId: string): Promise<ConsentEvent[]> {
    const rows = await this.#db
      .selectFrom('consent_events')
      .selectAll()
      .where('witness_id', '=', witnessId)
      .orderBy('seq')
      .execute();
    return rows.map(toConsent);
  }

  async listStatements(witnessId: string): Promise<Statement[]> {
    const rows = await this.#db
      .selectFrom('witness_statements')
      .selectAll()
      .where('witness_id', '=', witnessId)
      .orderBy('taken_on')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toStatement);
  }

  async listCaseStatements(caseId: CaseId): Promise<Statement[]> {
    const rows = await this.#db
      .selectFrom('witness_statements')
      .selectAll()
      .where('case_id', '=', caseId)
      .where('item_id', 'is not', null)
      .orderBy('taken_on')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toStatement);
  }

  async listRisks(witnessId: string): Promise<RiskAssessment[]> {
    const rows = await this.#db
      .selectFrom('risk_assessments')
      .selectAll()
      .where('witness_id', '=', witnessId)
      .orderBy('assessed_on', 'desc')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toRisk);
  }

  async reviewsDue(caseId: CaseId, day: string): Promise<RiskAssessment[]> {
    // Newest first per witness, so the first row seen of each witness is its latest assessment;
    // an older assessment that was due never counts once a newer one has set another date.
    const rows = await this.#db
      .selectFrom('risk_assessments')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('witness_id')
      .orderBy('assessed_on', 'desc')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    const latest = new Map<string, Selectable<RiskAssessmentsTable>>();
    for (const r of rows) if (!latest.has(r.witness_id)) latest.set(r.witness_id, r);
    return [...latest.values()]
      .filter((r) => r.review_on <= day)
      .sort((a, b) => compare(a.review_on, b.review_on) || compare(a.witness_id, b.witness_id))
      .map(toRisk);
  }
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const applyOne = async (trx: Transaction<Database>, change: WitnessChange): Promise<void> => {
  switch (change.type) {
    case 'witness': {
      const w = change.witness;
      const row = {
        case_id: w.caseId,
        pseudonym: w.pseudonym,
        kind: w.kind,
        languages: JSON.stringify(w.languages),
        note: w.note,
        created_at: w.createdAt,
        updated_at: w.updatedAt,
      };
      await trx
        .insertInto('witnesses')
        .values({ id: w.id, ...row })
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute()
        .catch(
          conflictOnUnique(`this case already has a witness ${w.pseudonym}`, { reason: 'pseudonym_taken' }),
        );
      return;
    }
    case 'identity': {
      const i = change.identity;
      const row = {
        case_id: i.caseId,
        compartment_id: i.compartmentId,
        full_name: i.fullName,
        other_names: JSON.stringify(i.otherNames),
        date_of_birth: i.dateOfBirth,
        contact: i.contact,
        address: i.address,
        note: i.note,
        updated_at: i.updatedAt,
      };
      await trx
        .insertInto('witness_identities')
        .values({ witness_id: i.witnessId, ...row })
        .onConflict((oc) => oc.column('witness_id').doUpdateSet(row))
        .execute();
      return;
    }
    case 'consent': {
      const c = change.consent;
      await trx
        .insertInto('consent_events')
        .values({
          id: c.id,
          witness_id: c.witnessId,
          case_id: c.caseId,
          purpose: c.purpose,
          scope: c.scope,
          state: c.state,
          at: c.at,
          recorded_by: c.recordedBy,
          via: c.via,
          note: c.note,
        })
        .execute();
      return;
    }
    case 'statement': {
      const s = change.statement;
      await trx
        .insertInto('witness_statements')
        .values({
          id: s.id,
          witness_id: s.witnessId,
          case_id: s.caseId,
          item_id: s.itemId,
          taken_on: s.takenOn,
          taken_by: s.takenBy,
          org_id: s.orgId,
          language: s.language,
          interpreter: s.interpreter,
          consent_at_time: JSON.stringify(s.consentAtTime),
          note: s.note,
          created_at: s.createdAt,
          created_by: s.createdBy,
        })
        .execute();
      return;
    }
    case 'risk': {
      const r = change.risk;
      await trx
        .insertInto('risk_assessments')
        .values({
          id: r.id,
          witness_id: r.witnessId,
          case_id: r.caseId,
          level: r.level,
          assessed_on: r.assessedOn,
          threats: r.threats,
          measures: r.measures,
          review_on: r.reviewOn,
          created_at: r.createdAt,
          created_by: r.createdBy,
        })
        .execute();
      return;
    }
    default: {
      const unknown: never = change;
      throw new AccordError('invalid_input', `unknown witness change ${(unknown as { type: string }).type}`);
    }
  }
};

const toWitness = (r: Selectable<WitnessesTable>): Witness => ({
  id: r.id,
  caseId: r.case_id as CaseId,
  pseudonym: r.pseudonym,
  kind: r.kind as WitnessKind,
  languages: JSON.parse(r.languages) as string[],
  note: r.note,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toIdentity = (r: Selectable<WitnessIdentitiesTable>): WitnessIdentity => ({
  witnessId: r.witness_id,
  caseId: r.case_id as CaseId,
  compartmentId: r.compartment_id,
  fullName: r.full_name,
  otherNames: JSON.parse(r.other_names) as string[],
  dateOfBirth: r.date_of_birth,
  contact: r.contact,
  address: r.address,
  note: r.note,
  updatedAt: r.updated_at,
});

const toConsent = (r: Selectable<ConsentEventsTable>): ConsentEvent => ({
  seq: Number(r.seq),
  id: r.id,
  witnessId: r.witness_id,
  caseId: r.case_id as CaseId,
  purpose: r.purpose as ConsentPurpose,
  scope: r.scope,
  state: r.state as ConsentStateValue,
  at: r.at,
  recordedBy: r.recorded_by as UserId | null,
  via: r.via as ConsentEvent['via'],
  note: r.note,
});

const toStatement = (r: Selectable<WitnessStatementsTable>): Statement => ({
  id: r.id,
  witnessId: r.witness_id,
  caseId: r.case_id as CaseId,
  itemId: r.item_id as ItemId | null,
  takenOn: r.taken_on,
  takenBy: r.taken_by,
  orgId: r.org_id as OrgId,
  language: r.language,
  interpreter: r.interpreter,
  consentAtTime: JSON.parse(r.consent_at_time) as ConsentState[],
  note: r.note,
  createdAt: r.created_at,
  createdBy: r.created_by as UserId | null,
});

const toRisk = (r: Selectable<RiskAssessmentsTable>): RiskAssessment => ({
  id: r.id,
  witnessId: r.witness_id,
  caseId: r.case_id as CaseId,
  level: r.level as RiskLevel,
  assessedOn: r.assessed_on,
  threats: r.threats,
  measures: r.measures,
  reviewOn: r.review_on,
  createdAt: r.created_at,
  createdBy: r.created_by as UserId | null,
});
