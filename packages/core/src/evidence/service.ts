import type { Readable } from 'node:stream';
import { verifyCheckpoint, verifyInclusion } from '@accord/custody';
import type { Clock } from '../accounts/ports.ts';
import type { Principal } from '../accounts/service.ts';
import { parseMultilineText, parseText } from '../accounts/validate.ts';
import type { BlobStore, Sha256Hex, StoredBlob } from '../blobs/port.ts';
import {
  type CustodyAction,
  type CustodyEventDoc,
  type EventActor,
  type EventDraft,
  type PublicDetails,
  parseEventBytes,
  type Via,
} from '../custody/events.ts';
import type { CustodyLog } from '../custody/log.ts';
import { hashLeaf } from '../custody/merkle.ts';
import { type Action, type CaseAction, decide } from '../policy/policy.ts';
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
import { foldForSearch } from '../shared/text.ts';
import type { EvidenceAccess, EvidenceRepo, ExportGate } from './ports.ts';
import { registration } from './replay.ts';
import type {
  CollectionRecord,
  EventId,
  ItemFilter,
  ItemId,
  ItemKind,
  ItemOp,
  ItemOpResult,
  ItemRecord,
  NewItem,
  StoredCheckpoint,
  StoredEvent,
} from './types.ts';
import {
  type CaptureFields,
  parseCapture,
  parseDerivedKind,
  parseEventId,
  parseFileName,
  parseItemId,
} from './validate.ts';

/** What content sniffing and metadata extraction report; fed the same chunks that are stored. */
export interface ExtractedInfo {
  readonly mediaType: string;
  readonly problems: readonly string[];
  readonly exif?: { readonly gps?: { readonly latitude: number; readonly longitude: number } };
}
export interface MetadataExtractor {
  write(chunk: Uint8Array): void;
  end(): Promise<ExtractedInfo>;
}

export interface IngestInput {
  readonly caseId: unknown;
  readonly source: Readable | AsyncIterable<Uint8Array>;
  readonly fileName?: unknown;
  readonly title?: unknown;
  readonly sensitive?: boolean;
  readonly capture?: CaptureFields;
  /** File the item in this compartment of the case (absent or null: the general area). */
  readonly compartmentId?: unknown;
}

const parseCompartment = (value: unknown): string | null => {
  if (value === undefined || value === null || value === '') return null;
  if (
    typeof value !== 'string' ||
    !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)
  ) {
    throw invalid('the compartment id must be a lowercase UUID', { field: 'compartmentId' });
  }
  return value;
};

export interface DeriveInput {
  readonly source: Readable | AsyncIterable<Uint8Array>;
  readonly kind: unknown;
  readonly fileName?: unknown;
  readonly title?: unknown;
  readonly note?: unknown;
}

export interface IngestResult {
  readonly item: ItemRecord;
  /** false when this case already held the same bytes: a new "collected" event was added. */
  readonly created: boolean;
  /** false when the node already stored the same bytes (for any case). */
  readonly blobCreated: boolean;
  readonly events: readonly {
    readonly id: EventId;
    readonly leafIndex: number;
    readonly action: CustodyAction;
  }[];
}

export interface ExportInput {
  readonly caseId: unknown;
  readonly itemIds?: readonly unknown[];
  readonly derivedOnly?: boolean;
  readonly recipient: unknown;
  /**
   * The recipient organisation on this node, when there is one: needed when the export includes a
   * witness's statement, whose consent to sharing with that organisation is checked.
   */
  readonly recipientOrgId?: unknown;
  readonly purpose: unknown;
  readonly legalBasis?: unknown;
}

/** An export about to be recorded: what `recordExport`'s `prepare` sees. */
export interface ExportDraft {
  readonly bundleId: string;
  readonly createdAt: string;
  readonly actor: EventActor;
  readonly recipient: string;
  readonly purpose: string;
  readonly legalBasis: string | null;
  readonly derivedOnly: boolean;
  readonly items: readonly ItemRecord[];
}

export interface ExportPlan {
  readonly bundleId: string;
  readonly createdAt: string;
  readonly recipient: string;
  readonly purpose: string;
  readonly legalBasis: string | null;
  readonly derivedOnly: boolean;
  /** The signed checkpoint every exported event is included in. */
  readonly checkpoint: StoredCheckpoint;
  readonly items: readonly { readonly item: ItemRecord; readonly exportEventId: EventId }[];
  /** Items of the case that were not exported, and why. */
  readonly left: readonly { readonly item: ItemRecord; readonly reason: string }[];
}

export type InclusionStatus =
  | { readonly state: 'verified'; readonly checkpointSize: number }
  | { readonly state: 'pending' }
  | { readonly state: 'failed'; readonly problem: string };

