import { type FileHandle, open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  AccordError,
  type CustodyEventDoc,
  captureDifferences,
  hashLeafSync,
  parseEventBytes,
  type ReplayedState,
  replayStep,
  sha256Sync,
} from '@accord/core';
import {
  canonicalize,
  fromBase64,
  type NoteVerifier,
  parseCanonical,
  parseVerifierKey,
  verifyCheckpoint,
  verifyInclusion,
} from '@accord/custody';
import { indexTar, type TarMember } from './tar.ts';

/** The outcome for one item: verified, or every reason it is not. */
export interface ItemReport {
  readonly itemId: string;
  readonly title: string;
  readonly kind: string;
  readonly sha256: string;
  readonly size: number;
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly events: number;
}

export interface BundleReport {
  readonly ok: boolean;
  /** Problems with the bundle as a whole (container, manifest, checkpoint, stray members). */
  readonly problems: readonly string[];
  readonly items: readonly ItemReport[];
  readonly checkpoint?: {
    readonly origin: string;
    readonly size: number;
    readonly keySource: 'given' | 'bundle';
    readonly key: string;
  };
  readonly export?: {
    readonly recipient: string;
    readonly purpose: string;
    readonly legalBasis: string | null;
    readonly createdAt: string;
  };
  readonly bytesHashed: number;
}

const MAX_SMALL = 64 * 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * Verifies an export bundle (docs/bundle-format.md §6) without trusting anything in it but what the
 * checks establish. Never throws for a bad bundle: every failure is reported, by item where it
 * belongs to one. Reads the file in place; nothing is written anywhere.
 */
