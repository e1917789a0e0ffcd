// A push-based, synchronous gzip decoder (RFC 1952 framing around RFC 1951 DEFLATE).
//
// Why not node:zlib: its streams decompress asynchronously on the thread pool, so a `write()` that must
// return synchronously could only queue input without bound, and they hide where one gzip member ends
// and the next begins. WARC files are expected to hold one record per gzip member (WARC 1.1 Annex D), and
// checking that needs the member boundaries. This decoder works in the caller's `write()`, keeps at most
// a 96 KiB window plus a few KiB of unread input, and reports each member start. node:zlib still supplies
// the CRC-32 of the trailer check.
import { crc32 } from 'node:zlib';

export interface GunzipEvents {
  /** A new member starts; `outputOffset` is the decompressed offset of its first byte. */
  memberStart(index: number, outputOffset: number): void;
  /** Decompressed bytes. The view is only valid during the call: copy what you keep. */
  data(bytes: Uint8Array): void;
}

// RFC 1951 §3.2.5: base lengths and extra bits for length codes 257..285, distance codes 0..29.
const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
  227, 258,
];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
  6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
];
// RFC 1951 §3.2.7: the order in which code length code lengths are sent.
const CLEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

const WINDOW = 32768;
const OUT_SIZE = WINDOW + 65536;
/** Bytes of unread input a dynamic block header may need (its worst case is ~570 bytes). */
const DYNAMIC_HEADER_LOOKAHEAD = 1024;
/** Enough for one literal/length code, its extra bits, a distance code and its extra bits (48 bits). */
const SYMBOL_LOOKAHEAD = 8;
/** A gzip header with a longer name, comment or extra field is refused. */
const MAX_GZIP_HEADER = 1 << 20;

/** Bits resolved by the first table lookup; longer codes take a second lookup in a sub-table. */
const PRIMARY_BITS = 9;

/**
 * A canonical Huffman code (RFC 1951 §3.2.2) as two-level lookup tables indexed by the next input bits
 * (least significant first, as DEFLATE packs them).
 * - primary entry > 0: symbol << 4 | code length.
 * - primary entry < 0: -(sub-table start << 4 | sub-table bits), for codes longer than `bits`.
 * - 0 (in either table): no code has these bits.
 */
interface Huffman {
  table: Int32Array;
  bits: number;
  sub: Int32Array;
}

class DecodeError extends Error {}

const reverseBits = (code: number, length: number): number => {
  let r = 0;
  for (let i = 0; i < length; i++) {
    r = (r << 1) | (code & 1);
    code >>>= 1;
  }
  return r;
};

// Scratch space for buildHuffman, which runs synchronously and copies out what it keeps.
const COUNTS = new Int32Array(16);
const NEXT_CODE = new Int32Array(16);
const REVERSED = new Int32Array(288);
const LONGEST = new Int32Array(1 << PRIMARY_BITS);
const SUB_START = new Int32Array(1 << PRIMARY_BITS);

/** Builds a decoder from code lengths (at most 288); rejects over-subscribed codes. */
const buildHuffman = (lengths: Uint8Array, count: number): Huffman => {
  const counts = COUNTS.fill(0);
  let maxLen = 0;
  for (let i = 0; i < count; i++) {
    const len = lengths[i] ?? 0;
    counts[len] = (counts[len] ?? 0) + 1;
    if (len > maxLen) maxLen = len;
  }
  counts[0] = 0;
  const nextCode = NEXT_CODE.fill(0);
  let code = 0;
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = (left << 1) - (counts[len] ?? 0);
    if (left < 0) throw new DecodeError('over-subscribed Huffman code');
    code = (code + (counts[len - 1] ?? 0)) << 1;
    nextCode[len] = code;
  }
  const bits = Math.min(Math.max(maxLen, 1), PRIMARY_BITS);
  const size = 1 << bits;
  const table = new Int32Array(size);
  // Reversed code of every symbol (the order its bits arrive in), and the longest code per prefix.
  const reversed = REVERSED;
  const longest = LONGEST.fill(0, 0, size);
  for (let symbol = 0; symbol < count; symbol++) {
    const len = lengths[symbol] ?? 0;
    if (len === 0) continue;
    const c = nextCode[len] ?? 0;
    nextCode[len] = c + 1;
    const r = reverseBits(c, len);
    reversed[symbol] = r;
    if (len <= bits) {
      const entry = (symbol << 4) | len;
      for (let i = r; i < size; i += 1 << len) table[i] = entry;
    } else {
      const prefix = r & (size - 1);
      if (len > (longest[prefix] ?? 0)) longest[prefix] = len;
    }
  }
  let subSize = 0;
  const subStart = SUB_START;
  for (let prefix = 0; prefix < size; prefix++) {
    const len = longest[prefix] ?? 0;
    if (len === 0) continue;
    subStart[prefix] = subSize;
    table[prefix] = -((subSize << 4) | (len - bits));
    subSize += 1 << (len - bits);
  }
  const sub = new Int32Array(subSize);
  for (let symbol = 0; symbol < count; symbol++) {
    const len = lengths[symbol] ?? 0;
    if (len <= bits) continue;
    const r = reversed[symbol] ?? 0;
    const prefix = r & (size - 1);
    const start = subStart[prefix] ?? 0;
    const subBits = (longest[prefix] ?? 0) - bits;
    const entry = (symbol << 4) | len;
    for (let i = r >>> bits; i < 1 << subBits; i += 1 << (len - bits)) sub[start + i] = entry;
  }
  return { table, bits, sub };
};

