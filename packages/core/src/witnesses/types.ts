import type { ItemId } from '../evidence/types.ts';
import type { CaseId, OrgId, UserId } from '../shared/ids.ts';

/**
 * Witnesses of a case. Everywhere but the protection compartment a witness is only a pseudonym
 * (W-0421); the real identity is a separate record filed in a compartment that only protection
 * officers who are its members can open.
 */
export const WITNESS_KINDS = ['survivor', 'witness', 'victim', 'insider', 'expert'] as const;
export type WitnessKind = (typeof WITNESS_KINDS)[number];

export interface Witness {
  readonly id: string;
  readonly caseId: CaseId;
  /** Unique in the case; W-0001, W-0002… unless the team chooses one. */
  readonly pseudonym: string;
  readonly kind: WitnessKind;
  /** Languages the witness speaks, as BCP 47 tags (uk, ar, fr…). */
  readonly languages: readonly string[];
  readonly note: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface WitnessIdentity {
  readonly witnessId: string;
  readonly caseId: CaseId;
  /** The protection compartment the identity is filed in. */
  readonly compartmentId: string;
  readonly fullName: string;
  readonly otherNames: readonly string[];
  readonly dateOfBirth: string | null;
  readonly contact: string;
  readonly address: string;
  readonly note: string;
  readonly updatedAt: string;
}

/**
 * What a witness may consent to: the investigation itself, prosecution in a named jurisdiction,
 * sharing with a named partner organisation, use in public reports, being contacted.
 */
export const CONSENT_PURPOSES = [
  'investigation',
  'prosecution',
  'sharing',
  'public_reports',
  'contact',
] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];
export const CONSENT_STATES = ['given', 'withdrawn'] as const;
export type ConsentStateValue = (typeof CONSENT_STATES)[number];

/** One entry of a witness's consent history (append-only). */
export interface ConsentEvent {
  readonly seq: number;
  readonly id: string;
  readonly witnessId: string;
  readonly caseId: CaseId;
  readonly purpose: ConsentPurpose;
  /** "" for investigation, public_reports and contact; a jurisdiction code; an organisation id. */
  readonly scope: string;
  readonly state: ConsentStateValue;
  readonly at: string;
  readonly recordedBy: UserId | null;
  /** Recorded by an advocate with the survivor present, or (later) by the survivor themself. */
  readonly via: 'advocate' | 'survivor';
  readonly note: string;
}

/** The current consent for one purpose and scope: the latest entry of the history. */
export interface ConsentState {
  readonly purpose: ConsentPurpose;
  readonly scope: string;
  readonly state: ConsentStateValue;
  readonly at: string;
}

/** "Tell it once": every interview and statement, so partners reuse it instead of re-interviewing. */
export interface Statement {
  readonly id: string;
  readonly witnessId: string;
  readonly caseId: CaseId;
  /** The evidence item holding the statement (recording, transcript), when there is one. */
  readonly itemId: ItemId | null;
  readonly takenOn: string;
  /** Who took it (name or function, as the team records it). */
  readonly takenBy: string;
  readonly orgId: OrgId;
  readonly language: string;
  readonly interpreter: string;
  /** The witness's consent when the statement was taken. */
  readonly consentAtTime: readonly ConsentState[];
  readonly note: string;
  readonly createdAt: string;
  readonly createdBy: UserId | null;
}

export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** A risk assessment with the protective measures decided and when to look again. */
export interface RiskAssessment {
  readonly id: string;
  readonly witnessId: string;
  readonly caseId: CaseId;
  readonly level: RiskLevel;
  readonly assessedOn: string;
  readonly threats: string;
  readonly measures: string;
  readonly reviewOn: string;
  readonly createdAt: string;
  readonly createdBy: UserId | null;
}
