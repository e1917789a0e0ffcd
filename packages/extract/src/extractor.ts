// The push-based extractor: the ingest pipeline feeds it the chunks it is already hashing, so a file is
// read once. Memory is bounded whatever the input size: the head (at most maxHeadBytes) for type
// detection and image metadata, the gzip window, and one WARC record header at a time.
import { createReadStream } from 'node:fs';
import { defined, startsWithAscii } from './bytes.ts';
import { GzipDecoder } from './gzip/gunzip.ts';
import { parseImage } from './image/image.ts';
import { Problems } from './problems.ts';
import { sniffMediaType } from './sniff.ts';
import type { ExtractedMetadata, Extractor, ExtractorOptions } from './types.ts';
import { WarcParser } from './warc/parser.ts';

export const DEFAULT_MAX_HEAD_BYTES = 4 << 20;
export const DEFAULT_MAX_WARC_RECORDS = 10_000;
const MIN_HEAD_BYTES = 64;
/** Bytes needed to choose the streaming route: "WARC/" or the gzip magic 1F 8B 08. */
const ROUTE_BYTES = 5;

type Route = 'undecided' | 'warc' | 'gzip' | 'other';

class StreamingExtractor implements Extractor {
  private readonly maxHead: number;
  private readonly maxRecords: number;
  private readonly problems = new Problems();
  private head = new Uint8Array(0);
  private headLength = 0;
  private size = 0;
  private ended = false;

  private route: Route = 'undecided';
  private warc: WarcParser | undefined;
  private gzip: GzipDecoder | undefined;
  /** For gzip input: the first decompressed bytes, until they show whether it is a WARC. */
  private gzipStart = new Uint8Array(0);
  private gzipIsWarc: boolean | undefined;
  private memberStart = 0;

  constructor(options: ExtractorOptions = {}) {
    this.maxHead = Math.max(MIN_HEAD_BYTES, Math.floor(options.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES));
    this.maxRecords = Math.max(0, Math.floor(options.maxWarcRecords ?? DEFAULT_MAX_WARC_RECORDS));
  }

  write(chunk: Uint8Array): void {
    if (this.ended) throw new Error('Extractor.write() called after end()');
    if (chunk.length === 0) return;
    this.size += chunk.length;
    const before = this.headLength;
    this.keepHead(chunk);
    if (this.route === 'undecided') {
      if (this.headLength < ROUTE_BYTES) return;
      this.chooseRoute();
      // Everything before this chunk is in the head (the head is longer than ROUTE_BYTES).
      this.feed(this.head.subarray(0, before));
    }
    this.feed(chunk);
  }

  async end(): Promise<ExtractedMetadata> {
    if (this.ended) throw new Error('Extractor.end() called twice');
    this.ended = true;
    if (this.route === 'undecided') {
      this.chooseRoute();
      this.feed(this.head.subarray(0, this.headLength));
    }
    const head = this.head.subarray(0, this.headLength);
    const complete = this.headLength === this.size;

    if (this.gzip) this.endGzip();
    const warc = this.warc?.end();

    let mediaType: string;
    if (this.route === 'warc' || (this.route === 'gzip' && this.gzipIsWarc)) mediaType = 'application/warc';
    else mediaType = sniffMediaType(head, complete);

    const facts = parseImage(mediaType, { bytes: head, complete, problem: (m) => this.problems.add(m) });
    return defined({
      mediaType,
      size: this.size,
      image: facts.image,
      exif: facts.exif,
      xmp: facts.xmp ? (true as const) : undefined,
      warc,
      // Last, so that the JSON reads: what it is, then what is wrong with it.
      problems: this.problems.list(),
    });
  }

  private keepHead(chunk: Uint8Array): void {
    const n = Math.min(chunk.length, this.maxHead - this.headLength);
    if (n <= 0) return;
    if (this.headLength + n > this.head.length) {
      // Grow geometrically rather than allocating maxHeadBytes for every small file.
      const size = Math.min(this.maxHead, Math.max(this.headLength + n, this.head.length * 2, 4096));
      const grown = new Uint8Array(size);
      grown.set(this.head.subarray(0, this.headLength));
      this.head = grown;
    }
    this.head.set(chunk.subarray(0, n), this.headLength);
    this.headLength += n;
  }

  private chooseRoute(): void {
    const head = this.head.subarray(0, this.headLength);
    if (startsWithAscii(head, 'WARC/')) {
      this.route = 'warc';
      this.warc = this.newWarcParser(undefined);
    } else if (head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) {
      this.route = 'gzip';
      this.gzip = new GzipDecoder({
        memberStart: (_index, offset) => {
          this.memberStart = offset;
        },
        data: (bytes) => this.onGzipData(bytes),
      });
    } else {
      this.route = 'other';
    }
  }

  private newWarcParser(memberStart: (() => number) | undefined): WarcParser {
    return new WarcParser({
      maxRecords: this.maxRecords,
      problem: (m) => this.problems.add(m),
      ...(memberStart ? { memberStart } : {}),
    });
  }

  private feed(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.route === 'warc') this.warc?.write(bytes);
    else if (this.route === 'gzip' && this.gzip) {
      this.gzip.write(bytes);
      // Not from inside the data callback: the decoder is mid-step there.
      if (this.gzipIsWarc === false) this.gzip.stop();
    }
  }

  private onGzipData(bytes: Uint8Array): void {
    if (this.gzipIsWarc === undefined) {
      const start = new Uint8Array(this.gzipStart.length + bytes.length);
      start.set(this.gzipStart);
      start.set(bytes, this.gzipStart.length);
      if (start.length < ROUTE_BYTES) {
        this.gzipStart = start;
        return;
      }
      this.gzipStart = new Uint8Array(0);
      this.gzipIsWarc = startsWithAscii(start, 'WARC/');
      if (!this.gzipIsWarc) return;
      this.warc = this.newWarcParser(() => this.memberStart);
      // The parser only needs the first member start at this point: all of `start` came after it.
      this.warc.write(start);
      return;
    }
    if (this.gzipIsWarc) this.warc?.write(bytes);
  }

  private endGzip(): void {
    const gzip = this.gzip;
    if (!gzip) return;
    if (this.gzipIsWarc === false) return; // decoding was stopped on purpose
    const error = gzip.end();
    if (this.gzipIsWarc === undefined && this.gzipStart.length > 0) {
      this.gzipIsWarc = startsWithAscii(this.gzipStart, 'WARC/');
    }
    if (error) this.problems.add(`gzip stream is corrupt: ${error}`);
    else if (gzip.trailing > 0) {
      this.problems.add(`gzip stream has ${gzip.trailing} bytes of trailing data after its last member`);
    }
  }
}

/** A new extractor. Feed it with `write()`, then call `end()` once. */
export const createExtractor = (options?: ExtractorOptions): Extractor => new StreamingExtractor(options);

/** Extracts from a stream of chunks (a Node stream, a web ReadableStream, or any async iterable). */
export const extractFromStream = async (
  source: AsyncIterable<Uint8Array>,
  options?: ExtractorOptions,
): Promise<ExtractedMetadata> => {
  const extractor = createExtractor(options);
  for await (const chunk of source) extractor.write(chunk);
  return extractor.end();
};

/** Streams a file through an extractor. I/O errors (missing file, permissions) reject; bad content does not. */
export const extractFromFile = (path: string, options?: ExtractorOptions): Promise<ExtractedMetadata> =>
  extractFromStream(createReadStream(path, { highWaterMark: 1 << 20 }), options);
