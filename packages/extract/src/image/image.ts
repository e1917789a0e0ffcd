// Image size, EXIF and XMP from the head of an image file. Each container walk moves strictly forward
// and stops at the end of the head, so malformed lengths cannot make it loop or read out of bounds.
import { startsWithAscii, startsWithBytes, u16, u24le, u32, u64be } from '../bytes.ts';
import type { ExifSummary, ImageSize } from '../types.ts';
import { parseTiff } from './tiff.ts';

export interface ImageFacts {
  image?: ImageSize;
  exif?: ExifSummary;
  xmp: boolean;
}

interface Head {
  bytes: Uint8Array;
  /** The head is the whole file. */
  complete: boolean;
  problem: (message: string) => void;
}

export const parseImage = (mediaType: string, head: Head): ImageFacts => {
  switch (mediaType) {
    case 'image/jpeg':
      return parseJpeg(head);
    case 'image/png':
      return parsePng(head);
    case 'image/gif':
      return parseGif(head);
    case 'image/webp':
      return parseWebp(head);
    case 'image/tiff':
      return parseTiffFile(head);
    case 'image/heic':
    case 'image/heif':
    case 'image/avif':
      return parseHeif(head);
    default:
      return { xmp: false };
  }
};

const cutShort = (head: Head, format: string): void => {
  if (head.complete) head.problem(`${format} file ends in the middle of its metadata`);
  else {
    head.problem(
      `${format} metadata continues beyond the first ${head.bytes.length} bytes, which is all that is read`,
    );
  }
};

const size = (width: number, height: number): ImageSize => ({ width, height });

const EXIF_PREFIX = 'Exif\0';
const XMP_PREFIX = 'http://ns.adobe.com/xap/1.0/\0';
const XMP_EXTENSION_PREFIX = 'http://ns.adobe.com/xmp/extension/\0';

/** Start-of-frame markers carry the image size (ITU-T T.81 §B.2.2); C4, C8 and CC are not frames. */
const isStartOfFrame = (m: number): boolean =>
  m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

// ITU-T T.81 §B.1.1: marker segments (0xFF, code, 2-byte length including itself) until start of scan.
const parseJpeg = (head: Head): ImageFacts => {
  const b = head.bytes;
  const facts: ImageFacts = { xmp: false };
  let at = 2;
  let exifSeen = false;
  while (at < b.length) {
    if (b[at] !== 0xff) {
      head.problem(`JPEG structure is malformed: expected a marker at byte ${at}`);
      break;
    }
    while (b[at + 1] === 0xff) at++; // fill bytes
    const marker = b[at + 1];
    if (marker === undefined) {
      cutShort(head, 'JPEG');
      break;
    }
    if (marker === 0xd9) break; // end of image
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    const length = u16(b, at + 2, false);
    if (length === undefined) {
      cutShort(head, 'JPEG');
      break;
    }
    if (length < 2) {
      head.problem(
        `JPEG structure is malformed: segment 0x${marker.toString(16)} at byte ${at} has length ${length}`,
      );
      break;
    }
    const end = at + 2 + length;
    if (end > b.length) {
      cutShort(head, 'JPEG');
      break;
    }
    const data = b.subarray(at + 4, end);
    if (isStartOfFrame(marker) && !facts.image) {
      const height = u16(data, 1, false);
      const width = u16(data, 3, false);
      if (height !== undefined && width !== undefined) facts.image = size(width, height);
    } else if (marker === 0xe1) {
      if (startsWithAscii(data, EXIF_PREFIX) && !exifSeen) {
        exifSeen = true;
        const tiff = parseTiff(data.subarray(6), 'JPEG EXIF segment', head.problem);
        if (tiff.exif) facts.exif = tiff.exif;
        if (tiff.xmp) facts.xmp = true;
      } else if (startsWithAscii(data, XMP_PREFIX) || startsWithAscii(data, XMP_EXTENSION_PREFIX)) {
        facts.xmp = true;
      }
    } else if (marker === 0xda) {
      break; // start of scan: entropy-coded data follows
    }
    at = end;
  }
  return facts;
};