const FIXED_LITLEN = (() => {
  const lengths = new Uint8Array(288);
  lengths.fill(8, 0, 144);
  lengths.fill(9, 144, 256);
  lengths.fill(7, 256, 280);
  lengths.fill(8, 280, 288);
  return buildHuffman(lengths, 288);
})();
const FIXED_DIST = buildHuffman(new Uint8Array(30).fill(5), 30);

type State =
  | 'member-header'
  | 'block-header'
  | 'stored'
  | 'codes'
  | 'member-trailer'
  | 'between-members'
  | 'trailing'
  | 'failed'
  | 'stopped';

export class GzipDecoder {
  private readonly events: GunzipEvents;
  private state: State = 'member-header';
  /** Unread input: `input[pos..]`. Between calls it is a private copy, never the caller's chunk. */
  private input: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private consumedBefore = 0;
  private bitBuf = 0;
  private bitCnt = 0;

  private readonly out = new Uint8Array(OUT_SIZE);
  private outPos = 0;
  private flushedTo = 0;
  /** How much history exists (distances may not reach further back). */
  private history = 0;

  private finalBlock = false;
  private storedLeft = 0;
  private litlen: Huffman = FIXED_LITLEN;
  private dist: Huffman = FIXED_DIST;

  private memberIndex = -1;
  private memberCrc = 0;
  private memberSize = 0;
  private totalOut = 0;
  private trailingBytes = 0;
  private failure: string | undefined;

  constructor(events: GunzipEvents) {
    this.events = events;
  }

  /** Why decoding failed, if it did. */
  get error(): string | undefined {
    return this.failure;
  }

  /** Number of members started. */
  get members(): number {
    return this.memberIndex + 1;
  }

  /** Input bytes after the last complete member that are not another member. */
  get trailing(): number {
    return this.trailingBytes;
  }

  /** Decompressed bytes produced so far. */
  get outputSize(): number {
    return this.totalOut;
  }

  /** Stop decoding (the caller needs no more output); later input is ignored. */
  stop(): void {
    if (this.state !== 'failed') this.state = 'stopped';
    this.input = new Uint8Array(0);
    this.pos = 0;
  }

  write(chunk: Uint8Array): void {
    if (this.state === 'failed' || this.state === 'stopped') return;
    if (this.state === 'trailing') {
      this.trailingBytes += chunk.length;
      return;
    }
    if (this.pos < this.input.length) {
      const rest = this.input.subarray(this.pos);
      const joined = new Uint8Array(rest.length + chunk.length);
      joined.set(rest, 0);
      joined.set(chunk, rest.length);
      this.input = joined;
    } else {
      this.input = chunk;
    }
    this.consumedBefore += this.pos;
    this.pos = 0;
    this.run(false);
    // Whole bytes still in the bit buffer were read from this.input during this call: give them back, so
    // that the bit buffer never holds bytes of an input buffer that is gone.
    this.pos -= this.bitCnt >>> 3;
    this.bitBuf &= (1 << (this.bitCnt & 7)) - 1;
    this.bitCnt &= 7;
    // Keep no reference to the caller's buffer: it may be reused once write() returns.
    const rest = this.input.subarray(this.pos);
    this.consumedBefore += this.pos;
    this.input = rest.length > 0 ? rest.slice() : new Uint8Array(0);
    this.pos = 0;
  }

