import type { FileHandle } from 'node:fs/promises';
import { AccordError } from '@accord/core';

/**
 * Just enough POSIX ustar for export bundles: regular files with short ASCII names. The writer
 * streams (a member's bytes are never held whole); the reader indexes a file that may be hostile.
 */
export const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777; // 11 octal digits: 8 GiB − 1
export const MAX_MEMBERS = 1_000_000;

/** A ustar header for a regular file. Sizes of 8 GiB and more use the base-256 form (GNU). */
export const tarHeader = (name: string, size: number, mtime: number): Buffer => {
  if (!/^[\x21-\x7e]{1,100}$/.test(name))
    throw new AccordError('invalid_input', `tar member name not allowed: ${name}`);
  const header = Buffer.alloc(BLOCK, 0);
  header.write(name, 0, 'ascii');
  header.write('0000644\0', 100, 'ascii');
  header.write('0000000\0', 108, 'ascii');
  header.write('0000000\0', 116, 'ascii');
  if (size <= MAX_OCTAL_SIZE) {
    header.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  } else {
    header[124] = 0x80;
    let rest = BigInt(size);
    for (let i = 135; i > 124; i -= 1) {
      header[i] = Number(rest & 0xffn);
      rest >>= 8n;
    }
  }
  header.write(`${Math.floor(mtime).toString(8).padStart(11, '0')}\0`, 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
};

/** Zero bytes that complete a member's last block. */
export const padding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK, 0);

/** Two zero blocks: the end of the archive. */
export const trailer = (): Buffer => Buffer.alloc(2 * BLOCK, 0);

export interface TarMember {
  readonly name: string;
  /** Where the member's bytes start in the file. */
  readonly offset: number;
  readonly size: number;
}

/**
 * Lists the members of a tar file, refusing anything outside the bundle profile with a message
 * that names the member: other types, long or non-ASCII names, bad checksums, sizes past the end,
 * duplicates, more than MAX_MEMBERS members.
 */
export const indexTar = async (handle: FileHandle, fileSize: number): Promise<TarMember[]> => {
  const members: TarMember[] = [];
  const seen = new Set<string>();
  const header = Buffer.alloc(BLOCK);
  let position = 0;
  for (;;) {
    if (position + BLOCK > fileSize) {
      throw new AccordError(
        'invalid_input',
        'the bundle ends in the middle of the archive (no end-of-archive blocks)',
      );
    }
    const { bytesRead } = await handle.read(header, 0, BLOCK, position);
    if (bytesRead !== BLOCK)
      throw new AccordError('invalid_input', 'the bundle could not be read to its end');
    if (header.every((b) => b === 0)) {
      // The end: a second zero block, and nothing but zeros after it (no hidden members).
      if (position + 2 * BLOCK > fileSize) {
        throw new AccordError('invalid_input', 'the bundle ends without its second end-of-archive block');
      }
      const rest = Buffer.alloc(Math.min(fileSize - position - BLOCK, 64 * 1024));
      for (let at = position + BLOCK; at < fileSize; at += rest.length) {
        const n = Math.min(rest.length, fileSize - at);
        await handle.read(rest, 0, n, at);
        if (rest.subarray(0, n).some((b) => b !== 0)) {
          throw new AccordError(
            'invalid_input',
            `the bundle has data after its end-of-archive blocks (at byte ${at})`,
          );
        }
      }
      return members;
    }
    if (members.length >= MAX_MEMBERS) {
      throw new AccordError('invalid_input', `the bundle has more than ${MAX_MEMBERS} members`);
    }
    const where = `the archive member at byte ${position}`;
    const stored = parseOctal(header.subarray(148, 156));
    let sum = 0;
    for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
    if (stored === undefined || stored !== sum)
      throw new AccordError('invalid_input', `${where} has a bad header checksum`);
    const nameEnd = header.indexOf(0, 0);
    const rawName = header.subarray(0, nameEnd === -1 || nameEnd > 100 ? 100 : nameEnd);
    if (![...rawName].every((b) => b >= 0x21 && b <= 0x7e)) {
      throw new AccordError('invalid_input', `${where} has a name that is not printable ASCII`);
    }
    const name = rawName.toString('ascii');
    if (header.subarray(345, 500).some((b) => b !== 0)) {
      throw new AccordError(
        'invalid_input',
        `member ${name}: long names (the ustar prefix field) are not allowed`,
      );
    }
    const type = header[156];
    if (type !== 0x30 && type !== 0) {
      throw new AccordError(
        'invalid_input',
        `member ${name} is not a regular file (type ${String.fromCharCode(type ?? 0)})`,
      );
    }
    if (header.subarray(257, 262).toString('ascii') !== 'ustar') {
      throw new AccordError('invalid_input', `member ${name} does not have a ustar header`);
    }
    const size = parseSize(header.subarray(124, 136));
    if (size === undefined) throw new AccordError('invalid_input', `member ${name} has an unreadable size`);
    const offset = position + BLOCK;
    if (offset + size > fileSize) {
      throw new AccordError(
        'invalid_input',
        `member ${name} claims ${size} bytes, past the end of the bundle`,
      );
    }
    if (seen.has(name)) throw new AccordError('invalid_input', `member ${name} appears twice`);
    seen.add(name);
    members.push({ name, offset, size });
    position = offset + size + ((BLOCK - (size % BLOCK)) % BLOCK);
  }
};

const parseOctal = (field: Buffer): number | undefined => {
  const text = field
    .toString('ascii')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (!/^[0-7]{1,12}$/.test(text)) return undefined;
  return Number.parseInt(text, 8);
};

const parseSize = (field: Buffer): number | undefined => {
  if (field[0] === 0x80) {
    let value = 0n;
    for (let i = 1; i < field.length; i += 1) value = (value << 8n) | BigInt(field[i] ?? 0);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
  }
  if (((field[0] ?? 0) & 0x80) !== 0) return undefined; // other base-256 forms (negative sizes)
  return parseOctal(field);
};
