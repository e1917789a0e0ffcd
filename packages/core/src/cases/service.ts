import type { Clock } from '../accounts/ports.ts';
import type { Principal } from '../accounts/service.ts';
import { parseText } from '../accounts/validate.ts';
import type { ItemId, ItemRecord } from '../evidence/types.ts';
import { parseItemId } from '../evidence/validate.ts';
import type { LegalCatalogue } from '../legal/catalogue.ts';
import {
  CASE_ACTIONS,
  type CaseAction,
  type CaseResource,
  type CaseRole,
  type CaseStanding,
  DATA_CATEGORIES,
  decide,
  decideInCase,
} from '../policy/policy.ts';
import { AccordError, invalid, notFound } from '../shared/errors.ts';
import {
  type CaseId,
  newId,
  type OrgId,
  parseCaseId,
  parseOrgId,
  parseUserId,
  type UserId,
} from '../shared/ids.ts';
import { CaseAccess } from './access.ts';
import { analyseCharge, type EvidenceFacts, type GapReport } from './gaps.ts';
import type { CaseChange, CaseItems, CaseRepo, NewCaseEvent } from './ports.ts';
import {
  type AdmissibilityAnswer,
  type Agreement,
  type CaseEvent,
  type CaseRecord,
  type Charge,
  type Compartment,
  type Incident,
  type ItemProfile,
  type MemberView,
  type Participant,
  type ProofLink,
  ROME_STATUTE,
  type Suspect,
} from './types.ts';
import {
  optionalDate,
  optionalText,
  parseAnswer,
  parseBasisKind,
  parseCaseRole,
  parseCaseStatus,
  parseCategory,
  parseCredibility,
  parseDate,
  parseLatitudeLongitude,
  parseList,
  parsePart,
  parsePseudonyms,
  parseRecordId,
  parseReliability,
  parseSourceKind,
  parseStance,
  parseWeight,
  parseWhen,
} from './validate.ts';

type Input = Readonly<Record<string, unknown>>;

/** A case as its viewer sees it: the record and what the viewer may do. */
export interface CaseView {
  readonly record: CaseRecord;
  /** The viewer's role; undefined for the node operator. */
  readonly role: CaseRole | undefined;
  readonly may: Readonly<Record<CaseAction, boolean>>;
  /** Set for members outside the lead organisation: what agreements in force let them receive. */
  readonly receives: readonly string[] | undefined;
}

export interface Dashboard {
  readonly view: CaseView;
  readonly counts: {
    readonly members: number;
    readonly items: number;
    readonly incidents: number;
    readonly suspects: number;
    readonly charges: number;
  };
  /** Per charge and jurisdiction of the case: proven or how many gaps (only with matrix.read). */
  readonly charges: readonly {
    readonly charge: Charge;
    readonly suspect: Suspect | undefined;
    readonly byJurisdiction: readonly {
      readonly jurisdiction: string;
      readonly applicable: boolean;
      readonly proven: boolean;
      readonly gaps: number;
    }[];
  }[];
}

export interface ProofMatrix {
  readonly suspects: readonly Suspect[];
  readonly charges: readonly Charge[];
  readonly links: readonly ProofLink[];
  /** The items the links point to (only those the viewer may see). */
  readonly items: readonly ItemRecord[];
  readonly profiles: readonly ItemProfile[];
  readonly admissibility: readonly AdmissibilityAnswer[];
}

/** Which history entries need which read permission (the type's first word). */
const HISTORY_NEEDS: Readonly<Record<string, CaseAction>> = {
  incident: 'incident.read',
  suspect: 'matrix.read',
  charge: 'matrix.read',
  link: 'matrix.read',
  profile: 'matrix.read',
  admissibility: 'matrix.read',
  item: 'evidence.read',
};

/**
 * Cases and everything inside them: members, joint investigation team agreements, compartments,
 * incidents, and the proof matrix with its gap analysis. Every method asks CaseAccess first;
 * every change is one transaction with its entry in the case history.
 */
export class Cases {
  readonly #repo: CaseRepo;
  readonly #items: CaseItems;
  readonly #legal: () => LegalCatalogue;
  readonly #clock: Clock;
  readonly access: CaseAccess;

  constructor(deps: { repo: CaseRepo; items: CaseItems; legal: () => LegalCatalogue; clock: Clock }) {
    this.#repo = deps.repo;
    this.#items = deps.items;
    this.#legal = deps.legal;
    this.#clock = deps.clock;
    this.access = new CaseAccess({ repo: deps.repo, clock: deps.clock });
  }

  // ── cases ───────────────────────────────────────────────────────────────────

