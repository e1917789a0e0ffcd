import {
  AccordError,
  type AdmissibilityAnswer,
  type Agreement,
  type Answer,
  type BasisKind,
  type CaseChange,
  type CaseEvent,
  type CaseId,
  type CaseRecord,
  type CaseRepo,
  type CaseRole,
  type CaseStatus,
  type Charge,
  type Compartment,
  type Credibility,
  type Incident,
  type ItemId,
  type ItemProfile,
  type Member,
  type MemberView,
  type NewCaseEvent,
  type OrgId,
  type Participant,
  type PartKind,
  type ProofLink,
  type Reliability,
  type SourceKind,
  type Stance,
  type Suspect,
  type UserId,
  type Weight,
} from '@accord/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type {
  CaseCompartmentsTable,
  CasesTable,
  ChargesTable,
  Database,
  IncidentsTable,
  JitAgreementsTable,
  ProofLinksTable,
  SuspectsTable,
} from '../db/schema.ts';
import { conflictOnUnique } from './unique.ts';

/**
 * CaseRepo on Kysely, the same code for SQLite and PostgreSQL. `apply` is the only writer: it
 * writes the projections and appends the case event in one transaction, so the history never
 * misses a change and never records one that did not happen.
 */
export class KyselyCaseRepo implements CaseRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async apply(changes: readonly CaseChange[], event: NewCaseEvent): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      // Membership changes are serialised per case (a no-op write locks the case row on
      // PostgreSQL; SQLite has one writer), so that two leads demoting each other at the same
      // moment cannot leave a case without any lead.
      const membership = changes.find((c) => c.type === 'member.put' || c.type === 'member.remove');
      const caseId = membership && ('member' in membership ? membership.member.caseId : membership.caseId);
      let leadsBefore = 0;
      if (caseId) {
        await trx.updateTable('cases').set({ id: caseId }).where('id', '=', caseId).execute();
        leadsBefore = await countLeads(trx, caseId);
      }
      for (const change of changes) await applyOne(trx, change);
      if (caseId && leadsBefore > 0 && (await countLeads(trx, caseId)) === 0) {
        throw new AccordError('conflict', 'a case must keep at least one lead; name another lead first', {
          context: { reason: 'last_lead' },
        });
      }
      await trx
        .insertInto('case_events')
        .values({
          id: event.id,
          case_id: event.caseId,
          compartment_id: event.compartmentId,
          at: event.at,
          actor_user_id: event.actorUserId,
          actor_org_id: event.actorOrgId,
          type: event.type,
          subject_id: event.subjectId,
          details: JSON.stringify(event.details),
        })
        .execute();
    });
  }

  async getCase(id: CaseId): Promise<CaseRecord | undefined> {
    const row = await this.#db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toCase(row);
  }

  async listCases(): Promise<CaseRecord[]> {
    const rows = await this.#db
      .selectFrom('cases')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute();
    return rows.map(toCase);
  }

  async listCasesOf(userId: UserId): Promise<(CaseRecord & { readonly role: CaseRole })[]> {
    const rows = await this.#db
      .selectFrom('cases')
      .innerJoin('case_members as m', 'm.case_id', 'cases.id')
      .selectAll('cases')
      .select('m.role as member_role')
      .where('m.user_id', '=', userId)
      .orderBy('cases.created_at', 'desc')
      .orderBy('cases.id')
      .execute();
    return rows.map((r) => ({ ...toCase(r), role: r.member_role as CaseRole }));
  }

  async getMember(caseId: CaseId, userId: UserId): Promise<Member | undefined> {
    const r = await this.#db
      .selectFrom('case_members')
      .selectAll()
      .where('case_id', '=', caseId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return (
      r && {
        caseId: r.case_id as CaseId,
        userId: r.user_id as UserId,
        role: r.role as CaseRole,
        addedAt: r.added_at,
      }
    );
  }

  async listMembers(caseId: CaseId): Promise<MemberView[]> {
    const rows = await this.#db
      .selectFrom('case_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .innerJoin('organisations as o', 'o.id', 'u.org_id')
      .select([
        'm.case_id',
        'm.user_id',
        'm.role',
        'm.added_at',
        'u.username',
        'u.display_name',
        'u.org_id',
        'o.name as org_name',
      ])
      .where('m.case_id', '=', caseId)
      .orderBy('m.added_at')
      .orderBy('m.user_id')
      .execute();
    return rows.map((r) => ({
      caseId: r.case_id as CaseId,
      userId: r.user_id as UserId,
      role: r.role as CaseRole,
      addedAt: r.added_at,
      username: r.username,
      displayName: r.display_name,
      orgId: r.org_id as OrgId,
      orgName: r.org_name,
    }));
  }

  async findUser(userId: UserId): Promise<{ orgId: OrgId; disabled: boolean } | undefined> {
    const r = await this.#db
      .selectFrom('users')
      .select(['org_id', 'disabled_at'])
      .where('id', '=', userId)
      .executeTakeFirst();
    return r && { orgId: r.org_id as OrgId, disabled: r.disabled_at !== null };
  }

  async getCompartment(id: string): Promise<Compartment | undefined> {
    const row = await this.#db
      .selectFrom('case_compartments')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const members = await this.#db
      .selectFrom('compartment_members')
      .select('user_id')
      .where('compartment_id', '=', id)
      .orderBy('user_id')
      .execute();
    return toCompartment(
      row,
      members.map((m) => m.user_id as UserId),
    );
  }

  async listCompartments(caseId: CaseId): Promise<Compartment[]> {
    const rows = await this.#db
      .selectFrom('case_compartments')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const members = await this.#db
      .selectFrom('compartment_members as cm')
      .innerJoin('case_compartments as c', 'c.id', 'cm.compartment_id')
      .select(['cm.compartment_id', 'cm.user_id'])
      .where('c.case_id', '=', caseId)
      .orderBy('cm.user_id')
      .execute();
    const byCompartment = new Map<string, UserId[]>();
    for (const m of members) {
      const list = byCompartment.get(m.compartment_id) ?? [];
      list.push(m.user_id as UserId);
      byCompartment.set(m.compartment_id, list);
    }
    return rows.map((r) => toCompartment(r, byCompartment.get(r.id) ?? []));
  }

  async compartmentsOf(caseId: CaseId, userId: UserId): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('compartment_members as cm')
      .innerJoin('case_compartments as c', 'c.id', 'cm.compartment_id')
      .select('c.id')
      .where('c.case_id', '=', caseId)
      .where('cm.user_id', '=', userId)
      .orderBy('c.created_at')
      .orderBy('c.id')
      .execute();
    return rows.map((r) => r.id);
  }

  async getAgreement(id: string): Promise<Agreement | undefined> {
    const row = await this.#db
      .selectFrom('jit_agreements')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toAgreement(row);
  }

  async listAgreements(caseId: CaseId): Promise<Agreement[]> {
    const rows = await this.#db
      .selectFrom('jit_agreements')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toAgreement);
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    const row = await this.#db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toIncident(row);
  }

  async listIncidents(caseId: CaseId): Promise<Incident[]> {
    const rows = await this.#db
      .selectFrom('incidents')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toIncident);
  }

  async incidentItems(incidentId: string): Promise<ItemId[]> {
    const rows = await this.#db
      .selectFrom('incident_items as ii')
      .innerJoin('items as i', 'i.id', 'ii.item_id')
      .select('ii.item_id')
      .where('ii.incident_id', '=', incidentId)
      .orderBy('i.created_at')
      .orderBy('i.id')
      .execute();
    return rows.map((r) => r.item_id as ItemId);
  }

  async itemIncidents(itemId: ItemId): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('incident_items as ii')
      .innerJoin('incidents as n', 'n.id', 'ii.incident_id')
      .select('ii.incident_id')
      .where('ii.item_id', '=', itemId)
      .orderBy('n.created_at')
      .orderBy('n.id')
      .execute();
    return rows.map((r) => r.incident_id);
  }

  async getSuspect(id: string): Promise<Suspect | undefined> {
    const row = await this.#db.selectFrom('suspects').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toSuspect(row);
  }

  async listSuspects(caseId: CaseId): Promise<Suspect[]> {
    const rows = await this.#db
      .selectFrom('suspects')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toSuspect);
  }

  async getCharge(id: string): Promise<Charge | undefined> {
    const row = await this.#db.selectFrom('charges').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toCharge(row);
  }

  async listCharges(caseId: CaseId): Promise<Charge[]> {
    const rows = await this.#db
      .selectFrom('charges')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toCharge);
  }

  async getLink(id: string): Promise<ProofLink | undefined> {
    const row = await this.#db.selectFrom('proof_links').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toLink(row);
  }

  async listLinks(caseId: CaseId): Promise<ProofLink[]> {
    const rows = await this.#db
      .selectFrom('proof_links')
      .selectAll()
      .where('case_id', '=', caseId)
      .where('withdrawn_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toLink);
  }

  async listProfiles(caseId: CaseId): Promise<ItemProfile[]> {
    const rows = await this.#db
      .selectFrom('item_profiles')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('item_id')
      .execute();
    return rows.map((r) => ({
      itemId: r.item_id as ItemId,
      caseId: r.case_id as CaseId,
      sourceKind: r.source_kind as SourceKind,
      sourceLabel: r.source_label,
      updatedAt: r.updated_at,
    }));
  }

  async listAdmissibility(caseId: CaseId): Promise<AdmissibilityAnswer[]> {
    const rows = await this.#db
      .selectFrom('item_admissibility')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('item_id')
      .orderBy('jurisdiction')
      .orderBy('rule_id')
      .execute();
    return rows.map((r) => ({
      itemId: r.item_id as ItemId,
      caseId: r.case_id as CaseId,
      jurisdiction: r.jurisdiction,
      ruleId: r.rule_id,
      answer: r.answer as Answer,
      note: r.note,
      updatedAt: r.updated_at,
    }));
  }

  async itemCompartment(itemId: ItemId): Promise<string | null> {
    const row = await this.#db
      .selectFrom('item_compartments')
      .select('compartment_id')
      .where('item_id', '=', itemId)
      .executeTakeFirst();
    return row?.compartment_id ?? null;
  }

  async listEvents(caseId: CaseId, limit: number, beforeSeq?: number): Promise<CaseEvent[]> {
    let q = this.#db.selectFrom('case_events').selectAll().where('case_id', '=', caseId);
    if (beforeSeq !== undefined) q = q.where('seq', '<', beforeSeq);
    const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      id: r.id,
      caseId: r.case_id as CaseId,
      compartmentId: r.compartment_id,
      at: r.at,
      actorUserId: r.actor_user_id as UserId | null,
      actorOrgId: r.actor_org_id as OrgId | null,
      type: r.type,
      subjectId: r.subject_id,
      details: JSON.parse(r.details) as CaseEvent['details'],
    }));
  }
}

