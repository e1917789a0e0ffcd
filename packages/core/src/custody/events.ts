import { randomBytes } from 'node:crypto';
import { canonicalBytes, parseCanonical } from '@accord/custody';
import { AccordError } from '../shared/errors.ts';
import { hashLeaf, sha256Hex } from './merkle.ts';

/**
 * A custody event is one action on one evidence item. Its bytes are the RFC 8785 canonical JSON of
 * the document below; those exact bytes are the log entry, their SHA-256 is the event hash that
 * the next event of the same item names in `prev`, and SHA-256(0x00 ‖ bytes) is the leaf hash.
 *
 * The log is public to partners and auditors, so an event carries identifiers and hashes only.
 * Anything a person wrote or that could identify someone (collector, source URL, location, notes,
 * reasons, file names) is kept in a private record; the event commits to it with
 * `private` = SHA-256 of the record's canonical JSON, which includes 16 random bytes of salt so
 * that short texts cannot be guessed from the hash. See docs/custody-log.md.
 */
export const CUSTODY_ACTIONS = [
  'collected',
  'registered',
  'metadata_edited',
  'viewed',
  'downloaded',
  'linked_to_case',
  'transferred',
  'derived',
  'sealed',
  'exported',
  'verified',
] as const;
export type CustodyAction = (typeof CUSTODY_ACTIONS)[number];

export const EVENT_TYPE = 'accord.custody-event';
export const EVENT_VERSION = 1;
/** Entry bundles prefix each entry with a 16-bit length; events stay well below it. */
export const MAX_EVENT_BYTES = 16_384;

export type Via = 'web' | 'api' | 'cli';

export interface EventActor {
  readonly user: string | null;
  readonly org: string | null;
  readonly via: Via;
}

/** Small public facts: sizes, media types, hashes, ids. Never free text. */
export type PublicDetails = Readonly<Record<string, string | number | boolean | null>>;

export interface CustodyEventDoc {
  readonly type: typeof EVENT_TYPE;
  readonly v: typeof EVENT_VERSION;
  /** The log this event belongs to (the checkpoint origin): an event cannot be replayed elsewhere. */
  readonly log: string;
  readonly id: string;
  readonly item: string;
  readonly itemId: string;
  readonly case: string;
  readonly action: CustodyAction;
  readonly at: string;
  readonly actor: EventActor;
  readonly details: PublicDetails;
  readonly private: string | null;
  readonly prev: string | null;
}

/** What a service asks to record; the log fills in item, case and prev when it appends. */
export interface EventDraft {
  readonly id: string;
  readonly action: CustodyAction;
  readonly at: string;
  readonly actor: EventActor;
  readonly details?: PublicDetails;
  /** Private facts; salted and committed to by hash. */
  readonly private?: Readonly<Record<string, unknown>>;
}

export interface SealedEvent {
  readonly doc: CustodyEventDoc;
  readonly bytes: Uint8Array;
  /** Lowercase hex SHA-256 of `bytes`. */
  readonly hash: string;
  readonly leafHash: Uint8Array;
  /** Canonical JSON of the private record (with its salt), or null. */
  readonly privateRecord: string | null;
}

export const sealEvent = (
  draft: EventDraft,
  context: { log: string; item: string; itemId: string; caseId: string; prev: string | null },
): SealedEvent => {
  let privateRecord: string | null = null;
  let commitment: string | null = null;
  if (draft.private && Object.keys(draft.private).length > 0) {
    const record = { ...draft.private, salt: randomBytes(16).toString('base64') };
    privateRecord = Buffer.from(canonicalBytes(record)).toString('utf8');
    commitment = sha256Hex(Buffer.from(privateRecord, 'utf8'));
  }
  const doc: CustodyEventDoc = {
    type: EVENT_TYPE,
    v: EVENT_VERSION,
    log: context.log,
    id: draft.id,
    item: context.item,
    itemId: context.itemId,
    case: context.caseId,
    action: draft.action,
    at: draft.at,
    actor: draft.actor,
    details: draft.details ?? {},
    private: commitment,
    prev: context.prev,
  };
  const bytes = canonicalBytes(doc);
  if (bytes.byteLength > MAX_EVENT_BYTES) {
    throw new AccordError('invalid_input', `a custody event may not exceed ${MAX_EVENT_BYTES} bytes`);
  }
  return { doc, bytes, hash: sha256Hex(bytes), leafHash: hashLeaf(bytes), privateRecord };
};

const HEX64 = /^[0-9a-f]{64}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Parses and checks an event's bytes: canonical JSON of the documented shape. Returns the document
 * or throws AccordError('integrity') naming what is wrong.
 */
export const parseEventBytes = (bytes: Uint8Array): CustodyEventDoc => {
  let value: unknown;
  try {
    value = parseCanonical(bytes, { maxBytes: MAX_EVENT_BYTES, maxDepth: 4 });
  } catch (e) {
    throw new AccordError('integrity', `event bytes are not canonical JSON: ${(e as Error).message}`);
  }
  const fail = (what: string): never => {
    throw new AccordError('integrity', `event ${what}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail('is not a JSON object');
  const d = value as Record<string, unknown>;
  const keys = Object.keys(d).sort().join(',');
  if (keys !== 'action,actor,at,case,details,id,item,itemId,log,prev,private,type,v') {
    return fail(`has unexpected fields: ${keys}`);
  }
  if (d.type !== EVENT_TYPE || d.v !== EVENT_VERSION) fail('has an unknown type or version');
  if (typeof d.item !== 'string' || !HEX64.test(d.item)) fail('item is not a SHA-256 hex digest');
  if (d.prev !== null && (typeof d.prev !== 'string' || !HEX64.test(d.prev))) fail('prev is not a hash');
  if (d.private !== null && (typeof d.private !== 'string' || !HEX64.test(d.private)))
    fail('private is not a hash');
  if (typeof d.at !== 'string' || !ISO.test(d.at)) fail('time is not an ISO-8601 UTC time with milliseconds');
  if (!(CUSTODY_ACTIONS as readonly unknown[]).includes(d.action))
    fail(`action ${String(d.action)} is unknown`);
  for (const k of ['id', 'itemId', 'case', 'log'] as const)
    if (typeof d[k] !== 'string') fail(`${k} is not a string`);
  const actor = d.actor as Record<string, unknown> | null;
  if (typeof actor !== 'object' || actor === null || !['web', 'api', 'cli'].includes(actor.via as string)) {
    fail('actor is malformed');
  }
  if (typeof d.details !== 'object' || d.details === null || Array.isArray(d.details))
    fail('details is not an object');
  return value as CustodyEventDoc;
};

/** Checks a private record against the commitment in an event. */
export const privateMatches = (doc: CustodyEventDoc, record: string | null): boolean =>
  doc.private === null
    ? record === null
    : record !== null && sha256Hex(Buffer.from(record, 'utf8')) === doc.private;