  /** No more input. Returns a problem description if the stream ends badly. */
  end(): string | undefined {
    if (this.state !== 'failed' && this.state !== 'stopped') this.run(true);
    if (this.state === 'failed' || this.state === 'stopped') return this.failure;
    if (this.state === 'between-members' && this.pos < this.input.length) {
      this.trailingBytes += this.input.length - this.pos;
      this.state = 'trailing';
    }
    if (this.state === 'member-header' && this.memberIndex < 0) {
      this.fail('no gzip member');
    } else if (this.state !== 'between-members' && this.state !== 'trailing') {
      this.fail(`unexpected end of data in member ${this.memberIndex + 1}`);
    }
    return this.failure;
  }

  private fail(message: string): void {
    this.flush();
    this.failure = `${message} (at compressed byte ${this.consumedBefore + this.pos})`;
    this.state = 'failed';
    this.input = new Uint8Array(0);
    this.pos = 0;
  }

  private run(final: boolean): void {
    try {
      for (;;) {
        const progressed = this.step(final);
        if (!progressed) break;
      }
    } catch (e) {
      if (e instanceof DecodeError) this.fail(e.message);
      else throw e;
    }
    this.flush();
  }

  private available(): number {
    return this.input.length - this.pos + (this.bitCnt >>> 3);
  }

  /** One unit of work; false when more input is needed (or the decoder is done). */
  private step(final: boolean): boolean {
    switch (this.state) {
      case 'member-header':
        return this.readMemberHeader(final);
      case 'block-header':
        return this.readBlockHeader(final);
      case 'stored':
        return this.copyStored();
      case 'codes':
        return this.decodeCodes(final);
      case 'member-trailer':
        return this.readMemberTrailer();
      case 'between-members':
        return this.betweenMembers();
      case 'trailing':
        this.trailingBytes += this.input.length - this.pos;
        this.pos = this.input.length;
        return false;
      case 'failed':
      case 'stopped':
        return false;
    }
  }

  // RFC 1952 §2.3: ID1 ID2 CM FLG MTIME(4) XFL OS, then optional FEXTRA, FNAME, FCOMMENT, FHCRC.
  private readMemberHeader(final: boolean): boolean {
    const b = this.input;
    const p = this.pos;
    const have = b.length - p;
    if (have < 10) {
      if (final && have > 0) throw new DecodeError('truncated gzip header');
      return false;
    }
    if (b[p] !== 0x1f || b[p + 1] !== 0x8b) throw new DecodeError('not a gzip member header');
    if (b[p + 2] !== 8) throw new DecodeError(`unknown compression method ${b[p + 2]}`);
    const flags = b[p + 3] ?? 0;
    if (flags & 0xe0) throw new DecodeError('reserved gzip header flags are set');
    let q = p + 10;
    const need = (n: number): boolean => q + n <= b.length;
    if (flags & 0x04) {
      if (!need(2)) return this.headerIncomplete(final, q - p);
      const xlen = (b[q] ?? 0) | ((b[q + 1] ?? 0) << 8);
      q += 2;
      if (!need(xlen)) return this.headerIncomplete(final, q - p);
      q += xlen;
    }
    for (const flag of [0x08, 0x10]) {
      if (flags & flag) {
        const zero = b.indexOf(0, q);
        if (zero < 0) return this.headerIncomplete(final, b.length - p);
        q = zero + 1;
      }
    }
    if (flags & 0x02) {
      if (!need(2)) return this.headerIncomplete(final, q - p);
      q += 2;
    }
    this.pos = q;
    // Output of one member is delivered before the next member starts.
    this.flush();
    this.memberIndex += 1;
    this.memberCrc = 0;
    this.memberSize = 0;
    this.events.memberStart(this.memberIndex, this.totalOut);
    this.state = 'block-header';
    this.finalBlock = false;
    return true;
  }

  private headerIncomplete(final: boolean, size: number): boolean {
    if (final) throw new DecodeError('truncated gzip header');
    if (size > MAX_GZIP_HEADER) throw new DecodeError('gzip header is larger than 1 MiB');
    return false;
  }

