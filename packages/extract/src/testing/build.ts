// Test-only builders for small synthetic files (TIFF/EXIF, JPEG, WARC), for cases the public test data
// does not cover. Written from the format specifications.
import { createHash } from 'node:crypto';

export type TiffValue =
  | { type: 2; text: string }
  | { type: 1 | 3 | 4; numbers: number[] }
  | { type: 5 | 10; ratios: Array<[number, number]> };

export type TiffField = { tag: number } & TiffValue;

export interface IfdSpec {
  fields: TiffField[];
  exif?: IfdSpec;
  gps?: IfdSpec;
  next?: IfdSpec;
}

/** Serialises a TIFF structure (header, IFD0 and its Exif, GPS and next IFDs) in either byte order. */
export const buildTiff = (ifd0: IfdSpec, littleEndian: boolean): Uint8Array => {
  const buffer = new Uint8Array(1 << 16);
  const view = new DataView(buffer.buffer);
  let end = 8;
  const alloc = (n: number): number => {
    const at = end;
    end += n + (n & 1);
    return at;
  };
  const le = littleEndian;
  buffer.set(le ? [0x49, 0x49] : [0x4d, 0x4d], 0);
  view.setUint16(2, 42, le);

  const writeIfd = (spec: IfdSpec): number => {
    const fields = [...spec.fields];
    const at = alloc(2 + fields.length * 12 + 4 + (spec.exif ? 12 : 0) + (spec.gps ? 12 : 0));
    const pointers: TiffField[] = [];
    if (spec.exif) pointers.push({ tag: 0x8769, type: 4, numbers: [writeIfd(spec.exif)] });
    if (spec.gps) pointers.push({ tag: 0x8825, type: 4, numbers: [writeIfd(spec.gps)] });
    const all = [...fields, ...pointers].sort((a, b) => a.tag - b.tag);
    view.setUint16(at, all.length, le);
    all.forEach((field, i) => {
      const e = at + 2 + i * 12;
      view.setUint16(e, field.tag, le);
      view.setUint16(e + 2, field.type, le);
      let data: Uint8Array;
      let count: number;
      if ('text' in field) {
        data = new TextEncoder().encode(`${field.text}\0`);
        count = data.length;
      } else if ('ratios' in field) {
        data = new Uint8Array(field.ratios.length * 8);
        const dv = new DataView(data.buffer);
        field.ratios.forEach(([n, d], k) => {
          dv.setUint32(k * 8, n >>> 0, le);
          dv.setUint32(k * 8 + 4, d >>> 0, le);
        });
        count = field.ratios.length;
      } else {
        const size = field.type === 1 ? 1 : field.type === 3 ? 2 : 4;
        data = new Uint8Array(field.numbers.length * size);
        const dv = new DataView(data.buffer);
        field.numbers.forEach((v, k) => {
          if (size === 1) dv.setUint8(k, v);
          else if (size === 2) dv.setUint16(k * 2, v, le);
          else dv.setUint32(k * 4, v, le);
        });
        count = field.numbers.length;
      }
      view.setUint32(e + 4, count, le);
      if (data.length <= 4) buffer.set(data, e + 8);
      else {
        const where = alloc(data.length);
        buffer.set(data, where);
        view.setUint32(e + 8, where, le);
      }
    });
    const nextAt = at + 2 + all.length * 12;
    view.setUint32(nextAt, spec.next ? writeIfd(spec.next) : 0, le);
    return at;
  };
  view.setUint32(4, writeIfd(ifd0), le);
  return buffer.slice(0, end);
};

const segment = (marker: number, data: Uint8Array): Uint8Array => {
  const out = new Uint8Array(4 + data.length);
  out[0] = 0xff;
  out[1] = marker;
  out[2] = (data.length + 2) >> 8;
  out[3] = (data.length + 2) & 0xff;
  out.set(data, 4);
  return out;
};

export const concatBytes = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const ascii = (s: string): Uint8Array => new Uint8Array([...s].map((c) => c.charCodeAt(0)));

/** A structurally valid (not decodable) baseline JPEG: SOI, optional APP1 segments, SOF0, SOS, EOI. */
export const buildJpeg = (options: {
  width: number;
  height: number;
  exif?: Uint8Array;
  xmp?: string;
}): Uint8Array => {
  const parts: Uint8Array[] = [new Uint8Array([0xff, 0xd8])];
  if (options.exif) parts.push(segment(0xe1, concatBytes(ascii('Exif\0\0'), options.exif)));
  if (options.xmp !== undefined)
    parts.push(segment(0xe1, concatBytes(ascii('http://ns.adobe.com/xap/1.0/\0'), ascii(options.xmp))));
  const { width: w, height: h } = options;
  parts.push(segment(0xc0, new Uint8Array([8, h >> 8, h & 0xff, w >> 8, w & 0xff, 1, 1, 0x11, 0])));
  parts.push(segment(0xda, new Uint8Array([1, 1, 0, 0, 63, 0])));
  parts.push(new Uint8Array([0x12, 0x34, 0x56, 0xff, 0x00, 0x78, 0xff, 0xd9]));
  return concatBytes(...parts);
};

export interface WarcRecordSpec {
  type: string;
  id?: string;
  /** Extra header fields, written in order. */
  fields?: Array<[string, string]>;
  block: Uint8Array | string;
  /** Override Content-Length (to build broken records). */
  contentLength?: number;
}

export const buildWarcRecord = (spec: WarcRecordSpec): Uint8Array => {
  const block = typeof spec.block === 'string' ? new TextEncoder().encode(spec.block) : spec.block;
  const lines = [
    'WARC/1.1',
    `WARC-Type: ${spec.type}`,
    `WARC-Record-ID: ${spec.id ?? '<urn:uuid:00000000-0000-4000-8000-000000000000>'}`,
    'WARC-Date: 2024-05-01T12:00:00Z',
    ...(spec.fields ?? []).map(([k, v]) => `${k}: ${v}`),
    `Content-Length: ${spec.contentLength ?? block.length}`,
  ];
  return concatBytes(new TextEncoder().encode(`${lines.join('\r\n')}\r\n\r\n`), block, ascii('\r\n\r\n'));
};

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export const base32 = (bytes: Uint8Array): string => {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
};

export const digestOf = (algorithm: string, data: Uint8Array | string): Uint8Array =>
  new Uint8Array(createHash(algorithm).update(data).digest());
