import type { Sha256Hex } from '../blobs/port.ts';
import type { CustodyAction, EventDraft } from '../custody/events.ts';
import type { CaseId, OrgId, UserId } from '../shared/ids.ts';

declare const brand: unique symbol;
export type ItemId = string & { readonly [brand]: 'ItemId' };
export type EventId = string & { readonly [brand]: 'EventId' };

/** An original as collected, or a derivative made from one (never a change to the original). */
export const ITEM_KINDS = ['original', 'redacted', 'transcript', 'translation', 'excerpt'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];
export const DERIVED_KINDS = ITEM_KINDS.filter((k) => k !== 'original');

/** Berkeley Protocol capture record: who collected what, when, where from and how. */
export interface CaptureInput {
  readonly collectedBy: string | null;
  readonly collectedAt: string | null;
  readonly sourceUrl: string | null;
  readonly method: string | null;
  readonly latitude: number | null;
  readonly longitude: number | null;
  readonly note: string | null;
}

export interface CollectionRecord extends CaptureInput {
  readonly id: string;
  readonly itemId: ItemId;
  readonly eventId: EventId;
  /** The file name it arrived under (display only; never used to find the bytes). */
  readonly fileName: string | null;
  readonly createdAt: string;
}

export interface ItemRecord {
  readonly id: ItemId;
  readonly caseId: CaseId;
  readonly sha256: Sha256Hex;
  readonly size: number;
  readonly mediaType: string;
  readonly title: string;
  readonly description: string;
  readonly kind: ItemKind;
  readonly derivedFrom: ItemId | null;
  /** What extraction found (JSON); never changes the bytes. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Problems found at ingest (digest failures, corrupt image…), in words. */
  readonly problems: readonly string[];
  readonly capturedAt: string | null;
  readonly latitude: number | null;
  readonly longitude: number | null;
  readonly sensitive: boolean;
  readonly holderOrgId: OrgId | null;
  readonly holderUserId: UserId | null;
  readonly sealedAt: string | null;
  readonly sealReason: string | null;
  readonly createdAt: string;
  readonly createdBy: UserId | null;
  readonly eventCount: number;
  /** Hash of the item's latest custody event. */
  readonly headHash: string;
}

export type NewItem = Omit<ItemRecord, 'eventCount' | 'headHash' | 'sealedAt' | 'sealReason'>;

export interface ItemPatch {
  readonly title?: string;
  readonly description?: string;
  readonly sensitive?: boolean;
  readonly holderOrgId?: OrgId | null;
  readonly holderUserId?: UserId | null;
  readonly sealedAt?: string;
  readonly sealReason?: string;
}

/** One item's part of an atomic log append. */
export interface ItemOp {
  /** `ensure`: use the item with this case and hash if there is one, else create it. */
  readonly item: { readonly ensure: NewItem } | { readonly id: ItemId };
  readonly patch?: ItemPatch;
  /** Recorded with the first event of `events` (a "collected" event). */
  readonly collection?: Omit<CollectionRecord, 'itemId' | 'eventId'>;
  readonly events: readonly EventDraft[];
  /** Appended after `events` only when `ensure` created the item. */
  readonly eventsOnCreate?: readonly EventDraft[];
  /** With `ensure`: refuse when the case already holds these bytes (a derivative or link must be new). */
  readonly mustCreate?: boolean;
  /** Refuse the whole unit when the item is sealed (for actions on sealed items). */
  readonly refuseIfSealed?: boolean /**
   * With `ensure`: the compartment of the case the item is filed in (null or absent: the general
   * area). A new item is filed there in the same transaction; an existing item with the same bytes
   * in another compartment makes the whole append fail with a conflict, so that nothing collected
   * for a compartment lands outside it.
   */;
  readonly compartmentId?: string | null;
}

export interface ItemOpResult {
  readonly item: ItemRecord;
  readonly created: boolean;
  readonly events: readonly AppendedEvent[];
}

export interface AppendedEvent {
  readonly id: EventId;
  readonly leafIndex: number;
  readonly hash: string;
  readonly action: CustodyAction;
}

/** An event as stored, with its place in the log. */
export interface StoredEvent {
  readonly id: EventId;
  readonly leafIndex: number;
  readonly itemId: ItemId;
  readonly action: CustodyAction;
  readonly at: string;
  readonly actorUserId: UserId | null;
  readonly actorOrgId: OrgId | null;
  readonly hash: string;
  readonly bytes: Uint8Array;
  readonly privateRecord: string | null;
}

export interface StoredCheckpoint {
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
  readonly createdAt: string;
}

/**
 * What one principal may see of one case: items filed in its general area or in one of these
 * compartments; only derivatives when `derivedOnly`.
 */
export interface ItemScope {
  readonly caseId: CaseId;
  readonly compartments: readonly string[];
  readonly derivedOnly: boolean;
  /** Items of the case left out all the same (witness statements shared without consent). */
  readonly excluded?: readonly ItemId[];
}

export interface ItemFilter {
  /** Only items within one of these scopes (an empty list matches nothing); absent: every item. */
  readonly scopes?: readonly ItemScope[];
  readonly caseId?: CaseId;
  readonly mediaPrefix?: string;
  readonly from?: string;
  readonly to?: string;
  readonly hasLocation?: boolean;
  readonly limit: number;
  readonly offset?: number;
}
