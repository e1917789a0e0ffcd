import { Readable } from 'node:stream';
import type { ItemRecord } from '@accord/core';
import type { Context } from 'hono';

/**
 * Serving evidence bytes to browsers and programs. Evidence is hostile input: whatever its
 * detected type, the browser must never run it as part of this node's origin.
 */

/**
 * Media types served as themselves. Everything else — HTML, SVG, XML, JavaScript, anything
 * unknown — is served as application/octet-stream, so a browser can only save it. With
 * `X-Content-Type-Options: nosniff` (set on every response) the browser does not guess either.
 */
const SAFE_TYPES = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/heic',
  'image/tiff',
  'video/mp4',
  'video/webm',
  'video/quicktime',
  'video/x-matroska',
  'video/3gpp',
  'video/x-msvideo',
  'audio/mpeg',
  'audio/ogg',
  'audio/flac',
  'audio/wav',
  'audio/mp4',
  'application/pdf',
  'text/plain',
  'application/warc',
  'application/zip',
  'application/gzip',
]);

/** The Content-Type to serve an item's bytes with. */
export const servedType = (mediaType: string): string => {
  const essence = mediaType.split(';')[0]!.trim().toLowerCase();
  if (!SAFE_TYPES.has(essence)) return 'application/octet-stream';
  // Text is served as UTF-8 plain text: never as HTML, whatever it contains.
  return essence === 'text/plain' ? 'text/plain; charset=utf-8' : essence;
};

export type PreviewKind = 'image' | 'video' | 'audio' | 'pdf' | 'text' | 'none';

/** How the item page previews an item (only types browsers display without running anything). */
export const previewKind = (mediaType: string): PreviewKind => {
  const type = servedType(mediaType);
  if (/^image\/(jpeg|png|gif|webp|avif)$/.test(type)) return 'image';
  if (/^video\/(mp4|webm)$/.test(type)) return 'video';
  if (/^audio\/(mpeg|ogg|flac|wav|mp4)$/.test(type)) return 'audio';
  if (type === 'application/pdf') return 'pdf';
  if (mediaType.startsWith('text/')) return 'text';
  return 'none';
};

/** The broad type filter offered in lists: image, video, audio, pdf, text or other. */
export const MEDIA_CATEGORIES = ['image', 'video', 'audio', 'pdf', 'text', 'other'] as const;
export type MediaCategory = (typeof MEDIA_CATEGORIES)[number];

export const categoryOf = (mediaType: string): MediaCategory => {
  if (mediaType.startsWith('image/')) return 'image';
  if (mediaType.startsWith('video/')) return 'video';
  if (mediaType.startsWith('audio/')) return 'audio';
  if (mediaType === 'application/pdf') return 'pdf';
  if (mediaType.startsWith('text/')) return 'text';
  return 'other';
};

/** The media-type prefix a category selects in the store, or undefined for 'other'. */
export const prefixOf = (category: MediaCategory): string | undefined =>
  category === 'pdf' ? 'application/pdf' : category === 'other' ? undefined : `${category}/`;

/**
 * A file name for Content-Disposition: one plain name, never a path, with an ASCII fallback and
 * the exact UTF-8 name in filename* (RFC 6266 §4.3, RFC 8187).
 */
