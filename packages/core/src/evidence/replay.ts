import { canonicalize } from '@accord/custody';
import type { CustodyEventDoc } from '../custody/events.ts';
import { sha256Hex } from '../custody/merkle.ts';
import type { ItemRecord, NewItem } from './types.ts';

/**
 * An item's state is a function of its custody events: every column a person or the node can change
 * is fixed by a "registered" event (the item's initial state) and changed only by later events. An
 * audit replays the events and compares the result with the database, so that a changed row —
 * a seal cleared, a holder moved, a location shifted, a digest failure hidden — is caught.
 */

/** SHA-256 of what extraction found (metadata and problems), as recorded at registration. */
export const metadataDigest = (item: Pick<ItemRecord, 'metadata' | 'problems'>): string =>
  sha256Hex(Buffer.from(canonicalize({ metadata: item.metadata, problems: item.problems }), 'utf8'));

/** Public details and private record of an item's "registered" event. */
export const registration = (
  item: NewItem,
): { details: Record<string, string | number | boolean | null>; private: Record<string, unknown> } => ({
  details: { size: item.size, mediaType: item.mediaType, kind: item.kind, derivedFrom: item.derivedFrom },
  private: {
    title: item.title,
    description: item.description,
    sensitive: item.sensitive,
    capturedAt: item.capturedAt,
    latitude: item.latitude,
    longitude: item.longitude,
    holderOrgId: item.holderOrgId,
    holderUserId: item.holderUserId,
    metadata: metadataDigest(item),
  },
});

export type ReplayedState = Omit<
  ItemRecord,
  'id' | 'caseId' | 'sha256' | 'metadata' | 'problems' | 'createdAt' | 'createdBy' | 'eventCount' | 'headHash'
> & {
  readonly metadataDigest: string;
};

type MutableState = { -readonly [K in keyof ReplayedState]: ReplayedState[K] };

/**
 * Applies one event (with its parsed private record) to an item's replayed state; `undefined`
 * until the item's "registered" event.
 */
export const replayStep = (
  state: ReplayedState | undefined,
  doc: CustodyEventDoc,
  record: Record<string, unknown> | null,
): ReplayedState | undefined => {
  const d = doc.details;
  const r = record ?? {};
  if (doc.action === 'registered' && !state) {
    return {
      size: Number(d.size),
      mediaType: String(d.mediaType),
      kind: d.kind as ReplayedState['kind'],
      derivedFrom: (d.derivedFrom ?? null) as ReplayedState['derivedFrom'],
      title: String(r.title),
      description: String(r.description ?? ''),
      sensitive: r.sensitive === true,
      capturedAt: (r.capturedAt ?? null) as string | null,
      latitude: (r.latitude ?? null) as number | null,
      longitude: (r.longitude ?? null) as number | null,
      holderOrgId: (r.holderOrgId ?? null) as ReplayedState['holderOrgId'],
      holderUserId: (r.holderUserId ?? null) as ReplayedState['holderUserId'],
      sealedAt: null,
      sealReason: null,
      metadataDigest: String(r.metadata),
    };
  }
  if (!state) return state;
  const next: MutableState = { ...state };
  switch (doc.action) {
    case 'metadata_edited': {
      const after = (r.after ?? {}) as Record<string, unknown>;
      if (typeof after.title === 'string') next.title = after.title;
      if (typeof after.description === 'string') next.description = after.description;
      if (typeof after.sensitive === 'boolean') next.sensitive = after.sensitive;
      return next;
    }
    case 'transferred':
      next.holderOrgId = (d.toOrg ?? null) as ReplayedState['holderOrgId'];
      next.holderUserId = (d.toUser ?? null) as ReplayedState['holderUserId'];
      return next;
    case 'sealed':
      next.sealedAt = doc.at;
      next.sealReason = typeof r.reason === 'string' ? r.reason : null;
      return next;
    default:
      return state;
  }
};

/** Names the columns where an item row differs from its replayed events. */
export const differences = (item: ItemRecord, state: ReplayedState): string[] => {
  const out: string[] = [];
  const same = (a: unknown, b: unknown) => a === b;
  const fields: (keyof ReplayedState & keyof ItemRecord)[] = [
    'size',
    'mediaType',
    'kind',
    'derivedFrom',
    'title',
    'description',
    'sensitive',
    'capturedAt',
    'latitude',
    'longitude',
    'holderOrgId',
    'holderUserId',
    'sealedAt',
    'sealReason',
  ];
  for (const f of fields) if (!same(item[f], state[f])) out.push(f);
  if (metadataDigest(item) !== state.metadataDigest) out.push('metadata or problems');
  return out;
};

/** The capture fields a "collected" event's private record commits to (with the file name). */
export const CAPTURE_FIELDS = [
  'collectedBy',
  'collectedAt',
  'sourceUrl',
  'method',
  'latitude',
  'longitude',
  'note',
  'fileName',
] as const;

/** Names the capture fields where a shown capture record differs from its event's private record. */
export const captureDifferences = (
  record: Readonly<Record<string, unknown>> | null | undefined,
  capture: Readonly<Record<string, unknown>>,
): string[] => CAPTURE_FIELDS.filter((f) => (record?.[f] ?? null) !== (capture[f] ?? null));
