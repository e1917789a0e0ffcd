// Incremental WARC parser (WARC 1.1, ISO 28500:2017; 1.0 is the same framing): a version line, header
// fields, an empty line, a block of exactly Content-Length bytes, then CRLF CRLF. Blocks are hashed as they
// stream past and never buffered; only a record's header (at most 1 MiB) and its HTTP header (at most
// 256 KiB) are kept while they are read.
import { createHash, type Hash } from 'node:crypto';
import { decodeText, defined } from '../bytes.ts';
import type { DigestCheck, WarcRecordSummary, WarcSummary } from '../types.ts';
import { Dechunker } from './dechunk.ts';
import { type DigestSpec, digestMatches, parseDigestHeader } from './digest.ts';

const MAX_HEADER = 1 << 20;
const MAX_HTTP_HEADER = 256 << 10;
const MAGIC = 'WARC/';

export interface WarcParserOptions {
  maxRecords: number;
  problem: (message: string) => void;
  /**
   * For gzip-compressed WARC: the decompressed offset where the current gzip member starts, so that
   * records that do not start a member can be flagged (WARC 1.1 Annex D.2: one record per member).
   */
  memberStart?: () => number;
}

type Phase = 'between' | 'header' | 'block' | 'resync' | 'dead';

/** Grows as needed up to a limit; `bytes()` is a view of what was appended. */
class ByteBuffer {
  private data = new Uint8Array(256);
  length = 0;
  append(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.data.length) {
      let size = this.data.length * 2;
      while (size < this.length + bytes.length) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(bytes, this.length);
    this.length += bytes.length;
  }
  bytes(): Uint8Array {
    return this.data.subarray(0, this.length);
  }
  clear(): void {
    this.length = 0;
    if (this.data.length > 64 << 10) this.data = new Uint8Array(256);
  }
}

/** A digest being computed alongside the block, with what it is compared against. */
interface PendingDigest {
  spec: DigestSpec;
  hashes: Hash[];
  /** Set when the digest cannot be checked for this record. */
  unchecked?: string;
}

interface OpenRecord {
  number: number;
  summary: WarcRecordSummary;
  label: string;
  left: number;
  block?: PendingDigest;
  payload?: PendingDigest;
  /** Payload starts after the HTTP header, which is being collected. */
  httpHeader?: ByteBuffer;
  /** Second payload hash over the de-chunked body, when the HTTP message is chunked. */
  dechunker?: Dechunker;
}

export class WarcParser {
  private readonly options: WarcParserOptions;
  private phase: Phase = 'between';
  private offset = 0;
  private readonly header = new ByteBuffer();
  private headerStart = 0;
  /** The record being read starts a gzip member (always true for uncompressed WARC). */
  private headerAligned = true;
  private record: OpenRecord | undefined;
  private lastRecord: { number: number; label: string } | undefined;
  private resyncMatch = 0;
  private misalignmentFlagged = false;

  private readonly records: WarcRecordSummary[] = [];
  private recordCount = 0;
  private digestsChecked = 0;
  private digestFailures = 0;
  private truncated = false;

  constructor(options: WarcParserOptions) {
    this.options = options;
  }