  private need(bits: number): void {
    while (this.bitCnt < bits) {
      if (this.pos >= this.input.length) throw new DecodeError('unexpected end of compressed data');
      this.bitBuf |= (this.input[this.pos++] ?? 0) << this.bitCnt;
      this.bitCnt += 8;
    }
  }

  private bits(n: number): number {
    if (n === 0) return 0;
    this.need(n);
    const v = this.bitBuf & ((1 << n) - 1);
    this.bitBuf >>>= n;
    this.bitCnt -= n;
    return v;
  }

  private fill(bits: number): void {
    while (this.bitCnt < bits && this.pos < this.input.length) {
      this.bitBuf |= (this.input[this.pos++] ?? 0) << this.bitCnt;
      this.bitCnt += 8;
    }
  }

  private decodeSymbol(h: Huffman): number {
    // Fill as many bits as the table wants, but near the end of input a short code may need fewer.
    this.fill(h.bits);
    let entry = h.table[this.bitBuf & ((1 << h.bits) - 1)] ?? 0;
    if (entry < 0) {
      const subBits = -entry & 15;
      this.fill(h.bits + subBits);
      entry = h.sub[(-entry >> 4) + ((this.bitBuf >>> h.bits) & ((1 << subBits) - 1))] ?? 0;
    }
    const len = entry & 15;
    if (len === 0) throw new DecodeError('invalid Huffman code');
    if (len > this.bitCnt) throw new DecodeError('unexpected end of compressed data');
    this.bitBuf >>>= len;
    this.bitCnt -= len;
    return entry >>> 4;
  }

  private readBlockHeader(final: boolean): boolean {
    if (this.finalBlock) {
      // Byte-align and hand back whole bytes still in the bit buffer: the trailer follows.
      this.bitBuf >>>= this.bitCnt & 7;
      this.bitCnt -= this.bitCnt & 7;
      this.pos -= this.bitCnt >>> 3;
      this.bitBuf = 0;
      this.bitCnt = 0;
      this.state = 'member-trailer';
      return true;
    }
    if (!final && this.available() < DYNAMIC_HEADER_LOOKAHEAD) return false;
    this.finalBlock = this.bits(1) === 1;
    const type = this.bits(2);
    if (type === 0) {
      this.bitBuf >>>= this.bitCnt & 7;
      this.bitCnt -= this.bitCnt & 7;
      const len = this.bits(16);
      const nlen = this.bits(16);
      if ((len ^ 0xffff) !== nlen) throw new DecodeError('stored block length check failed');
      this.storedLeft = len;
      this.state = 'stored';
    } else if (type === 1) {
      this.litlen = FIXED_LITLEN;
      this.dist = FIXED_DIST;
      this.state = 'codes';
    } else if (type === 2) {
      this.readDynamicTables();
      this.state = 'codes';
    } else {
      throw new DecodeError('invalid block type 3');
    }
    return true;
  }

  // RFC 1951 §3.2.7
  private readDynamicTables(): void {
    const hlit = this.bits(5) + 257;
    const hdist = this.bits(5) + 1;
    const hclen = this.bits(4) + 4;
    if (hlit > 286 || hdist > 30) throw new DecodeError('too many length or distance codes');
    const clen = new Uint8Array(19);
    for (let i = 0; i < hclen; i++) clen[CLEN_ORDER[i] ?? 0] = this.bits(3);
    const clenCode = buildHuffman(clen, 19);
    const lengths = new Uint8Array(hlit + hdist);
    let i = 0;
    while (i < hlit + hdist) {
      const sym = this.decodeSymbol(clenCode);
      if (sym < 16) {
        lengths[i++] = sym;
        continue;
      }
      let repeat: number;
      let value = 0;
      if (sym === 16) {
        if (i === 0) throw new DecodeError('repeat of a code length with no previous length');
        value = lengths[i - 1] ?? 0;
        repeat = 3 + this.bits(2);
      } else if (sym === 17) {
        repeat = 3 + this.bits(3);
      } else {
        repeat = 11 + this.bits(7);
      }
      if (i + repeat > hlit + hdist) throw new DecodeError('code lengths overflow');
      lengths.fill(value, i, i + repeat);
      i += repeat;
    }
    if (lengths[256] === 0) throw new DecodeError('no end-of-block code');
    this.litlen = buildHuffman(lengths.subarray(0, hlit), hlit);
    this.dist = buildHuffman(lengths.subarray(hlit), hdist);
  }

