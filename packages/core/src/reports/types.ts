import type { Locale } from '../accounts/types.ts';
import type { ItemId } from '../evidence/types.ts';
import type { CaseId, UserId } from '../shared/ids.ts';
import type { ConsentPurpose, ConsentState, ConsentStateValue } from '../witnesses/types.ts';
import type { SealedKeyPair } from './crypto.ts';

/**
 * Safe reporting (docs/reporting.md). Everything a reporter wrote or sent is sealed under the
 * report's own key; the rows below hold only what the team needs to sort reports without reading
 * them, and every date a reporter causes is a day, never a time.
 */
export const REPORT_STATUSES = ['received', 'under_review', 'linked', 'closed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** reporter: the survivor's reply or added information; advocate: a message to them; milestone: a
 * case step the team publishes; status: a status change; consent: a consent change before the
 * reporter became a witness; note: a team note the reporter never sees. */
export const ENTRY_KINDS = ['reporter', 'advocate', 'milestone', 'status', 'consent', 'note'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];
/** What the reporter sees of their thread. */
export const REPORTER_VISIBLE: ReadonlySet<EntryKind> = new Set([
  'reporter',
  'advocate',
  'milestone',
  'status',
  'consent',
]);

export const SUPPORT_KINDS = ['support', 'legal_aid'] as const;
export type SupportKind = (typeof SUPPORT_KINDS)[number];

export interface Report {
  readonly id: string;
  /** Hex of the first half of Argon2id(receipt code, node salt). */
  readonly lookup: string;
  readonly language: Locale;
  readonly status: ReportStatus;
  /** YYYY-MM-DD */
  readonly receivedOn: string;
  readonly updatedOn: string;
  readonly assignedTo: UserId | null;
  readonly caseId: CaseId | null;
  readonly incidentId: string | null;
  readonly witnessId: string | null;
  /** The report key wrapped under the key derived from the receipt code. */
  readonly codeWrap: string;
  /** ReportContent, sealed under the report key. */
  readonly sealed: string;
}

export interface ReportContent {
  readonly account: string;
  readonly when: string;
  readonly where: string;
  readonly anonymous: boolean;
  /** Empty when anonymous. */
  readonly name: string;
  readonly contact: string;
  /** The reporter asked to be contacted at `contact`. */
  readonly contactWanted: boolean;
  readonly support: readonly SupportKind[];
}

export interface ReportEntry {
  readonly reportId: string;
  readonly seq: number;
  readonly id: string;
  readonly kind: EntryKind;
  readonly authorUserId: UserId | null;
  readonly onDay: string;
  /** EntryBody, sealed under the report key. */
  readonly sealed: string;
}

export interface EntryBody {
  readonly text: string;
  readonly status?: ReportStatus;
  readonly consent?: {
    readonly purpose: ConsentPurpose;
    readonly scope: string;
    readonly state: ConsentStateValue;
  };
  /** Attachments sent with this entry. */
  readonly attachmentIds?: readonly string[];
}

export interface AttachmentRecord {
  readonly reportId: string;
  readonly id: string;
  /** AttachmentMeta, sealed under the report key. */
  readonly sealed: string;
  /** Set once the attachment was filed in the case's evidence vault. */
  readonly itemId: ItemId | null;
}

export interface AttachmentMeta {
  readonly fileName: string;
  readonly sha256: string;
  readonly size: number;
  readonly mediaType: string;
  /** Metadata that could identify the reporter: 'gps' (a location in the file), 'exif' (camera data). */
  readonly flags: readonly string[];
  readonly problems: readonly string[];
}

export interface RecipientKey extends SealedKeyPair {
  readonly userId: UserId;
  readonly createdOn: string;
}

export interface ReportKeyWrap {
  readonly reportId: string;
  readonly userId: UserId;
  readonly wrapped: string;
}

export interface OpenedEntry {
  readonly id: string;
  readonly seq: number;
  readonly kind: EntryKind;
  readonly onDay: string;
  readonly authorUserId: UserId | null;
  readonly body: EntryBody;
}

export interface OpenedAttachment extends AttachmentMeta {
  readonly id: string;
  readonly itemId: ItemId | null;
}

export interface OpenedReport {
  readonly report: Report;
  readonly content: ReportContent;
  readonly entries: readonly OpenedEntry[];
  readonly attachments: readonly OpenedAttachment[];
  readonly consent: readonly ConsentState[];
}
