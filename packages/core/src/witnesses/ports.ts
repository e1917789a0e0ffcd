import type { CaseId } from '../shared/ids.ts';
import type { ConsentEvent, RiskAssessment, Statement, Witness, WitnessIdentity } from './types.ts';

export type WitnessChange =
  | { readonly type: 'witness'; readonly witness: Witness }
  | { readonly type: 'identity'; readonly identity: WitnessIdentity }
  | { readonly type: 'consent'; readonly consent: Omit<ConsentEvent, 'seq'> }
  | { readonly type: 'statement'; readonly statement: Statement }
  | { readonly type: 'risk'; readonly risk: RiskAssessment };

/**
 * Storage of witnesses. `apply` writes its changes in one transaction; consent entries, statements
 * and risk assessments are append-only (the database refuses to change or delete them).
 */
export interface WitnessRepo {
  apply(changes: readonly WitnessChange[]): Promise<void>;
  getWitness(id: string): Promise<Witness | undefined>;
  listWitnesses(caseId: CaseId): Promise<Witness[]>;
  /** The highest number used in the case's W-NNNN pseudonyms (0 when none). */
  lastPseudonymNumber(caseId: CaseId): Promise<number>;
  getIdentity(witnessId: string): Promise<WitnessIdentity | undefined>;
  /** Every identity of the case, or of the node (for the export's name guard; never shown as a list). */
  listIdentities(caseId?: CaseId): Promise<WitnessIdentity[]>;
  /** Oldest first. */
  listConsent(witnessId: string): Promise<ConsentEvent[]>;
  listStatements(witnessId: string): Promise<Statement[]>;
  /** Statements of the case that point to evidence items. */
  listCaseStatements(caseId: CaseId): Promise<Statement[]>;
  /** Newest first. */
  listRisks(witnessId: string): Promise<RiskAssessment[]>;
  /** The latest assessment of every witness of the case whose review date is on or before `day`. */
  reviewsDue(caseId: CaseId, day: string): Promise<RiskAssessment[]>;
}
