import type { Readable } from 'node:stream';
import type { ItemId } from '../evidence/types.ts';
import type { UserId } from '../shared/ids.ts';
import type {
  AttachmentRecord,
  RecipientKey,
  Report,
  ReportEntry,
  ReportKeyWrap,
  ReportStatus,
} from './types.ts';

export type ReportUpdate = Partial<
  Pick<Report, 'status' | 'assignedTo' | 'caseId' | 'incidentId' | 'witnessId'>
> & {
  readonly updatedOn: string;
};

export type ReportChange =
  /** Inserts the report, or updates its status, assignment, links and updatedOn. */
  | { readonly type: 'report'; readonly report: Report }
  /** Changes only the named fields (and the day of the change): what others changed meanwhile stays. */
  | { readonly type: 'update'; readonly reportId: string; readonly set: ReportUpdate }
  | { readonly type: 'wrap'; readonly wrap: ReportKeyWrap }
  /** Appended with the next sequence number of its report. */
  | { readonly type: 'entry'; readonly entry: Omit<ReportEntry, 'seq'> }
  | { readonly type: 'attachment'; readonly attachment: AttachmentRecord }
  | {
      readonly type: 'filed';
      readonly reportId: string;
      readonly attachmentId: string;
      readonly itemId: ItemId;
    };

/** Storage of reports. `apply` writes its changes in one transaction; entries are append-only. */
export interface ReportRepo {
  apply(changes: readonly ReportChange[]): Promise<void>;
  get(id: string): Promise<Report | undefined>;
  findByLookup(lookup: string): Promise<Report | undefined>;
  /** Newest first. */
  list(filter: { readonly status?: ReportStatus; readonly assignedTo?: UserId }): Promise<Report[]>;
  entries(reportId: string): Promise<ReportEntry[]>;
  attachments(reportId: string): Promise<AttachmentRecord[]>;
  wrapFor(reportId: string, userId: UserId): Promise<ReportKeyWrap | undefined>;
  /** Ids of reports with no key wrapped to this user. */
  missingWraps(userId: UserId): Promise<string[]>;
  recipientKey(userId: UserId): Promise<RecipientKey | undefined>;
  /** Inserts or replaces the user's key pair (a new pair after a password reset). */
  putRecipientKey(key: RecipientKey): Promise<void>;
  /** Key pairs of the enabled survivor advocates of this organisation. */
  recipients(orgId: string): Promise<RecipientKey[]>;
  /** The organisation whose advocates receive reports (node setting), if named. */
  reportingOrg(): Promise<string | undefined>;
  setReportingOrg(orgId: string): Promise<void>;
  /** The node's salt for receipt-code hashing: made on first use, then fixed. */
  codeSalt(): Promise<Uint8Array>;
}

/**
 * Attachment bytes, sealed under their report's key in a place of their own: they are not in the
 * evidence vault (whose key sits in the data folder) until a recipient files them in a case.
 */
export interface IntakeStore {
  /** Streams, seals and stores; nothing is left behind when the source fails. */
  put(
    reportId: string,
    attachmentId: string,
    key: Uint8Array,
    source: AsyncIterable<Uint8Array>,
    onChunk?: (chunk: Uint8Array) => void,
  ): Promise<{ sha256: string; size: number }>;
  /** The plaintext; a stream error when a chunk fails authentication. */
  get(reportId: string, attachmentId: string, key: Uint8Array): Promise<Readable>;
  /** Removes stored attachments (all of the report when no ids are given). */
  remove(reportId: string, attachmentIds?: readonly string[]): Promise<void>;
  /** Every stored attachment, with how long ago it was written. */
  stored(): Promise<{ reportId: string; attachmentId: string; ageMs: number }[]>;
  /** Removes what writes cut off by a crash left behind, older than this. */
  removeStaleTemp(olderThanMs: number): Promise<number>;
}