export const verifyBundle = async (path: string, options: { vkey?: string } = {}): Promise<BundleReport> => {
  const problems: string[] = [];
  let handle: FileHandle | undefined;
  let bytesHashed = 0;
  let hasher: RangeHasher | undefined;
  try {
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) return fail(`${path} is not a readable file`);
    handle = await open(path, 'r');
    let members: TarMember[];
    try {
      members = await indexTar(handle, info.size);
    } catch (e) {
      return fail(`not a valid bundle archive: ${(e as Error).message}`);
    }
    const byName = new Map(members.map((m) => [m.name, m]));
    const used = new Set<string>();
    const h = handle;
    const small = async (name: string): Promise<Uint8Array | undefined> => {
      const m = byName.get(name);
      if (!m) return undefined;
      used.add(name);
      if (m.size > MAX_SMALL)
        throw new AccordError(
          'invalid_input',
          `${name} is ${m.size} bytes, more than a bundle file of its kind may be`,
        );
      const buffer = Buffer.alloc(m.size);
      if (m.size > 0) await h.read(buffer, 0, m.size, m.offset);
      return buffer;
    };

    // ── manifest ───────────────────────────────────────────────────────────────
    const manifestBytes = await small('bundle/manifest.json');
    if (!manifestBytes) return fail('bundle/manifest.json is missing: this is not an Accord bundle');
    let manifest: Manifest;
    try {
      manifest = checkManifest(parseCanonical(manifestBytes, { maxBytes: MAX_SMALL, maxDepth: 16 }));
    } catch (e) {
      return fail(`bundle/manifest.json is not a valid manifest: ${(e as Error).message}`);
    }

    // ── key and checkpoint ─────────────────────────────────────────────────────
    const bundledKey = (await small('bundle/log.vkey'))?.toString().trim();
    const keyText = options.vkey?.trim() ?? bundledKey;
    const checkpointText = (await small('bundle/checkpoint.txt'))?.toString();
    let checkpoint: { size: number; root: Uint8Array } | undefined;
    let verifier: NoteVerifier | undefined;
    let checkpointInfo: BundleReport['checkpoint'];
    if (!keyText) problems.push('no verifier key: bundle/log.vkey is missing and none was given');
    else if (checkpointText === undefined) problems.push('bundle/checkpoint.txt is missing');
    else {
      try {
        verifier = await parseVerifierKey(keyText);
        if (verifier.name !== manifest.log) {
          throw new Error(`the key is for "${verifier.name}", but the bundle is from log "${manifest.log}"`);
        }
        const verified = await verifyCheckpoint(checkpointText, [verifier], { origin: manifest.log });
        checkpoint = { size: verified.size, root: verified.rootHash };
        checkpointInfo = {
          origin: verified.origin,
          size: verified.size,
          keySource: options.vkey ? 'given' : 'bundle',
          key: `${verifier.name}+${verifier.keyId}`,
        };
        if (options.vkey && bundledKey && bundledKey !== options.vkey.trim()) {
          problems.push('bundle/log.vkey differs from the key given to check it with');
        }
      } catch (e) {
        problems.push(`the checkpoint does not verify: ${(e as Error).message}`);
      }
    }

    // ── items ──────────────────────────────────────────────────────────────────
    // Every content hash starts now, on worker threads, while the events are checked here.
    hasher = new RangeHasher(path, Math.max(1, Math.min(4, availableParallelism())));
    // The files for people: every export event commits to their SHA-256 (hashed like contents, so
    // that a large index is no problem).
    const humanHashes: Record<string, string | undefined> = {};
    for (const [key, name] of [
      ['indexHtml', 'bundle/index.html'],
      ['indexCsv', 'bundle/index.csv'],
      ['verifyHtml', 'bundle/verify.html'],
    ] as const) {
      const m = byName.get(name);
      used.add(name);
      if (!m) problems.push(`${name} is missing`);
      humanHashes[key] = m ? await hasher.hash(m.offset, m.size).catch(() => undefined) : undefined;
    }
    const digests = new Map<string, Promise<string>>();
    for (const item of manifest.items) {
      const content = byName.get(`bundle/items/${item.itemId}/content`);
      if (content) {
        const digest = hasher.hash(content.offset, content.size);
        digest.catch(() => {});
        digests.set(item.itemId, digest);
      }
    }
    const items: ItemReport[] = [];
    for (const item of manifest.items) {
      const itemProblems: string[] = [];
      const dir = `bundle/items/${item.itemId}`;
      // Bytes
      const content = byName.get(`${dir}/content`);
      if (content) used.add(content.name);
      if (item.content && !content) itemProblems.push('its content file is missing from the bundle');
      if (!item.content && content)
        itemProblems.push('the bundle holds content the manifest says was left out');
      if (content) {
        if (content.size !== item.size)
          itemProblems.push(`its content is ${content.size} bytes, the manifest says ${item.size}`);
        const digest = await (digests.get(item.itemId) as Promise<string>).catch(
          (e: Error) => `unreadable: ${e.message}`,
        );
        bytesHashed += content.size;
        if (digest !== item.sha256)
          itemProblems.push('its content does not match its SHA-256: the bytes were changed');
      }
      // Events
      let prev: string | null = null;
      const docs: { doc: CustodyEventDoc; record: Record<string, unknown> | null }[] = [];
      for (const [n, listed] of item.events.entries()) {
        const label = `event ${n + 1} (leaf ${listed.leafIndex})`;
        const entryName = `${dir}/events/${listed.leafIndex}.json`;
        const bytes = await small(entryName);
        if (!bytes) {
          itemProblems.push(`${label}: ${entryName} is missing`);
          prev = null;
          continue;
        }
        let doc: CustodyEventDoc;
        try {
          doc = parseEventBytes(bytes);
        } catch (e) {
          itemProblems.push(`${label}: ${(e as Error).message}`);
          prev = hex(sha256Sync(bytes));
          continue;
        }
        const wrong = [
          doc.id !== listed.id && 'id',
          doc.itemId !== item.itemId && 'item id',
          doc.item !== item.sha256 && 'item hash',
          doc.log !== manifest.log && 'log',
        ].filter(Boolean);
        if (wrong.length > 0) itemProblems.push(`${label}: the event names another ${wrong.join(', ')}`);
        if (doc.prev !== prev) {
          itemProblems.push(
            `${label}: it does not follow the event before it (the chain is broken or an event is missing)`,
          );
        }
        prev = hex(sha256Sync(bytes));
        // Private record
        const privateBytes = await small(`${dir}/events/${listed.leafIndex}.private.json`);
        let record: Record<string, unknown> | null = null;
        if (doc.private === null && privateBytes)
          itemProblems.push(`${label}: a private record is present that the event does not commit to`);
        if (doc.private !== null) {
          if (!privateBytes) itemProblems.push(`${label}: its private record is missing`);
          else if (hex(sha256Sync(privateBytes)) !== doc.private)
            itemProblems.push(`${label}: its private record was changed`);
          else {
            try {
              record = parseCanonical(privateBytes, { maxDepth: 16 }) as Record<string, unknown>;
            } catch (e) {
              itemProblems.push(
                `${label}: its private record is not canonical JSON: ${(e as Error).message}`,
              );
            }
          }
        }
        docs.push({ doc, record });
        // Inclusion proof
        const proofText = (await small(`${dir}/events/${listed.leafIndex}.tlog-proof`))?.toString();
        if (proofText === undefined) itemProblems.push(`${label}: its inclusion proof is missing`);
        else if (checkpoint && checkpointText !== undefined) {
          const problem = await checkProof(proofText, listed.leafIndex, bytes, checkpointText, checkpoint);
          if (problem) itemProblems.push(`${label}: ${problem}`);
        }
      }
      const last = docs.at(-1);
      if (!last || last.doc.id !== item.exportEvent || last.doc.action !== 'exported') {
        itemProblems.push('its listed events do not end with the export event named in the manifest');
      } else {
        // What the bundle says about the export (for whom, why, when) must be what the log recorded.
        const recorded = last.record ?? {};
        const differ = [
          last.doc.at !== manifest.createdAt && 'time',
          last.doc.details.derivedOnly !== manifest.export.derivedOnly && 'derivatives-only flag',
          recorded.recipient !== manifest.export.recipient && 'recipient',
          recorded.purpose !== manifest.export.purpose && 'purpose',
          (recorded.legalBasis ?? null) !== (manifest.export.legalBasis ?? null) && 'legal basis',
        ].filter(Boolean);
        const files = (
          [
            ['indexHtml', 'index.html'],
            ['indexCsv', 'index.csv'],
            ['verifyHtml', 'verify.html'],
          ] as const
        ).filter(([key]) => last.doc.details[key] !== humanHashes[key]);
        if (files.length > 0) {
          itemProblems.push(
            `${files.map(([, name]) => name).join(', ')} in the bundle ${files.length === 1 ? 'is' : 'are'} not the one its export event recorded`,
          );
        }
        if (differ.length > 0) {
          itemProblems.push(
            `the manifest's export ${differ.join(', ')} differ from what its export event recorded`,
          );
        }
      }
      itemProblems.push(...derivationProblems(item, docs));
      const metadataBytes = await small(`${dir}/metadata.json`);
      if (!metadataBytes) itemProblems.push('its metadata.json is missing');
      else itemProblems.push(...metadataProblems(item, metadataBytes, docs));
      items.push({
        itemId: item.itemId,
        title: item.title,
        kind: item.kind,
        sha256: item.sha256,
        size: item.size,
        ok: itemProblems.length === 0,
        problems: itemProblems,
        events: item.events.length,
      });
    }

    // ── nothing added, nothing missing ─────────────────────────────────────────
    for (const m of members) {
      if (!used.has(m.name)) problems.push(`${m.name} is not part of the bundle (an added or renamed file)`);
    }
    const ok = problems.length === 0 && items.every((i) => i.ok);
    return {
      ok,
      problems,
      items,
      ...(checkpointInfo ? { checkpoint: checkpointInfo } : {}),
      export: { ...manifest.export, createdAt: manifest.createdAt },
      bytesHashed,
    };
  } catch (e) {
    return fail(`the bundle could not be checked: ${(e as Error).message}`);
  } finally {
    await hasher?.close();
    await handle?.close();
  }

  function fail(problem: string): BundleReport {
    return { ok: false, problems: [...problems, problem], items: [], bytesHashed };
  }
};