// PNG (ISO/IEC 15948 §5.3): signature, then chunks of length, type, data, CRC.
const parsePng = (head: Head): ImageFacts => {
  const b = head.bytes;
  const facts: ImageFacts = { xmp: false };
  let at = 8;
  while (at + 8 <= b.length) {
    const length = u32(b, at, false) ?? 0;
    const type = String.fromCharCode(...b.subarray(at + 4, at + 8));
    const end = at + 12 + length;
    if (length > 0x7fffffff) {
      head.problem(`PNG structure is malformed: chunk ${JSON.stringify(type)} at byte ${at} is too long`);
      break;
    }
    if (type === 'IDAT' || type === 'IEND') break;
    if (end > b.length) {
      if (type === 'IHDR' || type === 'eXIf' || type === 'iTXt') cutShort(head, 'PNG');
      break;
    }
    const data = b.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      const width = u32(data, 0, false);
      const height = u32(data, 4, false);
      if (width !== undefined && height !== undefined) facts.image = size(width, height);
    } else if (type === 'eXIf' && !facts.exif) {
      const tiff = parseTiff(data, 'PNG eXIf chunk', head.problem);
      if (tiff.exif) facts.exif = tiff.exif;
    } else if (type === 'iTXt' && startsWithAscii(data, 'XML:com.adobe.xmp\0')) {
      facts.xmp = true;
    }
    at = end;
  }
  return facts;
};

// GIF89a §18: the logical screen descriptor follows the 6-byte signature.
const parseGif = (head: Head): ImageFacts => {
  const width = u16(head.bytes, 6, true);
  const height = u16(head.bytes, 8, true);
  return width !== undefined && height !== undefined
    ? { image: size(width, height), xmp: false }
    : { xmp: false };
};

