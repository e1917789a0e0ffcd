import {
  AccordError,
  appendLeaves,
  type CaseId,
  type CollectionRecord,
  type CustodyAction,
  type EventId,
  type EvidenceRepo,
  type ItemFilter,
  type ItemId,
  type ItemKind,
  type ItemOp,
  type ItemOpResult,
  type ItemRecord,
  type LogState,
  type OrgId,
  type Sha256Hex,
  type StoredCheckpoint,
  type StoredEvent,
  sealEvent,
  TILE_WIDTH,
  type UserId,
} from '@accord/core';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type {
  CollectionsTable,
  CustodyEventsTable,
  Database,
  ItemCompartmentsTable,
  ItemsTable,
} from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;
type MutableItem = { -readonly [K in keyof ItemRecord]: ItemRecord[K] };

const FULL_TILE_BYTES = TILE_WIDTH * 32;
const INSERT_CHUNK = 500;

/**
 * Items, custody events and the custody log's tiles on Kysely (SQLite and PostgreSQL). `append`
 * is the one writer: it takes the log's write lock first (an UPDATE of the single log_state row,
 * which serialises writers in SQLite and PostgreSQL alike, also across processes), then writes
 * items, events, tiles and the new tree head in the same transaction.
 */
export class KyselyEvidenceRepo implements EvidenceRepo {
  readonly #db: Kysely<Database>;
  /** Full tiles never change, so they can be cached; partial ones are always read fresh. */
  readonly #fullTiles = new Map<string, Uint8Array>();

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async append(
    units: readonly (readonly ItemOp[])[],
    log: string,
  ): Promise<{ results: ItemOpResult[][]; state: LogState }> {
    return this.#db.transaction().execute(async (trx) => {
      await sql`UPDATE log_state SET size = size WHERE id = 1`.execute(trx);
      const head = await trx
        .selectFrom('log_state')
        .select(['size', 'root'])
        .where('id', '=', 1)
        .executeTakeFirstOrThrow();
      const size = Number(head.size);
      const items = new Map<string, MutableItem>();
      const created = new Set<string>();
      const dirty = new Set<string>();
      const eventRows: CustodyEventsTable[] = [];
      const collectionRows: CollectionsTable[] = [];
      // The compartment each item seen in this batch is filed in (null: the case's general area).
      const filedIn = new Map<string, string | null>();
      const filingRows: ItemCompartmentsTable[] = [];
      const leafHashes: Uint8Array[] = [];
      const results: ItemOpResult[][] = [];

      for (const unit of units) {
        const unitResults: ItemOpResult[] = [];
        for (const op of unit) {
          let item: MutableItem | undefined;
          let isNew = false;
          if ('ensure' in op.item) {
            const wanted = op.item.ensure;
            item = [...items.values()].find((i) => i.caseId === wanted.caseId && i.sha256 === wanted.sha256);
            if (!item) {
              const row = await trx
                .selectFrom('items')
                .selectAll()
                .where('case_id', '=', wanted.caseId)
                .where('sha256', '=', wanted.sha256)
                .executeTakeFirst();
              item = row ? toItem(row) : undefined;
            }
            if (item) {
              let compartment = filedIn.get(item.id);
              if (compartment === undefined) {
                const filing = await trx
                  .selectFrom('item_compartments')
                  .select('compartment_id')
                  .where('item_id', '=', item.id)
                  .executeTakeFirst();
                compartment = filing?.compartment_id ?? null;
                filedIn.set(item.id, compartment);
              }
              // Checked before `mustCreate`, whose message names the item: an item filed in a
              // compartment the submitter may not see must not be revealed, not even by its id.
              if (compartment !== (op.compartmentId ?? null)) {
                throw new AccordError(
                  'conflict',
                  'these exact bytes are already filed in this case under a different compartment; nothing was recorded — ask the case lead',
                );
              }
            }
            if (item && op.mustCreate) {
              throw new AccordError(
                'conflict',
                `these bytes are already item ${item.id} of this case; a derivative or link must be new`,
                { context: { itemId: item.id } },
              );
            }
            if (!item) {
              item = { ...wanted, sealedAt: null, sealReason: null, eventCount: 0, headHash: '' };
              created.add(item.id);
              isNew = true;
              filedIn.set(item.id, op.compartmentId ?? null);
              if (op.compartmentId) filingRows.push({ item_id: item.id, compartment_id: op.compartmentId });
            }
          } else {
            const id = op.item.id;
            item = items.get(id);
            if (!item) {
              const row = await trx.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirst();
              if (!row) throw new AccordError('not_found', `there is no evidence item ${id}`);
              item = toItem(row);
            }
          }
          items.set(item.id, item);
          if (op.refuseIfSealed && item.sealedAt) {
            throw new AccordError(
              'conflict',
              `item ${item.id} is sealed (since ${item.sealedAt}); it can no longer be used`,
            );
          }
          if (op.patch) Object.assign(item, op.patch);
          const drafts = [...op.events, ...(isNew ? (op.eventsOnCreate ?? []) : [])];
          const appended: ItemOpResult['events'][number][] = [];
          for (const [n, draft] of drafts.entries()) {
            const sealed = sealEvent(draft, {
              log,
              item: item.sha256,
              itemId: item.id,
              caseId: item.caseId,
              prev: item.headHash === '' ? null : item.headHash,
            });
            const leafIndex = size + leafHashes.length;
            leafHashes.push(sealed.leafHash);
            eventRows.push({
              leaf_index: leafIndex,
              id: draft.id,
              item_id: item.id,
              action: draft.action,
              at: draft.at,
              actor_user_id: draft.actor.user,
              actor_org_id: draft.actor.org,
              hash: sealed.hash,
              bytes: sealed.bytes,
              private_record: sealed.privateRecord,
            });
            if (n === 0 && op.collection) {
              const c = op.collection;
              collectionRows.push({
                id: c.id,
                item_id: item.id,
                event_id: draft.id,
                file_name: c.fileName,
                collected_by: c.collectedBy,
                collected_at: c.collectedAt,
                source_url: c.sourceUrl,
                method: c.method,
                latitude: c.latitude,
                longitude: c.longitude,
                note: c.note,
                created_at: c.createdAt,
              });
            }
            item.headHash = sealed.hash;
            item.eventCount += 1;
            appended.push({ id: draft.id as EventId, leafIndex, hash: sealed.hash, action: draft.action });
          }
          if (!created.has(item.id)) dirty.add(item.id);
          unitResults.push({ item: { ...item }, created: isNew, events: appended });
        }
        results.push(unitResults);
      }

      // New and changed items in one upsert per chunk: only the columns an op may change are updated.
      const itemRows = [...created, ...dirty].map((id) => fromItem(items.get(id) as MutableItem));
      for (let i = 0; i < itemRows.length; i += INSERT_CHUNK) {
        await trx
          .insertInto('items')
          .values(itemRows.slice(i, i + INSERT_CHUNK))
          .onConflict((oc) =>
            oc.column('id').doUpdateSet((eb) => ({
              title: eb.ref('excluded.title'),
              description: eb.ref('excluded.description'),
              sensitive: eb.ref('excluded.sensitive'),
              holder_org_id: eb.ref('excluded.holder_org_id'),
              holder_user_id: eb.ref('excluded.holder_user_id'),
              sealed_at: eb.ref('excluded.sealed_at'),
              seal_reason: eb.ref('excluded.seal_reason'),
              event_count: eb.ref('excluded.event_count'),
              head_hash: eb.ref('excluded.head_hash'),
            })),
          )
          .execute();
      }
      for (let i = 0; i < filingRows.length; i += INSERT_CHUNK) {
        await trx
          .insertInto('item_compartments')
          .values(filingRows.slice(i, i + INSERT_CHUNK))
          .execute();
      }
      for (let i = 0; i < eventRows.length; i += INSERT_CHUNK) {
        await trx
          .insertInto('custody_events')
          .values(eventRows.slice(i, i + INSERT_CHUNK))
          .execute();
      }
      for (let i = 0; i < collectionRows.length; i += INSERT_CHUNK) {
        await trx
          .insertInto('collections')
          .values(collectionRows.slice(i, i + INSERT_CHUNK))
          .execute();
      }
      const state = await appendLeafHashes(trx, size, leafHashes);
      return { results, state };
    });
  }

  async logState(): Promise<LogState> {
    const row = await this.#db
      .selectFrom('log_state')
      .select(['size', 'root'])
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return { size: Number(row.size), root: new Uint8Array(row.root) };
  }

  async readTile(level: number, index: number): Promise<Uint8Array | undefined> {
    const key = `${level}/${index}`;
    const cached = this.#fullTiles.get(key);
    if (cached) return cached;
    const hashes = await readTile(this.#db, level, index);
    if (hashes && hashes.byteLength === FULL_TILE_BYTES) {
      if (this.#fullTiles.size >= 4096) this.#fullTiles.delete(this.#fullTiles.keys().next().value as string);
      this.#fullTiles.set(key, hashes);
    }
    return hashes;
  }

  readStoredTile(level: number, index: number): Promise<Uint8Array | undefined> {
    return readTile(this.#db, level, index);
  }

  async readEntries(first: number, count: number): Promise<Uint8Array[]> {
    const rows = await this.#db
      .selectFrom('custody_events')
      .select('bytes')
      .where('leaf_index', '>=', first)
      .where('leaf_index', '<', first + count)
      .orderBy('leaf_index')
      .execute();
    return rows.map((r) => r.bytes);
  }

  async eventsFrom(first: number, limit: number): Promise<StoredEvent[]> {
    const rows = await this.#db
      .selectFrom('custody_events')
      .selectAll()
      .where('leaf_index', '>=', first)
      .orderBy('leaf_index')
      .limit(limit)
      .execute();
    return rows.map(toEvent);
  }

  async *listTiles(): AsyncIterable<{ level: number; index: number; hashes: Uint8Array }> {
    let after: { level: number; idx: number } = { level: -1, idx: 0 };
    for (;;) {
      const rows = await this.#db
        .selectFrom('log_tiles')
        .selectAll()
        .where((eb) =>
          eb.or([
            eb('level', '>', after.level),
            eb.and([eb('level', '=', after.level), eb('idx', '>', after.idx)]),
          ]),
        )
        .orderBy('level')
        .orderBy('idx')
        .limit(1000)
        .execute();
      if (rows.length === 0) return;
      for (const r of rows) yield { level: r.level, index: Number(r.idx), hashes: new Uint8Array(r.hashes) };
      const last = rows.at(-1) as Selectable<Database['log_tiles']>;
      after = { level: last.level, idx: Number(last.idx) };
    }
  }

  async insertCheckpoint(c: StoredCheckpoint): Promise<void> {
    await this.#db
      .insertInto('log_checkpoints')
      .values({ size: c.size, root: c.root, note: c.note, created_at: c.createdAt })
      .onConflict((oc) => oc.column('size').doNothing())
      .execute();
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    const row = await this.#db
      .selectFrom('log_checkpoints')
      .selectAll()
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toCheckpoint(row) : undefined;
  }

  async listCheckpoints(): Promise<StoredCheckpoint[]> {
    const rows = await this.#db.selectFrom('log_checkpoints').selectAll().orderBy('size').execute();
    return rows.map(toCheckpoint);
  }

  async caseExists(caseId: CaseId): Promise<boolean> {
    const row = await this.#db.selectFrom('cases').select('id').where('id', '=', caseId).executeTakeFirst();
    return row !== undefined;
  }

  async findItem(caseId: CaseId, sha256: Sha256Hex): Promise<ItemRecord | undefined> {
    const row = await this.#db
      .selectFrom('items')
      .selectAll()
      .where('case_id', '=', caseId)
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    return row ? toItem(row) : undefined;
  }

  async getItem(id: ItemId): Promise<ItemRecord | undefined> {
    const row = await this.#db.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toItem(row) : undefined;
  }

  async listItems(filter: ItemFilter): Promise<{ items: ItemRecord[]; total: number }> {
    const scopes = filter.scopes;
    if (scopes?.length === 0) return { items: [], total: 0 };
    let query = this.#db.selectFrom('items');
    if (scopes) {
      // An item is in a scope when it belongs to the scope's case and is not filed in a
      // compartment outside the scope's list (unfiled items are the case's general area). The same
      // restriction applies to the count, so that totals never reveal hidden items.
      query = query.where((eb) =>
        eb.or(
          scopes.map((scope) => {
            let filedElsewhere = eb
              .selectFrom('item_compartments')
              .select('item_compartments.item_id')
              .whereRef('item_compartments.item_id', '=', 'items.id');
            if (scope.compartments.length > 0)
              filedElsewhere = filedElsewhere.where('item_compartments.compartment_id', 'not in', [
                ...scope.compartments,
              ]);
            return eb.and([
              eb('items.case_id', '=', scope.caseId),
              eb.not(eb.exists(filedElsewhere)),
              ...(scope.derivedOnly ? [eb('items.derived_from', 'is not', null)] : []),
              ...(scope.excluded && scope.excluded.length > 0
                ? [eb('items.id', 'not in', [...scope.excluded])]
                : []),
            ]);
          }),
        ),
      );
    }
    if (filter.caseId) query = query.where('case_id', '=', filter.caseId);
    if (filter.mediaPrefix)
      query = query.where('media_type', 'like', `${filter.mediaPrefix.replace(/[%_]/g, '')}%`);
    const when = sql<string>`coalesce(captured_at, created_at)`;
    if (filter.from) query = query.where(when, '>=', filter.from);
    if (filter.to) query = query.where(when, '<', filter.to);
    if (filter.hasLocation === true) query = query.where('latitude', 'is not', null);
    if (filter.hasLocation === false) query = query.where('latitude', 'is', null);
    const count = await query
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    const rows = await query
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(filter.limit)
      .offset(filter.offset ?? 0)
      .execute();
    return { items: rows.map(toItem), total: Number(count.n) };
  }

  async *listAllItems(): AsyncIterable<ItemRecord> {
    let after = '';
    for (;;) {
      const rows = await this.#db
        .selectFrom('items')
        .selectAll()
        .where('id', '>', after)
        .orderBy('id')
        .limit(500)
        .execute();
      if (rows.length === 0) return;
      for (const r of rows) yield toItem(r);
      after = (rows.at(-1) as Selectable<ItemsTable>).id;
    }
  }

  async listDerived(id: ItemId): Promise<ItemRecord[]> {
    const rows = await this.#db
      .selectFrom('items')
      .selectAll()
      .where('derived_from', '=', id)
      .orderBy('created_at')
      .execute();
    return rows.map(toItem);
  }

  async listEvents(id: ItemId): Promise<StoredEvent[]> {
    const rows = await this.#db
      .selectFrom('custody_events')
      .selectAll()
      .where('item_id', '=', id)
      .orderBy('leaf_index')
      .execute();
    return rows.map(toEvent);
  }

  async getEvent(id: EventId): Promise<StoredEvent | undefined> {
    const row = await this.#db
      .selectFrom('custody_events')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toEvent(row) : undefined;
  }

  async listCollections(id: ItemId): Promise<CollectionRecord[]> {
    const rows = await this.#db
      .selectFrom('collections')
      .selectAll()
      .where('item_id', '=', id)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      itemId: r.item_id as ItemId,
      eventId: r.event_id as EventId,
      fileName: r.file_name,
      collectedBy: r.collected_by,
      collectedAt: r.collected_at,
      sourceUrl: r.source_url,
      method: r.method,
      latitude: r.latitude,
      longitude: r.longitude,
      note: r.note,
      createdAt: r.created_at,
    }));
  }

  async holderExists(orgId: OrgId, userId: UserId | null): Promise<boolean> {
    if (userId) {
      const user = await this.#db
        .selectFrom('users')
        .select('id')
        .where('id', '=', userId)
        .where('org_id', '=', orgId)
        .executeTakeFirst();
      return user !== undefined;
    }
    const org = await this.#db
      .selectFrom('organisations')
      .select('id')
      .where('id', '=', orgId)
      .executeTakeFirst();
    return org !== undefined;
  }

  async itemsWithBlob(sha256: Sha256Hex): Promise<number> {
    const row = await this.#db
      .selectFrom('items')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('sha256', '=', sha256)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

/**
 * Appends leaf hashes to the stored tree inside a transaction that already holds the log's write
 * lock: grows the tiles and writes the new tree head. Only `append` (and benchmarks building large
 * synthetic trees) call it.
 */
export const appendLeafHashes = async (
  trx: Transaction<Database>,
  size: number,
  leafHashes: readonly Uint8Array[],
): Promise<LogState> => {
  const tiles = { readTile: (level: number, index: number) => readTile(trx, level, index) };
  const grown = await appendLeaves(tiles, size, leafHashes);
  for (const w of grown.writes) {
    await trx
      .insertInto('log_tiles')
      .values({ level: w.level, idx: w.index, hashes: w.hashes })
      .onConflict((oc) => oc.columns(['level', 'idx']).doUpdateSet({ hashes: w.hashes }))
      .execute();
  }
  await trx
    .updateTable('log_state')
    .set({ size: grown.size, root: grown.root })
    .where('id', '=', 1)
    .execute();
  return { size: grown.size, root: grown.root };
};

const readTile = async (db: Db, level: number, index: number): Promise<Uint8Array | undefined> => {
  const row = await db
    .selectFrom('log_tiles')
    .select('hashes')
    .where('level', '=', level)
    .where('idx', '=', index)
    .executeTakeFirst();
  return row ? new Uint8Array(row.hashes) : undefined;
};

const toItem = (r: Selectable<ItemsTable>): MutableItem => ({
  id: r.id as ItemId,
  caseId: r.case_id as CaseId,
  sha256: r.sha256 as Sha256Hex,
  size: Number(r.size),
  mediaType: r.media_type,
  title: r.title,
  description: r.description,
  kind: r.kind as ItemKind,
  derivedFrom: r.derived_from as ItemId | null,
  metadata: JSON.parse(r.metadata),
  problems: JSON.parse(r.problems),
  capturedAt: r.captured_at,
  latitude: r.latitude === null ? null : Number(r.latitude),
  longitude: r.longitude === null ? null : Number(r.longitude),
  sensitive: r.sensitive === 1,
  holderOrgId: r.holder_org_id as OrgId | null,
  holderUserId: r.holder_user_id as UserId | null,
  sealedAt: r.sealed_at,
  sealReason: r.seal_reason,
  createdAt: r.created_at,
  createdBy: r.created_by as UserId | null,
  eventCount: r.event_count,
  headHash: r.head_hash,
});

const fromItem = (i: ItemRecord): ItemsTable => ({
  id: i.id,
  case_id: i.caseId,
  sha256: i.sha256,
  size: i.size,
  media_type: i.mediaType,
  title: i.title,
  description: i.description,
  kind: i.kind,
  derived_from: i.derivedFrom,
  metadata: JSON.stringify(i.metadata),
  problems: JSON.stringify(i.problems),
  captured_at: i.capturedAt,
  latitude: i.latitude,
  longitude: i.longitude,
  sensitive: i.sensitive ? 1 : 0,
  holder_org_id: i.holderOrgId,
  holder_user_id: i.holderUserId,
  sealed_at: i.sealedAt,
  seal_reason: i.sealReason,
  created_at: i.createdAt,
  created_by: i.createdBy,
  event_count: i.eventCount,
  head_hash: i.headHash,
});

const toEvent = (r: Selectable<CustodyEventsTable>): StoredEvent => ({
  id: r.id as EventId,
  leafIndex: Number(r.leaf_index),
  itemId: r.item_id as ItemId,
  action: r.action as CustodyAction,
  at: r.at,
  actorUserId: r.actor_user_id as UserId | null,
  actorOrgId: r.actor_org_id as OrgId | null,
  hash: r.hash,
  bytes: new Uint8Array(r.bytes),
  privateRecord: r.private_record,
});

const toCheckpoint = (r: Selectable<Database['log_checkpoints']>): StoredCheckpoint => ({
  size: Number(r.size),
  root: new Uint8Array(r.root),
  note: r.note,
  createdAt: r.created_at,
});