const countLeads = async (trx: Transaction<Database>, caseId: string): Promise<number> => {
  const row = await trx
    .selectFrom('case_members')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('case_id', '=', caseId)
    .where('role', '=', 'lead')
    .executeTakeFirstOrThrow();
  return Number(row.n);
};

const applyOne = async (trx: Transaction<Database>, change: CaseChange): Promise<void> => {
  switch (change.type) {
    case 'case': {
      const c = change.record;
      const row = {
        title: c.title,
        lead_org_id: c.leadOrgId,
        created_at: c.createdAt,
        summary: c.summary,
        status: c.status,
        jurisdictions: JSON.stringify(c.jurisdictions),
        legal_basis: c.legalBasis,
        opened_on: c.openedOn,
        closed_on: c.closedOn,
        updated_at: c.updatedAt,
      };
      // created_by is left as it is: the case history records who opened the case.
      await trx
        .insertInto('cases')
        .values({ id: c.id, created_by: null, ...row })
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute();
      return;
    }
    case 'member.put': {
      const m = change.member;
      await trx
        .insertInto('case_members')
        .values({ case_id: m.caseId, user_id: m.userId, role: m.role, added_at: m.addedAt })
        .onConflict((oc) =>
          oc.columns(['case_id', 'user_id']).doUpdateSet({ role: m.role, added_at: m.addedAt }),
        )
        .execute();
      return;
    }
    case 'member.remove': {
      // Leaving the case means leaving all of its compartments: a later re-admission starts clean.
      await trx
        .deleteFrom('compartment_members')
        .where('user_id', '=', change.userId)
        .where('compartment_id', 'in', (eb) =>
          eb.selectFrom('case_compartments').select('id').where('case_id', '=', change.caseId),
        )
        .execute();
      await trx
        .deleteFrom('case_members')
        .where('case_id', '=', change.caseId)
        .where('user_id', '=', change.userId)
        .execute();
      return;
    }
    case 'compartment': {
      const c = change.compartment;
      const row = { case_id: c.caseId, name: c.name, description: c.description, created_at: c.createdAt };
      await trx
        .insertInto('case_compartments')
        .values({ id: c.id, ...row })
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute()
        .catch(
          conflictOnUnique(`this case already has a compartment named "${c.name}"`, {
            field: 'name',
            reason: 'compartment_name_taken',
            name: c.name,
          }),
        );
      await trx.deleteFrom('compartment_members').where('compartment_id', '=', c.id).execute();
      const members = [...new Set(c.members)];
      if (members.length > 0) {
        await trx
          .insertInto('compartment_members')
          .values(members.map((userId) => ({ compartment_id: c.id, user_id: userId })))
          .execute();
      }
      return;
    }
    case 'agreement': {
      const a = change.agreement;
      const row = {
        case_id: a.caseId,
        title: a.title,
        basis_kind: a.basisKind,
        legal_basis: a.legalBasis,
        starts_on: a.startsOn,
        ends_on: a.endsOn,
        scope: a.scope,
        purpose_limitation: a.purposeLimitation,
        participants: JSON.stringify(a.participants),
        created_at: a.createdAt,
        updated_at: a.updatedAt,
      };
      await trx
        .insertInto('jit_agreements')
        .values({ id: a.id, ...row })
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute();
      return;
    }
    case 'incident': {
      const n = change.incident;
      const row = {
        case_id: n.caseId,
        compartment_id: n.compartmentId,
        title: n.title,
        occurred_from: n.occurredFrom,
        occurred_to: n.occurredTo,
        place: n.place,
        latitude: n.latitude,
        longitude: n.longitude,
        acts: JSON.stringify(n.acts),
        victims: JSON.stringify(n.victims),
        perpetrator_ids: JSON.stringify(n.perpetratorIds),
        perpetrators_other: n.perpetratorsOther,
        sources: n.sources,
        created_at: n.createdAt,
        updated_at: n.updatedAt,
      };
      await trx
        .insertInto('incidents')
        .values({ id: n.id, ...row })
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute();
      return;
    }
    case 'incident.item': {
      if (change.linked) {
        await trx
          .insertInto('incident_items')
          .values({ incident_id: change.incidentId, item_id: change.itemId })
          .onConflict((oc) => oc.columns(['incident_id', 'item_id']).doNothing())
          .execute();
      } else {
        await trx
          .deleteFrom('incident_items')
          .where('incident_id', '=', change.incidentId)
          .where('item_id', '=', change.itemId)
          .execute();
      }
      return;
    }
    case 'suspect': {
      const s = change.suspect;
      const row = {
        case_id: s.caseId,
        name: s.name,
        position: s.position,
        note: s.note,
        created_at: s.createdAt,
      };
      await trx
        .insertInto('suspects')
        .values({ id: s.id, ...row })
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute();
      return;
    }
    case 'charge': {
      const c = change.charge;
      const row = {
        case_id: c.caseId,
        suspect_id: c.suspectId,
        crime_id: c.crimeId,
        mode_id: c.modeId,
        note: c.note,
        created_at: c.createdAt,
        withdrawn_at: c.withdrawnAt,
      };
      await trx
        .insertInto('charges')
        .values({ id: c.id, ...row })
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute();
      return;
    }
    case 'link': {
      const l = change.link;
      const row = {
        case_id: l.caseId,
        charge_id: l.chargeId,
        element_id: l.elementId,
        item_id: l.itemId,
        part_kind: l.partKind,
        part: l.part,
        stance: l.stance,
        weight: l.weight,
        reliability: l.reliability,
        credibility: l.credibility,
        note: l.note,
        created_at: l.createdAt,
        created_by: l.createdBy,
        withdrawn_at: l.withdrawnAt,
      };
      await trx
        .insertInto('proof_links')
        .values({ id: l.id, ...row })
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute();
      return;
    }
    case 'profile': {
      const p = change.profile;
      const row = {
        case_id: p.caseId,
        source_kind: p.sourceKind,
        source_label: p.sourceLabel,
        updated_at: p.updatedAt,
      };
      await trx
        .insertInto('item_profiles')
        .values({ item_id: p.itemId, ...row })
        .onConflict((oc) => oc.column('item_id').doUpdateSet(row))
        .execute();
      return;
    }
    case 'admissibility': {
      const a = change.answer;
      const row = { case_id: a.caseId, answer: a.answer, note: a.note, updated_at: a.updatedAt };
      await trx
        .insertInto('item_admissibility')
        .values({ item_id: a.itemId, jurisdiction: a.jurisdiction, rule_id: a.ruleId, ...row })
        .onConflict((oc) => oc.columns(['item_id', 'jurisdiction', 'rule_id']).doUpdateSet(row))
        .execute();
      return;
    }
    case 'item.compartment': {
      if (change.compartmentId === null) {
        await trx.deleteFrom('item_compartments').where('item_id', '=', change.itemId).execute();
      } else {
        const compartmentId = change.compartmentId;
        await trx
          .insertInto('item_compartments')
          .values({ item_id: change.itemId, compartment_id: compartmentId })
          .onConflict((oc) => oc.column('item_id').doUpdateSet({ compartment_id: compartmentId }))
          .execute();
      }
      return;
    }
    default: {
      const unknown: never = change;
      throw new AccordError('invalid_input', `unknown case change ${(unknown as { type: string }).type}`);
    }
  }
};