export interface TimelineEntry {
  readonly event: StoredEvent;
  /** From the event's signed bytes. */
  readonly action: CustodyAction;
  readonly at: string;
  readonly actorUserId: UserId | null;
  readonly actorOrgId: OrgId | null;
  readonly via: Via | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly inLog: InclusionStatus;
}

const ingestResult = (result: ItemOpResult | undefined, stored: StoredBlob): IngestResult => {
  if (!result) throw new AccordError('unavailable', 'the custody log returned no result');
  return {
    item: result.item,
    created: result.created,
    blobCreated: stored.created,
    events: result.events.map((e) => ({ id: e.id, leafIndex: e.leafIndex, action: e.action })),
  };
};

/**
 * The evidence vault: items, their bytes and their custody. Every action on an item becomes a
 * custody event in the node's log; an action is complete only once its event is durable.
 * Originals are never changed or deleted.
 */
export class Evidence {
  readonly #repo: EvidenceRepo;
  readonly #log: CustodyLog;
  readonly #blobs: BlobStore;
  readonly #extractor: () => MetadataExtractor;
  readonly #clock: Clock;
  readonly #access: EvidenceAccess;
  readonly #exportGate: ExportGate | undefined;

  constructor(deps: {
    repo: EvidenceRepo;
    log: CustodyLog;
    blobs: BlobStore;
    extractor: () => MetadataExtractor;
    clock: Clock;
    /** Decides, per case and compartment, who may see and do what (the cases module). */
    access: EvidenceAccess;
    /** Consent and protected names, checked before every export (the witnesses module). */
    exportGate?: ExportGate;
  }) {
    this.#access = deps.access;
    this.#exportGate = deps.exportGate;
    this.#repo = deps.repo;
    this.#log = deps.log;
    this.#blobs = deps.blobs;
    this.#extractor = deps.extractor;
    this.#clock = deps.clock;
  }

  get log(): CustodyLog {
    return this.#log;
  }