// WebP container (RFC 9649 §2.7): RIFF chunks, each padded to an even length.
const parseWebp = (head: Head): ImageFacts => {
  const b = head.bytes;
  const facts: ImageFacts = { xmp: false };
  let at = 12;
  while (at + 8 <= b.length) {
    const type = String.fromCharCode(...b.subarray(at, at + 4));
    const length = u32(b, at + 4, true) ?? 0;
    const data = b.subarray(at + 8, Math.min(b.length, at + 8 + length));
    if (type === 'VP8X' && data.length >= 10) {
      // RFC 9649 §2.7.1: 24-bit canvas width and height minus one.
      facts.image = size((u24le(data, 4) ?? 0) + 1, (u24le(data, 7) ?? 0) + 1);
    } else if (type === 'VP8 ' && !facts.image && data.length >= 10) {
      // RFC 6386 §9.1: a key frame starts with a 3-byte tag and the start code 9D 01 2A.
      if (startsWithBytes(data, [0x9d, 0x01, 0x2a], 3)) {
        facts.image = size((u16(data, 6, true) ?? 0) & 0x3fff, (u16(data, 8, true) ?? 0) & 0x3fff);
      }
    } else if (type === 'VP8L' && !facts.image && data.length >= 5 && data[0] === 0x2f) {
      // RFC 9649 §3.2: 14-bit width and height minus one, little-endian bit order.
      const bits = u32(data, 1, true) ?? 0;
      facts.image = size((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
    } else if (type === 'EXIF' && !facts.exif) {
      if (at + 8 + length > b.length) cutShort(head, 'WebP');
      else {
        // Some writers keep the JPEG "Exif\0\0" prefix.
        const tiff = parseTiff(
          startsWithAscii(data, EXIF_PREFIX) ? data.subarray(6) : data,
          'WebP EXIF chunk',
          head.problem,
        );
        if (tiff.exif) facts.exif = tiff.exif;
      }
    } else if (type === 'XMP ') {
      facts.xmp = true;
    }
    at += 8 + length + (length & 1);
  }
  return facts;
};

const parseTiffFile = (head: Head): ImageFacts => {
  const tiff = parseTiff(head.bytes, 'TIFF', (message) =>
    head.problem(head.complete ? message : `${message} (only the first ${head.bytes.length} bytes are read)`),
  );
  const facts: ImageFacts = { xmp: tiff.xmp };
  if (tiff.width !== undefined && tiff.height !== undefined) facts.image = size(tiff.width, tiff.height);
  if (tiff.exif) facts.exif = tiff.exif;
  return facts;
};

interface Box {
  type: string;
  /** Offset of the box content (after the header). */
  start: number;
  end: number;
}

/** ISO/IEC 14496-12 §4.2: boxes of 32-bit size (1: 64-bit size follows, 0: to the end) and a type. */
const boxes = (b: Uint8Array, from: number, to: number): Box[] => {
  const list: Box[] = [];
  let at = from;
  while (at + 8 <= to && list.length < 10000) {
    let length = u32(b, at, false) ?? 0;
    const type = String.fromCharCode(...b.subarray(at + 4, at + 8));
    let header = 8;
    if (length === 1) {
      length = u64be(b, at + 8) ?? 0;
      header = 16;
    } else if (length === 0) {
      length = to - at;
    }
    if (length < header) break;
    list.push({ type, start: at + header, end: Math.min(at + length, to) });
    at += length;
  }
  return list;
};

const uintOfSize = (b: Uint8Array, at: number, bytes: number): number | undefined => {
  if (bytes === 0) return 0;
  if (bytes === 4) return u32(b, at, false);
  if (bytes === 8) return u64be(b, at);
  if (bytes === 2) return u16(b, at, false);
  return undefined;
};

// HEIF (ISO/IEC 23008-12 Annex A): the Exif item is named in 'iinf' and located by 'iloc' in 'meta'. Its
// data starts with a 4-byte offset to the TIFF header.
const parseHeif = (head: Head): ImageFacts => {
  const b = head.bytes;
  const facts: ImageFacts = { xmp: false };
  const meta = boxes(b, 0, b.length).find((box) => box.type === 'meta');
  if (!meta) return facts;
  const children = boxes(b, meta.start + 4, meta.end);
  const exifIds = new Set<number>();
  const iinf = children.find((box) => box.type === 'iinf');
  if (iinf) {
    const version = b[iinf.start] ?? 0;
    const entriesAt = iinf.start + 4 + (version === 0 ? 2 : 4);
    for (const infe of boxes(b, entriesAt, iinf.end)) {
      if (infe.type !== 'infe') continue;
      const v = b[infe.start] ?? 0;
      if (v < 2) continue;
      const idSize = v === 2 ? 2 : 4;
      const id = uintOfSize(b, infe.start + 4, idSize);
      const itemType = String.fromCharCode(...b.subarray(infe.start + 6 + idSize, infe.start + 10 + idSize));
      if (id === undefined) continue;
      if (itemType === 'Exif') exifIds.add(id);
      if (itemType === 'mime') {
        const contentType = b.subarray(infe.start + 10 + idSize, infe.end);
        if (new TextDecoder('latin1').decode(contentType).includes('application/rdf+xml')) facts.xmp = true;
      }
    }
  }
  const iloc = children.find((box) => box.type === 'iloc');
  const idat = children.find((box) => box.type === 'idat');
  if (exifIds.size === 0 || !iloc) return facts;
  const version = b[iloc.start] ?? 0;
  let at = iloc.start + 4;
  const sizes1 = b[at] ?? 0;
  const sizes2 = b[at + 1] ?? 0;
  const offsetSize = sizes1 >> 4;
  const lengthSize = sizes1 & 15;
  const baseOffsetSize = sizes2 >> 4;
  const indexSize = version === 1 || version === 2 ? sizes2 & 15 : 0;
  at += 2;
  const itemCount = version < 2 ? u16(b, at, false) : u32(b, at, false);
  at += version < 2 ? 2 : 4;
  for (let i = 0; i < (itemCount ?? 0) && at < iloc.end; i++) {
    const id = version < 2 ? u16(b, at, false) : u32(b, at, false);
    at += version < 2 ? 2 : 4;
    let method = 0;
    if (version === 1 || version === 2) {
      method = (u16(b, at, false) ?? 0) & 15;
      at += 2;
    }
    at += 2; // data_reference_index
    const base = uintOfSize(b, at, baseOffsetSize);
    at += baseOffsetSize;
    const extentCount = u16(b, at, false) ?? 0;
    at += 2;
    const extents: Array<[number, number]> = [];
    for (let k = 0; k < extentCount && at < iloc.end; k++) {
      at += indexSize;
      const offset = uintOfSize(b, at, offsetSize);
      at += offsetSize;
      const length = uintOfSize(b, at, lengthSize);
      at += lengthSize;
      if (offset === undefined || length === undefined || base === undefined) return facts;
      extents.push([base + offset, length]);
    }
    if (id === undefined || !exifIds.has(id) || facts.exif) continue;
    if (method !== 0 && method !== 1) continue;
    const origin = method === 1 ? (idat?.start ?? Number.NaN) : 0;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const [offset, length] of extents) {
      const from = origin + offset;
      if (!(from + length <= b.length)) {
        cutShort(head, 'HEIF');
        return facts;
      }
      parts.push(b.subarray(from, from + length));
      total += length;
    }
    const data = new Uint8Array(total);
    let p = 0;
    for (const part of parts) {
      data.set(part, p);
      p += part.length;
    }
    const tiffAt = 4 + (u32(data, 0, false) ?? Number.NaN);
    if (!(tiffAt < data.length)) {
      head.problem('HEIF Exif item is malformed: its TIFF header offset is outside the item');
      continue;
    }
    const tiff = parseTiff(data.subarray(tiffAt), 'HEIF Exif item', head.problem);
    if (tiff.exif) facts.exif = tiff.exif;
  }
  return facts;
};
