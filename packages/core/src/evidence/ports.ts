import type { Principal } from '../accounts/service.ts';
import type { Sha256Hex } from '../blobs/port.ts';
import type { TileSource } from '../custody/tiles.ts';
import type { CaseAction, CaseResource } from '../policy/policy.ts';
import type { CaseId, OrgId, UserId } from '../shared/ids.ts';
import type {
  CollectionRecord,
  EventId,
  ItemFilter,
  ItemId,
  ItemOp,
  ItemOpResult,
  ItemRecord,
  ItemScope,
  StoredCheckpoint,
  StoredEvent,
} from './types.ts';

export interface LogState {
  readonly size: number;
  readonly root: Uint8Array;
}

/**
 * Storage of items, custody events and the log's tiles. `append` is the only way to write any of
 * them, and it writes all of them in one transaction: the database and the log never disagree.
 */
export interface EvidenceRepo extends TileSource {
  /**
   * Applies every op of every unit and appends their events to the log, in order, in one
   * transaction (serialised against other writers, also in other processes). Returns one result
   * list per unit and the new tree head.
   */
  append(
    units: readonly (readonly ItemOp[])[],
    log: string,
  ): Promise<{ results: ItemOpResult[][]; state: LogState }>;

  logState(): Promise<LogState>;
  /** Event bytes of leaves [first, first + count) that exist, in order. */
  readEntries(first: number, count: number): Promise<Uint8Array[]>;
  /** Stored events from leaf `first` on, in log order (for audits). */
  eventsFrom(first: number, limit: number): Promise<StoredEvent[]>;
  /** A tile read from the database, bypassing any cache (for audits). */
  readStoredTile(level: number, index: number): Promise<Uint8Array | undefined>;
  /** Every stored tile, for audits. */
  listTiles(): AsyncIterable<{ level: number; index: number; hashes: Uint8Array }>;

  insertCheckpoint(checkpoint: StoredCheckpoint): Promise<void>;
  latestCheckpoint(): Promise<StoredCheckpoint | undefined>;
  listCheckpoints(): Promise<StoredCheckpoint[]>;

  caseExists(caseId: CaseId): Promise<boolean>;
  getItem(id: ItemId): Promise<ItemRecord | undefined>;
  /** The item of the case that holds these bytes, if any. */
  findItem(caseId: CaseId, sha256: Sha256Hex): Promise<ItemRecord | undefined>;
  listItems(filter: ItemFilter): Promise<{ items: ItemRecord[]; total: number }>;
  listAllItems(): AsyncIterable<ItemRecord>;
  listDerived(id: ItemId): Promise<ItemRecord[]>;
  listEvents(id: ItemId): Promise<StoredEvent[]>;
  getEvent(id: EventId): Promise<StoredEvent | undefined>;
  listCollections(id: ItemId): Promise<CollectionRecord[]>;
  itemsWithBlob(sha256: Sha256Hex): Promise<number>;
  /** Whether the organisation exists and, when given, the user belongs to it. */
  holderExists(orgId: OrgId, userId: UserId | null): Promise<boolean>;
}

/**
 * Case access as the evidence vault needs it (the cases module's CaseAccess provides it). Refusals
 * about things the actor may not know of are thrown as "not found".
 */
export interface EvidenceAccess {
  require(
    by: Principal,
    caseId: CaseId,
    action: CaseAction,
    resource?: CaseResource,
    missing?: string,
  ): Promise<unknown>;
  requireItem(by: Principal, item: ItemRecord, action: CaseAction): Promise<unknown>;
  canSeeItem(by: Principal, item: ItemRecord): Promise<boolean>;
  /** What the actor may list (undefined: everything, for the operator). */
  scopes(by: Principal, onlyCase?: CaseId): Promise<ItemScope[] | undefined>;
  itemCompartment(itemId: ItemId): Promise<string | null>;
  compartmentInCase(compartmentId: string, caseId: CaseId): Promise<boolean>;
}

/** What must hold before an export: consent of the witnesses concerned, and names never to let out. */
export interface ExportGate {
  /** Throws when consent is missing; returns normalised names that must not appear in the bundle. */
  checkExport(
    caseId: CaseId,
    items: readonly ItemRecord[],
    recipientOrgId: OrgId | null,
  ): Promise<{ protectedTerms: readonly string[]; protectedNumbers?: readonly string[] }>;
  /** Why the item may not be linked into another case (it is a witness's statement), if so. */
  linkRefusal(item: ItemRecord): Promise<string | undefined>;
}