  /**
   * Checks a case id (and the compartment to file into) before any bytes are read: an unknown
   * case, or one the actor may not add to, stores nothing.
   */
  async requireCase(by: Principal, value: unknown, compartmentInput?: unknown): Promise<CaseId> {
    this.#authorize(by, 'evidence.add');
    const caseId = parseCaseId(value);
    if (!(await this.#repo.caseExists(caseId))) {
      // The hint is for the operator; anyone else gets the words a non-member gets.
      throw notFound(
        'operator' in by
          ? `there is no case ${caseId}; create one first (accord case create --title …)`
          : `there is no case ${caseId}`,
      );
    }
    const compartmentId = parseCompartment(compartmentInput);
    // Membership and role first ("no such case" for outsiders), then where the item would go: a
    // compartment the actor is not in does not exist for them, and adding originals needs an
    // agreement that lets their organisation receive originals.
    await this.#access.require(by, caseId, 'evidence.add');
    const missing = `there is no compartment ${compartmentId} in this case`;
    await this.#access.require(by, caseId, 'evidence.add', { compartmentId, derived: false }, missing);
    if (compartmentId && !(await this.#access.compartmentInCase(compartmentId, caseId)))
      throw notFound(missing);
    return caseId;
  }

  /** Stores the bytes (hashed and encrypted while streaming) and records the collection. */
  async ingest(by: Principal, input: IngestInput, via: Via): Promise<IngestResult> {
    const caseId = await this.requireCase(by, input.caseId, input.compartmentId);
    const compartmentId = parseCompartment(input.compartmentId);
    const capture = parseCapture(input.capture ?? {});
    const fileName = parseFileName(input.fileName);
    const title = input.title ? parseText(input.title, 'title', 'the title', 300) : null;
    const { stored, info } = await this.#store(input.source);
    await this.#refuseHiddenTwin(by, caseId, stored.sha256);
    const now = this.#now();
    const actor = this.#actor(by, via);
    const gps = info.exif?.gps;
    const item = this.#newItem(stored, info, actor, now, {
      caseId,
      title: title ?? fileName ?? `${info.mediaType} ${stored.sha256.slice(0, 12)}`,
      kind: 'original',
      derivedFrom: null,
      capturedAt: capture.collectedAt,
      latitude: capture.latitude ?? gps?.latitude ?? null,
      longitude: capture.longitude ?? gps?.longitude ?? null,
      sensitive: input.sensitive === true,
    });
    const collected = this.#draft('collected', actor, now, {
      details: { size: stored.size, mediaType: info.mediaType, flagged: info.problems.length > 0 },
      private: { ...capture, fileName },
    });
    const registered = this.#draft('registered', actor, now, registration(item));
    const [result] = await this.#log.submit([
      {
        item: { ensure: item },
        compartmentId,
        collection: { ...capture, id: newId(), fileName, createdAt: now },
        events: [collected],
        eventsOnCreate: [registered],
      },
    ]);
    return ingestResult(result, stored);
  }

  /** A derivative (redacted copy, transcript…) is a new item linked to its original by events. */
  async derive(by: Principal, originalId: unknown, input: DeriveInput, via: Via): Promise<IngestResult> {
    this.#authorize(by, 'evidence.add');
    const original = await this.#visibleItem(by, originalId, 'evidence.add');
    const compartmentId = await this.#access.itemCompartment(original.id);
    const kind = parseDerivedKind(input.kind);
    const fileName = parseFileName(input.fileName);
    const title = input.title ? parseText(input.title, 'title', 'the title', 300) : null;
    const note = input.note ? parseMultilineText(input.note, 'note', 'the note', 4000) : null;
    if (original.sealedAt)
      throw new AccordError('conflict', 'this item is sealed; nothing can be derived from it');
    const { stored, info } = await this.#store(input.source);
    await this.#refuseHiddenTwin(by, original.caseId, stored.sha256);
    if (stored.sha256 === original.sha256) {
      throw invalid('a derived item must differ from its original (the bytes are identical)');
    }
    const now = this.#now();
    const actor = this.#actor(by, via);
    const item = this.#newItem(stored, info, actor, now, {
      caseId: original.caseId,
      title: title ?? `${kind} of ${original.title}`.slice(0, 300),
      kind,
      derivedFrom: original.id,
      capturedAt: original.capturedAt,
      latitude: original.latitude,
      longitude: original.longitude,
      sensitive: original.sensitive,
    });
    const details = {
      kind,
      from: original.sha256,
      fromItemId: original.id,
      to: stored.sha256,
      toItemId: item.id,
    };
    const ops: ItemOp[] = [
      {
        item: { id: original.id },
        refuseIfSealed: true,
        events: [this.#draft('derived', actor, now, { details, private: note ? { note } : undefined })],
      },
      {
        item: { ensure: item },
        compartmentId,
        mustCreate: true,
        events: [
          this.#draft('derived', actor, now, { details, private: { fileName, ...(note ? { note } : {}) } }),
        ],
        eventsOnCreate: [this.#draft('registered', actor, now, registration(item))],
      },
    ];
    const [, result] = await this.#log.submit(ops);
    return ingestResult(result, stored);
  }

  async seal(by: Principal, itemId: unknown, reasonInput: unknown, via: Via): Promise<ItemRecord> {
    this.#authorize(by, 'evidence.manage');
    const item = await this.#visibleItem(by, itemId, 'evidence.manage');
    const reason = parseMultilineText(reasonInput, 'reason', 'the reason for sealing', 2000);
    if (item.sealedAt) throw new AccordError('conflict', `this item was already sealed on ${item.sealedAt}`);
    const now = this.#now();
    return this.#apply({
      item: { id: item.id },
      refuseIfSealed: true,
      patch: { sealedAt: now, sealReason: reason },
      events: [this.#draft('sealed', this.#actor(by, via), now, { private: { reason } })],
    });
  }

  async editMetadata(
    by: Principal,
    itemId: unknown,
    input: { title?: unknown; description?: unknown; sensitive?: unknown },
    via: Via,
  ): Promise<ItemRecord> {
    this.#authorize(by, 'evidence.manage');
    const item = await this.#visibleItem(by, itemId, 'evidence.manage');
    const patch: { title?: string; description?: string; sensitive?: boolean } = {};
    if (input.title !== undefined) patch.title = parseText(input.title, 'title', 'the title', 300);
    if (input.description !== undefined) {
      patch.description =
        input.description === ''
          ? ''
          : parseMultilineText(input.description, 'description', 'the description', 4000);
    }
    if (input.sensitive !== undefined) {
      if (typeof input.sensitive !== 'boolean') throw invalid('sensitive must be true or false');
      patch.sensitive = input.sensitive;
    }
    const changed = Object.keys(patch).filter(
      (k) => patch[k as keyof typeof patch] !== item[k as keyof typeof patch],
    );
    if (changed.length === 0)
      throw invalid('nothing to change: give a new title, description or sensitivity');
    return this.#apply({
      item: { id: item.id },
      patch,
      events: [
        this.#draft('metadata_edited', this.#actor(by, via), this.#now(), {
          details: { fields: changed.sort().join(',') },
          // The values after the edit only: those before follow from the item's earlier events,
          // and a value read before the log's lock could be stale.
          private: { after: patch },
        }),
      ],
    });
  }

  /** Hands custody of an item to another organisation and/or person. */
  async transfer(
    by: Principal,
    itemId: unknown,
    input: { toOrgId: unknown; toUserId?: unknown; note?: unknown },
    via: Via,
  ): Promise<ItemRecord> {
    this.#authorize(by, 'evidence.manage');
    const item = await this.#visibleItem(by, itemId, 'evidence.manage');
    if (item.sealedAt)
      throw new AccordError(
        'conflict',
        `this item is sealed (since ${item.sealedAt}); it cannot be transferred`,
      );
    const toOrgId = parseOrgId(input.toOrgId);
    const toUserId = input.toUserId ? parseUserId(input.toUserId) : null;
    if (!(await this.#repo.holderExists(toOrgId, toUserId))) {
      throw notFound(
        toUserId
          ? `there is no user ${toUserId} in organisation ${toOrgId}`
          : `there is no organisation ${toOrgId}`,
      );
    }
    const note = input.note ? parseMultilineText(input.note, 'note', 'the note', 4000) : null;
    return this.#apply({
      item: { id: item.id },
      refuseIfSealed: true,
      patch: { holderOrgId: toOrgId, holderUserId: toUserId },
      events: [
        this.#draft('transferred', this.#actor(by, via), this.#now(), {
          // Only the new holder: the previous one follows from the item's earlier events, and a
          // value read before the log's lock could be stale.
          details: { toOrg: toOrgId, toUser: toUserId },
          private: note ? { note } : undefined,
        }),
      ],
    });
  }

  /** Makes the same bytes an item of another case too; both items record the link. */
  async linkToCase(by: Principal, itemId: unknown, caseInput: unknown, via: Via): Promise<ItemRecord> {
    this.#authorize(by, 'evidence.manage');
    const item = await this.#visibleItem(by, itemId, 'evidence.manage');
    if (item.sealedAt)
      throw new AccordError('conflict', `this item is sealed (since ${item.sealedAt}); it cannot be linked`);
    const witnessRefusal = await this.#exportGate?.linkRefusal(item);
    if (witnessRefusal) {
      throw new AccordError('conflict', witnessRefusal, { context: { reason: 'witness_statement' } });
    }
    if ((await this.#access.itemCompartment(item.id)) !== null) {
      // The copy would land in the other case's general area, in sight of all its members.
      throw new AccordError(
        'conflict',
        'this item is filed in a compartment; link a redacted derivative instead, or file it in the general area first',
        { context: { reason: 'compartment_item' } },
      );
    }
    const caseId = parseCaseId(caseInput);
    if (caseId === item.caseId) throw invalid('the item already belongs to this case');
    if (!(await this.#repo.caseExists(caseId))) throw notFound(`there is no case ${caseId}`);
    await this.#access.require(by, caseId, 'evidence.manage');
    const now = this.#now();
    const actor = this.#actor(by, via);
    const copy: NewItem = {
      ...item,
      id: newId<ItemId>(),
      caseId,
      holderOrgId: actor.org as OrgId | null,
      holderUserId: actor.user as UserId | null,
      createdAt: now,
      createdBy: actor.user as UserId | null,
    };
    const details = { fromCase: item.caseId, fromItemId: item.id, toCase: caseId, toItemId: copy.id };
    const [, result] = await this.#log.submit([
      {
        item: { id: item.id },
        refuseIfSealed: true,
        events: [this.#draft('linked_to_case', actor, now, { details })],
      },
      {
        item: { ensure: copy },
        mustCreate: true,
        events: [
          this.#draft('linked_to_case', actor, now, { details }),
          this.#draft('registered', actor, now, registration(copy)),
        ],
      },
    ]);
    if (!result) throw new AccordError('unavailable', 'the custody log returned no result');
    return result.item;
  }

  /** Reads an item for display; the view is a custody event. */
  async view(by: Principal, itemId: unknown, via: Via): Promise<ItemRecord> {
    this.#authorize(by, 'evidence.read');
    const item = await this.#visibleItem(by, itemId, 'evidence.read');
    return this.#apply({
      item: { id: item.id },
      events: [this.#draft('viewed', this.#actor(by, via), this.#now())],
    });
  }

  /** Opens the bytes (or a range of them) after recording the download. */
  async download(
    by: Principal,
    itemId: unknown,
    range: { start: number; end?: number } | undefined,
    via: Via,
  ): Promise<{ item: ItemRecord; stream: Readable; start: number; end: number }> {
    this.#authorize(by, 'evidence.read');
    const item = await this.#visibleItem(by, itemId, 'evidence.read');
    const start = range?.start ?? 0;
    const end = range?.end ?? item.size;
    if (
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(end) ||
      start < 0 ||
      end > item.size ||
      start > end
    ) {
      throw new AccordError(
        'invalid_input',
        `the range ${start}–${end} is outside the item's ${item.size} bytes`,
        {
          context: { reason: 'bad_range' },
        },
      );
    }
    const details: Record<string, number> = range ? { start, end } : {};
    await this.#apply({
      item: { id: item.id },
      events: [this.#draft('downloaded', this.#actor(by, via), this.#now(), { details })],
    });
    const stream = await this.#blobs.get(item.sha256, { start, end });
    return { item, stream, start, end };
  }

  /**
   * Records an export: picks the items (a case's, or the listed ones of that case; only derivatives
   * with `derivedOnly`), appends an "exported" event to each — to whom, why, under which legal basis
   * go into the private record — and waits until a signed checkpoint covers them. Sealed items are
   * never exported: listed ones are refused, the rest of a case's are left out and named.
   */
  async recordExport(
    by: Principal,
    input: ExportInput,
    via: Via,
    /**
     * Called once the items are chosen, before anything is recorded: returns small public facts to
     * record in every export event (the bundle writer commits the hashes of its index files here).
     */
    prepare?: (draft: ExportDraft) => Promise<PublicDetails>,
  ): Promise<ExportPlan> {
    this.#authorize(by, 'evidence.export');
    const caseId = parseCaseId(input.caseId);
    if (!(await this.#repo.caseExists(caseId))) throw notFound(`there is no case ${caseId}`);
    await this.#access.require(by, caseId, 'evidence.export');
    const scopes = await this.#access.scopes(by, caseId);
    const recipient = parseText(input.recipient, 'recipient', 'the recipient', 300);
    const purpose = parseMultilineText(input.purpose, 'purpose', 'the purpose', 2000);
    const legalBasis = input.legalBasis
      ? parseText(input.legalBasis, 'legalBasis', 'the legal basis', 500)
      : null;
    const recipientOrgId =
      input.recipientOrgId === undefined || input.recipientOrgId === null || input.recipientOrgId === ''
        ? null
        : parseOrgId(input.recipientOrgId);
    if (recipientOrgId && !(await this.#repo.holderExists(recipientOrgId, null))) {
      throw notFound(`there is no organisation ${recipientOrgId}`);
    }
    const derivedOnly = input.derivedOnly === true;
    let candidates: ItemRecord[];
    if (input.itemIds && input.itemIds.length > 0) {
      candidates = [];
      for (const id of new Set(input.itemIds)) {
        const item = await this.#visibleItem(by, id, 'evidence.export');
        if (item.caseId !== caseId) throw invalid(`item ${item.id} does not belong to case ${caseId}`);
        if (item.sealedAt)
          throw new AccordError(
            'conflict',
            `item ${item.id} is sealed (since ${item.sealedAt}) and cannot be exported`,
          );
        if (derivedOnly && item.kind === 'original') {
          throw invalid(`item ${item.id} is an original; a derivatives-only export cannot include it`);
        }
        candidates.push(item);
      }
    } else {
      candidates = [];
      for (let offset = 0; ; offset += 500) {
        const page = await this.#repo.listItems({
          caseId,
          limit: 500,
          offset,
          ...(scopes ? { scopes } : {}),
        });
        candidates.push(...page.items);
        if (page.items.length < 500) break;
      }
      candidates.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    }
    const left: { item: ItemRecord; reason: string }[] = [];
    const chosen: ItemRecord[] = [];
    for (const item of candidates) {
      if (item.sealedAt) left.push({ item, reason: `sealed since ${item.sealedAt}` });
      else if (derivedOnly && item.kind === 'original')
        left.push({ item, reason: 'an original (derivatives only)' });
      else chosen.push(item);
    }
    if (chosen.length === 0) throw invalid('there is nothing to export: no item of the case qualifies');
    // Consent first, then the names of protected witnesses: neither may be overridden, and a
    // refusal records nothing.
    const gate = this.#exportGate
      ? await this.#exportGate.checkExport(caseId, chosen, recipientOrgId)
      : undefined;
    if (gate && (gate.protectedTerms.length > 0 || (gate.protectedNumbers?.length ?? 0) > 0)) {
      await this.#refuseProtectedNames(chosen, gate.protectedTerms, gate.protectedNumbers ?? [], {
        recipient,
        purpose,
        'legal basis': legalBasis,
      });
    }
    const bundleId = newId();
    const now = this.#now();
    const actor = this.#actor(by, via);
    const extra = prepare
      ? await prepare({
          bundleId,
          createdAt: now,
          actor,
          recipient,
          purpose,
          legalBasis,
          derivedOnly,
          items: chosen,
        })
      : {};
    const results = await this.#log.submit(
      chosen.map((item) => ({
        item: { id: item.id },
        refuseIfSealed: true,
        events: [
          this.#draft('exported', actor, now, {
            details: { ...extra, bundle: bundleId, derivedOnly },
            private: { recipient, purpose, legalBasis, ...(recipientOrgId ? { recipientOrgId } : {}) },
          }),
        ],
      })),
    );
    // Every event of the export must be covered by the checkpoint the bundle carries.
    await this.#log.flush();
    const checkpoint = await this.#log.latestCheckpoint();
    return {
      bundleId,
      createdAt: now,
      recipient,
      purpose,
      legalBasis,
      derivedOnly,
      checkpoint,
      items: results.map((r) => ({ item: r.item, exportEventId: r.events[0]?.id as EventId })),
      left,
    };
  }

  /** Checks one item now (bytes, events, log inclusion) and records that it was verified. */
  async verifyItem(by: Principal, itemId: unknown, via: Via): Promise<{ ok: boolean; problems: string[] }> {
    this.#authorize(by, 'evidence.read');
    const item = await this.#visibleItem(by, itemId, 'evidence.read');
    const problems: string[] = [];
    const blob = await this.#blobs.verifyBlob(item.sha256);
    if (!blob.ok) problems.push(`the stored bytes: ${blob.problem}`);
    for (const entry of await this.timeline(by, item.id)) {
      if (entry.inLog.state === 'failed') problems.push(`event ${entry.event.id}: ${entry.inLog.problem}`);
    }
    await this.#apply({
      item: { id: item.id },
      events: [
        this.#draft('verified', this.#actor(by, via), this.#now(), {
          details: { ok: problems.length === 0 },
        }),
      ],
    });
    return { ok: problems.length === 0, problems };
  }

  async get(by: Principal, itemId: unknown): Promise<ItemRecord> {
    this.#authorize(by, 'evidence.read');
    return this.#visibleItem(by, itemId, 'evidence.read');
  }

  async list(by: Principal, filter: ItemFilter): Promise<{ items: ItemRecord[]; total: number }> {
    this.#authorize(by, 'evidence.read');
    const scopes = await this.#access.scopes(by, filter.caseId);
    return this.#repo.listItems({
      ...filter,
      ...(scopes ? { scopes } : {}),
      limit: Math.min(Math.max(filter.limit, 1), 500),
    });
  }

  async derived(by: Principal, itemId: ItemId): Promise<ItemRecord[]> {
    this.#authorize(by, 'evidence.read');
    await this.#visibleItem(by, itemId, 'evidence.read');
    const out: ItemRecord[] = [];
    for (const d of await this.#repo.listDerived(itemId))
      if (await this.#access.canSeeItem(by, d)) out.push(d);
    return out;
  }

  async collections(by: Principal, itemId: ItemId): Promise<CollectionRecord[]> {
    this.#authorize(by, 'evidence.read');
    await this.#visibleItem(by, itemId, 'evidence.read');
    return this.#repo.listCollections(itemId);
  }

  /**
   * The item's custody events as their signed bytes say (not as the database row says), each
   * checked against the latest checkpoint whose signature verifies with the node's key.
   */
  async timeline(by: Principal, itemId: unknown): Promise<TimelineEntry[]> {
    this.#authorize(by, 'evidence.read');
    const item = await this.#visibleItem(by, itemId, 'evidence.read');
    const events = await this.#repo.listEvents(item.id);
    const stored = await this.#repo.latestCheckpoint();
    let checkpoint: { size: number; root: Uint8Array } | undefined;
    let checkpointProblem: string | undefined;
    if (stored) {
      try {
        const verified = await verifyCheckpoint(stored.note, [this.#log.verifier], {
          origin: this.#log.origin,
        });
        checkpoint = { size: verified.size, root: verified.rootHash };
      } catch (e) {
        checkpointProblem = `the latest checkpoint does not verify: ${(e as Error).message}`;
      }
    }
    const tree = checkpoint
      ? await this.#log.tree(Math.min(checkpoint.size, (await this.#log.state()).size))
      : undefined;
    const out: TimelineEntry[] = [];
    let prev: string | null = null;
    for (const event of events) {
      let inLog: InclusionStatus = checkpointProblem
        ? { state: 'failed', problem: checkpointProblem }
        : { state: 'pending' };
      let doc: CustodyEventDoc | undefined;
      try {
        doc = parseEventBytes(event.bytes);
        if (doc.prev !== prev) throw new Error('its link to the previous event of this item is broken');
        if (doc.itemId !== item.id || doc.item !== item.sha256) throw new Error('it belongs to another item');
        if (checkpoint && tree && event.leafIndex < checkpoint.size) {
          const proof = await tree.inclusionProof(event.leafIndex);
          await verifyInclusion(
            event.leafIndex,
            checkpoint.size,
            hashLeaf(event.bytes),
            proof,
            checkpoint.root,
          );
          inLog = { state: 'verified', checkpointSize: checkpoint.size };
        }
      } catch (e) {
        inLog = { state: 'failed', problem: (e as Error).message };
      }
      prev = event.hash;
      out.push({
        event,
        action: doc?.action ?? event.action,
        at: doc?.at ?? event.at,
        actorUserId: (doc ? doc.actor.user : event.actorUserId) as UserId | null,
        actorOrgId: (doc ? doc.actor.org : event.actorOrgId) as OrgId | null,
        via: doc?.actor.via ?? null,
        details: doc?.details ?? {},
        inLog,
      });
    }
    return out;
  }

  /** Proves one event's inclusion in the log at the latest checkpoint. */
  async proveEvent(
    by: Principal,
    eventId: unknown,
  ): Promise<{ event: StoredEvent; checkpoint: string; size: number; proof: Uint8Array[] }> {
    this.#authorize(by, 'evidence.read');
    const id = parseEventId(eventId) as EventId;
    await this.#log.flush();
    const event = await this.#repo.getEvent(id);
    if (!event) throw notFound(`there is no custody event ${id}`);
    const item = await this.#repo.getItem(event.itemId);
    if (!item || !(await this.#access.canSeeItem(by, item)))
      throw notFound(`there is no custody event ${id}`);
    const checkpoint = await this.#log.latestCheckpoint();
    if (event.leafIndex >= checkpoint.size)
      throw new AccordError('unavailable', 'the event is not yet covered by a checkpoint');
    const proof = await (await this.#log.tree(checkpoint.size)).inclusionProof(event.leafIndex);
    return { event, checkpoint: checkpoint.note, size: checkpoint.size, proof };
  }

  // ── internals ────────────────────────────────────────────────────────────────

  /** Streams bytes into the vault while the extractor sees the same chunks (the source is read once). */
  async #store(
    source: Readable | AsyncIterable<Uint8Array>,
  ): Promise<{ stored: StoredBlob; info: ExtractedInfo }> {
    const extractor = this.#extractor();
    const stored = await this.#blobs.put(source, { onChunk: (chunk) => extractor.write(chunk) });
    return { stored, info: await extractor.end() };
  }

  #newItem(
    stored: StoredBlob,
    info: ExtractedInfo,
    actor: EventDraft['actor'],
    now: string,
    fields: Pick<
      NewItem,
      'caseId' | 'title' | 'kind' | 'derivedFrom' | 'capturedAt' | 'latitude' | 'longitude' | 'sensitive'
    >,
  ): NewItem {
    return {
      ...fields,
      id: newId<ItemId>(),
      sha256: stored.sha256,
      size: stored.size,
      mediaType: info.mediaType,
      description: '',
      metadata: info as unknown as Record<string, unknown>,
      problems: info.problems,
      holderOrgId: actor.org as OrgId | null,
      holderUserId: actor.user as UserId | null,
      createdAt: now,
      createdBy: actor.user as UserId | null,
    };
  }

  async #apply(op: ItemOp): Promise<ItemRecord> {
    const [result] = await this.#log.submit([op]);
    if (!result) throw new AccordError('unavailable', 'the custody log returned no result');
    return result.item;
  }

  /**
   * Refuses an export in which any text that would go into the bundle — titles, descriptions,
   * capture records, custody notes, and the content of text items — names a protected witness.
   * The refusal names the item and where, never the name.
   */
  async #refuseProtectedNames(
    items: readonly ItemRecord[],
    terms: readonly string[],
    numbers: readonly string[],
    exportFields: Readonly<Record<string, string | null>>,
  ): Promise<void> {
    const hit = (text: string | null | undefined) => {
      if (!text) return false;
      const t = foldForSearch(text);
      return matches(t, terms, numbers);
    };
    for (const [field, value] of Object.entries(exportFields)) {
      if (hit(value)) {
        throw new AccordError(
          'forbidden',
          `the export's ${field} names a protected witness; nothing was exported`,
          {
            context: { reason: 'protected_name' },
          },
        );
      }
    }
    const refuse = (item: ItemRecord, where: string) =>
      new AccordError(
        'forbidden',
        `item ${item.id}: its ${where} names a protected witness; nothing was exported — export a redacted derivative instead`,
        { context: { reason: 'protected_name' } },
      );
    for (const item of items) {
      if (hit(item.title)) throw refuse(item, 'title');
      if (hit(item.description)) throw refuse(item, 'description');
      if (stringsOf(item.metadata).some(hit)) throw refuse(item, 'extracted metadata');
      for (const c of await this.#repo.listCollections(item.id)) {
        for (const [field, value] of Object.entries({
          collector: c.collectedBy,
          'source URL': c.sourceUrl,
          'collection method': c.method,
          'collection note': c.note,
          'file name': c.fileName,
        })) {
          if (hit(value)) throw refuse(item, field);
        }
      }
      for (const e of await this.#repo.listEvents(item.id)) {
        // The private record is JSON: its strings are searched as written, not as escaped.
        if (e.privateRecord && stringsOf(parseJsonOrText(e.privateRecord)).some(hit)) {
          throw refuse(item, 'custody record');
        }
      }
      if (
        (isSearchableText(item.mediaType) || item.size <= SEARCH_ANY_BELOW) &&
        (await this.#contentNames(item, terms, numbers))
      ) {
        throw refuse(item, 'content');
      }
    }
  }

  /**
   * Streams an item's bytes as text (UTF-16 when it starts with a byte-order mark, else UTF-8,
   * undecodable bytes ignored) and looks for any term, across chunk boundaries.
   */
  async #contentNames(
    item: ItemRecord,
    terms: readonly string[],
    numbers: readonly string[],
  ): Promise<boolean> {
    // Enough of each piece's end is carried into the next that nothing is missed at a seam, even
    // with separators between a number's digits.
    const longest = Math.max(8, ...terms.map((t) => t.length), ...numbers.map((n) => n.length * 4));
    let decoder: TextDecoder | undefined;
    let tail = '';
    for await (const raw of await this.#blobs.get(item.sha256)) {
      const chunk = raw as Uint8Array;
      if (!decoder) {
        const bom =
          chunk[0] === 0xff && chunk[1] === 0xfe
            ? 'utf-16le'
            : chunk[0] === 0xfe && chunk[1] === 0xff
              ? 'utf-16be'
              : 'utf-8';
        decoder = new TextDecoder(bom);
      }
      // Folding pieces can leave two spaces where a piece ended: one again, as in the whole text.
      const text = (tail + foldForSearch(decoder.decode(chunk, { stream: true }))).replace(/ {2,}/g, ' ');
      if (matches(text, terms, numbers)) return true;
      tail = text.slice(-longest * 2);
    }
    const rest = (tail + foldForSearch(decoder?.decode() ?? '')).replace(/ {2,}/g, ' ');
    return matches(rest, terms, numbers);
  }

  /**
   * Bytes the case already holds in an item the actor may not see must not be attached to it (nor
   * reveal it): refused before anything is recorded, with the words of the compartment conflict.
   */
  async #refuseHiddenTwin(by: Principal, caseId: CaseId, sha256: Sha256Hex): Promise<void> {
    const twin = await this.#repo.findItem(caseId, sha256);
    if (twin && !(await this.#access.canSeeItem(by, twin))) {
      throw new AccordError(
        'conflict',
        'these exact bytes are already filed in this case under a different compartment; nothing was recorded — ask the case lead',
      );
    }
  }

  /** The item, if the actor may do `action` on it; otherwise "not found", as if it did not exist. */
  async #visibleItem(by: Principal, value: unknown, action: CaseAction): Promise<ItemRecord> {
    const item = await this.#item(value);
    await this.#access.requireItem(by, item, action);
    return item;
  }

  async #item(value: unknown): Promise<ItemRecord> {
    const id = parseItemId(value) as ItemId;
    const item = await this.#repo.getItem(id);
    if (!item) throw notFound(`there is no evidence item ${id}`);
    return item;
  }

  #draft(
    action: CustodyAction,
    actor: EventDraft['actor'],
    at: string,
    extra: { details?: EventDraft['details']; private?: EventDraft['private'] | undefined } = {},
  ): EventDraft {
    return {
      id: newId(),
      action,
      at,
      actor,
      ...(extra.details ? { details: extra.details } : {}),
      ...(extra.private ? { private: extra.private } : {}),
    };
  }

  #actor(by: Principal, via: Via): EventDraft['actor'] {
    return 'operator' in by ? { user: null, org: null, via } : { user: by.userId, org: by.orgId, via };
  }

  #authorize(by: Principal, action: Action): void {
    if ('operator' in by) return;
    const d = decide(by, action);
    if (!d.allowed) throw new AccordError('forbidden', `not allowed: ${d.reason}`);
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }
}

export type { ItemKind, Sha256Hex };

/** Media types whose bytes are text a name could be read in. */
/** Items this small are searched whatever their type (text with a stray NUL is not "text/plain"). */
const SEARCH_ANY_BELOW = 16 * 1024 * 1024;

/**
 * Whether folded text contains a protected term, or the digits of a protected number written with
 * the separators people put in telephone numbers (spaces, dots, dashes, slashes, brackets, plus).
 */
const matches = (folded: string, terms: readonly string[], numbers: readonly string[]): boolean => {
  if (terms.some((t) => folded.includes(t))) return true;
  if (numbers.length === 0) return false;
  const compact = folded.replace(/[\s()./+-]/g, '');
  return numbers.some((n) => compact.includes(n));
};

/** Every string inside a JSON value. */
const stringsOf = (value: unknown): string[] => {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
};

const parseJsonOrText = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

const isSearchableText = (mediaType: string): boolean =>
  mediaType.startsWith('text/') || /^application\/(json|xml|xhtml\+xml|csv|rtf)\b/.test(mediaType);
