import { type NoteVerifier, verifyCheckpoint } from '@accord/custody';
import type { BlobStore, Sha256Hex } from '../blobs/port.ts';
import type { EvidenceRepo } from '../evidence/ports.ts';
import { captureDifferences, differences, type ReplayedState, replayStep } from '../evidence/replay.ts';
import { parseEventBytes, privateMatches } from './events.ts';
import { HASH_SIZE, hashLeaf, sha256Hex, subtreeRoot } from './merkle.ts';
import { TILE_WIDTH, type TileSource, TileTree } from './tiles.ts';

export interface AuditProblem {
  /** What is wrong: blob, event, chain, tile, tree, checkpoint or item. */
  readonly kind: 'blob' | 'event' | 'chain' | 'tile' | 'tree' | 'checkpoint' | 'item';
  readonly where: string;
  readonly problem: string;
}

export interface AuditReport {
  readonly ok: boolean;
  readonly problems: readonly AuditProblem[];
  readonly leaves: number;
  readonly items: number;
  readonly blobs: number;
  readonly checkpoints: number;
  /** Blobs no item refers to (left by an ingest interrupted before its event was recorded). */
  readonly unreferencedBlobs: readonly string[];
  readonly timings: { readonly treeMs: number; readonly eventsMs: number; readonly blobsMs: number };
}

export interface AuditDeps {
  readonly repo: EvidenceRepo;
  readonly blobs: BlobStore;
  readonly verifier: NoteVerifier;
  readonly origin: string;
  /** Skip decrypting blobs (tree and events only). */
  readonly skipBlobs?: boolean;
  readonly onProgress?: (phase: 'tree' | 'events' | 'blobs', done: number, total: number) => void;
}

const PAGE = 8192;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const MAX_PROBLEMS = 1000;

/**
 * A full integrity audit of a node: the tree is rebuilt from the leaf hashes and compared with
 * every stored tile, the stored tree head and every signed checkpoint; every event is checked
 * against its leaf hash and on its own (canonical bytes, hash, fields, private commitment, chain
 * to the previous event of its item);
 * every item's head and count; every blob decrypted and hashed. Each discrepancy is named.
 */