  private copyStored(): boolean {
    // Whole bytes may still sit in the bit buffer after LEN/NLEN.
    while (this.storedLeft > 0 && this.bitCnt >= 8) {
      this.ensureOutSpace(1);
      this.putByte(this.bitBuf & 0xff);
      this.bitBuf >>>= 8;
      this.bitCnt -= 8;
      this.storedLeft -= 1;
    }
    while (this.storedLeft > 0 && this.pos < this.input.length) {
      this.ensureOutSpace(1);
      const n = Math.min(this.storedLeft, this.input.length - this.pos, this.out.length - this.outPos);
      this.out.set(this.input.subarray(this.pos, this.pos + n), this.outPos);
      this.outPos += n;
      this.history = Math.min(WINDOW, this.history + n);
      this.pos += n;
      this.storedLeft -= n;
    }
    if (this.storedLeft === 0) {
      this.state = 'block-header';
      return true;
    }
    return false;
  }

  private putByte(v: number): void {
    this.out[this.outPos++] = v;
    if (this.history < WINDOW) this.history++;
  }

  private decodeCodes(final: boolean): boolean {
    const out = this.out;
    for (;;) {
      if (!final && this.available() < SYMBOL_LOOKAHEAD) return false;
      this.ensureOutSpace(258);
      const sym = this.decodeSymbol(this.litlen);
      if (sym < 256) {
        this.putByte(sym);
        continue;
      }
      if (sym === 256) {
        this.state = 'block-header';
        return true;
      }
      const li = sym - 257;
      if (li >= 29) throw new DecodeError('invalid length code');
      const length = (LENGTH_BASE[li] ?? 0) + this.bits(LENGTH_EXTRA[li] ?? 0);
      const di = this.decodeSymbol(this.dist);
      if (di >= 30) throw new DecodeError('invalid distance code');
      const distance = (DIST_BASE[di] ?? 0) + this.bits(DIST_EXTRA[di] ?? 0);
      if (distance > this.history) throw new DecodeError('distance too far back');
      let from = this.outPos - distance;
      for (let k = 0; k < length; k++) out[this.outPos++] = out[from++] ?? 0;
      this.history = Math.min(WINDOW, this.history + length);
    }
  }

  /** Makes room for `n` more output bytes, delivering pending output and sliding the window. */
  private ensureOutSpace(n: number): void {
    if (this.outPos + n <= this.out.length) return;
    this.flush();
    const keep = Math.min(WINDOW, this.outPos);
    this.out.copyWithin(0, this.outPos - keep, this.outPos);
    this.outPos = keep;
    this.flushedTo = keep;
  }

  private flush(): void {
    if (this.outPos > this.flushedTo) {
      const view = this.out.subarray(this.flushedTo, this.outPos);
      this.memberCrc = crc32(view, this.memberCrc);
      this.memberSize = (this.memberSize + view.length) >>> 0;
      this.totalOut += view.length;
      this.flushedTo = this.outPos;
      this.events.data(view);
    }
  }

  // RFC 1952 §2.3.1: CRC32 and ISIZE (size modulo 2^32), little-endian.
  private readMemberTrailer(): boolean {
    const b = this.input;
    const p = this.pos;
    if (b.length - p < 8) return false;
    this.flush();
    const crc =
      ((b[p] ?? 0) | ((b[p + 1] ?? 0) << 8) | ((b[p + 2] ?? 0) << 16) | ((b[p + 3] ?? 0) << 24)) >>> 0;
    const size =
      ((b[p + 4] ?? 0) | ((b[p + 5] ?? 0) << 8) | ((b[p + 6] ?? 0) << 16) | ((b[p + 7] ?? 0) << 24)) >>> 0;
    this.pos = p + 8;
    if (crc !== this.memberCrc) throw new DecodeError(`CRC-32 mismatch in member ${this.memberIndex + 1}`);
    if (size !== this.memberSize) throw new DecodeError(`length mismatch in member ${this.memberIndex + 1}`);
    // A new member has its own history.
    this.history = 0;
    this.state = 'between-members';
    return true;
  }

  private betweenMembers(): boolean {
    const b = this.input;
    const p = this.pos;
    if (p >= b.length) return false;
    if (b[p] !== 0x1f || (p + 1 < b.length && b[p + 1] !== 0x8b)) {
      this.state = 'trailing';
      return true;
    }
    if (p + 1 >= b.length) return false;
    this.state = 'member-header';
    return true;
  }
}
