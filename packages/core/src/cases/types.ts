import type { ItemId } from '../evidence/types.ts';
import type { CaseRole, DataCategory } from '../policy/policy.ts';
import type { CaseId, OrgId, UserId } from '../shared/ids.ts';

export const CASE_STATUSES = ['preliminary', 'investigation', 'prosecution', 'trial', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export interface CaseRecord {
  readonly id: CaseId;
  readonly title: string;
  readonly summary: string;
  readonly status: CaseStatus;
  /** Jurisdiction codes of the legal catalogue (DE, FR…) and "ICC" for the Rome Statute. */
  readonly jurisdictions: readonly string[];
  readonly leadOrgId: OrgId;
  readonly legalBasis: string;
  /** Calendar dates, YYYY-MM-DD. */
  readonly openedOn: string;
  readonly closedOn: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Member {
  readonly caseId: CaseId;
  readonly userId: UserId;
  readonly role: CaseRole;
  readonly addedAt: string;
}

/** A member as pages show it: with the person's name and organisation. */
export interface MemberView extends Member {
  readonly username: string;
  readonly displayName: string;
  readonly orgId: OrgId;
  readonly orgName: string;
}

export interface Compartment {
  readonly id: string;
  readonly caseId: CaseId;
  readonly name: string;
  readonly description: string;
  readonly members: readonly UserId[];
  readonly createdAt: string;
}

export const BASIS_KINDS = ['bilateral', 'eu_jit_model', 'icc_cooperation', 'ad_hoc'] as const;
export type BasisKind = (typeof BASIS_KINDS)[number];

export interface Participant {
  readonly orgId: OrgId;
  /** ISO 3166-1 alpha-2, or a two-letter code of an international body (e.g. "XI" for the ICC). */
  readonly country: string;
  readonly receives: readonly DataCategory[];
}

/** A joint investigation team agreement: who takes part, on what basis, and who may receive what. */
export interface Agreement {
  readonly id: string;
  readonly caseId: CaseId;
  readonly title: string;
  readonly basisKind: BasisKind;
  readonly legalBasis: string;
  readonly startsOn: string;
  readonly endsOn: string | null;
  readonly scope: string;
  readonly purposeLimitation: string;
  readonly participants: readonly Participant[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** "Who did what to whom": one incident of the case. */
export interface Incident {
  readonly id: string;
  readonly caseId: CaseId;
  readonly compartmentId: string | null;
  readonly title: string;
  /** A date (YYYY-MM-DD) or a time with offset, stored as written after validation. */
  readonly occurredFrom: string;
  readonly occurredTo: string | null;
  readonly place: string;
  readonly latitude: number | null;
  readonly longitude: number | null;
  readonly acts: readonly string[];
  /** Victims by pseudonym only (W-0421, V-12): real identities never live here. */
  readonly victims: readonly string[];
  /** Alleged perpetrators: suspects of the case, and anyone not yet identified, in words. */
  readonly perpetratorIds: readonly string[];
  readonly perpetratorsOther: string;
  readonly sources: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Suspect {
  readonly id: string;
  readonly caseId: CaseId;
  readonly name: string;
  /** Rank, function, unit: what makes the mode of liability arguable. */
  readonly position: string;
  readonly note: string;
  readonly createdAt: string;
}

/** A charge: a suspect, a crime of the catalogue, and the mode of liability it is charged under. */
export interface Charge {
  readonly id: string;
  readonly caseId: CaseId;
  readonly suspectId: string;
  readonly crimeId: string;
  readonly modeId: string;
  readonly note: string;
  readonly createdAt: string;
  readonly withdrawnAt: string | null;
}

export const PART_KINDS = ['whole', 'page', 'time', 'region'] as const;
export type PartKind = (typeof PART_KINDS)[number];

export const STANCES = ['supports', 'contradicts'] as const;
export type Stance = (typeof STANCES)[number];

export const WEIGHTS = ['low', 'medium', 'high'] as const;
export type Weight = (typeof WEIGHTS)[number];

/** Source reliability (the "Admiralty" or NATO scale): A completely reliable … F cannot be judged. */
export const RELIABILITY = ['A', 'B', 'C', 'D', 'E', 'F'] as const;
export type Reliability = (typeof RELIABILITY)[number];
/** Information credibility: 1 confirmed … 6 cannot be judged. */
export const CREDIBILITY = ['1', '2', '3', '4', '5', '6'] as const;
export type Credibility = (typeof CREDIBILITY)[number];

/** One cell entry of the proof matrix: this item (or part of it) bears on this element. */
export interface ProofLink {
  readonly id: string;
  readonly caseId: CaseId;
  readonly chargeId: string;
  /** An element of the charge's crime or of its mode of liability. */
  readonly elementId: string;
  readonly itemId: ItemId;
  readonly partKind: PartKind;
  /** "12" or "12-14" (pages), "00:01:30-00:02:10" (time), "x,y,w,h" in pixels (region); "" for whole. */
  readonly part: string;
  readonly stance: Stance;
  readonly weight: Weight;
  readonly reliability: Reliability;
  readonly credibility: Credibility;
  readonly note: string;
  readonly createdAt: string;
  readonly createdBy: UserId | null;
  readonly withdrawnAt: string | null;
}

/** Kinds of source, for corroboration: two independent sources of different kinds. */
export const SOURCE_KINDS = [
  'testimony',
  'documentary',
  'digital',
  'forensic',
  'physical',
  'expert',
] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/**
 * How the team classifies an item as a source. Items with the same source label come from the
 * same source (one witness's statement and its translation), so they are not independent.
 */
export interface ItemProfile {
  readonly itemId: ItemId;
  readonly caseId: CaseId;
  readonly sourceKind: SourceKind;
  readonly sourceLabel: string;
  readonly updatedAt: string;
}

export const ANSWERS = ['met', 'not_met'] as const;
export type Answer = (typeof ANSWERS)[number];

/** The team's answer to one admissibility checklist entry of one jurisdiction for one item. */
export interface AdmissibilityAnswer {
  readonly itemId: ItemId;
  readonly caseId: CaseId;
  readonly jurisdiction: string;
  readonly ruleId: string;
  readonly answer: Answer;
  readonly note: string;
  readonly updatedAt: string;
}

/** The case's own history: every change, append-only (the tables are projections of it). */
export interface CaseEvent {
  readonly seq: number;
  readonly id: string;
  readonly caseId: CaseId;
  /** Set when the change concerns something inside a compartment: only its members see it. */
  readonly compartmentId: string | null;
  readonly at: string;
  readonly actorUserId: UserId | null;
  readonly actorOrgId: OrgId | null;
  readonly type: string;
  readonly subjectId: string | null;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

/** The Rome Statute as a "jurisdiction" of the gap analysis (the catalogue's crimes themselves). */
export const ROME_STATUTE = 'ICC';
