// TIFF structure as used by EXIF (TIFF 6.0 §2, CIPA DC-008 "Exif 2.32" §4.6): a byte-order mark, IFD0, its
// sub-IFDs (Exif, GPS, Interoperability) and IFD1 (thumbnail). Every offset comes from the file, so every
// read is bounds-checked, each IFD is visited at most once (no cycles) and only the fixed IFD tree is
// followed (no unbounded chains).
import { decodeText, defined, u16, u32 } from '../bytes.ts';
import type { ExifSummary, GpsPosition } from '../types.ts';

// TIFF 6.0 §2 field types and their sizes; 13 (IFD) is from the TIFF Technical Note 1.
const TYPE_SIZES: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
};

const TAG = {
  imageWidth: 0x0100,
  imageLength: 0x0101,
  make: 0x010f,
  model: 0x0110,
  orientation: 0x0112,
  dateTime: 0x0132,
  xmp: 0x02bc,
  exifIfd: 0x8769,
  gpsIfd: 0x8825,
  dateTimeOriginal: 0x9003,
  interopIfd: 0xa005,
  gpsLatitudeRef: 0x0001,
  gpsLatitude: 0x0002,
  gpsLongitudeRef: 0x0003,
  gpsLongitude: 0x0004,
  gpsAltitudeRef: 0x0005,
  gpsAltitude: 0x0006,
  gpsMapDatum: 0x0012,
  gpsDateStamp: 0x001d,
} as const;

/** The strings exif-py prints for Orientation (CIPA DC-008 Table 4, tag 274). */
export const ORIENTATION_TEXT: Record<number, string> = {
  1: 'Horizontal (normal)',
  2: 'Mirrored horizontal',
  3: 'Rotated 180',
  4: 'Mirrored vertical',
  5: 'Mirrored horizontal then rotated 90 CCW',
  6: 'Rotated 90 CW',
  7: 'Mirrored horizontal then rotated 90 CW',
  8: 'Rotated 90 CCW',
};

interface Entry {
  type: number;
  count: number;
  /** Offset of the value bytes in the TIFF data. */
  at: number;
}

type Ifd = Map<number, Entry>;

export interface TiffResult {
  /** Omitted when no entry could be read. */
  exif?: ExifSummary;
  width?: number;
  height?: number;
  xmp: boolean;
}

/**
 * Reads the fields Accord reports from TIFF data (an EXIF block without its "Exif\0\0" prefix, or a whole
 * TIFF file's head). Problems are reported through `problem` with `context` as prefix, never thrown.
 */
