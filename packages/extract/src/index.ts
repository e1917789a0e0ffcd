// The extract package's only public door: metadata of evidence files, read without changing a byte.
export {
  createExtractor,
  DEFAULT_MAX_HEAD_BYTES,
  DEFAULT_MAX_WARC_RECORDS,
  extractFromFile,
  extractFromStream,
} from './extractor.ts';
export { ORIENTATION_TEXT } from './image/tiff.ts';
export type {
  DigestCheck,
  DigestStatus,
  ExifSummary,
  ExtractedMetadata,
  Extractor,
  ExtractorOptions,
  GpsPosition,
  ImageSize,
  WarcRecordSummary,
  WarcSummary,
} from './types.ts';
