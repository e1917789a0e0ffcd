// Bounds-checked readers over untrusted bytes. Out-of-range reads return undefined rather than throwing
// or reading garbage, so every parser has to decide what a short read means.

export const u8 = (b: Uint8Array, at: number): number | undefined =>
  at >= 0 && at < b.length ? b[at] : undefined;

export const u16 = (b: Uint8Array, at: number, littleEndian: boolean): number | undefined => {
  if (at < 0 || at + 2 > b.length) return undefined;
  const x = b[at] ?? 0;
  const y = b[at + 1] ?? 0;
  return littleEndian ? x | (y << 8) : (x << 8) | y;
};

export const u24le = (b: Uint8Array, at: number): number | undefined => {
  if (at < 0 || at + 3 > b.length) return undefined;
  return (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16);
};

export const u32 = (b: Uint8Array, at: number, littleEndian: boolean): number | undefined => {
  if (at < 0 || at + 4 > b.length) return undefined;
  const [w, x, y, z] = [b[at] ?? 0, b[at + 1] ?? 0, b[at + 2] ?? 0, b[at + 3] ?? 0];
  return (littleEndian ? w | (x << 8) | (y << 16) | (z << 24) : (w << 24) | (x << 16) | (y << 8) | z) >>> 0;
};

export const u64be = (b: Uint8Array, at: number): number | undefined => {
  const hi = u32(b, at, false);
  const lo = u32(b, at + 4, false);
  return hi === undefined || lo === undefined ? undefined : hi * 2 ** 32 + lo;
};

/** True if `b` holds `ascii` at `at`. */
export const startsWithAscii = (b: Uint8Array, ascii: string, at = 0): boolean => {
  if (at < 0 || at + ascii.length > b.length) return false;
  for (let i = 0; i < ascii.length; i++) if (b[at + i] !== ascii.charCodeAt(i)) return false;
  return true;
};

export const startsWithBytes = (b: Uint8Array, bytes: readonly number[], at = 0): boolean => {
  if (at < 0 || at + bytes.length > b.length) return false;
  for (let i = 0; i < bytes.length; i++) if (b[at + i] !== bytes[i]) return false;
  return true;
};

export const latin1 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i] ?? 0);
  return s;
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 when the bytes are valid UTF-8, Latin-1 otherwise (old cameras write either). */
export const decodeText = (b: Uint8Array): string => {
  try {
    return strictUtf8.decode(b);
  } catch {
    return latin1(b);
  }
};

/**
 * Checks UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). When `mayBeCut` is set,
 * an incomplete sequence at the very end is accepted: the bytes are a prefix of something longer.
 */
export const isUtf8 = (b: Uint8Array, mayBeCut: boolean): boolean => {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i] ?? 0;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return false;
    }
    if (i + need >= n) {
      // The sequence runs past the end.
      if (!mayBeCut) return false;
      for (let k = i + 1; k < n; k++) if (((b[k] ?? 0) & 0xc0) !== 0x80) return false;
      return true;
    }
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const d = b[i + k] ?? 0;
      if ((d & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
};

/** A copy of `o` without its undefined-valued keys (key order kept), for stable, compact JSON. */
export const defined = <T extends object>(o: T): T => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
};
