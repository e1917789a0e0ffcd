// Media type from content (magic numbers), never from a file name. WARC and gzip-compressed WARC are
// decided by the extractor, which sees the decompressed start; everything else is decided here from the
// head of the input.
import { isUtf8, startsWithAscii, startsWithBytes, u16, u32 } from './bytes.ts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis']);
const HEIF_BRANDS = new Set(['mif1', 'mif2']);

/** ISO BMFF (ISO/IEC 14496-12 §4.3): a leading 'ftyp' box names the major and compatible brands. */
const isoBmffType = (head: Uint8Array): string | undefined => {
  if (!startsWithAscii(head, 'ftyp', 4)) return undefined;
  const size = u32(head, 0, false) ?? 0;
  const major = head.length >= 12 ? ascii4(head, 8) : '';
  const compatible: string[] = [];
  for (let at = 16; at + 4 <= Math.min(size, head.length, 4096); at += 4) compatible.push(ascii4(head, at));
  const brands = [major, ...compatible];
  if (HEIC_BRANDS.has(major)) return 'image/heic';
  if (major === 'avif' || major === 'avis') return 'image/avif';
  if (HEIF_BRANDS.has(major) || major === 'msf1') {
    return brands.some((b) => HEIC_BRANDS.has(b)) ? 'image/heic' : 'image/heif';
  }
  if (major === 'qt  ') return 'video/quicktime';
  if (major.startsWith('3gp')) return 'video/3gpp';
  if (major === 'M4A ' || major === 'M4B ') return 'audio/mp4';
  if (major === 'crx ') return 'application/octet-stream';
  return 'video/mp4';
};

const ascii4 = (b: Uint8Array, at: number): string =>
  String.fromCharCode(b[at] ?? 0, b[at + 1] ?? 0, b[at + 2] ?? 0, b[at + 3] ?? 0);

/** Old QuickTime files have no 'ftyp': they start with one of these top-level atoms. */
const isQuickTime = (head: Uint8Array): boolean =>
  ['moov', 'mdat', 'wide', 'free', 'skip', 'pnot'].some((t) => startsWithAscii(head, t, 4)) &&
  (u32(head, 0, false) ?? 0) >= 8;

/** Reads an EBML variable-length integer (RFC 8794 §4). */
const readVint = (
  b: Uint8Array,
  at: number,
  keepMarker: boolean,
): { value: number; length: number } | undefined => {
  const first = b[at];
  if (first === undefined || first === 0) return undefined;
  let length = 1;
  while (length <= 8 && !(first & (0x80 >> (length - 1)))) length++;
  if (length > 8 || at + length > b.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> length);
  for (let i = 1; i < length; i++) value = value * 256 + (b[at + i] ?? 0);
  return { value, length };
};

/** Matroska and WebM share the EBML header; its DocType element (0x4282) tells them apart. */
const ebmlType = (head: Uint8Array): string | undefined => {
  if (!startsWithBytes(head, [0x1a, 0x45, 0xdf, 0xa3])) return undefined;
  const size = readVint(head, 4, false);
  if (!size) return 'video/x-matroska';
  let at = 4 + size.length;
  const end = Math.min(head.length, at + size.value);
  while (at < end) {
    const id = readVint(head, at, true);
    if (!id) break;
    const len = readVint(head, at + id.length, false);
    if (!len) break;
    const data = at + id.length + len.length;
    if (id.value === 0x4282) {
      const docType = new TextDecoder().decode(head.subarray(data, Math.min(data + len.value, head.length)));
      if (docType.replace(/\0+$/, '') === 'webm') return 'video/webm';
      return 'video/x-matroska';
    }
    at = data + len.value;
  }
  return 'video/x-matroska';
};