interface ManifestItem {
  itemId: string;
  sha256: string;
  size: number;
  mediaType: string;
  kind: string;
  title: string;
  content: boolean;
  derivedFrom: { itemId: string; sha256: string } | null;
  events: { id: string; leafIndex: number }[];
  exportEvent: string;
}

interface Manifest {
  log: string;
  createdAt: string;
  export: { recipient: string; purpose: string; legalBasis: string | null; derivedOnly: boolean };
  items: ManifestItem[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the manifest's shape (format §3), naming the first thing that is wrong. */
const checkManifest = (value: unknown): Manifest => {
  const need = (ok: boolean, what: string): void => {
    if (!ok) throw new Error(what);
  };
  need(isObject(value), 'it is not a JSON object');
  const m = value as Record<string, unknown>;
  const exactly = (o: Record<string, unknown>, keys: readonly string[], what: string): void => {
    const extra = Object.keys(o).filter((k) => !keys.includes(k));
    const missing = keys.filter((k) => !(k in o));
    need(extra.length === 0, `${what} has members the format does not define: ${extra.join(', ')}`);
    need(missing.length === 0, `${what} lacks ${missing.join(', ')}`);
  };
  exactly(m, ['format', 'version', 'log', 'createdAt', 'export', 'items'], 'the manifest');
  need(m.format === 'accord-bundle', 'format is not "accord-bundle"');
  need(m.version === 1, `version ${String(m.version)} is not supported (this verifier reads version 1)`);
  need(typeof m.log === 'string' && m.log.length > 0, 'log is missing');
  need(typeof m.createdAt === 'string', 'createdAt is missing');
  const e = m.export as Record<string, unknown>;
  need(
    isObject(e) &&
      typeof e.recipient === 'string' &&
      typeof e.purpose === 'string' &&
      (e.legalBasis === null || typeof e.legalBasis === 'string') &&
      typeof e.derivedOnly === 'boolean',
    'export is malformed',
  );
  exactly(e, ['recipient', 'purpose', 'legalBasis', 'derivedOnly'], 'export');
  need(Array.isArray(m.items) && (m.items as unknown[]).length > 0, 'items is empty or missing');
  const seen = new Set<string>();
  for (const [i, raw] of (m.items as unknown[]).entries()) {
    const at = `items[${i}]`;
    need(isObject(raw), `${at} is not an object`);
    const it = raw as Record<string, unknown>;
    exactly(
      it,
      [
        'itemId',
        'sha256',
        'size',
        'mediaType',
        'kind',
        'title',
        'content',
        'derivedFrom',
        'events',
        'exportEvent',
      ],
      at,
    );
    need(typeof it.itemId === 'string' && UUID.test(it.itemId), `${at}.itemId is not an item id`);
    need(!seen.has(it.itemId as string), `${at}.itemId appears twice`);
    seen.add(it.itemId as string);
    need(typeof it.sha256 === 'string' && HEX64.test(it.sha256), `${at}.sha256 is not a SHA-256`);
    need(Number.isSafeInteger(it.size) && (it.size as number) >= 0, `${at}.size is not a size`);
    need(it.content === true, `${at}.content must be true (version 1 bundles always carry the bytes)`);
    need(
      typeof it.title === 'string' && typeof it.kind === 'string' && typeof it.mediaType === 'string',
      `${at} lacks title, kind or mediaType`,
    );
    const d = it.derivedFrom as Record<string, unknown> | null;
    need(
      d === null || (isObject(d) && typeof d.itemId === 'string' && typeof d.sha256 === 'string'),
      `${at}.derivedFrom is malformed`,
    );
    if (d !== null) exactly(d, ['itemId', 'sha256'], `${at}.derivedFrom`);
    need(Array.isArray(it.events) && (it.events as unknown[]).length > 0, `${at}.events is empty`);
    let last = -1;
    for (const ev of it.events as unknown[]) {
      need(
        isObject(ev) && typeof ev.id === 'string' && Number.isSafeInteger(ev.leafIndex),
        `${at}.events has a malformed entry`,
      );
      exactly(ev as Record<string, unknown>, ['id', 'leafIndex'], `${at}.events[]`);
      const leaf = (ev as { leafIndex: number }).leafIndex;
      need(leaf > last, `${at}.events are not in increasing leaf order`);
      last = leaf;
    }
    need(typeof it.exportEvent === 'string', `${at}.exportEvent is missing`);
  }
  return value as unknown as Manifest;
};

/**
 * Hashes byte ranges of one file on worker threads, several ranges at a time: hashing is the bulk
 * of checking a bundle, and one core cannot hash faster than it can read. Each worker opens the
 * file itself, so nothing but the range and the digest crosses threads.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const fd = openSync(workerData.path, 'r');
const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
parentPort.on('message', ({ id, offset, size }) => {
  try {
    const hash = createHash('sha256');
    let done = 0;
    while (done < size) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, size - done), offset + done);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      done += n;
    }
    parentPort.postMessage({ id, digest: done === size ? hash.digest('hex') : null });
  } catch (e) {
    parentPort.postMessage({ id, error: String(e && e.message) });
  }
});
parentPort.on('close', () => closeSync(fd));
`;

class RangeHasher {
  readonly #workers: Worker[];
  readonly #waiting = new Map<number, { resolve: (d: string) => void; reject: (e: Error) => void }>();
  readonly #idle: Worker[] = [];
  readonly #queue: { id: number; offset: number; size: number }[] = [];
  #next = 0;

  constructor(path: string, count: number) {
    this.#workers = Array.from({ length: count }, () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path } });
      worker.on('message', (m: { id: number; digest?: string | null; error?: string }) => {
        const waiter = this.#waiting.get(m.id);
        this.#waiting.delete(m.id);
        if (m.digest) waiter?.resolve(m.digest);
        else waiter?.reject(new Error(m.error ?? 'the file ended early'));
        this.#idle.push(worker);
        this.#pump();
      });
      worker.on('error', (e) => {
        for (const w of this.#waiting.values()) w.reject(e);
        this.#waiting.clear();
      });
      this.#idle.push(worker);
      return worker;
    });
  }

  hash(offset: number, size: number): Promise<string> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#queue.push({ id, offset, size });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      (this.#idle.pop() as Worker).postMessage(this.#queue.shift());
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

/** Checks a C2SP tlog-proof against the bundle's checkpoint; returns what is wrong, or undefined. */
const checkProof = async (
  text: string,
  leafIndex: number,
  entry: Uint8Array,
  checkpointText: string,
  checkpoint: { size: number; root: Uint8Array },
): Promise<string | undefined> => {
  const split = text.indexOf('\n\n');
  if (split < 0) return 'its inclusion proof is malformed (no checkpoint part)';
  const lines = text.slice(0, split).split('\n');
  if (lines[0] !== 'c2sp.org/tlog-proof@v1') return 'its inclusion proof is not a c2sp.org/tlog-proof@v1';
  let at = 1;
  if (lines[at]?.startsWith('extra ')) at += 1;
  const m = /^index (0|[1-9][0-9]*)$/.exec(lines[at] ?? '');
  if (!m || Number(m[1]) !== leafIndex)
    return `its inclusion proof is for another leaf (${lines[at] ?? 'none'})`;
  if (text.slice(split + 2) !== checkpointText)
    return 'its inclusion proof ends with another checkpoint than the bundle';
  if (leafIndex >= checkpoint.size)
    return `leaf ${leafIndex} is not in the checkpoint's tree of ${checkpoint.size} entries`;
  let hashes: Uint8Array[];
  try {
    hashes = lines.slice(at + 1).map((l) => {
      const b = fromBase64(l);
      if (b.length !== 32) throw new Error('a proof hash is not 32 bytes');
      return b;
    });
  } catch (e) {
    return `its inclusion proof is malformed: ${(e as Error).message}`;
  }
  try {
    await verifyInclusion(leafIndex, checkpoint.size, hashLeafSync(entry), hashes, checkpoint.root);
    return undefined;
  } catch {
    return 'its inclusion proof does not lead to the checkpoint root: the event is not the one the log holds';
  }
};

const derivationProblems = (item: ManifestItem, docs: readonly { doc: CustodyEventDoc }[]): string[] => {
  const first = docs[0]?.doc;
  const registered = docs.find((d) => d.doc.action === 'registered')?.doc;
  const out: string[] = [];
  if (item.derivedFrom) {
    if (
      !first ||
      first.action !== 'derived' ||
      first.details.fromItemId !== item.derivedFrom.itemId ||
      first.details.from !== item.derivedFrom.sha256 ||
      first.details.toItemId !== item.itemId
    ) {
      out.push('its first event does not record the derivation from the original the manifest names');
    }
  }
  if (registered && (registered.details.derivedFrom ?? null) !== (item.derivedFrom?.itemId ?? null)) {
    out.push('its registration names another original than the manifest');
  }
  if (registered && (registered.details.kind !== item.kind || registered.details.size !== item.size)) {
    out.push('its registration records another kind or size than the manifest');
  }
  return out;
};

const metadataProblems = (
  item: ManifestItem,
  bytes: Uint8Array,
  docs: readonly { doc: CustodyEventDoc; record: Record<string, unknown> | null }[],
): string[] => {
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
    if (!isObject(meta)) throw new Error('not an object');
  } catch (e) {
    return [`its metadata.json is not a JSON object: ${(e as Error).message}`];
  }
  const out: string[] = [];
  // The item's state as its events record it: what metadata.json and the manifest must say.
  let state: ReplayedState | undefined;
  for (const { doc, record } of docs) state = replayStep(state, doc, record);
  if (!state) return ['it has no "registered" event'];
  const differ = (
    [
      ['title', meta.title, state.title],
      ['description', meta.description, state.description],
      ['media type', meta.mediaType, state.mediaType],
      ['capture time', meta.capturedAt, state.capturedAt],
      ['latitude', meta.latitude, state.latitude],
      ['longitude', meta.longitude, state.longitude],
      ['manifest title', item.title, state.title],
      ['manifest media type', item.mediaType, state.mediaType],
      ['manifest kind', item.kind, state.kind],
      ['manifest size', item.size, state.size],
    ] as const
  )
    .filter(([, shown, recorded]) => (shown ?? null) !== recorded)
    .map(([name]): string => name);
  if (meta.itemId !== item.itemId) differ.push('item id');
  if (differ.length > 0)
    out.push(`what the bundle shows differs from its custody events in: ${differ.join(', ')}`);
  const registered = docs.find((d) => d.doc.action === 'registered');
  const digest = hex(
    sha256Sync(Buffer.from(canonicalize({ metadata: meta.metadata, problems: meta.problems }), 'utf8')),
  );
  if (!registered?.record || registered.record.metadata !== digest) {
    out.push('its extracted metadata or flagged problems differ from what was recorded at registration');
  }
  for (const capture of Array.isArray(meta.captures) ? (meta.captures as Record<string, unknown>[]) : []) {
    const event = docs.find((d) => d.doc.id === capture.eventId && d.doc.action === 'collected');
    const differ = event ? captureDifferences(event.record, capture) : ['its event'];
    if (differ.length > 0)
      out.push(`a capture record differs from its "collected" event in: ${differ.join(', ')}`);
  }
  return out;
};