export const parseTiff = (t: Uint8Array, context: string, problem: (message: string) => void): TiffResult => {
  const order = u16(t, 0, false);
  const le = order === 0x4949;
  if ((order !== 0x4949 && order !== 0x4d4d) || u16(t, 2, le) !== 42) {
    problem(`${context} is malformed: no TIFF header`);
    return { xmp: false };
  }
  const visited = new Set<number>();
  let tagCount = 0;
  const complaints = new Set<string>();
  const complain = (message: string): void => {
    if (!complaints.has(message)) {
      complaints.add(message);
      problem(`${context} is malformed: ${message}`);
    }
  };

  const readIfd = (offset: number | undefined, name: string): { ifd: Ifd; next: number } | undefined => {
    if (offset === undefined || offset === 0) return undefined;
    if (visited.has(offset)) {
      complain(`${name} points back to an IFD already read (a cycle)`);
      return undefined;
    }
    visited.add(offset);
    const count = u16(t, offset, le);
    if (count === undefined || offset < 8) {
      complain(`${name} offset ${offset} is outside the data`);
      return undefined;
    }
    const ifd: Ifd = new Map();
    let read = 0;
    for (let i = 0; i < count; i++) {
      const e = offset + 2 + i * 12;
      if (e + 12 > t.length) {
        complain(`${name} is cut short (${read} of ${count} entries readable)`);
        break;
      }
      const tag = u16(t, e, le) ?? 0;
      const type = u16(t, e + 2, le) ?? 0;
      const n = u32(t, e + 4, le) ?? 0;
      const size = TYPE_SIZES[type];
      if (size === undefined) continue;
      const bytes = size * n;
      const at = bytes <= 4 ? e + 8 : (u32(t, e + 8, le) ?? 0);
      if (bytes > 4 && (at + bytes > t.length || at < 8)) {
        complain(`${name} entry 0x${tag.toString(16).padStart(4, '0')} points outside the data`);
        continue;
      }
      read++;
      if (!ifd.has(tag)) ifd.set(tag, { type, count: n, at });
    }
    tagCount += read;
    const nextAt = offset + 2 + count * 12;
    return { ifd, next: u32(t, nextAt, le) ?? 0 };
  };

  const uint = (ifd: Ifd | undefined, tag: number): number | undefined => {
    const e = ifd?.get(tag);
    if (!e || e.count < 1) return undefined;
    if (e.type === 1 || e.type === 7) return t[e.at];
    if (e.type === 3) return u16(t, e.at, le);
    if (e.type === 4 || e.type === 13) return u32(t, e.at, le);
    return undefined;
  };

  const text = (ifd: Ifd | undefined, tag: number): string | undefined => {
    const e = ifd?.get(tag);
    if (!e || (e.type !== 2 && e.type !== 7 && e.type !== 1)) return undefined;
    let bytes = t.subarray(e.at, e.at + e.count);
    const nul = bytes.indexOf(0);
    if (nul >= 0) bytes = bytes.subarray(0, nul);
    const s = decodeText(bytes).trim();
    return s === '' ? undefined : s;
  };

  const rationals = (ifd: Ifd | undefined, tag: number): number[] | undefined => {
    const e = ifd?.get(tag);
    if (!e || (e.type !== 5 && e.type !== 10)) return undefined;
    const values: number[] = [];
    for (let i = 0; i < Math.min(e.count, 8); i++) {
      const num = u32(t, e.at + i * 8, le) ?? 0;
      const den = u32(t, e.at + i * 8 + 4, le) ?? 0;
      const n = e.type === 10 ? num | 0 : num;
      const d = e.type === 10 ? den | 0 : den;
      if (d === 0) {
        // Some cameras write 0/0 for "no value": read it as 0; n/0 is meaningless.
        if (n !== 0) return undefined;
        values.push(0);
      } else {
        values.push(n / d);
      }
    }
    return values;
  };

  const ifd0 = readIfd(u32(t, 4, le), 'IFD0');
  const exifIfd = readIfd(uint(ifd0?.ifd, TAG.exifIfd), 'Exif IFD');
  const gpsIfd = readIfd(uint(ifd0?.ifd, TAG.gpsIfd), 'GPS IFD');
  readIfd(uint(exifIfd?.ifd, TAG.interopIfd), 'Interoperability IFD');
  // IFD1 describes the thumbnail; nothing after it is read.
  readIfd(ifd0?.next, 'IFD1');

  const result: TiffResult = { xmp: ifd0?.ifd.has(TAG.xmp) ?? false };
  const width = uint(ifd0?.ifd, TAG.imageWidth);
  const height = uint(ifd0?.ifd, TAG.imageLength);
  if (width !== undefined && height !== undefined) {
    result.width = width;
    result.height = height;
  }
  if (tagCount === 0) return result;

  const orientation = uint(ifd0?.ifd, TAG.orientation);
  result.exif = defined({
    make: text(ifd0?.ifd, TAG.make),
    model: text(ifd0?.ifd, TAG.model),
    orientation,
    orientationText: orientation === undefined ? undefined : ORIENTATION_TEXT[orientation],
    dateTimeOriginal: text(exifIfd?.ifd, TAG.dateTimeOriginal),
    dateTime: text(ifd0?.ifd, TAG.dateTime),
    gps: gpsIfd ? readGps(gpsIfd.ifd, text, rationals, uint, complain) : undefined,
    tagCount,
  });
  return result;
};

const readGps = (
  ifd: Ifd,
  text: (ifd: Ifd, tag: number) => string | undefined,
  rationals: (ifd: Ifd, tag: number) => number[] | undefined,
  uint: (ifd: Ifd, tag: number) => number | undefined,
  complain: (message: string) => void,
): GpsPosition | undefined => {
  const degrees = (tag: number, refTag: number, negative: string, limit: number, name: string) => {
    if (!ifd.has(tag)) return undefined;
    const parts = rationals(ifd, tag);
    if (!parts || parts.length === 0) {
      complain(`GPS ${name} is not a list of rationals`);
      return undefined;
    }
    const [d = 0, m = 0, s = 0] = parts;
    let value = d + m / 60 + s / 3600;
    const ref = text(ifd, refTag)?.toUpperCase();
    if (ref === negative) value = 0 - value;
    if (!Number.isFinite(value) || Math.abs(value) > limit) {
      complain(`GPS ${name} ${value} is out of range`);
      return undefined;
    }
    return value;
  };
  const latitude = degrees(TAG.gpsLatitude, TAG.gpsLatitudeRef, 'S', 90, 'latitude');
  const longitude = degrees(TAG.gpsLongitude, TAG.gpsLongitudeRef, 'W', 180, 'longitude');
  if (latitude === undefined || longitude === undefined) return undefined;
  const altitude = rationals(ifd, TAG.gpsAltitude)?.[0];
  return defined<GpsPosition>({
    latitude,
    longitude,
    altitude:
      altitude === undefined || !Number.isFinite(altitude)
        ? undefined
        : uint(ifd, TAG.gpsAltitudeRef) === 1
          ? 0 - altitude
          : altitude,
    datum: text(ifd, TAG.gpsMapDatum),
    date: text(ifd, TAG.gpsDateStamp),
  });
};
