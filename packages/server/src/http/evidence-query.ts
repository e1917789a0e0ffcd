import {
  type Evidence,
  type ItemFilter,
  type ItemRecord,
  invalid,
  type Principal,
  parseCaseId,
  parseDateOrTime,
} from '@accord/core';
import { categoryOf, MEDIA_CATEGORIES, type MediaCategory, prefixOf } from './content.ts';

/** The evidence list's filters, as both the API and the list page take them (query strings). */
export interface EvidenceQuery {
  readonly caseId?: string;
  readonly type?: MediaCategory;
  /** ISO-8601 UTC, inclusive. */
  readonly from?: string;
  /** ISO-8601 UTC, exclusive. */
  readonly to?: string;
  readonly hasLocation?: boolean;
  readonly limit: number;
  readonly offset: number;
}

export interface RawEvidenceQuery {
  readonly caseId?: string | undefined;
  readonly type?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly hasLocation?: string | undefined;
  readonly limit?: string | undefined;
  readonly offset?: string | undefined;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Parses list filters; empty values mean "no filter". A date without a time means the whole
 * day: `from=2024-03-01` starts at its first instant, `to=2024-03-01` includes all of it.
 */
export const parseEvidenceQuery = (raw: RawEvidenceQuery, defaultLimit = 50): EvidenceQuery => {
  const blank = (v: string | undefined) => v === undefined || v.trim() === '';
  const out: { -readonly [K in keyof EvidenceQuery]: EvidenceQuery[K] } = { limit: defaultLimit, offset: 0 };
  if (!blank(raw.caseId)) out.caseId = parseCaseId(raw.caseId!.trim());
  if (!blank(raw.type)) {
    const type = raw.type!.trim();
    if (!(MEDIA_CATEGORIES as readonly string[]).includes(type)) {
      throw invalid(`type must be one of ${MEDIA_CATEGORIES.join(', ')}`, {
        field: 'type',
        reason: 'choice_invalid',
      });
    }
    out.type = type as MediaCategory;
  }
  if (!blank(raw.from)) out.from = parseDateOrTime(raw.from!.trim(), 'from', 'the start date');
  if (!blank(raw.to)) {
    const to = raw.to!.trim();
    const parsed = parseDateOrTime(to, 'to', 'the end date');
    out.to = DATE_ONLY.test(to) ? new Date(Date.parse(parsed) + 86_400_000).toISOString() : parsed;
  }
  if (!blank(raw.hasLocation)) {
    const v = raw.hasLocation!.trim();
    if (v === 'true' || v === 'yes' || v === '1') out.hasLocation = true;
    else if (v === 'false' || v === 'no' || v === '0') out.hasLocation = false;
    else
      throw invalid('hasLocation must be true or false', { field: 'hasLocation', reason: 'choice_invalid' });
  }
  const int = (v: string | undefined, field: string, min: number, max: number, dflt: number): number => {
    if (blank(v)) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw invalid(`${field} must be a whole number from ${min} to ${max}`, { field });
    }
    return n;
  };
  out.limit = int(raw.limit, 'limit', 1, 500, defaultLimit);
  out.offset = int(raw.offset, 'offset', 0, 10_000_000, 0);
  return out;
};

/** Lists one page of items. */
export const listEvidence = async (
  evidence: Evidence,
  by: Principal,
  q: EvidenceQuery,
): Promise<{ items: ItemRecord[]; total: number }> => {
  const base: Omit<ItemFilter, 'limit'> = {
    ...(q.caseId ? { caseId: q.caseId as ItemFilter['caseId'] } : {}),
    ...(q.from ? { from: q.from } : {}),
    ...(q.to ? { to: q.to } : {}),
    ...(q.hasLocation === undefined ? {} : { hasLocation: q.hasLocation }),
  };
  const prefix = q.type ? prefixOf(q.type) : undefined;
  if (q.type !== 'other') {
    return evidence.list(by, {
      ...base,
      ...(prefix ? { mediaPrefix: prefix } : {}),
      limit: q.limit,
      offset: q.offset,
    });
  }
  // The store filters by one media-type prefix; "everything else" is selected here, page by page.
  // TODO(core): an exclusion filter in ItemFilter would let the database do this.
  const items: ItemRecord[] = [];
  let total = 0;
  for (let offset = 0; ; offset += 500) {
    const page = await evidence.list(by, { ...base, limit: 500, offset });
    for (const item of page.items) {
      if (categoryOf(item.mediaType) !== 'other') continue;
      if (total >= q.offset && items.length < q.limit) items.push(item);
      total += 1;
    }
    if (page.items.length < 500) break;
  }
  return { items, total };
};