export const auditNode = async (deps: AuditDeps): Promise<AuditReport> => {
  const { repo } = deps;
  const problems: AuditProblem[] = [];
  const report = (p: AuditProblem): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  const state = await repo.logState();

  // ── 1. the tree, rebuilt from the event bytes ────────────────────────────────
  let t = performance.now();
  const checkpoints = await repo.listCheckpoints();
  const builder = new TreeBuilder({ readTile: (l, i) => repo.readStoredTile(l, i) }, report);
  let next = 0;
  let cpIndex = 0;
  const checkCheckpointsAt = async (size: number): Promise<void> => {
    while (cpIndex < checkpoints.length && (checkpoints[cpIndex]?.size ?? 0) <= size) {
      const cp = checkpoints[cpIndex++];
      if (!cp || cp.size !== size) continue;
      await checkCheckpoint(deps, cp, await builder.root(), report);
    }
  };
  await checkCheckpointsAt(0);
  // The leaf hashes come from the stored level-0 tiles; step 2 checks each against its event.
  const leafTiles = Math.ceil(state.size / TILE_WIDTH);
  for (let index = 0; index < leafTiles; index += 1) {
    const expected = Math.min(TILE_WIDTH, state.size - index * TILE_WIDTH);
    const tile = await repo.readStoredTile(0, index);
    const count = Math.min(expected, Math.floor((tile?.byteLength ?? 0) / HASH_SIZE));
    if (count < expected) {
      report({
        kind: 'tile',
        where: `tile 0/${index}`,
        problem: `it holds ${count} of its ${expected} leaf hashes`,
      });
    }
    for (let i = 0; i < count; i += 1) {
      builder.add((tile as Uint8Array).subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
      next += 1;
      if (cpIndex < checkpoints.length && checkpoints[cpIndex]?.size === next) await checkCheckpointsAt(next);
    }
    if (count < expected) break;
    if (index % 64 === 63) {
      await builder.compareCompleted();
      deps.onProgress?.('tree', next, state.size);
    }
  }
  await builder.compareCompleted();
  if (next !== state.size) {
    report({
      kind: 'tree',
      where: 'log',
      problem: `the tree head says ${state.size} entries but the tiles hold ${next} leaf hashes`,
    });
  }
  for (const cp of checkpoints.slice(cpIndex)) {
    report({
      kind: 'checkpoint',
      where: `checkpoint ${cp.size}`,
      problem: `signed for ${cp.size} entries, but the log has only ${next}`,
    });
  }
  await builder.finish();
  const root = await builder.root();
  if (hex(root) !== hex(state.root)) {
    report({
      kind: 'tree',
      where: 'tree head',
      problem: 'the stored root does not match the root rebuilt from the leaf hashes',
    });
  }
  const treeMs = performance.now() - t;

  // ── 2. events: bytes, fields, commitments and per-item chains ────────────────
  t = performance.now();
  const heads = new Map<string, { hash: string; count: number; sha: string; caseId: string }>();
  let leaf = 0;
  const leafTile: { index: number; hashes: Uint8Array } = { index: -1, hashes: new Uint8Array(0) };
  // Each item's state as its events say, and the private records of "collected" events.
  const replayed = new Map<string, ReplayedState | undefined>();
  const collected = new Map<string, Record<string, unknown> | null>();
  for (;;) {
    const events = await repo.eventsFrom(leaf, PAGE);
    for (const e of events) {
      const where = `event ${e.id} (leaf ${e.leafIndex})`;
      if (e.leafIndex !== leaf) {
        report({ kind: 'event', where, problem: `leaf ${leaf} has no event: the log has a gap` });
      }
      leaf = e.leafIndex + 1;
      const tileIndex = Math.floor(e.leafIndex / TILE_WIDTH);
      if (leafTile.index !== tileIndex) {
        leafTile.index = tileIndex;
        leafTile.hashes = (await repo.readStoredTile(0, tileIndex)) ?? new Uint8Array(0);
      }
      const offset = (e.leafIndex % TILE_WIDTH) * HASH_SIZE;
      if (!Buffer.from(hashLeaf(e.bytes)).equals(leafTile.hashes.subarray(offset, offset + HASH_SIZE))) {
        report({ kind: 'event', where, problem: 'its bytes do not match its leaf hash in the log' });
      }
      if (sha256Hex(e.bytes) !== e.hash) {
        report({ kind: 'event', where, problem: 'its bytes do not match its recorded hash' });
      }
      let doc: ReturnType<typeof parseEventBytes> | undefined;
      try {
        doc = parseEventBytes(e.bytes);
      } catch (error) {
        report({ kind: 'event', where, problem: (error as Error).message });
      }
      const head = heads.get(e.itemId);
      if (doc) {
        const mismatches = [
          doc.id !== e.id && 'id',
          doc.itemId !== e.itemId && 'item',
          doc.action !== e.action && 'action',
          doc.at !== e.at && 'time',
          doc.log !== deps.origin && 'log origin',
          doc.actor.user !== e.actorUserId && 'actor',
          doc.actor.org !== e.actorOrgId && 'actor organisation',
        ].filter(Boolean);
        if (mismatches.length > 0) {
          report({
            kind: 'event',
            where,
            problem: `the database row disagrees with the signed bytes on: ${mismatches.join(', ')}`,
          });
        }
        let record: Record<string, unknown> | null = null;
        try {
          record = e.privateRecord === null ? null : (JSON.parse(e.privateRecord) as Record<string, unknown>);
        } catch {
          record = null;
        }
        replayed.set(e.itemId, replayStep(replayed.get(e.itemId), doc, record));
        if (doc.action === 'collected') collected.set(e.id, record);
        if (!privateMatches(doc, e.privateRecord)) {
          report({
            kind: 'event',
            where,
            problem: 'its private record does not match the commitment in the event',
          });
        }
        if (doc.prev !== (head?.hash ?? null)) {
          report({
            kind: 'chain',
            where,
            problem: 'it does not name the previous event of its item: the chain is broken',
          });
        }
      }
      if (doc && head && (doc.item !== head.sha || doc.case !== head.caseId)) {
        report({
          kind: 'chain',
          where,
          problem: 'it names a different item hash or case than the earlier events of its item',
        });
      }
      heads.set(e.itemId, {
        hash: e.hash,
        count: (head?.count ?? 0) + 1,
        sha: head?.sha ?? doc?.item ?? '',
        caseId: head?.caseId ?? doc?.case ?? '',
      });
    }
    deps.onProgress?.('events', leaf, state.size);
    if (events.length < PAGE) break;
  }
  if (leaf !== state.size) {
    report({
      kind: 'event',
      where: 'log',
      problem: `the log has ${state.size} leaves but events for only ${leaf}`,
    });
  }
  const shas = new Set<Sha256Hex>();
  let items = 0;
  for await (const item of repo.listAllItems()) {
    items += 1;
    shas.add(item.sha256);
    const head = heads.get(item.id);
    if (!head) {
      report({ kind: 'item', where: `item ${item.id}`, problem: 'it has no custody events' });
    } else if (head.hash !== item.headHash || head.count !== item.eventCount) {
      report({
        kind: 'item',
        where: `item ${item.id}`,
        problem: 'its latest event or event count disagrees with the log',
      });
    } else if (head.sha !== item.sha256 || head.caseId !== item.caseId) {
      report({
        kind: 'item',
        where: `item ${item.id}`,
        problem: 'its hash or case differs from what its custody events record',
      });
    }
    const state = replayed.get(item.id);
    if (head && !state) {
      report({ kind: 'item', where: `item ${item.id}`, problem: 'it has no "registered" event' });
    } else if (state) {
      const differ = differences(item, state);
      if (differ.length > 0) {
        report({
          kind: 'item',
          where: `item ${item.id}`,
          problem: `the database differs from what its custody events record, in: ${differ.join(', ')}`,
        });
      }
    }
    for (const c of await repo.listCollections(item.id)) {
      const record = collected.get(c.eventId);
      const differ =
        record === undefined
          ? ['its event']
          : captureDifferences(record, c as unknown as Record<string, unknown>);
      if (differ.length > 0) {
        report({
          kind: 'item',
          where: `capture record ${c.id} of item ${item.id}`,
          problem: `it differs from its "collected" event in: ${differ.join(', ')}`,
        });
      }
    }
  }
  const eventsMs = performance.now() - t;

  // ── 3. blobs ─────────────────────────────────────────────────────────────────
  t = performance.now();
  let blobs = 0;
  const unreferencedBlobs: string[] = [];
  if (!deps.skipBlobs) {
    for (const sha of shas) {
      const result = await deps.blobs.verifyBlob(sha);
      blobs += 1;
      if (!result.ok) report({ kind: 'blob', where: `blob ${sha}`, problem: result.problem });
      deps.onProgress?.('blobs', blobs, shas.size);
    }
    for await (const sha of deps.blobs.list()) if (!shas.has(sha)) unreferencedBlobs.push(sha);
  }
  const blobsMs = performance.now() - t;

  return {
    ok: problems.length === 0,
    problems,
    leaves: next,
    items,
    blobs,
    checkpoints: checkpoints.length,
    unreferencedBlobs,
    timings: { treeMs, eventsMs, blobsMs },
  };
};

const checkCheckpoint = async (
  deps: AuditDeps,
  cp: { size: number; root: Uint8Array; note: string },
  root: Uint8Array,
  report: (p: AuditProblem) => void,
): Promise<void> => {
  const where = `checkpoint ${cp.size}`;
  try {
    const verified = await verifyCheckpoint(cp.note, [deps.verifier], { origin: deps.origin });
    if (verified.size !== cp.size || hex(verified.rootHash) !== hex(cp.root)) {
      report({
        kind: 'checkpoint',
        where,
        problem: 'the signed note disagrees with the stored size or root',
      });
    }
  } catch (error) {
    report({
      kind: 'checkpoint',
      where,
      problem: `its signature does not verify: ${(error as Error).message}`,
    });
  }
  if (hex(root) !== hex(cp.root)) {
    report({
      kind: 'checkpoint',
      where,
      problem:
        'the root rebuilt from the events differs: the log is not consistent with this published checkpoint',
    });
  }
};

/**
 * Rebuilds tiles level by level from leaf hashes, holding only the right edge (one tile per
 * level) in memory, and compares each completed tile with the stored one.
 */
class TreeBuilder implements TileSource {
  readonly #stored: TileSource;
  readonly #report: (p: AuditProblem) => void;
  /** Per level: the rightmost tile's index and its hashes so far. */
  readonly #edge: { index: number; hashes: Buffer; count: number }[] = [];
  #size = 0;
  readonly #completed: { level: number; index: number; hashes: Buffer }[] = [];

  constructor(stored: TileSource, report: (p: AuditProblem) => void) {
    this.#stored = stored;
    this.#report = report;
  }

  /** Adds a leaf; completed tiles are queued and compared by `compareCompleted`. */
  add(leafHash: Uint8Array): void {
    this.#size += 1;
    let hash = leafHash;
    for (let level = 0; ; level += 1) {
      const edge = this.#level(level);
      edge.hashes.set(hash, edge.count * HASH_SIZE);
      edge.count += 1;
      if (edge.count < TILE_WIDTH) return;
      this.#completed.push({ level, index: edge.index, hashes: Buffer.from(edge.hashes) });
      hash = subtreeRoot(edge.hashes, 0, TILE_WIDTH);
      edge.index += 1;
      edge.count = 0;
    }
  }

  async compareCompleted(): Promise<void> {
    const done = this.#completed.splice(0);
    for (const tile of done) await this.#compare(tile.level, tile.index, tile.hashes);
  }

  /** Compares the partial right-edge tiles. */
  async finish(): Promise<void> {
    await this.compareCompleted();
    for (const [level, edge] of this.#edge.entries()) {
      if (edge.count > 0)
        await this.#compare(level, edge.index, edge.hashes.subarray(0, edge.count * HASH_SIZE));
    }
  }

  async root(): Promise<Uint8Array> {
    await this.compareCompleted();
    return new TileTree(this, this.#size).root();
  }

  async readTile(level: number, index: number): Promise<Uint8Array | undefined> {
    const edge = this.#edge[level];
    return edge && edge.index === index ? edge.hashes.subarray(0, edge.count * HASH_SIZE) : undefined;
  }

  #level(level: number): { index: number; hashes: Buffer; count: number } {
    let edge = this.#edge[level];
    if (!edge) {
      edge = { index: 0, hashes: Buffer.alloc(TILE_WIDTH * HASH_SIZE), count: 0 };
      this.#edge[level] = edge;
    }
    return edge;
  }

  async #compare(level: number, index: number, expected: Uint8Array): Promise<void> {
    const stored = await this.#stored.readTile(level, index);
    if (!stored || !Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).equals(expected)) {
      this.#report({
        kind: 'tile',
        where: `tile ${level}/${index}`,
        problem: stored
          ? 'the stored tile differs from the one rebuilt from the events'
          : 'the tile is missing from the store',
      });
    }
  }
}