  write(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      switch (this.phase) {
        case 'between': {
          const c = chunk[i] ?? 0;
          if (c === 0x0d || c === 0x0a) {
            i++;
            this.offset++;
            break;
          }
          this.startHeader();
          break;
        }
        case 'header': {
          const used = this.readHeader(chunk, i);
          i += used;
          this.offset += used;
          break;
        }
        case 'block': {
          const record = this.record;
          if (!record) {
            this.phase = 'between';
            break;
          }
          const n = Math.min(record.left, chunk.length - i);
          this.feedBlock(record, chunk.subarray(i, i + n));
          record.left -= n;
          i += n;
          this.offset += n;
          if (record.left === 0) this.finishRecord(record, false);
          break;
        }
        case 'resync': {
          // Look for "\nWARC/" to find the next record after damage.
          const pattern = `\n${MAGIC}`;
          const c = chunk[i] ?? 0;
          i++;
          this.offset++;
          if (c === pattern.charCodeAt(this.resyncMatch)) this.resyncMatch++;
          else this.resyncMatch = c === 0x0a ? 1 : 0;
          if (this.resyncMatch === pattern.length) {
            this.resyncMatch = 0;
            this.headerStart = this.offset - MAGIC.length;
            this.header.clear();
            this.header.append(new TextEncoder().encode(MAGIC));
            const memberStart = this.options.memberStart;
            this.headerAligned = memberStart ? memberStart() === this.headerStart : true;
            this.checkMemberAlignment();
            this.phase = 'header';
          }
          break;
        }
        case 'dead':
          this.offset += chunk.length - i;
          return;
      }
    }
  }

  /** No more input. */
  end(): WarcSummary {
    if (this.phase === 'block' && this.record) {
      const r = this.record;
      this.truncated = true;
      this.options.problem(
        `WARC truncated: record ${r.label} ends before its Content-Length (${(
          r.summary.contentLength - r.left
        ).toLocaleString('en')} of ${r.summary.contentLength.toLocaleString('en')} bytes present)`,
      );
      this.finishRecord(r, true);
    } else if (this.phase === 'header') {
      const text = decodeText(this.header.bytes()).trim();
      if (text !== '') {
        this.truncated = true;
        this.options.problem(`WARC truncated: the header of record ${this.recordCount + 1} is incomplete`);
      }
    }
    this.phase = 'dead';
    const summary: WarcSummary = {
      records: this.records,
      recordCount: this.recordCount,
      digestsChecked: this.digestsChecked,
      digestFailures: this.digestFailures,
    };
    if (this.truncated) summary.truncated = true;
    return summary;
  }

  private startHeader(): void {
    this.header.clear();
    this.headerStart = this.offset;
    this.headerAligned = this.options.memberStart ? this.options.memberStart() === this.offset : true;
    this.phase = 'header';
  }

  /** Called once "WARC/" is confirmed, so that damaged data is not also reported as misaligned. */
  private checkMemberAlignment(): void {
    if (this.headerAligned || this.misalignmentFlagged) return;
    this.misalignmentFlagged = true;
    this.options.problem(
      `WARC gzip members do not match records: record ${this.recordCount + 1} does not start a new gzip member ` +
        '(WARC 1.1 Annex D expects one record per member; the content still decompresses)',
    );
  }

  /** Consumes header bytes from chunk[from..]; returns how many were used. */
  private readHeader(chunk: Uint8Array, from: number): number {
    let i = from;
    const h = this.header;
    // Until "WARC/" is confirmed, check byte by byte: anything else means the previous record's
    // Content-Length did not end where the data says it should.
    while (h.length < MAGIC.length && i < chunk.length) {
      if (chunk[i] !== MAGIC.charCodeAt(h.length)) {
        this.damagedBoundary();
        return i - from;
      }
      h.append(chunk.subarray(i, i + 1));
      i++;
      if (h.length === MAGIC.length) this.checkMemberAlignment();
    }
    // Then a line at a time: the header ends with an empty line.
    while (i < chunk.length) {
      const lf = chunk.indexOf(0x0a, i);
      const end = lf < 0 ? chunk.length : lf + 1;
      if (h.length + (end - i) > MAX_HEADER) {
        this.options.problem(
          `WARC record ${this.recordCount + 1} has a header longer than 1 MiB; the rest of the file is not parsed`,
        );
        this.phase = 'dead';
        return end - from;
      }
      h.append(chunk.subarray(i, end));
      i = end;
      if (lf >= 0 && this.headerEnded()) {
        this.openRecord();
        return i - from;
      }
    }
    return i - from;
  }

  private headerEnded(): boolean {
    const b = this.header.bytes();
    const n = b.length;
    return (n >= 2 && b[n - 2] === 0x0a) || (n >= 3 && b[n - 2] === 0x0d && b[n - 3] === 0x0a);
  }

  private damagedBoundary(): void {
    this.truncated = true;
    const previous = this.lastRecord;
    this.options.problem(
      previous
        ? `WARC truncated: record ${previous.label} does not end where its Content-Length says ` +
            '(the next bytes are neither CRLF CRLF nor a WARC header); looking for the next record'
        : 'WARC data does not start with a WARC header; looking for the first record',
    );
    this.resyncMatch = 0;
    this.phase = 'resync';
  }

  private openRecord(): void {
    const text = decodeText(this.header.bytes());
    const lines = text.split(/\r?\n/);
    const version = lines[0]?.trim() ?? '';
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of lines.slice(1)) {
      if (line === '') continue;
      if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
        fields.set(last, `${fields.get(last) ?? ''} ${line.trim()}`);
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      last = name;
      if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
    }
    const number = this.recordCount + 1;
    const id = fields.get('warc-record-id');
    const label = `${number} (${id ?? 'no WARC-Record-ID'})`;
    if (version !== 'WARC/1.0' && version !== 'WARC/1.1') {
      this.options.problem(
        `WARC record ${label} has an unusual version line ${JSON.stringify(version.slice(0, 40))}`,
      );
    }
    const lengthText = fields.get('content-length') ?? '';
    if (!/^\d{1,15}$/.test(lengthText)) {
      this.options.problem(
        `WARC record ${label} has no valid Content-Length (${JSON.stringify(lengthText.slice(0, 40))}); ` +
          'the rest of the file is not parsed',
      );
      this.phase = 'dead';
      return;
    }
    this.recordCount = number;
    const type = fields.get('warc-type');
    if (type === undefined) this.options.problem(`WARC record ${label} has no WARC-Type`);
    const summary: WarcRecordSummary = defined({
      type: type ?? 'unknown',
      recordId: id,
      targetUri: fields.get('warc-target-uri'),
      date: fields.get('warc-date'),
      contentLength: Number(lengthText),
    });
    if (number <= this.options.maxRecords) this.records.push(summary);

    const record: OpenRecord = { number, summary, label, left: summary.contentLength };
    const blockDigest = fields.get('warc-block-digest');
    if (blockDigest !== undefined) record.block = pending(parseDigestHeader(blockDigest));
    const payloadDigest = fields.get('warc-payload-digest');
    if (payloadDigest !== undefined) {
      record.payload = pending(parseDigestHeader(payloadDigest));
      if (type === 'revisit') {
        record.payload.unchecked = 'a revisit record’s payload digest describes the record it refers to';
      } else if (fields.has('warc-segment-number')) {
        record.payload.unchecked = 'segmented record';
      } else if ((fields.get('content-type') ?? '').toLowerCase().startsWith('application/http')) {
        record.httpHeader = new ByteBuffer();
      }
    }
    this.record = record;
    this.phase = 'block';
    if (record.left === 0) this.finishRecord(record, false);
  }

  private feedBlock(record: OpenRecord, bytes: Uint8Array): void {
    for (const h of record.block?.hashes ?? []) h.update(bytes);
    const payload = record.payload;
    if (!payload || payload.unchecked || payload.hashes.length === 0) return;
    let body = bytes;
    const http = record.httpHeader;
    if (http) {
      // Collect the HTTP header up to its empty line; the payload is what follows it.
      let end = -1;
      for (let k = 0; k < bytes.length; k++) {
        if (bytes[k] !== 0x0a) continue;
        const all = http.length + k + 1;
        const prev1 = k >= 1 ? bytes[k - 1] : http.bytes()[http.length - 1];
        const prev2 = k >= 2 ? bytes[k - 2] : http.bytes()[http.length + k - 2];
        if (prev1 === 0x0a || (prev1 === 0x0d && prev2 === 0x0a)) {
          end = k + 1;
          break;
        }
        if (all > MAX_HTTP_HEADER) break;
      }
      if (end < 0) {
        if (http.length + bytes.length > MAX_HTTP_HEADER) {
          payload.unchecked = 'the HTTP header is longer than 256 KiB';
          record.httpHeader = undefined;
          return;
        }
        http.append(bytes);
        return;
      }
      http.append(bytes.subarray(0, end));
      const headerText = decodeText(http.bytes()).toLowerCase();
      record.httpHeader = undefined;
      if (/^transfer-encoding:[^\n]*chunked/m.test(headerText)) {
        const decoded = createHash(payload.spec.algorithm ?? 'sha1');
        payload.hashes.push(decoded);
        record.dechunker = new Dechunker((data) => decoded.update(data));
      }
      body = bytes.subarray(end);
    }
    const raw = payload.hashes[0];
    raw?.update(body);
    record.dechunker?.write(body);
  }

  private finishRecord(record: OpenRecord, cut: boolean): void {
    this.record = undefined;
    this.lastRecord = { number: record.number, label: record.label };
    this.phase = cut ? 'dead' : 'between';
    if (record.payload && record.httpHeader && !record.payload.unchecked) {
      record.payload.unchecked = 'the HTTP header does not end inside the block';
      this.options.problem(`WARC record ${record.label}: the HTTP header does not end inside the block`);
    }
    const check = (digest: PendingDigest | undefined, kind: 'block' | 'payload'): DigestCheck | undefined => {
      if (!digest) return undefined;
      const result: DigestCheck = { value: digest.spec.value, status: 'unchecked' };
      if (!digest.spec.algorithm) {
        result.status = 'unsupported';
        result.note = `unknown digest algorithm ${JSON.stringify(digest.spec.label)}`;
      } else if (cut) {
        result.note = 'the record is truncated';
      } else if (digest.unchecked) {
        result.note = digest.unchecked;
      } else {
        const actual = digest.hashes.map((h) => new Uint8Array(h.digest()));
        // For a chunked HTTP message the second hash is over the de-chunked body; only count it if the
        // chunked framing was complete.
        const candidates =
          kind === 'payload' && record.dechunker && !record.dechunker.complete ? actual.slice(0, 1) : actual;
        this.digestsChecked++;
        if (digestMatches(digest.spec, candidates)) {
          result.status = 'ok';
        } else {
          result.status = 'failed';
          this.digestFailures++;
          this.options.problem(`WARC ${kind} digest mismatch in record ${record.label}`);
        }
      }
      return result;
    };
    const block = check(record.block, 'block');
    if (block) record.summary.blockDigest = block;
    const payload = check(record.payload, 'payload');
    if (payload) record.summary.payloadDigest = payload;
  }
}

const pending = (spec: DigestSpec): PendingDigest => ({
  spec,
  hashes: spec.algorithm ? [createHash(spec.algorithm)] : [],
});
