import type { ItemFilter, ItemId, ItemRecord } from '../evidence/types.ts';
import type { CaseRole } from '../policy/policy.ts';
import type { CaseId, OrgId, UserId } from '../shared/ids.ts';
import type {
  AdmissibilityAnswer,
  Agreement,
  CaseEvent,
  CaseRecord,
  Charge,
  Compartment,
  Incident,
  ItemProfile,
  Member,
  MemberView,
  ProofLink,
  Suspect,
} from './types.ts';

/**
 * One change to the case's projections. Every `put` inserts or replaces the row with that id
 * (compartments replace their member list too); nothing is ever deleted except a membership or a
 * link between an incident and an item, and both removals are recorded in the case history.
 */
export type CaseChange =
  | { readonly type: 'case'; readonly record: CaseRecord }
  | { readonly type: 'member.put'; readonly member: Member }
  | { readonly type: 'member.remove'; readonly caseId: CaseId; readonly userId: UserId }
  | { readonly type: 'compartment'; readonly compartment: Compartment }
  | { readonly type: 'agreement'; readonly agreement: Agreement }
  | { readonly type: 'incident'; readonly incident: Incident }
  | {
      readonly type: 'incident.item';
      readonly incidentId: string;
      readonly itemId: ItemId;
      readonly linked: boolean;
    }
  | { readonly type: 'suspect'; readonly suspect: Suspect }
  | { readonly type: 'charge'; readonly charge: Charge }
  | { readonly type: 'link'; readonly link: ProofLink }
  | { readonly type: 'profile'; readonly profile: ItemProfile }
  | { readonly type: 'admissibility'; readonly answer: AdmissibilityAnswer }
  | {
      readonly type: 'item.compartment';
      readonly itemId: ItemId;
      readonly compartmentId: string | null;
    };

export type NewCaseEvent = Omit<CaseEvent, 'seq'>;

/** Storage of cases and everything inside them except the evidence items themselves. */
export interface CaseRepo {
  /** Applies the changes and appends the event to the case history, in one transaction. */
  apply(changes: readonly CaseChange[], event: NewCaseEvent): Promise<void>;

  getCase(id: CaseId): Promise<CaseRecord | undefined>;
  /** Every case (for the node operator at the command line). */
  listCases(): Promise<CaseRecord[]>;
  /** The cases the user is a member of, with their role on each. */
  listCasesOf(userId: UserId): Promise<(CaseRecord & { readonly role: CaseRole })[]>;

  getMember(caseId: CaseId, userId: UserId): Promise<Member | undefined>;
  listMembers(caseId: CaseId): Promise<MemberView[]>;
  /** The organisation a user belongs to, and whether the account can sign in at all. */
  findUser(userId: UserId): Promise<{ orgId: OrgId; disabled: boolean } | undefined>;

  getCompartment(id: string): Promise<Compartment | undefined>;
  listCompartments(caseId: CaseId): Promise<Compartment[]>;
  /** Ids of the compartments of the case that name the user. */
  compartmentsOf(caseId: CaseId, userId: UserId): Promise<string[]>;

  getAgreement(id: string): Promise<Agreement | undefined>;
  listAgreements(caseId: CaseId): Promise<Agreement[]>;

  getIncident(id: string): Promise<Incident | undefined>;
  listIncidents(caseId: CaseId): Promise<Incident[]>;
  incidentItems(incidentId: string): Promise<ItemId[]>;
  itemIncidents(itemId: ItemId): Promise<string[]>;

  getSuspect(id: string): Promise<Suspect | undefined>;
  listSuspects(caseId: CaseId): Promise<Suspect[]>;
  getCharge(id: string): Promise<Charge | undefined>;
  listCharges(caseId: CaseId): Promise<Charge[]>;
  getLink(id: string): Promise<ProofLink | undefined>;
  /** Links not withdrawn, oldest first. */
  listLinks(caseId: CaseId): Promise<ProofLink[]>;

  listProfiles(caseId: CaseId): Promise<ItemProfile[]>;
  listAdmissibility(caseId: CaseId): Promise<AdmissibilityAnswer[]>;

  /** The compartment an item is filed in (null: the case's general area). */
  itemCompartment(itemId: ItemId): Promise<string | null>;

  /** Newest first, from before `beforeSeq` when given. */
  listEvents(caseId: CaseId, limit: number, beforeSeq?: number): Promise<CaseEvent[]>;
}

/** What the case module reads of the evidence vault (the evidence repo provides it). */
export interface CaseItems {
  getItem(id: ItemId): Promise<ItemRecord | undefined>;
  listItems(filter: ItemFilter): Promise<{ items: ItemRecord[]; total: number }>;
  /** Items derived directly from this one. */
  listDerived(id: ItemId): Promise<ItemRecord[]>;
  /** Whether the organisation exists and, when given, the user belongs to it. */
  holderExists(orgId: OrgId, userId: UserId | null): Promise<boolean>;
}