export const contentDisposition = (kind: 'attachment' | 'inline', name: string): string => {
  const clean =
    name
      .normalize('NFC')
      .replace(/[\p{Cc}\p{Cf}]/gu, '')
      .replace(/[/\\]/g, '_')
      .replace(/^\.+/, '')
      .trim()
      .slice(0, 200) || 'evidence';
  const ascii = clean.replace(/[^\x20-\x7e]/g, '_').replace(/["%;]/g, '_');
  const encoded = encodeURIComponent(clean).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
};

/** What the item's bytes should be called when saved. */
export const downloadName = (item: ItemRecord, fileName: string | null | undefined): string => {
  if (fileName) return fileName;
  const ext = EXTENSIONS[item.mediaType.split(';')[0]!] ?? 'bin';
  return `${item.title.slice(0, 120)}.${ext}`;
};

const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
  'audio/mpeg': 'mp3',
  'audio/ogg': 'ogg',
  'application/pdf': 'pdf',
  'text/plain': 'txt',
  'text/html': 'html.txt',
  'application/warc': 'warc',
};

export type RangeRequest =
  | { readonly kind: 'none' }
  | { readonly kind: 'range'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

/**
 * One `Range: bytes=…` range (RFC 9110 §14.1.2) against a representation of `size` bytes.
 * Returns `end` exclusive. Several ranges, or a range that cannot be satisfied or is not
 * well-formed, are unsatisfiable (416): a partial request is never silently widened into a
 * full download. Other units are ignored (§14.2).
 */
export const parseRange = (header: string | undefined, size: number): RangeRequest => {
  if (header === undefined) return { kind: 'none' };
  const value = header.trim();
  if (!/^bytes\s*=/i.test(value)) return { kind: 'none' };
  const spec = value.replace(/^bytes\s*=\s*/i, '');
  const m = /^(\d*)\s*-\s*(\d*)$/.exec(spec);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'unsatisfiable' };
  if (m[1] === '') {
    // suffix-byte-range-spec: the last N bytes
    const n = Number(m[2]);
    if (!Number.isSafeInteger(n) || n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - n), end: size };
  }
  const first = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Number(m[2]);
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first || first >= size) {
    return { kind: 'unsatisfiable' };
  }
  return { kind: 'range', start: first, end: Math.min(last, size - 1) + 1 };
};

/**
 * Streams bytes as the response body (never buffered). For evidence the response also carries a
 * sandbox CSP: opened on its own, it gets an opaque origin and no script, plugin or form.
 */
export const sendBytes = (
  c: Context,
  opts: {
    stream: Readable;
    item: ItemRecord;
    start: number;
    end: number;
    partial: boolean;
    disposition: string;
    /** PDF viewers are plugins that a sandbox refuses; such responses keep the node's strict CSP. */
    sandbox: boolean;
  },
): Response => {
  const { item, start, end } = opts;
  c.header('Content-Type', servedType(item.mediaType));
  c.header('Content-Length', String(end - start));
  c.header('Accept-Ranges', 'bytes');
  c.header('Content-Disposition', opts.disposition);
  // The content's own hash is a strong validator (RFC 9110 §8.8.3).
  c.header('ETag', `"sha256-${item.sha256}"`);
  c.header('Cache-Control', 'private, no-store');
  if (opts.sandbox)
    c.header('Content-Security-Policy', "sandbox; default-src 'none'; img-src 'self'; media-src 'self'");
  if (opts.partial) c.header('Content-Range', `bytes ${start}-${end - 1}/${item.size}`);
  const body = Readable.toWeb(opts.stream) as unknown as ReadableStream<Uint8Array>;
  return c.body(body, opts.partial ? 206 : 200);
};

export const unsatisfiable = (c: Context, size: number, json: boolean): Response => {
  c.header('Content-Range', `bytes */${size}`);
  const message = `the requested range cannot be served from the item's ${size} bytes (send one range, e.g. Range: bytes=0-1023)`;
  return json ? c.json({ error: { code: 'range_not_satisfiable', message } }, 416) : c.text(message, 416);
};

/**
 * When a client goes away in the middle of an upload, the vault has already discarded its temp
 * file and nothing was recorded: that is an outcome, not a server error to log.
 */
export const clientWentAway = (c: Context): Response | undefined =>
  c.req.raw.signal.aborted
    ? c.json({ error: { code: 'aborted', message: 'the upload was cut off; nothing was stored' } }, 400)
    : undefined;

/** The request body as bytes as they arrive (never buffered whole). */
export const requestBytes = (c: Context): AsyncIterable<Uint8Array> => {
  const body = c.req.raw.body;
  return {
    [Symbol.asyncIterator]: () => {
      const reader = body?.getReader();
      return {
        next: async (): Promise<IteratorResult<Uint8Array>> => {
          if (!reader) return { value: undefined, done: true };
          const r = await reader.read();
          return r.done ? { value: undefined, done: true } : { value: r.value, done: false };
        },
        return: async (): Promise<IteratorResult<Uint8Array>> => {
          await reader?.cancel().catch(() => {});
          return { value: undefined, done: true };
        },
      };
    },
  };
};