// MPEG audio frame header (ISO/IEC 11172-3 §2.4.2.3): 11 sync bits, version, layer, bitrate, sampling rate.
const MP3_BITRATES: Record<string, number[]> = {
  // kbit/s by [version 1 | version 2/2.5][layer 1..3], index 1..14
  '1-1': [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MP3_RATES: Record<number, number[]> = {
  3: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  0: [11025, 12000, 8000],
};

/** Length in bytes of the MPEG audio frame whose header is at `at`, or undefined if it is not one. */
const mpegFrameLength = (b: Uint8Array, at: number): number | undefined => {
  const b1 = b[at];
  const b2 = b[at + 1];
  const b3 = b[at + 2];
  if (b1 !== 0xff || b2 === undefined || b3 === undefined || (b2 & 0xe0) !== 0xe0) return undefined;
  const version = (b2 >> 3) & 3; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5, 1 reserved
  const layerBits = (b2 >> 1) & 3; // 3 = layer I, 2 = II, 1 = III, 0 reserved
  const bitrateIndex = b3 >> 4;
  const rateIndex = (b3 >> 2) & 3;
  if (version === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) {
    return undefined;
  }
  const layer = 4 - layerBits;
  const kbps = MP3_BITRATES[`${version === 3 ? 1 : 2}-${layer}`]?.[bitrateIndex - 1];
  const rate = MP3_RATES[version]?.[rateIndex];
  if (!kbps || !rate) return undefined;
  const padding = (b3 >> 1) & 1;
  if (layer === 1) return Math.floor((12 * kbps * 1000) / rate + padding) * 4;
  const perFrame = layer === 3 && version !== 3 ? 72 : 144;
  return Math.floor((perFrame * kbps * 1000) / rate) + padding;
};

/** A frame sync alone is weak evidence (two random bytes match 1 time in ~2000), so a second frame must follow. */
const isMpegAudio = (head: Uint8Array, complete: boolean): boolean => {
  const length = mpegFrameLength(head, 0);
  if (length === undefined) return false;
  if (length >= head.length) return complete ? length === head.length : false;
  return mpegFrameLength(head, length) !== undefined;
};

// WHATWG MIME Sniffing §7.1: tags that mark HTML when they open the document, each followed by a space or '>'.
const HTML_OPENERS = [
  '<!doctype html',
  '<html',
  '<head',
  '<script',
  '<iframe',
  '<h1',
  '<div',
  '<font',
  '<table',
  '<a',
  '<style',
  '<title',
  '<b',
  '<body',
  '<br',
  '<p',
  '<!--',
];

const isHtml = (head: Uint8Array): boolean => {
  let at = startsWithBytes(head, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  while (at < head.length && [0x09, 0x0a, 0x0c, 0x0d, 0x20].includes(head[at] ?? 0)) at++;
  const start = new TextDecoder('latin1').decode(head.subarray(at, at + 20)).toLowerCase();
  return HTML_OPENERS.some((tag) => {
    if (!start.startsWith(tag)) return false;
    const next = start.charCodeAt(tag.length);
    return (
      tag === '<!--' || next === 0x20 || next === 0x3e || next === 0x09 || next === 0x0a || next === 0x0d
    );
  });
};

/** Valid UTF-8 with no NUL and no C0 control other than TAB, LF, FF, CR and ESC. */
const isText = (head: Uint8Array, complete: boolean): boolean => {
  for (let i = 0; i < head.length; i++) {
    const c = head[i] ?? 0;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d && c !== 0x1b) return false;
    if (c === 0x7f) return false;
  }
  return isUtf8(head, !complete);
};

/**
 * The media type of bytes that start with `head`. `complete` says whether `head` is the whole input.
 * Does not recognise WARC (the extractor does, including gzip-compressed WARC).
 */
export const sniffMediaType = (head: Uint8Array, complete: boolean): string => {
  if (head.length === 0) return 'application/x-empty';
  if (startsWithBytes(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWithBytes(head, PNG_SIGNATURE)) return 'image/png';
  if (startsWithAscii(head, 'GIF87a') || startsWithAscii(head, 'GIF89a')) return 'image/gif';
  if (startsWithAscii(head, 'RIFF')) {
    if (startsWithAscii(head, 'WEBP', 8)) return 'image/webp';
    if (startsWithAscii(head, 'WAVE', 8)) return 'audio/wav';
    if (startsWithAscii(head, 'AVI ', 8)) return 'video/x-msvideo';
  }
  if (startsWithBytes(head, [0x49, 0x49, 0x2a, 0x00]) || startsWithBytes(head, [0x4d, 0x4d, 0x00, 0x2a])) {
    return 'image/tiff';
  }
  const bmff = isoBmffType(head);
  if (bmff) return bmff;
  if (isQuickTime(head)) return 'video/quicktime';
  const ebml = ebmlType(head);
  if (ebml) return ebml;
  if (startsWithAscii(head, 'ID3') && (head[3] ?? 0xff) < 0xff) return 'audio/mpeg';
  if (startsWithAscii(head, 'OggS')) return 'audio/ogg';
  if (startsWithAscii(head, 'fLaC')) return 'audio/flac';
  // ISO 32000-2 §7.5.2: readers accept the header within the first 1024 bytes.
  if (new TextDecoder('latin1').decode(head.subarray(0, 1024)).includes('%PDF-')) return 'application/pdf';
  if (['PK\x03\x04', 'PK\x05\x06', 'PK\x07\x08'].some((m) => startsWithAscii(head, m)))
    return 'application/zip';
  if (startsWithBytes(head, [0x1f, 0x8b, 0x08])) return 'application/gzip';
  if (isMpegAudio(head, complete)) return 'audio/mpeg';
  if (isHtml(head)) return 'text/html';
  if (isText(head, complete)) return 'text/plain';
  return 'application/octet-stream';
};

/** 'II' or 'MM' then 42: a TIFF header (TIFF 6.0 §2). */
export const isTiffHeader = (b: Uint8Array, at = 0): boolean => {
  const order = u16(b, at, false);
  if (order === 0x4949) return u16(b, at + 2, true) === 42;
  if (order === 0x4d4d) return u16(b, at + 2, false) === 42;
  return false;
};