const toCase = (r: Selectable<CasesTable>): CaseRecord => ({
  id: r.id as CaseId,
  title: r.title,
  summary: r.summary,
  status: r.status as CaseStatus,
  jurisdictions: JSON.parse(r.jurisdictions) as string[],
  leadOrgId: r.lead_org_id as OrgId,
  legalBasis: r.legal_basis,
  // Cases created before the case module have no dates of their own.
  openedOn: r.opened_on ?? r.created_at.slice(0, 10),
  closedOn: r.closed_on,
  createdAt: r.created_at,
  updatedAt: r.updated_at ?? r.created_at,
});

const toCompartment = (r: Selectable<CaseCompartmentsTable>, members: UserId[]): Compartment => ({
  id: r.id,
  caseId: r.case_id as CaseId,
  name: r.name,
  description: r.description,
  members,
  createdAt: r.created_at,
});

const toAgreement = (r: Selectable<JitAgreementsTable>): Agreement => ({
  id: r.id,
  caseId: r.case_id as CaseId,
  title: r.title,
  basisKind: r.basis_kind as BasisKind,
  legalBasis: r.legal_basis,
  startsOn: r.starts_on,
  endsOn: r.ends_on,
  scope: r.scope,
  purposeLimitation: r.purpose_limitation,
  participants: JSON.parse(r.participants) as Participant[],
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toIncident = (r: Selectable<IncidentsTable>): Incident => ({
  id: r.id,
  caseId: r.case_id as CaseId,
  compartmentId: r.compartment_id,
  title: r.title,
  occurredFrom: r.occurred_from,
  occurredTo: r.occurred_to,
  place: r.place,
  latitude: r.latitude === null ? null : Number(r.latitude),
  longitude: r.longitude === null ? null : Number(r.longitude),
  acts: JSON.parse(r.acts) as string[],
  victims: JSON.parse(r.victims) as string[],
  perpetratorIds: JSON.parse(r.perpetrator_ids) as string[],
  perpetratorsOther: r.perpetrators_other,
  sources: r.sources,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toSuspect = (r: Selectable<SuspectsTable>): Suspect => ({
  id: r.id,
  caseId: r.case_id as CaseId,
  name: r.name,
  position: r.position,
  note: r.note,
  createdAt: r.created_at,
});

const toCharge = (r: Selectable<ChargesTable>): Charge => ({
  id: r.id,
  caseId: r.case_id as CaseId,
  suspectId: r.suspect_id,
  crimeId: r.crime_id,
  modeId: r.mode_id,
  note: r.note,
  createdAt: r.created_at,
  withdrawnAt: r.withdrawn_at,
});

const toLink = (r: Selectable<ProofLinksTable>): ProofLink => ({
  id: r.id,
  caseId: r.case_id as CaseId,
  chargeId: r.charge_id,
  elementId: r.element_id,
  itemId: r.item_id as ItemId,
  partKind: r.part_kind as PartKind,
  part: r.part,
  stance: r.stance as Stance,
  weight: r.weight as Weight,
  reliability: r.reliability as Reliability,
  credibility: r.credibility as Credibility,
  note: r.note,
  createdAt: r.created_at,
  createdBy: r.created_by as UserId | null,
  withdrawnAt: r.withdrawn_at,
});
