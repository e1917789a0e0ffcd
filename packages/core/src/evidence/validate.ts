import { parseMultilineText, parseText } from '../accounts/validate.ts';
import { invalid } from '../shared/errors.ts';
import { type CaptureInput, DERIVED_KINDS, type ItemKind } from './types.ts';

const optionalText = (value: unknown, field: string, label: string, max: number): string | null =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
    ? null
    : parseText(value, field, label, max);

/**
 * An ISO-8601 date-time with an explicit offset (`Z` or `+02:00`): a time without one would be read
 * in the server's own time zone and silently shifted. Impossible dates (2024-02-30) are refused,
 * not rolled over. Stored as UTC with millisecond precision.
 */
export const parseTime = (value: unknown, field: string, label: string): string => {
  const text = typeof value === 'string' ? value.trim() : '';
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/.exec(
      text,
    );
  const fail = (why: string) =>
    invalid(
      `${label} must be an ISO-8601 time with its offset, such as 2024-03-01T14:30:00Z or 2024-03-01T16:30:00+02:00 (${why})`,
      {
        field,
        reason: 'bad_time',
      },
    );
  if (!m)
    throw fail(
      /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(text)
        ? 'the offset is missing'
        : 'not understood',
    );
  const [, y, mo, d, h, mi, sec] = m;
  // The calendar fields must exist as written: Date.UTC would roll 2024-02-30 over to March.
  const probe = new Date(
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec ?? 0)),
  );
  if (
    probe.getUTCFullYear() !== Number(y) ||
    probe.getUTCMonth() !== Number(mo) - 1 ||
    probe.getUTCDate() !== Number(d) ||
    probe.getUTCHours() !== Number(h) ||
    probe.getUTCMinutes() !== Number(mi) ||
    probe.getUTCSeconds() !== Number(sec ?? 0)
  ) {
    throw fail('no such date or time');
  }
  const date = new Date(text.replace(' ', 'T'));
  if (Number.isNaN(date.getTime())) throw fail('not understood');
  return date.toISOString();
};

/** For filters: a whole day (`2024-03-01`, meaning 00:00 UTC) or a time as parseTime accepts it. */
export const parseDateOrTime = (value: unknown, field: string, label: string): string => {
  const text = typeof value === 'string' ? value.trim() : '';
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!day) return parseTime(text, field, label);
  const date = new Date(Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])));
  if (date.toISOString().slice(0, 10) !== text) {
    throw invalid(`${label} must be a date such as 2024-03-01 (no such date)`, { field, reason: 'bad_time' });
  }
  return date.toISOString();
};

export const parseLocation = (value: unknown): { latitude: number; longitude: number } | null => {
  if (value === undefined || value === null || value === '') return null;
  const text = typeof value === 'string' ? value.trim() : '';
  const m = /^(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)$/.exec(text);
  const latitude = m ? Number(m[1]) : Number.NaN;
  const longitude = m ? Number(m[2]) : Number.NaN;
  if (!(Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180)) {
    throw invalid('the location must be "LAT,LON" in decimal degrees, e.g. 50.4501,30.5234', {
      field: 'location',
      reason: 'bad_location',
    });
  }
  return { latitude, longitude };
};

export const parseSourceUrl = (value: unknown): string | null => {
  const text = optionalText(value, 'sourceUrl', 'the source URL', 2048);
  if (text === null) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('the source URL must be an absolute URL such as https://example.org/post/1', {
      field: 'sourceUrl',
      reason: 'bad_url',
    });
  }
  if (!/^[a-z][a-z0-9+.-]*:$/.test(url.protocol)) {
    throw invalid('the source URL has no valid scheme', { field: 'sourceUrl', reason: 'bad_url' });
  }
  return text;
};

export interface CaptureFields {
  readonly collectedBy?: unknown;
  readonly collectedAt?: unknown;
  readonly sourceUrl?: unknown;
  readonly method?: unknown;
  readonly location?: unknown;
  readonly note?: unknown;
}

/** Berkeley Protocol capture fields, all optional, each checked with a specific message. */
export const parseCapture = (input: CaptureFields): CaptureInput => {
  const location = parseLocation(input.location);
  const collectedAt =
    input.collectedAt === undefined || input.collectedAt === null || input.collectedAt === ''
      ? null
      : parseTime(input.collectedAt, 'collectedAt', 'the collection time');
  return {
    collectedBy: optionalText(input.collectedBy, 'collectedBy', 'the collector', 200),
    collectedAt,
    sourceUrl: parseSourceUrl(input.sourceUrl),
    method: optionalText(input.method, 'method', 'the method or tool', 300),
    latitude: location?.latitude ?? null,
    longitude: location?.longitude ?? null,
    note:
      input.note === undefined ||
      input.note === null ||
      (typeof input.note === 'string' && input.note.trim() === '')
        ? null
        : parseMultilineText(input.note, 'note', 'the note', 4000),
  };
};

/** A file's name as received: display only, so it must be one plain name. */
export const parseFileName = (value: unknown): string | null => {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw invalid('the file name must be text', { field: 'fileName' });
  const name = value.normalize('NFC');
  if (/[/\\]/.test(name)) {
    throw invalid('the file name must not contain path separators (/ or \\)', {
      field: 'fileName',
      reason: 'path_separator',
    });
  }
  if (name === '.' || name === '..' || name.trim() === '') {
    throw invalid('the file name must be a name, not "." or ".."', { field: 'fileName', reason: 'bad_name' });
  }
  if (name.includes('\uFFFD')) {
    throw invalid('the file name is not valid UTF-8', { field: 'fileName', reason: 'bad_encoding' });
  }
  return parseText(name, 'fileName', 'the file name', 255);
};

export const parseDerivedKind = (value: unknown): Exclude<ItemKind, 'original'> => {
  if (typeof value === 'string' && (DERIVED_KINDS as readonly string[]).includes(value)) {
    return value as Exclude<ItemKind, 'original'>;
  }
  throw invalid(`the kind of derived item must be one of ${DERIVED_KINDS.join(', ')}`, {
    field: 'kind',
    reason: 'bad_kind',
  });
};

const uuid =
  (what: string, field: string) =>
  (value: unknown): string => {
    if (
      typeof value !== 'string' ||
      !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)
    ) {
      throw invalid(`${what} is a lowercase UUID such as 0b0e8c52-6d1e-4f53-9a2e-3f4a1c9d7e10`, { field });
    }
    return value;
  };

export const parseItemId = uuid('an item id', 'itemId');
export const parseEventId = uuid('an event id', 'eventId');
