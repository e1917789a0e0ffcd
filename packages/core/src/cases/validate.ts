import { parseMultilineText, parseText } from '../accounts/validate.ts';
import { CASE_ROLES, type CaseRole, DATA_CATEGORIES, type DataCategory } from '../policy/policy.ts';
import { invalid } from '../shared/errors.ts';
import {
  ANSWERS,
  type Answer,
  BASIS_KINDS,
  type BasisKind,
  CASE_STATUSES,
  type CaseStatus,
  CREDIBILITY,
  type Credibility,
  PART_KINDS,
  type PartKind,
  RELIABILITY,
  type Reliability,
  SOURCE_KINDS,
  type SourceKind,
  STANCES,
  type Stance,
  WEIGHTS,
  type Weight,
} from './types.ts';

/** A parser for one of a fixed set of values, with a message that lists them. */
export const choice =
  <T extends string>(values: readonly T[], field: string, label: string) =>
  (value: unknown): T => {
    const v = typeof value === 'string' ? value.trim() : value;
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    throw invalid(`${label} must be one of: ${values.join(', ')}`, { field, reason: 'choice_invalid' });
  };

export const parseCaseStatus: (v: unknown) => CaseStatus = choice(CASE_STATUSES, 'status', 'the status');
export const parseCaseRole: (v: unknown) => CaseRole = choice(CASE_ROLES, 'role', 'the role on the case');
export const parseBasisKind: (v: unknown) => BasisKind = choice(
  BASIS_KINDS,
  'basisKind',
  'the kind of legal basis',
);
export const parseStance: (v: unknown) => Stance = choice(STANCES, 'stance', 'the stance');
export const parseWeight: (v: unknown) => Weight = choice(WEIGHTS, 'weight', 'the probative weight');
export const parseReliability: (v: unknown) => Reliability = choice(
  RELIABILITY,
  'reliability',
  'the source reliability (A completely reliable … F cannot be judged)',
);
export const parseCredibility: (v: unknown) => Credibility = (v) =>
  choice(
    CREDIBILITY,
    'credibility',
    'the information credibility (1 confirmed … 6 cannot be judged)',
  )(typeof v === 'number' ? String(v) : v);
export const parseSourceKind: (v: unknown) => SourceKind = choice(
  SOURCE_KINDS,
  'sourceKind',
  'the kind of source',
);
export const parseAnswer: (v: unknown) => Answer = choice(ANSWERS, 'answer', 'the answer');
export const parseCategory: (v: unknown) => DataCategory = choice(
  DATA_CATEGORIES,
  'receives',
  'a data category',
);

/** Optional free text: absent, null or blank is "". */
export const optionalText = (value: unknown, field: string, label: string, max: number): string =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
    ? ''
    : parseMultilineText(value, field, label, max);

/** A calendar date, YYYY-MM-DD, that exists. */
export const parseDate = (value: unknown, field: string, label: string): string => {
  const text = typeof value === 'string' ? value.trim() : '';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text) {
    throw invalid(`${label} must be a date such as 2024-03-01`, { field, reason: 'bad_date' });
  }
  return text;
};

export const optionalDate = (value: unknown, field: string, label: string): string | null =>
  value === undefined || value === null || value === '' ? null : parseDate(value, field, label);

/**
 * When an incident happened: a date (2022-03-09), a date and time with its offset
 * (2022-03-09T10:15:00+02:00), or a month (2022-03) when nothing more precise is known.
 */
export const parseWhen = (value: unknown, field: string, label: string): string => {
  const text = typeof value === 'string' ? value.trim() : '';
  const month = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(text);
  if (month) return text;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return parseDate(text, field, label);
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-](\d{2}):(\d{2}))$/.exec(text);
  // Offsets in use run from -12:00 to +14:00.
  const offsetOk = !m?.[6] || (Number(m[6]) <= 14 && Number(m[7]) < 60);
  if (m?.[1] && offsetOk && Number(m[2]) < 24 && Number(m[3]) < 60 && Number(m[4] ?? 0) < 60) {
    parseDate(m[1], field, label);
    return text;
  }
  throw invalid(
    `${label} must be a month (2022-03), a date (2022-03-09) or a time with its offset (2022-03-09T10:15:00+02:00)`,
    { field, reason: 'bad_time' },
  );
};

/** A list given as an array or as text with one entry per line (forms) or comma-separated. */
export const parseList = (
  value: unknown,
  field: string,
  label: string,
  options: { max: number; maxLength: number; split?: RegExp },
): string[] => {
  if (value === undefined || value === null || value === '') return [];
  const raw = Array.isArray(value)
    ? value
    : typeof value === 'string'
      ? value.split(options.split ?? /\r?\n/)
      : undefined;
  if (!raw) throw invalid(`${label} must be a list`, { field, reason: 'not_a_list' });
  const out: string[] = [];
  for (const entry of raw) {
    if (typeof entry !== 'string') throw invalid(`${label} must be a list of texts`, { field });
    const t = entry.trim();
    if (t === '') continue;
    out.push(parseText(t, field, `each entry of ${label}`, options.maxLength));
  }
  if (out.length > options.max) {
    throw invalid(`${label} may have at most ${options.max} entries`, { field, reason: 'too_many' });
  }
  return [...new Set(out)];
};

