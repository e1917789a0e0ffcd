import {
  AccordError,
  type CaptureFields,
  type CollectionRecord,
  CUSTODY_ACTIONS,
  type Evidence,
  hashLeafSync,
  type IngestResult,
  ITEM_KINDS,
  type ItemRecord,
  invalid,
  parseDerivedKind,
  parseFileName,
  type TimelineEntry,
} from '@accord/core';
import { toBase64 } from '@accord/custody';
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { type DefineApiRoute, ErrorSchema, errors, IdParam, ok, type ValidInput } from './api-common.ts';
import {
  clientWentAway,
  contentDisposition,
  downloadName,
  MEDIA_CATEGORIES,
  parseRange,
  requestBytes,
  sendBytes,
  unsatisfiable,
} from './content.ts';
import type { AppEnv } from './context.ts';
import { listEvidence, parseEvidenceQuery, type RawEvidenceQuery } from './evidence-query.ts';

// ── schemas ──────────────────────────────────────────────────────────────────
const ItemSchema = z
  .object({
    id: z.uuid(),
    caseId: z.uuid(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.number().int(),
    mediaType: z.string().openapi({ description: 'Detected from the bytes, never from the file name' }),
    title: z.string(),
    description: z.string(),
    kind: z.enum(ITEM_KINDS),
    derivedFrom: z.uuid().nullable(),
    metadata: z.record(z.string(), z.unknown()).openapi({
      description: 'What extraction found: image size, EXIF (camera, times, GPS), WARC records…',
    }),
    problems: z.array(z.string()).openapi({ description: 'Problems found at ingest, in words' }),
    capturedAt: z.string().nullable(),
    latitude: z.number().nullable(),
    longitude: z.number().nullable(),
    sensitive: z.boolean(),
    holderOrgId: z.uuid().nullable(),
    holderUserId: z.uuid().nullable(),
    sealedAt: z.string().nullable(),
    sealReason: z.string().nullable(),
    createdAt: z.iso.datetime(),
    createdBy: z.uuid().nullable(),
    eventCount: z.number().int(),
    headHash: z.string().openapi({ description: "Hash of the item's latest custody event" }),
  })
  .openapi('EvidenceItem');

const CollectionSchema = z
  .object({
    id: z.string(),
    eventId: z.uuid(),
    fileName: z.string().nullable(),
    collectedBy: z.string().nullable(),
    collectedAt: z.string().nullable(),
    sourceUrl: z.string().nullable(),
    method: z.string().nullable(),
    latitude: z.number().nullable(),
    longitude: z.number().nullable(),
    note: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .openapi('CaptureRecord');

const EventRefSchema = z.object({
  id: z.uuid(),
  leafIndex: z.number().int(),
  action: z.enum(CUSTODY_ACTIONS),
});

const IngestSchema = z
  .object({
    created: z.boolean().openapi({ description: 'false when the case already held the same bytes' }),
    blobCreated: z.boolean().openapi({ description: 'false when the node already stored the same bytes' }),
    item: ItemSchema,
    events: z.array(EventRefSchema),
  })
  .openapi('IngestResult');

const TimelineSchema = z
  .object({
    id: z.uuid(),
    leafIndex: z.number().int(),
    action: z.enum(CUSTODY_ACTIONS),
    at: z.iso.datetime(),
    actorUserId: z.string().nullable(),
    actorOrgId: z.string().nullable(),
    hash: z.string(),
    details: z.record(z.string(), z.unknown()),
    inLog: z.object({
      state: z.enum(['verified', 'pending', 'failed']),
      checkpointSize: z.number().int().optional(),
      problem: z.string().optional(),
    }),
    entry: z
      .string()
      .openapi({ description: "The event's canonical JSON (RFC 8785): exactly the log entry's bytes" }),
  })
  .openapi('CustodyEvent');

const ProofSchema = z
  .object({
    eventId: z.uuid(),
    itemId: z.uuid(),
    leafIndex: z.number().int(),
    treeSize: z.number().int(),
    leafHash: z.string().openapi({ description: 'SHA-256(0x00 ‖ entry), base64' }),
    entry: z.string(),
    proof: z.array(z.string()).openapi({ description: 'RFC 9162 §2.1.3 inclusion proof, base64 hashes' }),
    checkpoint: z
      .string()
      .openapi({ description: 'The signed checkpoint (C2SP signed note) the proof leads to' }),
  })
  .openapi('InclusionProof');

const CaseParam = z.object({ caseId: z.uuid().openapi({ param: { name: 'caseId', in: 'path' } }) });

const text = (description: string) => z.string().optional().openapi({ description });

const UploadQuery = z.object({
  fileName: text('The name the file had; display only. No / or \\.'),
  title: text('Defaults to the file name'),
  collectedBy: text('Berkeley Protocol: who collected it'),
  collectedAt: text('Berkeley Protocol: when (ISO 8601)'),
  sourceUrl: text('Berkeley Protocol: where from (absolute URL)'),
  method: text('Berkeley Protocol: how (tool, method)'),
  location: text('"LAT,LON" in decimal degrees'),
  note: text('Berkeley Protocol: notes'),
  sensitive: z.enum(['true', 'false', '1', '0']).optional().openapi({ description: 'Blur in previews' }),
  compartmentId: text('File the item in this compartment of the case (you must be named in it)'),
});

const DeriveQuery = z.object({
  kind: z.enum(
    ITEM_KINDS.filter((k) => k !== 'original') as ['redacted', 'transcript', 'translation', 'excerpt'],
  ),
  fileName: text('The derived file’s name; display only'),
  title: text('Defaults to "<kind> of <original title>"'),
  note: text('What was done and why'),
});

const ListQuery = z.object({
  caseId: z.uuid().optional(),
  type: z.enum(MEDIA_CATEGORIES).optional(),
  from: text('ISO 8601; a date alone means from the start of that day (UTC)'),
  to: text('ISO 8601, exclusive; a date alone includes that whole day (UTC)'),
  hasLocation: z.enum(['true', 'false']).optional(),
  limit: z.string().optional().openapi({ description: '1–500, default 50' }),
  offset: z.string().optional().openapi({ description: 'default 0' }),
});

const Seal = z
  .object({ reason: z.string().min(1).max(2000) })
  .strict()
  .openapi('SealRequest');
const MetadataChange = z
  .object({
    title: z.string().max(300).optional(),
    description: z.string().max(4000).optional(),
    sensitive: z.boolean().optional(),
  })
  .strict()
  .openapi('MetadataChange');
const Transfer = z
  .object({ toOrgId: z.uuid(), toUserId: z.uuid().optional(), note: z.string().max(4000).optional() })
  .strict()
  .openapi('TransferRequest');
const Link = z.object({ caseId: z.uuid() }).strict().openapi('LinkRequest');

const rawBody = {
  required: true,
  description: 'The file itself, as the raw request body (any Content-Type, any size; streamed)',
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
} as const;

const notFound = {
  404: { description: 'No such item', content: { 'application/json': { schema: ErrorSchema } } },
};
const conflict = {
  409: { description: 'Refused (sealed)', content: { 'application/json': { schema: ErrorSchema } } },
};

// ── mapping ──────────────────────────────────────────────────────────────────
export const toItemJson = (item: ItemRecord) => ({ ...item, problems: [...item.problems] });
const toCollection = ({ itemId: _i, ...c }: CollectionRecord) => c;
const toIngest = (r: IngestResult) => ({
  created: r.created,
  blobCreated: r.blobCreated,
  item: toItemJson(r.item),
  events: r.events.map((e) => ({ id: e.id, leafIndex: e.leafIndex, action: e.action })),
});
export const toTimelineJson = (e: TimelineEntry) => ({
  id: e.event.id,
  leafIndex: e.event.leafIndex,
  action: e.action,
  at: e.at,
  actorUserId: e.actorUserId,
  actorOrgId: e.actorOrgId,
  hash: e.event.hash,
  details: e.details,
  inLog: e.inLog,
  entry: Buffer.from(e.event.bytes).toString('utf8'),
});

/**
 * Upload metadata: query parameters, or `X-Accord-*` headers whose values are percent-encoded
 * UTF-8 (headers cannot carry raw UTF-8). A query parameter wins over a header.
 */
const META_FIELDS = [
  'fileName',
  'title',
  'collectedBy',
  'collectedAt',
  'sourceUrl',
  'method',
  'location',
  'note',
  'sensitive',
  'kind',
] as const;
type MetaField = (typeof META_FIELDS)[number];

/**
 * Runs an ingest or derivation that reads the request body and answers 201 (new) or 200 (the case
 * already held the bytes); a client that went away midway gets the quiet answer of clientWentAway.
 */
const answerStreamed = async (c: Context<AppEnv>, run: () => Promise<IngestResult>): Promise<Response> => {
  try {
    const result = await run();
    return c.json(toIngest(result), result.created ? 201 : 200);
  } catch (e) {
    const gone = clientWentAway(c);
    if (gone) return gone;
    throw e;
  }
};

const headerName = (field: MetaField) => `X-Accord-${field.replace(/[A-Z]/g, (ch) => `-${ch}`)}`;

export const uploadMeta = (c: Context<AppEnv>): Partial<Record<MetaField, string>> => {
  const out: Partial<Record<MetaField, string>> = {};
  for (const field of META_FIELDS) {
    const fromQuery = c.req.query(field);
    if (fromQuery !== undefined) {
      out[field] = fromQuery;
      continue;
    }
    const header = c.req.header(headerName(field));
    if (header === undefined) continue;
    try {
      out[field] = decodeURIComponent(header);
    } catch {
      throw invalid(`the ${headerName(field)} header must be percent-encoded UTF-8`, { field });
    }
  }
  return out;
};

export const parseFlag = (value: string | undefined, field: string): boolean | undefined => {
  if (value === undefined || value === '') return undefined;
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw invalid(`${field} must be true or false`, { field });
};

export const captureOf = (meta: Partial<Record<string, string>>): CaptureFields => ({
  collectedBy: meta.collectedBy,
  collectedAt: meta.collectedAt,
  sourceUrl: meta.sourceUrl,
  method: meta.method,
  location: meta.location,
  note: meta.note,
});

/** Refuses derivation from a sealed item before any byte is read (the domain checks again). */
export const refuseIfSealed = (item: ItemRecord): void => {
  if (item.sealedAt) throw new AccordError('conflict', 'this item is sealed; nothing can be derived from it');
};

/** The evidence part of /api/v1. */
export const registerEvidenceApi = (def: DefineApiRoute, valid: ValidInput) => {
  const evidenceOf = (c: Context<AppEnv>): Evidence => c.get('node').evidence;
  const actorOf = (c: Context<AppEnv>) => c.get('auth')!.actor;
  const idOf = (c: Context<AppEnv>) => valid<{ id: string }>(c, 'param').id;

  def(
    'evidence.add',
    {
      method: 'post',
      path: '/cases/{caseId}/evidence',
      summary: 'Upload one file into a case (streamed; the raw body is the file)',
      description:
        'Metadata goes in query parameters or in X-Accord-File-Name, X-Accord-Title, X-Accord-Collected-By, ' +
        'X-Accord-Collected-At, X-Accord-Source-Url, X-Accord-Method, X-Accord-Location, X-Accord-Note and ' +
        'X-Accord-Sensitive headers (percent-encoded UTF-8). The case is checked before the body is read. ' +
        'An upload cut off midway stores and records nothing.',
      request: { params: CaseParam, query: UploadQuery, body: rawBody },
      responses: {
        201: {
          description: 'Stored and recorded',
          content: { 'application/json': { schema: IngestSchema } },
        },
        200: {
          description: 'The case already held these bytes: a new "collected" event was recorded',
          content: { 'application/json': { schema: IngestSchema } },
        },
        ...errors,
        404: { description: 'No such case', content: { 'application/json': { schema: ErrorSchema } } },
      },
    },
    async (c) => {
      const evidence = evidenceOf(c);
      const actor = actorOf(c);
      const { caseId } = valid<{ caseId: string }>(c, 'param');
      const { compartmentId } = valid<{ compartmentId?: string }>(c, 'query');
      const meta = uploadMeta(c);
      // Everything that can be refused is refused before the first byte is read.
      await evidence.requireCase(actor, caseId, compartmentId);
      parseFileName(meta.fileName);
      const sensitive = parseFlag(meta.sensitive, 'sensitive');
      return answerStreamed(c, () =>
        evidence.ingest(
          actor,
          {
            caseId,
            compartmentId,
            source: requestBytes(c),
            fileName: meta.fileName,
            title: meta.title,
            ...(sensitive === undefined ? {} : { sensitive }),
            capture: captureOf(meta),
          },
          'api',
        ),
      );
    },
    { streamsBody: true },
  );

  def(
    'evidence.read',
    {
      method: 'get',
      path: '/evidence',
      summary: 'List evidence items, newest first',
      request: { query: ListQuery },
      responses: ok(
        z.object({
          items: z.array(ItemSchema),
          total: z.number().int(),
          limit: z.number().int(),
          offset: z.number().int(),
        }),
        'One page of items',
      ),
    },
    async (c) => {
      const q = parseEvidenceQuery(valid<RawEvidenceQuery>(c, 'query'));
      const { items, total } = await listEvidence(evidenceOf(c), actorOf(c), q);
      return c.json({ items: items.map(toItemJson), total, limit: q.limit, offset: q.offset });
    },
  );

  def(
    'evidence.read',
    {
      method: 'get',
      path: '/evidence/{id}',
      summary: 'One item with its capture records and derivatives (recorded as "viewed")',
      request: { params: IdParam },
      responses: {
        ...ok(
          z.object({
            item: ItemSchema,
            collections: z.array(CollectionSchema),
            derived: z.array(ItemSchema),
          }),
          'The item',
        ),
        ...notFound,
      },
    },
    async (c) => {
      const evidence = evidenceOf(c);
      const actor = actorOf(c);
      const item = await evidence.view(actor, idOf(c), 'api');
      const [collections, derived] = await Promise.all([
        evidence.collections(actor, item.id),
        evidence.derived(actor, item.id),
      ]);
      return c.json({
        item: toItemJson(item),
        collections: collections.map(toCollection),
        derived: derived.map(toItemJson),
      });
    },
  );

  def(
    'evidence.read',
    {
      method: 'get',
      path: '/evidence/{id}/content',
      summary: 'Download the bytes (recorded as "downloaded"); one Range is supported',
      description:
        'Always an attachment. Served with the detected media type only when browsers cannot run it ' +
        '(images, audio, video, PDF, plain text); anything else is application/octet-stream.',
      request: { params: IdParam },
      responses: {
        200: {
          description: 'The bytes',
          content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
        },
        206: { description: 'The requested range' },
        416: {
          description: 'The range cannot be served',
          content: { 'application/json': { schema: ErrorSchema } },
        },
        ...errors,
        ...notFound,
      },
    },
    async (c) => {
      const evidence = evidenceOf(c);
      const actor = actorOf(c);
      const item = await evidence.get(actor, idOf(c));
      const range = parseRange(c.req.header('Range'), item.size);
      if (range.kind === 'unsatisfiable') return unsatisfiable(c, item.size, true);
      const opened = await evidence.download(
        actor,
        item.id,
        range.kind === 'range' ? { start: range.start, end: range.end } : undefined,
        'api',
      );
      const first = (await evidence.collections(actor, item.id))[0];
      return sendBytes(c, {
        stream: opened.stream,
        item: opened.item,
        start: opened.start,
        end: opened.end,
        partial: range.kind === 'range',
        disposition: contentDisposition('attachment', downloadName(item, first?.fileName)),
        sandbox: true,
      });
    },
  );

  def(
    'evidence.read',
    {
      method: 'get',
      path: '/evidence/{id}/events',
      summary: "The item's custody events, each checked against the latest signed checkpoint",
      request: { params: IdParam },
      responses: { ...ok(z.array(TimelineSchema), 'Events, oldest first'), ...notFound },
    },
    async (c) => c.json((await evidenceOf(c).timeline(actorOf(c), idOf(c))).map(toTimelineJson)),
  );

  def(
    'evidence.manage',
    {
      method: 'post',
      path: '/evidence/{id}/seal',
      summary: 'Seal an item: nothing can be derived from, transferred or linked afterwards',
      request: {
        params: IdParam,
        body: { required: true, content: { 'application/json': { schema: Seal } } },
      },
      responses: { ...ok(ItemSchema, 'The sealed item'), ...notFound, ...conflict },
    },
    async (c) => {
      const { reason } = valid<z.infer<typeof Seal>>(c, 'json');
      return c.json(toItemJson(await evidenceOf(c).seal(actorOf(c), idOf(c), reason, 'api')));
    },
  );

  def(
    'evidence.manage',
    {
      method: 'post',
      path: '/evidence/{id}/metadata',
      summary: 'Change the title, description or sensitivity (the bytes never change)',
      request: {
        params: IdParam,
        body: { required: true, content: { 'application/json': { schema: MetadataChange } } },
      },
      responses: { ...ok(ItemSchema, 'The item'), ...notFound },
    },
    async (c) => {
      const change = valid<z.infer<typeof MetadataChange>>(c, 'json');
      return c.json(toItemJson(await evidenceOf(c).editMetadata(actorOf(c), idOf(c), change, 'api')));
    },
  );

  def(
    'evidence.manage',
    {
      method: 'post',
      path: '/evidence/{id}/transfer',
      summary: 'Hand custody to another organisation and/or person',
      request: {
        params: IdParam,
        body: { required: true, content: { 'application/json': { schema: Transfer } } },
      },
      responses: { ...ok(ItemSchema, 'The item'), ...notFound, ...conflict },
    },
    async (c) => {
      const input = valid<z.infer<typeof Transfer>>(c, 'json');
      return c.json(toItemJson(await evidenceOf(c).transfer(actorOf(c), idOf(c), input, 'api')));
    },
  );

  def(
    'evidence.add',
    {
      method: 'post',
      path: '/evidence/{id}/derive',
      summary: 'Upload a derivative (redaction, transcript, translation, excerpt) of an item (streamed)',
      request: { params: IdParam, query: DeriveQuery, body: rawBody },
      responses: {
        201: {
          description: 'Stored and recorded',
          content: { 'application/json': { schema: IngestSchema } },
        },
        200: {
          description: 'The same derivative existed',
          content: { 'application/json': { schema: IngestSchema } },
        },
        ...errors,
        ...notFound,
        ...conflict,
      },
    },
    async (c) => {
      const evidence = evidenceOf(c);
      const actor = actorOf(c);
      const meta = uploadMeta(c);
      const original = await evidence.get(actor, idOf(c));
      parseDerivedKind(meta.kind);
      parseFileName(meta.fileName);
      refuseIfSealed(original);
      return answerStreamed(c, () =>
        evidence.derive(
          actor,
          original.id,
          {
            source: requestBytes(c),
            kind: meta.kind,
            fileName: meta.fileName,
            title: meta.title,
            note: meta.note,
          },
          'api',
        ),
      );
    },
    { streamsBody: true },
  );

  def(
    'evidence.manage',
    {
      method: 'post',
      path: '/evidence/{id}/link',
      summary: 'Make the item part of another case too (a linked item there; both record the link)',
      request: {
        params: IdParam,
        body: { required: true, content: { 'application/json': { schema: Link } } },
      },
      responses: {
        201: {
          description: 'The linked item in the other case',
          content: { 'application/json': { schema: ItemSchema } },
        },
        ...errors,
        ...notFound,
        ...conflict,
      },
    },
    async (c) => {
      const { caseId } = valid<z.infer<typeof Link>>(c, 'json');
      return c.json(toItemJson(await evidenceOf(c).linkToCase(actorOf(c), idOf(c), caseId, 'api')), 201);
    },
  );

  def(
    'evidence.read',
    {
      method: 'post',
      path: '/evidence/{id}/verify',
      summary: 'Check the stored bytes and every event against the log now (recorded as "verified")',
      request: { params: IdParam },
      responses: {
        ...ok(z.object({ ok: z.boolean(), problems: z.array(z.string()) }), 'The outcome'),
        ...notFound,
      },
    },
    async (c) => c.json(await evidenceOf(c).verifyItem(actorOf(c), idOf(c), 'api')),
  );

  def(
    'evidence.read',
    {
      method: 'get',
      path: '/log/proof',
      summary: "Inclusion proof of one custody event in the log's latest checkpoint",
      request: { query: z.object({ event: z.uuid().openapi({ description: 'The event id' }) }) },
      responses: {
        ...ok(ProofSchema, 'The proof'),
        404: { description: 'No such event', content: { 'application/json': { schema: ErrorSchema } } },
      },
    },
    async (c) => {
      const { event: eventId } = valid<{ event: string }>(c, 'query');
      const { event, checkpoint, size, proof } = await evidenceOf(c).proveEvent(actorOf(c), eventId);
      return c.json({
        eventId: event.id,
        itemId: event.itemId,
        leafIndex: event.leafIndex,
        treeSize: size,
        leafHash: toBase64(hashLeafSync(event.bytes)),
        entry: Buffer.from(event.bytes).toString('utf8'),
        proof: proof.map((h) => toBase64(h)),
        checkpoint,
      });
    },
  );
};
