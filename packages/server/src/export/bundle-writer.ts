import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  AccordError,
  type CustodyEventDoc,
  type ExportDraft,
  type ExportInput,
  type ExportPlan,
  type ItemRecord,
  type Principal,
  parseEventBytes,
  type StoredEvent,
  type Via,
} from '@accord/core';
import { canonicalize, toBase64 } from '@accord/custody';
import type { AccordNode } from '../node/node.ts';
import { padding, tarHeader, trailer } from './tar.ts';
import { verifyHtml } from './verify-html.ts';

export interface BundleOptions {
  readonly caseId: string;
  readonly itemIds?: readonly string[];
  readonly derivedOnly?: boolean;
  readonly recipient: string;
  /** The recipient organisation on this node (its id), when the recipient is one. */
  readonly recipientOrgId?: string;
  readonly purpose: string;
  readonly legalBasis?: string;
  readonly via?: Via;
  /** Called as content bytes are written (for a progress bar). */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface BundleSummary {
  readonly bundleId: string;
  readonly items: number;
  /** Bytes of item content in the bundle. */
  readonly bytes: number;
  readonly checkpointSize: number;
  readonly left: ExportPlan['left'];
}

interface Prepared {
  readonly item: ItemRecord;
  readonly events: readonly { event: StoredEvent; doc: CustodyEventDoc; proof: Uint8Array[] }[];
  readonly metadata: Record<string, unknown>;
}

/**
 * Writes an export bundle (docs/bundle-format.md) to `out`, streaming: item bytes go from the vault
 * to the output a chunk at a time. The export is recorded first, as an "exported" custody event on
 * every item, and the bundle carries a checkpoint that covers those events.
 */
export const writeBundle = async (
  node: AccordNode,
  by: Principal,
  options: BundleOptions,
  out: NodeJS.WritableStream,
): Promise<BundleSummary> => {
  const input: ExportInput = {
    caseId: options.caseId,
    ...(options.itemIds ? { itemIds: options.itemIds } : {}),
    derivedOnly: options.derivedOnly === true,
    recipient: options.recipient,
    ...(options.recipientOrgId ? { recipientOrgId: options.recipientOrgId } : {}),
    purpose: options.purpose,
    ...(options.legalBasis ? { legalBasis: options.legalBasis } : {}),
  };
  // The index for people and the browser verifier are written before the export is recorded, so
  // that the export event can commit to their SHA-256: then no file of the bundle is unchecked.
  const names = await namesOf(node);
  const verifier = verifyHtml();
  let humanFiles: { html: string; csv: string } | undefined;
  const plan = await node.evidence.recordExport(by, input, options.via ?? 'cli', async (draft) => {
    const shown: { item: ItemRecord; docs: CustodyEventDoc[] }[] = [];
    for (const item of draft.items) {
      const docs = (await node.evidenceRepo.listEvents(item.id)).map((e) => parseEventBytes(e.bytes));
      docs.push(exportDoc(draft, item));
      shown.push({ item, docs });
    }
    humanFiles = { html: indexHtml(draft, shown, names), csv: indexCsv(shown, names) };
    return {
      indexHtml: sha256Hex(humanFiles.html),
      indexCsv: sha256Hex(humanFiles.csv),
      verifyHtml: sha256Hex(verifier),
    };
  });
  const human = humanFiles as { html: string; csv: string };
  const size = plan.checkpoint.size;
  const tree = await node.custody.tree(size);
  const prepared: Prepared[] = [];
  for (const { item, exportEventId } of plan.items) {
    const all = await node.evidenceRepo.listEvents(item.id);
    const last = all.findIndex((e) => e.id === exportEventId);
    const events = [];
    for (const event of all.slice(0, last + 1)) {
      events.push({
        event,
        doc: parseEventBytes(event.bytes),
        proof: await tree.inclusionProof(event.leafIndex),
      });
    }
    const captures = (await node.evidenceRepo.listCollections(item.id)).map((c) => ({
      collectedBy: c.collectedBy,
      collectedAt: c.collectedAt,
      sourceUrl: c.sourceUrl,
      method: c.method,
      latitude: c.latitude,
      longitude: c.longitude,
      note: c.note,
      fileName: c.fileName,
      eventId: c.eventId,
    }));
    prepared.push({
      // The item as the export recorded it: a later edit must not make the bundle disagree with it.
      item,
      events,
      metadata: {
        itemId: item.id,
        title: item.title,
        description: item.description,
        mediaType: item.mediaType,
        capturedAt: item.capturedAt,
        latitude: item.latitude,
        longitude: item.longitude,
        metadata: item.metadata,
        problems: item.problems,
        captures,
      },
    });
  }

  const mtime = Math.floor(Date.parse(plan.createdAt) / 1000);
  const write = async (chunk: Uint8Array): Promise<void> => {
    if (!out.write(chunk)) await once(out as NodeJS.EventEmitter, 'drain');
  };
  const member = async (name: string, body: Uint8Array | string): Promise<void> => {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    await write(tarHeader(`bundle/${name}`, bytes.byteLength, mtime));
    await write(bytes);
    await write(padding(bytes.byteLength));
  };

  const manifest = {
    format: 'accord-bundle',
    version: 1,
    log: node.custody.origin,
    createdAt: plan.createdAt,
    export: {
      recipient: plan.recipient,
      purpose: plan.purpose,
      legalBasis: plan.legalBasis,
      derivedOnly: plan.derivedOnly,
    },
    items: prepared.map(({ item, events }) => ({
      itemId: item.id,
      sha256: item.sha256,
      size: item.size,
      mediaType: item.mediaType,
      kind: item.kind,
      title: item.title,
      content: true,
      derivedFrom: derivedFromOf(events[0]?.doc),
      events: events.map(({ event }) => ({ id: event.id, leafIndex: event.leafIndex })),
      exportEvent: events.at(-1)?.event.id ?? null,
    })),
  };
  await member('manifest.json', canonicalize(manifest));
  await member('checkpoint.txt', plan.checkpoint.note);
  await member('log.vkey', `${node.logVerifierKey}\n`);

  const total = prepared.reduce((n, p) => n + p.item.size, 0);
  let done = 0;
  for (const { item, events, metadata } of prepared) {
    const dir = `items/${item.id}`;
    await member(`${dir}/metadata.json`, `${JSON.stringify(metadata, null, 2)}\n`);
    for (const { event, proof } of events) {
      await member(`${dir}/events/${event.leafIndex}.json`, event.bytes);
      if (event.privateRecord !== null)
        await member(`${dir}/events/${event.leafIndex}.private.json`, event.privateRecord);
      await member(
        `${dir}/events/${event.leafIndex}.tlog-proof`,
        [
          'c2sp.org/tlog-proof@v1',
          `index ${event.leafIndex}`,
          ...proof.map(toBase64),
          '',
          plan.checkpoint.note,
        ].join('\n'),
      );
    }
    await write(tarHeader(`bundle/${dir}/content`, item.size, mtime));
    // The bytes are counted and hashed on their way out: a store that returned anything but the
    // item's bytes would corrupt the archive, so the export stops instead of claiming success.
    const stream = await node.blobs.get(item.sha256);
    const hash = createHash('sha256');
    let written = 0;
    for await (const chunk of stream) {
      const bytes = chunk as Uint8Array;
      if (written + bytes.byteLength > item.size) break;
      hash.update(bytes);
      await write(bytes);
      written += bytes.byteLength;
      done += bytes.byteLength;
      options.onProgress?.(done, total);
    }
    if (written !== item.size || hash.digest('hex') !== item.sha256) {
      stream.destroy();
      throw new AccordError(
        'integrity',
        `item ${item.id}: the vault returned ${written === item.size ? 'other' : `${written} of ${item.size}`} bytes than recorded; the bundle is incomplete and must not be used`,
      );
    }
    await write(padding(item.size));
  }
  await member('index.html', human.html);
  await member('index.csv', human.csv);
  await member('verify.html', verifier);
  await write(trailer());
  return {
    bundleId: plan.bundleId,
    items: prepared.length,
    bytes: total,
    checkpointSize: size,
    left: plan.left,
  };
};

/** The export event as it will be recorded, for the index (its id and chain are not shown). */
const exportDoc = (draft: ExportDraft, item: ItemRecord): CustodyEventDoc =>
  ({
    action: 'exported',
    at: draft.createdAt,
    actor: draft.actor,
    details: { bundle: draft.bundleId, derivedOnly: draft.derivedOnly },
    itemId: item.id,
  }) as unknown as CustodyEventDoc;

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

const derivedFromOf = (first: CustodyEventDoc | undefined): { itemId: string; sha256: string } | null => {
  if (!first || first.action !== 'derived' || first.details.toItemId !== first.itemId) return null;
  return { itemId: String(first.details.fromItemId), sha256: String(first.details.from) };
};

const namesOf = async (node: AccordNode): Promise<Map<string, string>> => {
  const names = new Map<string, string>();
  for (const o of await node.accounts.listOrganisations({ operator: true })) names.set(o.id, o.name);
  for (const u of await node.accounts.listUsers({ operator: true })) names.set(u.id, u.displayName);
  return names;
};

const ACTION_WORDS: Record<string, string> = {
  collected: 'collected',
  registered: 'registered in the vault',
  metadata_edited: 'description edited',
  viewed: 'viewed',
  downloaded: 'downloaded',
  linked_to_case: 'linked to another case',
  transferred: 'custody transferred',
  derived: 'derivative made',
  sealed: 'sealed (withdrawn from use)',
  exported: 'exported',
  verified: 'integrity verified',
};

const describeEvent = (doc: CustodyEventDoc, names: Map<string, string>): string => {
  const who = doc.actor.user
    ? `${names.get(doc.actor.user) ?? doc.actor.user}${doc.actor.org ? ` (${names.get(doc.actor.org) ?? doc.actor.org})` : ''}`
    : 'the node operator';
  let what = ACTION_WORDS[doc.action] ?? doc.action;
  if (doc.action === 'transferred') {
    what += ` to ${names.get(String(doc.details.toUser)) ?? names.get(String(doc.details.toOrg)) ?? doc.details.toOrg}`;
  }
  if (doc.action === 'derived' && doc.details.toItemId === doc.itemId)
    what = `made as a ${doc.details.kind} of item ${doc.details.fromItemId}`;
  return `${doc.at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}: ${what} by ${who} (via ${doc.actor.via})`;
};

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** How the index shows one item: its record and its custody events, the export included. */
interface Shown {
  readonly item: ItemRecord;
  readonly docs: readonly CustodyEventDoc[];
}

const indexHtml = (plan: ExportDraft, items: readonly Shown[], names: Map<string, string>): string => {
  const rows = items
    .map(
      ({ item, docs }) => `<section>
<h2>${escapeHtml(item.title)}</h2>
<table>
<tr><th>Item</th><td><code>${item.id}</code> (${escapeHtml(item.kind)}, ${escapeHtml(item.mediaType)}, ${item.size} bytes)</td></tr>
<tr><th>SHA-256</th><td><code>${item.sha256}</code></td></tr>
<tr><th>File in this bundle</th><td><code>bundle/items/${item.id}/content</code></td></tr>
</table>
<h3>Custody</h3>
<ol>${docs.map((doc) => `<li>${escapeHtml(describeEvent(doc, names))}</li>`).join('\n')}</ol>
</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Evidence export ${plan.bundleId}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}code{word-break:break-all}th{text-align:left;padding-right:1rem;vertical-align:top}section{border-top:1px solid #ccc;margin-top:1.5rem}</style>
</head><body>
<h1>Evidence export</h1>
<p>Exported ${escapeHtml(plan.createdAt)} for <strong>${escapeHtml(plan.recipient)}</strong>. Purpose: ${escapeHtml(plan.purpose)}.${plan.legalBasis ? ` Legal basis: ${escapeHtml(plan.legalBasis)}.` : ''}</p>
<p>${items.length} item(s). Every custody event below is proved to be in the node's custody log by the signed checkpoint in <code>checkpoint.txt</code>; the export event of each item records the SHA-256 of this page, of <code>index.csv</code> and of <code>verify.html</code>. To check everything, open <code>verify.html</code> and choose this bundle file, or run <code>accord verify-bundle</code>; docs/bundle-format.md explains how to check by hand.</p>
${rows}
</body></html>
`;
};

const csvField = (value: string): string =>
  /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;

const indexCsv = (items: readonly Shown[], names: Map<string, string>): string =>
  `${[
    ['item_id', 'title', 'kind', 'media_type', 'size', 'sha256', 'file', 'custody'].join(','),
    ...items.map(({ item, docs }) =>
      [
        item.id,
        item.title,
        item.kind,
        item.mediaType,
        String(item.size),
        item.sha256,
        `bundle/items/${item.id}/content`,
        docs.map((doc) => describeEvent(doc, names)).join('; '),
      ]
        .map(csvField)
        .join(','),
    ),
  ].join('\r\n')}\r\n`;