/** A victim or witness pseudonym: letters, digits and dashes, never a name with spaces. */
export const parsePseudonyms = (value: unknown): string[] => {
  const list = parseList(value, 'victims', 'the victims', { max: 500, maxLength: 40, split: /[\r\n,]+/ });
  for (const p of list) {
    if (!/^[\p{L}\p{N}][\p{L}\p{N}._-]{0,39}$/u.test(p)) {
      throw invalid(
        `victims are listed by pseudonym (such as V-0012 or W-0421), not by name: "${p}" has spaces or other characters`,
        { field: 'victims', reason: 'not_a_pseudonym' },
      );
    }
  }
  return list;
};

const PAGE = /^([1-9]\d{0,5})(?:-([1-9]\d{0,5}))?$/;
const TIME = /^(\d{1,2}):([0-5]\d):([0-5]\d)(?:\.(\d{1,3}))?$/;

const seconds = (t: string): number | undefined => {
  const m = TIME.exec(t);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(`0.${m[4] ?? '0'}`) : undefined;
};

/**
 * Which part of an item a link means: the whole item, pages ("12" or "12-14"), a time range
 * ("00:01:30-00:02:10") or a pixel region ("x,y,w,h"). Returned in one canonical spelling.
 */
export const parsePart = (kindInput: unknown, partInput: unknown): { partKind: PartKind; part: string } => {
  const partKind = choice(PART_KINDS, 'partKind', 'the part of the item')(kindInput ?? 'whole');
  const text = typeof partInput === 'string' ? partInput.trim().replace(/\s+/g, '') : '';
  const fail = (why: string) => invalid(why, { field: 'part', reason: 'bad_part' });
  switch (partKind) {
    case 'whole':
      if (text !== '') throw fail('a link to the whole item takes no part; choose page, time or region');
      return { partKind, part: '' };
    case 'page': {
      const m = PAGE.exec(text);
      if (!m) throw fail('pages must be a page number or a range such as 12-14');
      if (m[2] && Number(m[2]) < Number(m[1])) throw fail('the last page comes before the first');
      return { partKind, part: m[2] && m[2] !== m[1] ? `${m[1]}-${m[2]}` : (m[1] ?? '') };
    }
    case 'time': {
      const [from, to, ...rest] = text.split(/-|–/);
      const a = from === undefined ? undefined : seconds(from);
      const b = to === undefined ? undefined : seconds(to);
      if (rest.length > 0 || a === undefined || b === undefined) {
        throw fail('a time range must look like 00:01:30-00:02:10 (hours:minutes:seconds)');
      }
      if (b <= a) throw fail('the end of the time range must come after its start');
      return { partKind, part: `${from}-${to}` };
    }
    case 'region': {
      const nums = text.split(',');
      if (nums.length !== 4 || !nums.every((n) => /^\d{1,6}$/.test(n))) {
        throw fail('a region must be four whole numbers of pixels: x,y,width,height');
      }
      if (Number(nums[2]) === 0 || Number(nums[3]) === 0)
        throw fail('a region must have a width and a height');
      return { partKind, part: nums.map(Number).join(',') };
    }
  }
};

export const parseLatitudeLongitude = (
  lat: unknown,
  lon: unknown,
): { latitude: number | null; longitude: number | null } => {
  const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
  if (blank(lat) && blank(lon)) return { latitude: null, longitude: null };
  if (blank(lat) || blank(lon)) {
    throw invalid('give both the latitude and the longitude, or neither', {
      field: blank(lat) ? 'latitude' : 'longitude',
      reason: 'half_location',
    });
  }
  const num = (v: unknown) =>
    typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim()) : Number.NaN;
  const latitude = num(lat);
  const longitude = num(lon);
  if (!Number.isFinite(latitude) || latitude < -90 || latitude > 90) {
    throw invalid('the latitude must be a number from -90 to 90 (with the longitude)', { field: 'latitude' });
  }
  if (!Number.isFinite(longitude) || longitude < -180 || longitude > 180) {
    throw invalid('the longitude must be a number from -180 to 180 (with the latitude)', {
      field: 'longitude',
    });
  }
  return { latitude, longitude };
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Ids of things inside a case (compartments, incidents, suspects, charges, links, agreements). */
export const parseRecordId = (value: unknown, field: string, label: string): string => {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw invalid(`${label} must be a lowercase UUID`, { field, reason: 'bad_id' });
  }
  return value;
};