  /**
   * Opens a case. A user who opens one becomes its lead, for their organisation; the operator
   * (command line) names the lead organisation and may name a lead user.
   */
  async create(
    by: Principal,
    input: Input & { leadOrgId?: OrgId; leadUserId?: UserId | undefined },
  ): Promise<CaseRecord> {
    if (!('operator' in by)) {
      const d = decide(by, 'case.create');
      if (!d.allowed) throw new AccordError('forbidden', `not allowed: ${d.reason}`);
    }
    const now = this.#now();
    const leadOrgId = 'operator' in by ? input.leadOrgId : by.orgId;
    if (!leadOrgId) throw invalid('name the lead organisation of the case', { field: 'leadOrgId' });
    const leadUser = 'operator' in by ? input.leadUserId : by.userId;
    if (leadUser) {
      const u = await this.#repo.findUser(leadUser);
      if (!u || u.orgId !== leadOrgId) {
        throw invalid('the lead user must be an account of the lead organisation', { field: 'lead' });
      }
    } else if (!(await this.#items.holderExists(leadOrgId, null))) {
      throw notFound(`there is no organisation ${leadOrgId}`);
    }
    const record = this.#caseRecord(input, {
      id: newId<CaseId>(),
      leadOrgId,
      createdAt: now,
      openedOn: now.slice(0, 10),
    });
    const changes: CaseChange[] = [{ type: 'case', record }];
    if (leadUser) {
      changes.push({
        type: 'member.put',
        member: { caseId: record.id, userId: leadUser, role: 'lead', addedAt: now },
      });
    }
    await this.#repo.apply(
      changes,
      this.#event(by, record.id, 'case.created', null, { status: record.status }),
    );
    return record;
  }

  async list(by: Principal): Promise<(CaseRecord & { role: CaseRole | undefined })[]> {
    if ('operator' in by) return (await this.#repo.listCases()).map((c) => ({ ...c, role: undefined }));
    return this.#repo.listCasesOf(by.userId);
  }

  async view(by: Principal, caseInput: unknown): Promise<CaseView> {
    const c = await this.access.require(by, parseCaseId(caseInput), 'case.view');
    return this.#view(by, c);
  }

  async update(by: Principal, caseInput: unknown, input: Input): Promise<CaseRecord> {
    const c = await this.access.require(by, parseCaseId(caseInput), 'case.edit');
    const reopened = input.status !== undefined && input.status !== 'closed' && input.closedOn === undefined;
    const record = this.#caseRecord(
      { ...this.#caseInput(c), ...(reopened ? { closedOn: null } : {}), ...input },
      {
        id: c.id,
        leadOrgId: c.leadOrgId,
        createdAt: c.createdAt,
        openedOn: c.openedOn,
      },
    );
    await this.#repo.apply(
      [{ type: 'case', record }],
      this.#event(by, c.id, 'case.updated', null, { status: record.status }),
    );
    return record;
  }

  async dashboard(by: Principal, caseInput: unknown): Promise<Dashboard> {
    const view = await this.view(by, caseInput);
    const c = view.record;
    const [members, incidents, suspects] = await Promise.all([
      this.#repo.listMembers(c.id),
      view.may['incident.read'] ? this.listIncidents(by, c.id) : Promise.resolve([]),
      view.may['matrix.read'] ? this.#repo.listSuspects(c.id) : Promise.resolve([]),
    ]);
    const scopes = await this.access.scopes(by, c.id);
    const items = view.may['evidence.read']
      ? (await this.#items.listItems({ caseId: c.id, ...(scopes ? { scopes } : {}), limit: 1 })).total
      : 0;
    const charges: Dashboard['charges'][number][] = [];
    if (view.may['matrix.read']) {
      const jurisdictions = c.jurisdictions.length > 0 ? c.jurisdictions : [ROME_STATUTE];
      const matrix = await this.matrix(by, c.id);
      for (const charge of matrix.charges.filter((x) => x.withdrawnAt === null)) {
        const byJurisdiction = jurisdictions.map((j) => {
          // A charge whose crime left the catalogue counts as applicable nowhere.
          if (!this.#legal().crime(charge.crimeId))
            return { jurisdiction: j, applicable: false, proven: false, gaps: 0 };
          const r = this.#analyse(charge, j, matrix);
          return { jurisdiction: j, applicable: r.applicable, proven: r.proven, gaps: r.counts.gaps };
        });
        charges.push({ charge, suspect: suspects.find((s) => s.id === charge.suspectId), byJurisdiction });
      }
    }
    return {
      view,
      counts: {
        members: members.length,
        items,
        incidents: incidents.length,
        suspects: suspects.length,
        charges: charges.length,
      },
      charges,
    };
  }

  async history(by: Principal, caseInput: unknown, limit = 100): Promise<CaseEvent[]> {
    const view = await this.view(by, caseInput);
    const standing = await this.#standing(by, view.record);
    const wanted = Math.min(Math.max(limit, 1), 500);
    const out: CaseEvent[] = [];
    // Page backwards until enough visible entries are found: what is hidden must not shorten it.
    let before: number | undefined;
    for (let pages = 0; out.length < wanted && pages < 50; pages++) {
      const events = await this.#repo.listEvents(view.record.id, 200, before);
      for (const e of events) {
        const need = HISTORY_NEEDS[e.type.split('.')[0] ?? ''] ?? 'case.view';
        if (
          out.length < wanted &&
          this.#allowed(by, standing, need, { compartmentId: e.compartmentId }) &&
          (await this.#subjectVisible(by, standing, e))
        ) {
          out.push(e);
        }
      }
      if (events.length < 200) break;
      before = events[events.length - 1]?.seq;
    }
    return out;
  }

  // ── members and agreements ──────────────────────────────────────────────────

  async members(by: Principal, caseInput: unknown): Promise<MemberView[]> {
    const c = await this.access.require(by, parseCaseId(caseInput), 'case.view');
    return this.#repo.listMembers(c.id);
  }

  /** Adds a member or changes their role. */
  async putMember(by: Principal, caseInput: unknown, input: Input): Promise<MemberView[]> {
    const c = await this.access.require(by, parseCaseId(caseInput), 'case.members');
    const userId = parseUserId(input.userId);
    const role = parseCaseRole(input.role);
    const user = await this.#repo.findUser(userId);
    if (!user) throw notFound(`there is no user ${userId}`);
    if (user.disabled)
      throw new AccordError('conflict', 'this account is disabled; enable it before adding it', {
        context: { reason: 'disabled_user' },
      });
    const existing = await this.#repo.getMember(c.id, userId);
    if (existing?.role === 'lead' && role !== 'lead') await this.#keepALead(c.id, userId);
    await this.#repo.apply(
      [
        {
          type: 'member.put',
          member: { caseId: c.id, userId, role, addedAt: existing?.addedAt ?? this.#now() },
        },
      ],
      this.#event(by, c.id, existing ? 'member.role_changed' : 'member.added', userId, { role }),
    );
    return this.#repo.listMembers(c.id);
  }

  async removeMember(by: Principal, caseInput: unknown, userInput: unknown): Promise<MemberView[]> {
    const c = await this.access.require(by, parseCaseId(caseInput), 'case.members');
    const userId = parseUserId(userInput);
    const existing = await this.#repo.getMember(c.id, userId);
    if (!existing) throw notFound('this user is not a member of the case');
    if (existing.role === 'lead') await this.#keepALead(c.id, userId);
    await this.#repo.apply(
      [{ type: 'member.remove', caseId: c.id, userId }],
      this.#event(by, c.id, 'member.removed', userId, {}),
    );
    return this.#repo.listMembers(c.id);
  }

  async agreements(by: Principal, caseInput: unknown): Promise<Agreement[]> {
    const c = await this.access.require(by, parseCaseId(caseInput), 'case.view');
    return this.#repo.listAgreements(c.id);
  }

  /** Records a joint investigation team agreement, or replaces one (`id`). */
  async saveAgreement(
    by: Principal,
    caseInput: unknown,
    input: Input,
    idInput?: unknown,
  ): Promise<Agreement> {
    const c = await this.access.require(by, parseCaseId(caseInput), 'case.members');
    const existing = idInput === undefined ? undefined : await this.#agreementOf(c.id, idInput);
    const startsOn = parseDate(input.startsOn, 'startsOn', 'the start date');
    const endsOn = optionalDate(input.endsOn, 'endsOn', 'the end date');
    if (endsOn && endsOn < startsOn)
      throw invalid('the agreement cannot end before it starts', {
        field: 'endsOn',
        reason: 'end_before_start',
      });
    const participants = await this.#participants(input.participants);
    const now = this.#now();
    const agreement: Agreement = {
      id: existing?.id ?? newId(),
      caseId: c.id,
      title: parseText(input.title, 'title', 'the title of the agreement', 300),
      basisKind: parseBasisKind(input.basisKind),
      legalBasis: optionalText(input.legalBasis, 'legalBasis', 'the legal basis', 2000),
      startsOn,
      endsOn,
      scope: optionalText(input.scope, 'scope', 'the scope', 4000),
      purposeLimitation: optionalText(
        input.purposeLimitation,
        'purposeLimitation',
        'the purpose limitation',
        4000,
      ),
      participants,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await this.#repo.apply(
      [{ type: 'agreement', agreement }],
      this.#event(by, c.id, existing ? 'agreement.changed' : 'agreement.recorded', agreement.id, {
        basisKind: agreement.basisKind,
        participants: participants.length,
      }),
    );
    return agreement;
  }

  // ── compartments ────────────────────────────────────────────────────────────

  /** The compartments the viewer is named in; a lead sees every compartment's name. */
  async compartments(by: Principal, caseInput: unknown): Promise<Compartment[]> {
    const c = await this.access.require(by, parseCaseId(caseInput), 'case.view');
    const all = await this.#repo.listCompartments(c.id);
    if ('operator' in by) return all;
    const lead = (await this.access.decide(by, c, 'case.compartments')).allowed;
    return lead ? all : all.filter((k) => k.members.includes(by.userId));
  }

  async createCompartment(by: Principal, caseInput: unknown, input: Input): Promise<Compartment> {
    const c = await this.access.require(by, parseCaseId(caseInput), 'case.compartments');
    const name = parseText(input.name, 'name', 'the name of the compartment', 100);
    const existing = await this.#repo.listCompartments(c.id);
    if (existing.some((k) => k.name.toLowerCase() === name.toLowerCase())) {
      throw new AccordError('conflict', `this case already has a compartment called "${name}"`, {
        context: { reason: 'compartment_taken' },
      });
    }
    const members = await this.#compartmentMembers(c.id, input.members);
    if (!('operator' in by) && !members.includes(by.userId)) members.push(by.userId);
    if (members.length === 0) {
      throw invalid('a compartment needs at least one member', {
        field: 'members',
        reason: 'compartment_empty',
      });
    }
    const compartment: Compartment = {
      id: newId(),
      caseId: c.id,
      name,
      description: optionalText(input.description, 'description', 'the description', 2000),
      members,
      createdAt: this.#now(),
    };
    await this.#repo.apply(
      [{ type: 'compartment', compartment }],
      this.#event(
        by,
        c.id,
        'compartment.created',
        compartment.id,
        { members: members.length },
        compartment.id,
      ),
    );
    return compartment;
  }

  async setCompartmentMembers(
    by: Principal,
    compartmentInput: unknown,
    membersInput: unknown,
  ): Promise<Compartment> {
    const id = parseRecordId(compartmentInput, 'compartmentId', 'the compartment id');
    const existing = await this.#repo.getCompartment(id);
    const missing = `there is no compartment ${id}`;
    if (!existing) throw notFound(missing);
    // Only members of a compartment (and leads, who name them) may know it exists.
    await this.access.require(by, existing.caseId, 'case.view', { compartmentId: null }, missing);
    const kase = (await this.#repo.getCase(existing.caseId)) as CaseRecord;
    const lead = (await this.access.decide(by, kase, 'case.compartments')).allowed;
    if (!lead && !('operator' in by) && !existing.members.includes(by.userId)) throw notFound(missing);
    const c = await this.access.require(
      by,
      existing.caseId,
      'case.compartments',
      { compartmentId: null },
      missing,
    );
    const members = await this.#compartmentMembers(c.id, membersInput);
    if (members.length === 0)
      throw invalid('a compartment needs at least one member', {
        field: 'members',
        reason: 'compartment_empty',
      });
    const compartment = { ...existing, members };
    await this.#repo.apply(
      [{ type: 'compartment', compartment }],
      this.#event(by, c.id, 'compartment.members', id, { members: members.length }, id),
    );
    return compartment;
  }

  /** Files an evidence item in a compartment (or back in the general area with null). */
  async fileItem(by: Principal, itemInput: unknown, compartmentInput: unknown): Promise<void> {
    const item = await this.#visibleItem(by, itemInput, 'evidence.manage');
    const to =
      compartmentInput === null || compartmentInput === '' || compartmentInput === undefined
        ? null
        : parseRecordId(compartmentInput, 'compartmentId', 'the compartment id');
    const from = await this.#repo.itemCompartment(item.id);
    if (from === to) return;
    if (to) {
      const k = await this.#repo.getCompartment(to);
      if (!k || k.caseId !== item.caseId) throw notFound(`there is no compartment ${to} in this case`);
      await this.access.require(
        by,
        item.caseId,
        'evidence.manage',
        { compartmentId: to },
        `there is no compartment ${to} in this case`,
      );
    }
    // What was derived from the item and filed with it moves with it; a derivative filed elsewhere
    // on purpose (a redacted copy shared with the whole case) stays where it is.
    const moving: ItemId[] = [item.id];
    for (let i = 0; i < moving.length; i++) {
      for (const d of await this.#items.listDerived(moving[i] as ItemId)) {
        if ((await this.#repo.itemCompartment(d.id)) === from && !moving.includes(d.id)) moving.push(d.id);
      }
    }
    await this.#repo.apply(
      moving.map((itemId) => ({ type: 'item.compartment' as const, itemId, compartmentId: to })),
      // Recorded in the compartment the item leaves (or enters): outsiders never see the move.
      this.#event(by, item.caseId, 'item.filed', item.id, { items: moving.length }, from ?? to),
    );
  }

  // ── incidents ───────────────────────────────────────────────────────────────

  async listIncidents(by: Principal, caseInput: unknown): Promise<Incident[]> {
    const c = await this.access.require(by, parseCaseId(caseInput), 'incident.read');
    const standing = await this.#standing(by, c);
    return (await this.#repo.listIncidents(c.id)).filter((i) =>
      this.#allowed(by, standing, 'incident.read', { compartmentId: i.compartmentId }),
    );
  }

  async incident(
    by: Principal,
    idInput: unknown,
  ): Promise<{ incident: Incident; items: ItemRecord[]; suspects: Suspect[] }> {
    const incident = await this.#incidentFor(by, idInput, 'incident.read');
    const items: ItemRecord[] = [];
    for (const itemId of await this.#repo.incidentItems(incident.id)) {
      const item = await this.#items.getItem(itemId);
      if (item && (await this.access.canSeeItem(by, item))) items.push(item);
    }
    const named = (await this.#repo.listSuspects(incident.caseId)).filter((s) =>
      incident.perpetratorIds.includes(s.id),
    );
    // Readers of the incident see who is alleged to have done it; position and notes are analysis.
    const c = (await this.#repo.getCase(incident.caseId)) as CaseRecord;
    const analysis = (await this.access.decide(by, c, 'matrix.read')).allowed;
    return { incident, items, suspects: analysis ? named : named.map(nameOnly) };
  }

  async saveIncident(by: Principal, caseInput: unknown, input: Input, idInput?: unknown): Promise<Incident> {
    const caseId = parseCaseId(caseInput);
    const existing =
      idInput === undefined ? undefined : await this.#incidentFor(by, idInput, 'incident.edit');
    if (existing && existing.caseId !== caseId)
      throw notFound(`there is no incident ${existing.id} in this case`);
    const compartmentId =
      input.compartmentId === undefined
        ? (existing?.compartmentId ?? null)
        : input.compartmentId === null || input.compartmentId === ''
          ? null
          : parseRecordId(input.compartmentId, 'compartmentId', 'the compartment id');
    await this.access.require(by, caseId, 'incident.edit');
    const c = await this.access.require(
      by,
      caseId,
      'incident.edit',
      { compartmentId },
      compartmentId ? `there is no compartment ${compartmentId} in this case` : `there is no case ${caseId}`,
    );
    if (compartmentId) {
      const k = await this.#repo.getCompartment(compartmentId);
      if (!k || k.caseId !== c.id) throw notFound(`there is no compartment ${compartmentId} in this case`);
    }
    const occurredFrom = parseWhen(input.occurredFrom, 'occurredFrom', 'when it happened');
    const occurredTo =
      input.occurredTo === undefined || input.occurredTo === null || input.occurredTo === ''
        ? null
        : parseWhen(input.occurredTo, 'occurredTo', 'when it ended');
    if (occurredTo && whenBounds(occurredTo).last < whenBounds(occurredFrom).first) {
      throw invalid('the incident cannot end before it starts', { field: 'occurredTo' });
    }
    const suspects = await this.#repo.listSuspects(c.id);
    const perpetratorIds = parseList(input.perpetratorIds, 'perpetratorIds', 'the alleged perpetrators', {
      max: 200,
      maxLength: 36,
      split: /[\s,]+/,
    });
    for (const id of perpetratorIds) {
      if (!suspects.some((s) => s.id === id)) throw notFound(`there is no suspect ${id} in this case`);
    }
    const now = this.#now();
    const incident: Incident = {
      id: existing?.id ?? newId(),
      caseId: c.id,
      compartmentId,
      title: parseText(input.title, 'title', 'the title of the incident', 300),
      occurredFrom,
      occurredTo,
      place: optionalText(input.place, 'place', 'the place', 300),
      ...parseLatitudeLongitude(input.latitude, input.longitude),
      acts: parseList(input.acts, 'acts', 'the acts', { max: 100, maxLength: 500 }),
      victims: parsePseudonyms(input.victims),
      perpetratorIds,
      perpetratorsOther: optionalText(
        input.perpetratorsOther,
        'perpetratorsOther',
        'the other perpetrators',
        2000,
      ),
      sources: optionalText(input.sources, 'sources', 'the sources', 4000),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await this.#repo.apply(
      [{ type: 'incident', incident }],
      this.#event(
        by,
        c.id,
        existing ? 'incident.changed' : 'incident.recorded',
        incident.id,
        {},
        compartmentId,
      ),
    );
    return incident;
  }

  /** Links an evidence item to an incident (or unlinks it). */
  async linkIncidentItem(
    by: Principal,
    incidentInput: unknown,
    itemInput: unknown,
    linked: boolean,
  ): Promise<void> {
    const incident = await this.#incidentFor(by, incidentInput, 'incident.edit');
    const item = await this.#visibleItem(by, itemInput, 'evidence.read');
    if (item.caseId !== incident.caseId)
      throw invalid('the item belongs to another case', { field: 'itemId' });
    const already = (await this.#repo.incidentItems(incident.id)).includes(item.id);
    if (already === linked) {
      if (linked) return;
      throw notFound('this item is not linked to the incident');
    }
    await this.#repo.apply(
      [{ type: 'incident.item', incidentId: incident.id, itemId: item.id, linked }],
      this.#event(
        by,
        incident.caseId,
        linked ? 'incident.item_linked' : 'incident.item_unlinked',
        incident.id,
        {},
        (await this.#repo.itemCompartment(item.id)) ?? incident.compartmentId,
      ),
    );
  }

  /** The incidents of visible items: for the item page. */
  async incidentsOfItem(by: Principal, item: ItemRecord): Promise<Incident[]> {
    const out: Incident[] = [];
    const c = await this.#repo.getCase(item.caseId);
    if (!c) return out;
    const standing = await this.#standing(by, c);
    for (const id of await this.#repo.itemIncidents(item.id)) {
      const i = await this.#repo.getIncident(id);
      if (i && this.#allowed(by, standing, 'incident.read', { compartmentId: i.compartmentId })) out.push(i);
    }
    return out;
  }

  // ── the proof matrix ────────────────────────────────────────────────────────

  async suspects(by: Principal, caseInput: unknown): Promise<Suspect[]> {
    const c = await this.#repo.getCase(parseCaseId(caseInput));
    if (!c) throw notFound(`there is no case ${String(caseInput)}`);
    const suspects = await this.#repo.listSuspects(c.id);
    if ((await this.access.decide(by, c, 'matrix.read')).allowed) return suspects;
    // Incident editors name perpetrators, so they may list suspects' names, and no more.
    await this.access.require(by, c.id, 'incident.edit');
    return suspects.map(nameOnly);
  }

  async addSuspect(by: Principal, caseInput: unknown, input: Input): Promise<Suspect> {
    const c = await this.access.require(by, parseCaseId(caseInput), 'matrix.edit');
    const suspect: Suspect = {
      id: newId(),
      caseId: c.id,
      name: parseText(input.name, 'name', 'the name of the suspect', 200),
      position: optionalText(input.position, 'position', 'the position (rank, function, unit)', 500),
      note: optionalText(input.note, 'note', 'the note', 4000),
      createdAt: this.#now(),
    };
    await this.#repo.apply(
      [{ type: 'suspect', suspect }],
      this.#event(by, c.id, 'suspect.added', suspect.id, {}),
    );
    return suspect;
  }

  async addCharge(by: Principal, caseInput: unknown, input: Input): Promise<Charge> {
    const c = await this.access.require(by, parseCaseId(caseInput), 'matrix.edit');
    const suspectId = parseRecordId(input.suspectId, 'suspectId', 'the suspect');
    const suspect = await this.#repo.getSuspect(suspectId);
    if (!suspect || suspect.caseId !== c.id) throw notFound(`there is no suspect ${suspectId} in this case`);
    const legal = this.#legal();
    const crime = legal.crime(typeof input.crimeId === 'string' ? input.crimeId.trim() : '');
    if (!crime || crime.category === 'mode_of_liability') {
      throw invalid('choose a crime of the legal catalogue (accord legal list), such as rs-7-1-a', {
        field: 'crimeId',
      });
    }
    const mode = legal.crime(typeof input.modeId === 'string' ? input.modeId.trim() : '');
    if (mode?.category !== 'mode_of_liability') {
      throw invalid(
        'choose a mode of liability of the legal catalogue, such as rs-25-3-a-1 (direct perpetration) or rs-28-a (command responsibility)',
        {
          field: 'modeId',
        },
      );
    }
    const existing = await this.#repo.listCharges(c.id);
    if (
      existing.some(
        (x) => !x.withdrawnAt && x.suspectId === suspectId && x.crimeId === crime.id && x.modeId === mode.id,
      )
    ) {
      throw new AccordError(
        'conflict',
        'this suspect is already charged with this crime under this mode of liability',
      );
    }
    const charge: Charge = {
      id: newId(),
      caseId: c.id,
      suspectId,
      crimeId: crime.id,
      modeId: mode.id,
      note: optionalText(input.note, 'note', 'the note', 4000),
      createdAt: this.#now(),
      withdrawnAt: null,
    };
    await this.#repo.apply(
      [{ type: 'charge', charge }],
      this.#event(by, c.id, 'charge.added', charge.id, { crime: crime.id, mode: mode.id }),
    );
    return charge;
  }

  async withdrawCharge(by: Principal, chargeInput: unknown): Promise<Charge> {
    const charge = await this.#chargeFor(by, chargeInput, 'matrix.edit');
    if (charge.withdrawnAt)
      throw new AccordError('conflict', `this charge was withdrawn on ${charge.withdrawnAt}`);
    const withdrawn = { ...charge, withdrawnAt: this.#now() };
    await this.#repo.apply(
      [{ type: 'charge', charge: withdrawn }],
      this.#event(by, charge.caseId, 'charge.withdrawn', charge.id, {}),
    );
    return withdrawn;
  }

  /** Links an item (or part of one) to an element of a charge, with its assessment. */
  async addLink(by: Principal, chargeInput: unknown, input: Input): Promise<ProofLink> {
    const charge = await this.#chargeFor(by, chargeInput, 'matrix.edit');
    if (charge.withdrawnAt) throw new AccordError('conflict', 'this charge was withdrawn');
    const item = await this.#visibleItem(by, input.itemId, 'evidence.read');
    if (item.caseId !== charge.caseId) throw invalid('the item belongs to another case', { field: 'itemId' });
    const legal = this.#legal();
    const elementId = typeof input.elementId === 'string' ? input.elementId.trim() : '';
    const found = legal.element(elementId);
    if (!found || (found.crime.id !== charge.crimeId && found.crime.id !== charge.modeId)) {
      throw invalid(
        `the element must be one of ${charge.crimeId} or of the mode of liability ${charge.modeId} (such as ${charge.crimeId}.1)`,
        { field: 'elementId' },
      );
    }
    const link: ProofLink = {
      id: newId(),
      caseId: charge.caseId,
      chargeId: charge.id,
      elementId,
      itemId: item.id,
      ...parsePart(input.partKind, input.part),
      stance: parseStance(input.stance),
      weight: parseWeight(input.weight),
      reliability: parseReliability(input.reliability),
      credibility: parseCredibility(input.credibility),
      note: optionalText(input.note, 'note', 'the note', 4000),
      createdAt: this.#now(),
      createdBy: 'operator' in by ? null : by.userId,
      withdrawnAt: null,
    };
    await this.#repo.apply(
      [{ type: 'link', link }],
      this.#event(
        by,
        charge.caseId,
        'link.added',
        link.id,
        { element: elementId, stance: link.stance },
        await this.#repo.itemCompartment(item.id),
      ),
    );
    return link;
  }

  async withdrawLink(by: Principal, linkInput: unknown): Promise<ProofLink> {
    const id = parseRecordId(linkInput, 'linkId', 'the link id');
    const link = await this.#repo.getLink(id);
    const missing = `there is no link ${id}`;
    if (!link) throw notFound(missing);
    const item = await this.#items.getItem(link.itemId);
    if (!item || !(await this.access.canSeeItem(by, item))) throw notFound(missing);
    await this.access.require(by, link.caseId, 'matrix.edit');
    if (link.withdrawnAt) throw new AccordError('conflict', `this link was withdrawn on ${link.withdrawnAt}`);
    const withdrawn = { ...link, withdrawnAt: this.#now() };
    await this.#repo.apply(
      [{ type: 'link', link: withdrawn }],
      this.#event(
        by,
        link.caseId,
        'link.withdrawn',
        link.id,
        {},
        await this.#repo.itemCompartment(link.itemId),
      ),
    );
    return withdrawn;
  }

  /** Classifies an item as a source: its kind, and which source it comes from. */
  async setProfile(by: Principal, itemInput: unknown, input: Input): Promise<ItemProfile> {
    const item = await this.#visibleItem(by, itemInput, 'evidence.read');
    await this.access.require(by, item.caseId, 'matrix.edit');
    const profile: ItemProfile = {
      itemId: item.id,
      caseId: item.caseId,
      sourceKind: parseSourceKind(input.sourceKind),
      sourceLabel: parseText(
        input.sourceLabel,
        'sourceLabel',
        'the source (such as W-0421 or "Ministry archive")',
        200,
      ),
      updatedAt: this.#now(),
    };
    await this.#repo.apply(
      [{ type: 'profile', profile }],
      this.#event(
        by,
        item.caseId,
        'profile.set',
        item.id,
        { kind: profile.sourceKind },
        await this.#repo.itemCompartment(item.id),
      ),
    );
    return profile;
  }

  /** Records whether an item meets one entry of a jurisdiction's admissibility checklist. */
  async setAdmissibility(by: Principal, itemInput: unknown, input: Input): Promise<AdmissibilityAnswer> {
    const item = await this.#visibleItem(by, itemInput, 'evidence.read');
    await this.access.require(by, item.caseId, 'matrix.edit');
    const code = typeof input.jurisdiction === 'string' ? input.jurisdiction.trim().toUpperCase() : '';
    const j = this.#legal().jurisdiction(code);
    if (!j)
      throw invalid(`there is no national profile "${code}" in the legal catalogue`, {
        field: 'jurisdiction',
        reason: 'unknown_jurisdiction',
      });
    const ruleId = typeof input.ruleId === 'string' ? input.ruleId.trim() : '';
    if (!j.admissibility.some((r) => r.id === ruleId)) {
      throw invalid(
        `the ${j.code} checklist has no entry "${ruleId}"; it has: ${j.admissibility.map((r) => r.id).join(', ')}`,
        { field: 'ruleId' },
      );
    }
    const answer: AdmissibilityAnswer = {
      itemId: item.id,
      caseId: item.caseId,
      jurisdiction: j.code,
      ruleId,
      answer: parseAnswer(input.answer),
      note: optionalText(input.note, 'note', 'the note', 2000),
      updatedAt: this.#now(),
    };
    await this.#repo.apply(
      [{ type: 'admissibility', answer }],
      this.#event(
        by,
        item.caseId,
        'admissibility.set',
        item.id,
        { jurisdiction: j.code, rule: ruleId, answer: answer.answer },
        await this.#repo.itemCompartment(item.id),
      ),
    );
    return answer;
  }

  /** Everything of the proof matrix the viewer may see. */
  async matrix(by: Principal, caseInput: unknown): Promise<ProofMatrix> {
    const c = await this.access.require(by, parseCaseId(caseInput), 'matrix.read');
    const [suspects, charges, allLinks, profiles, answers] = await Promise.all([
      this.#repo.listSuspects(c.id),
      this.#repo.listCharges(c.id),
      this.#repo.listLinks(c.id),
      this.#repo.listProfiles(c.id),
      this.#repo.listAdmissibility(c.id),
    ]);
    const seen = new Map<ItemId, ItemRecord | null>();
    const visible = async (id: ItemId): Promise<ItemRecord | null> => {
      if (!seen.has(id)) {
        const item = await this.#items.getItem(id);
        seen.set(id, item && (await this.access.canSeeItem(by, item)) ? item : null);
      }
      return seen.get(id) ?? null;
    };
    const links: ProofLink[] = [];
    for (const l of allLinks) if (await visible(l.itemId)) links.push(l);
    for (const p of profiles) await visible(p.itemId);
    for (const a of answers) await visible(a.itemId);
    const items = [...seen.values()].filter((i): i is ItemRecord => i !== null);
    const own = new Map(profiles.filter((p) => seen.get(p.itemId)).map((p) => [p.itemId, p]));
    // A derivative without its own classification comes from its original's source. That is lent
    // to it even when the original is not shown (a partner who receives only derivatives), but not
    // out of a compartment the viewer is not in.
    const lent: ItemProfile[] = [];
    for (const i of items) {
      const original = i.derivedFrom ? profiles.find((p) => p.itemId === i.derivedFrom) : undefined;
      if (!original || own.has(i.id)) continue;
      const inSight = seen.get(original.itemId) ?? null;
      if (inSight || (await this.#repo.itemCompartment(original.itemId)) === null) {
        lent.push({ ...original, itemId: i.id });
      }
    }
    return {
      suspects,
      charges,
      links,
      items,
      profiles: [...own.values(), ...lent],
      admissibility: answers.filter((a) => seen.get(a.itemId)),
    };
  }

  /** The gap analysis of one charge under one jurisdiction ("ICC" for the Rome Statute). */
  async gaps(
    by: Principal,
    chargeInput: unknown,
    jurisdictionInput: unknown,
  ): Promise<{ report: GapReport; suspect: Suspect; charge: Charge }> {
    const charge = await this.#chargeFor(by, chargeInput, 'matrix.read');
    const code =
      typeof jurisdictionInput === 'string' && jurisdictionInput.trim() !== ''
        ? jurisdictionInput.trim().toUpperCase()
        : ROME_STATUTE;
    if (code !== ROME_STATUTE && !this.#legal().jurisdiction(code)) {
      throw invalid(
        `there is no national profile "${code}"; use ICC for the Rome Statute or one of: ${this.#legal()
          .jurisdictions.map((j) => j.code)
          .join(', ')}`,
        { field: 'jurisdiction', reason: 'unknown_jurisdiction' },
      );
    }
    const matrix = await this.matrix(by, charge.caseId);
    const suspect = matrix.suspects.find((s) => s.id === charge.suspectId);
    if (!suspect) throw notFound(`there is no suspect ${charge.suspectId}`);
    return { report: this.#analyse(charge, code, matrix), suspect, charge };
  }

  // ── internals ───────────────────────────────────────────────────────────────

  #analyse(charge: Charge, jurisdiction: string, matrix: ProofMatrix): GapReport {
    return analyseCharge({
      catalogue: this.#legal(),
      charge,
      jurisdiction,
      links: matrix.links.filter((l) => l.withdrawnAt === null),
      facts: evidenceFacts(matrix),
    });
  }

  async #view(by: Principal, c: CaseRecord): Promise<CaseView> {
    const standing = await this.#standing(by, c);
    // Evidence actions are judged on the least a member could receive (a derivative in the general
    // area), so that a partner without an agreement in force is not offered empty evidence pages.
    const least = { compartmentId: null, derived: true };
    const may = Object.fromEntries(
      CASE_ACTIONS.map((a) => [
        a,
        this.#allowed(by, standing, a, a.startsWith('evidence.') && a !== 'evidence.add' ? least : undefined),
      ]),
    ) as Record<CaseAction, boolean>;
    return { record: c, role: standing?.role, may, receives: standing?.receives };
  }

  /**
   * Whether the thing a history entry is about is visible to the viewer now: items and incidents
   * filed into a compartment after the entry was written, and links to items the viewer may not
   * see, take their history with them.
   */
  async #subjectVisible(by: Principal, standing: CaseStanding | undefined, e: CaseEvent): Promise<boolean> {
    if ('operator' in by || !e.subjectId) return true;
    const kind = e.type.split('.')[0];
    const item = async (id: string) => {
      const found = await this.#items.getItem(id as ItemId);
      return found !== undefined && (await this.access.canSeeItem(by, found));
    };
    switch (kind) {
      case 'item':
      case 'profile':
      case 'admissibility':
        return item(e.subjectId);
      case 'link': {
        const link = await this.#repo.getLink(e.subjectId);
        return link !== undefined && (await item(link.itemId));
      }
      case 'incident': {
        const incident = await this.#repo.getIncident(e.subjectId);
        return (
          incident !== undefined &&
          this.#allowed(by, standing, 'incident.read', { compartmentId: incident.compartmentId })
        );
      }
      default:
        return true;
    }
  }

  async #standing(by: Principal, c: CaseRecord): Promise<CaseStanding | undefined> {
    return 'operator' in by ? undefined : this.access.standing(by, c);
  }

  #allowed(
    by: Principal,
    standing: CaseStanding | undefined,
    action: CaseAction,
    resource?: CaseResource,
  ): boolean {
    return 'operator' in by || decideInCase(by, standing, action, resource).allowed;
  }

  async #visibleItem(by: Principal, value: unknown, action: CaseAction): Promise<ItemRecord> {
    const id = parseItemId(value) as ItemId;
    const item = await this.#items.getItem(id);
    if (!item) throw notFound(`there is no evidence item ${id}`);
    await this.access.requireItem(by, item, action);
    return item;
  }

  async #incidentFor(by: Principal, value: unknown, action: CaseAction): Promise<Incident> {
    const id = parseRecordId(value, 'incidentId', 'the incident id');
    const incident = await this.#repo.getIncident(id);
    const missing = `there is no incident ${id}`;
    if (!incident) throw notFound(missing);
    await this.access.require(
      by,
      incident.caseId,
      action,
      { compartmentId: incident.compartmentId },
      missing,
    );
    return incident;
  }

  async #chargeFor(by: Principal, value: unknown, action: CaseAction): Promise<Charge> {
    const id = parseRecordId(value, 'chargeId', 'the charge id');
    const charge = await this.#repo.getCharge(id);
    const missing = `there is no charge ${id}`;
    if (!charge) throw notFound(missing);
    await this.access.require(by, charge.caseId, action, { compartmentId: null }, missing);
    return charge;
  }

  async #agreementOf(caseId: CaseId, value: unknown): Promise<Agreement> {
    const id = parseRecordId(value, 'agreementId', 'the agreement id');
    const a = await this.#repo.getAgreement(id);
    if (!a || a.caseId !== caseId) throw notFound(`there is no agreement ${id} in this case`);
    return a;
  }

  async #participants(value: unknown): Promise<Participant[]> {
    if (!Array.isArray(value) || value.length === 0) {
      throw invalid('an agreement needs at least one participating organisation', {
        field: 'participants',
        reason: 'no_participants',
      });
    }
    if (value.length > 50)
      throw invalid('an agreement may have at most 50 participants', { field: 'participants' });
    const out: Participant[] = [];
    for (const p of value as Input[]) {
      if (typeof p !== 'object' || p === null)
        throw invalid('each participant must be an object', { field: 'participants' });
      const orgId = parseOrgId(p.orgId);
      if (!(await this.#items.holderExists(orgId, null))) throw notFound(`there is no organisation ${orgId}`);
      if (out.some((o) => o.orgId === orgId))
        throw invalid('an organisation is listed twice', { field: 'participants' });
      const country = typeof p.country === 'string' ? p.country.trim().toUpperCase() : '';
      if (!/^[A-Z]{2}$/.test(country)) {
        throw invalid('each participant needs a two-letter country code (ISO 3166-1, such as DE)', {
          field: 'country',
          reason: 'country_invalid',
        });
      }
      const receives = parseList(p.receives, 'receives', 'what the participant may receive', {
        max: DATA_CATEGORIES.length,
        maxLength: 20,
        split: /[\s,]+/,
      }).map(parseCategory);
      out.push({ orgId, country, receives: [...new Set(receives)].sort() });
    }
    return out;
  }

  async #compartmentMembers(caseId: CaseId, value: unknown): Promise<UserId[]> {
    const ids = parseList(value, 'members', 'the members', { max: 500, maxLength: 36, split: /[\s,]+/ }).map(
      parseUserId,
    );
    for (const id of ids) {
      if (!(await this.#repo.getMember(caseId, id))) {
        throw invalid(`user ${id} is not a member of the case; add them to the case first`, {
          field: 'members',
          reason: 'not_case_member',
        });
      }
    }
    return ids;
  }

  async #keepALead(caseId: CaseId, leaving: UserId): Promise<void> {
    const leads = (await this.#repo.listMembers(caseId)).filter(
      (m) => m.role === 'lead' && m.userId !== leaving,
    );
    if (leads.length === 0)
      throw new AccordError('conflict', 'a case must keep at least one lead; name another lead first', {
        context: { reason: 'last_lead' },
      });
  }

  #caseInput(c: CaseRecord): Input {
    return {
      title: c.title,
      summary: c.summary,
      status: c.status,
      jurisdictions: c.jurisdictions,
      legalBasis: c.legalBasis,
      openedOn: c.openedOn,
      closedOn: c.closedOn,
    };
  }

  #caseRecord(
    input: Input,
    fixed: { id: CaseId; leadOrgId: OrgId; createdAt: string; openedOn: string },
  ): CaseRecord {
    const status = input.status === undefined ? 'preliminary' : parseCaseStatus(input.status);
    const openedOn = input.openedOn
      ? parseDate(input.openedOn, 'openedOn', 'the opening date')
      : fixed.openedOn;
    let closedOn = optionalDate(input.closedOn, 'closedOn', 'the closing date');
    if (status === 'closed' && !closedOn) closedOn = this.#now().slice(0, 10);
    if (status !== 'closed' && closedOn) {
      throw invalid('only a closed case has a closing date', {
        field: 'closedOn',
        reason: 'closed_only_when_closed',
      });
    }
    if (closedOn && closedOn < openedOn)
      throw invalid('a case cannot close before it opens', {
        field: 'closedOn',
        reason: 'close_before_open',
      });
    const legal = this.#legal();
    const jurisdictions = parseList(input.jurisdictions, 'jurisdictions', 'the jurisdictions', {
      max: 30,
      maxLength: 10,
      split: /[\s,]+/,
    }).map((j) => j.toUpperCase());
    for (const j of jurisdictions) {
      if (j !== ROME_STATUTE && !legal.jurisdiction(j)) {
        throw invalid(
          `there is no national profile "${j}"; use ICC for the Rome Statute or one of: ${legal.jurisdictions.map((x) => x.code).join(', ')}`,
          { field: 'jurisdictions', reason: 'unknown_jurisdiction' },
        );
      }
    }
    return {
      id: fixed.id,
      title: parseText(input.title, 'title', 'the case title', 300),
      summary: optionalText(input.summary, 'summary', 'the summary', 8000),
      status,
      jurisdictions,
      leadOrgId: fixed.leadOrgId,
      legalBasis: optionalText(input.legalBasis, 'legalBasis', 'the legal basis', 2000),
      openedOn,
      closedOn,
      createdAt: fixed.createdAt,
      updatedAt: this.#now(),
    };
  }

  #event(
    by: Principal,
    caseId: CaseId,
    type: string,
    subjectId: string | null,
    details: NewCaseEvent['details'],
    compartmentId: string | null = null,
  ): NewCaseEvent {
    return {
      id: newId(),
      caseId,
      compartmentId,
      at: this.#now(),
      actorUserId: 'operator' in by ? null : by.userId,
      actorOrgId: 'operator' in by ? null : by.orgId,
      type,
      subjectId,
      details,
    };
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }
}

