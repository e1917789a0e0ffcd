// The shape of what extraction reports. Plain JSON: optional fields are omitted, never `undefined` or
// `null`, and objects are built in the field order declared here so serialised output is stable.

export interface ExtractorOptions {
  /** Bytes of the start of the input kept for image and EXIF parsing and type detection (default 4 MiB, at least 64). */
  maxHeadBytes?: number;
  /** WARC records listed one by one (default 10 000); later records are still checked and counted. */
  maxWarcRecords?: number;
}

/** Push-based: feed the same chunks that are being hashed or encrypted, then call `end()` once. */
export interface Extractor {
  /** Never modifies `chunk` and keeps no reference to it after returning. */
  write(chunk: Uint8Array): void;
  end(): Promise<ExtractedMetadata>;
}

export interface ExtractedMetadata {
  /** Detected from the bytes, never from a file name. */
  mediaType: string;
  /** Bytes seen. */
  size: number;
  image?: ImageSize;
  exif?: ExifSummary;
  /** An XMP packet is present (JPEG APP1, TIFF tag 700, PNG iTXt, WebP chunk or HEIF item); it is not parsed. */
  xmp?: true;
  warc?: WarcSummary;
  /** Human-readable flags about damaged, suspicious or unread input. Empty when nothing was noticed. */
  problems: string[];
}

export interface ImageSize {
  width: number;
  height: number;
}

export interface ExifSummary {
  make?: string;
  model?: string;
  orientation?: number;
  /** As exif-py prints it, e.g. "Horizontal (normal)" or "Rotated 90 CW". */
  orientationText?: string;
  /** Verbatim, normally 'YYYY:MM:DD HH:MM:SS' (camera local time, no zone). */
  dateTimeOriginal?: string;
  dateTime?: string;
  gps?: GpsPosition;
  /** Entries read from IFD0, IFD1 (thumbnail), the Exif, GPS and Interoperability IFDs. */
  tagCount: number;
}

export interface GpsPosition {
  /** Decimal degrees, south negative. */
  latitude: number;
  /** Decimal degrees, west negative. */
  longitude: number;
  /** Metres; negative below sea level. */
  altitude?: number;
  /** GPSMapDatum, verbatim (e.g. "WGS-84"). */
  datum?: string;
  /** GPSDateStamp, verbatim 'YYYY:MM:DD' (UTC). */
  date?: string;
}

/**
 * - ok: the digest matches.
 * - failed: it does not (or its value cannot be decoded).
 * - unsupported: unknown algorithm.
 * - unchecked: cannot be checked from this record (see `note`), e.g. a revisit's payload digest describes
 *   the record it refers to, or the record is truncated.
 */
export type DigestStatus = 'ok' | 'failed' | 'unsupported' | 'unchecked';

export interface DigestCheck {
  /** As written in the header, e.g. "sha1:Z6W6WEQQQICP5WA7OWB2SS75WLK4K7Y3". */
  value: string;
  status: DigestStatus;
  note?: string;
}

export interface WarcRecordSummary {
  type: string;
  recordId?: string;
  targetUri?: string;
  date?: string;
  contentLength: number;
  blockDigest?: DigestCheck;
  payloadDigest?: DigestCheck;
}

export interface WarcSummary {
  /** The first `maxWarcRecords` records, in file order. */
  records: WarcRecordSummary[];
  /** All records seen (more than `records.length` when the list was capped). */
  recordCount: number;
  /** Digests compared (status ok or failed). */
  digestsChecked: number;
  digestFailures: number;
  /** The archive is damaged: a record ends early or does not end where its Content-Length says. */
  truncated?: true;
}