/**
 * What the gap analysis needs of the visible items of a matrix. Everything derived from one
 * original (a statement, its transcript, its translation) is one source, whatever each is labelled:
 * the tree takes its original's label, or else the first label found in it; items with the same
 * label are one source too.
 */
export const evidenceFacts = (matrix: ProofMatrix): Map<ItemId, EvidenceFacts> => {
  const profiles = new Map(matrix.profiles.map((p) => [p.itemId, p]));
  const byId = new Map(matrix.items.map((i) => [i.id, i]));
  const rootOf = (item: ItemRecord): ItemId => {
    let current = item;
    for (let depth = 0; current.derivedFrom && depth < 64; depth++) {
      const parent = byId.get(current.derivedFrom);
      if (!parent) return current.derivedFrom;
      current = parent;
    }
    return current.id;
  };
  const treeProfile = new Map<ItemId, ItemProfile>();
  for (const item of [...matrix.items].sort((a, b) => a.id.localeCompare(b.id))) {
    const p = profiles.get(item.id);
    const root = rootOf(item);
    if (p && (!treeProfile.has(root) || item.id === root)) treeProfile.set(root, p);
  }
  const rootProfile = (root: ItemId) => profiles.get(root) ?? treeProfile.get(root);
  const notMet = new Map<ItemId, Map<string, string[]>>();
  for (const a of matrix.admissibility) {
    if (a.answer !== 'not_met') continue;
    const m = notMet.get(a.itemId) ?? new Map<string, string[]>();
    m.set(a.jurisdiction, [...(m.get(a.jurisdiction) ?? []), a.ruleId]);
    notMet.set(a.itemId, m);
  }
  const facts = new Map<ItemId, EvidenceFacts>();
  for (const item of matrix.items) {
    const root = rootOf(item);
    const tree = rootProfile(root);
    const own = profiles.get(item.id);
    facts.set(item.id, {
      itemId: item.id,
      title: item.title,
      kind: item.kind,
      sealed: item.sealedAt !== null,
      sourceKind: own?.sourceKind ?? tree?.sourceKind ?? null,
      sourceKey: tree ? `source:${tree.sourceLabel.trim().toLowerCase()}` : `item:${root}`,
      sourceLabel: tree?.sourceLabel ?? byId.get(root)?.title ?? item.title,
      notMet: notMet.get(item.id) ?? new Map(),
    });
  }
  return facts;
};

/**
 * The first and last millisecond a "when" can mean: a month, a day (UTC) or an instant. An end is
 * before a start only when even its last moment comes before the start's first.
 */
const whenBounds = (when: string): { first: number; last: number } => {
  if (/^\d{4}-\d{2}$/.test(when)) {
    const [y, m] = when.split('-').map(Number) as [number, number];
    return { first: Date.UTC(y, m - 1, 1), last: Date.UTC(y, m, 1) - 1 };
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(when)) {
    const first = Date.parse(`${when}T00:00:00Z`);
    return { first, last: first + 86_400_000 - 1 };
  }
  const t = Date.parse(when);
  return { first: t, last: t };
};

const nameOnly = (s: Suspect): Suspect => ({ ...s, position: '', note: '' });
