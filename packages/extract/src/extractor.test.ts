import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createGzip, gzipSync } from 'node:zlib';
import { createExtractor, extractFromFile, extractFromStream } from './index.ts';
import { base32, buildTiff, buildWarcRecord, concatBytes } from './testing/build.ts';
import { chunksOf, randomBytes, randomChunkSizes, seededRandom } from './testing/random.ts';
import { extractBytes, extractChunks, testdataBytes, testdataPath } from './testing/testdata.ts';

const SAMPLES = 'media/exif-samples/';

/** Every WARC and image file of the shared test data, relative to its root. */
const TEST_FILES = [
  ...readdirSync(testdataPath('warc/'))
    .filter((f) => f.includes('.warc'))
    .map((f) => `warc/${f}`),
  ...readdirSync(testdataPath(SAMPLES), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(jpe?g|heic|heif)$/i.test(f))
    .map((f) => SAMPLES + f),
].sort();

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('chunking does not change the result', () => {
  it('finds the test files', () => {
    assert.equal(TEST_FILES.length, 8 + 58 + 2); // WARC, JPEG, HEIF
  });

  const random = seededRandom(0xacc0d);
  for (const file of TEST_FILES) {
    it(file, async () => {
      const bytes = testdataBytes(file);
      const whole = await extractBytes(bytes);
      for (let round = 0; round < 3; round++) {
        assert.deepEqual(await extractChunks(chunksOf(bytes, randomChunkSizes(random))), whole);
      }
      // Byte by byte for the smaller files (all the WARCs among them).
      if (bytes.length <= 200_000) assert.deepEqual(await extractChunks(chunksOf(bytes, () => 1)), whole);
    });
  }
});

describe('the input bytes are never modified, nor referenced after write()', () => {
  for (const file of ['warc/example.warc.gz', 'warc/example-digest.warc', `${SAMPLES}jpg/gps/DSCN0010.jpg`]) {
    it(file, async () => {
      const bytes = testdataBytes(file);
      const before = sha256(bytes);
      const reference = await extractBytes(bytes);
      assert.equal(sha256(bytes), before);

      // Like a file reader that reuses one buffer: fill, write, then overwrite with junk.
      const random = seededRandom(99);
      const shared = new Uint8Array(70_000);
      const extractor = createExtractor();
      for (const chunk of chunksOf(bytes, randomChunkSizes(random))) {
        shared.set(chunk);
        const view = shared.subarray(0, chunk.length);
        const hash = sha256(view);
        extractor.write(view);
        assert.equal(sha256(view), hash, 'write() changed the chunk');
        shared.fill(0xa5);
      }
      assert.deepEqual(await extractor.end(), reference);
      assert.equal(sha256(bytes), before);
    });
  }
});

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const bytesOf = (...values: Array<number | string>): Uint8Array =>
  concatBytes(...values.map((v) => (typeof v === 'string' ? text(v) : new Uint8Array([v]))));
const u32be = (n: number): Uint8Array =>
  new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const u32le = (n: number): Uint8Array =>
  new Uint8Array([n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24]);

const pngChunk = (type: string, data: Uint8Array): Uint8Array =>
  concatBytes(u32be(data.length), text(type), data, new Uint8Array(4));
const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const riff = (form: string, ...chunks: Array<[string, Uint8Array]>): Uint8Array => {
  const body = concatBytes(
    text(form),
    ...chunks.map(([type, data]) =>
      concatBytes(text(type), u32le(data.length), data, new Uint8Array(data.length & 1)),
    ),
  );
  return concatBytes(text('RIFF'), u32le(body.length), body);
};

const ftyp = (major: string, ...compatible: string[]): Uint8Array =>
  concatBytes(
    u32be(16 + 4 * compatible.length),
    text('ftyp'),
    text(major),
    u32be(0),
    ...compatible.map(text),
  );

// EBML header (RFC 8794): ID 1A45DFA3, size, then DocType (0x4282).
const ebml = (docType: string): Uint8Array =>
  concatBytes(
    bytesOf(0x1a, 0x45, 0xdf, 0xa3, 0x80 | (docType.length + 3), 0x42, 0x82, 0x80 | docType.length, docType),
  );

// An MPEG-1 layer III frame header: 128 kbit/s, 44.1 kHz, no padding → 417-byte frames.
const mp3Frame = (): Uint8Array => concatBytes(bytesOf(0xff, 0xfb, 0x90, 0x00), new Uint8Array(413));

describe('media type by content', () => {
  const tiff = buildTiff(
    {
      fields: [
        { tag: 0x0100, type: 3, numbers: [320] },
        { tag: 0x0101, type: 4, numbers: [200] },
        { tag: 0x010f, type: 2, text: 'Scanner' },
      ],
    },
    false,
  );
  const random = seededRandom(1234);
  const cases: Array<[string, Uint8Array, string, Record<string, unknown>?]> = [
    ['zero bytes', new Uint8Array(0), 'application/x-empty'],
    ['random bytes', randomBytes(random, 5000), 'application/octet-stream'],
    ['a single byte', bytesOf(0x42), 'text/plain'],
    ['text', text('Witness statement, 3 May.\nشهادة الشاهد — свідчення\n'), 'text/plain'],
    ['text with a NUL', text('almost text\0here'), 'application/octet-stream'],
    ['invalid UTF-8', bytesOf('caf', 0xe9, ' au lait'), 'application/octet-stream'],
    ['HTML', text('\ufeff\n  <!DOCTYPE html><html><body>x</body></html>'), 'text/html'],
    ['HTML fragment', text('<p>a paragraph</p>'), 'text/html'],
    ['PDF', text('%PDF-1.7\n%\u00e2\u00e3\n1 0 obj\n'), 'application/pdf'],
    ['ZIP', bytesOf('PK', 3, 4, 20, 0, 0, 0), 'application/zip'],
    ['gzip, not a WARC', gzipSync(text('hello, not a warc')), 'application/gzip'],
    [
      'GIF',
      bytesOf('GIF89a', 0x40, 0x01, 0xf0, 0x00, 0, 0, 0, 0x3b),
      'image/gif',
      { image: { width: 320, height: 240 } },
    ],
    [
      'PNG with eXIf and XMP',
      concatBytes(
        PNG_SIGNATURE,
        pngChunk('IHDR', concatBytes(u32be(800), u32be(600), bytesOf(8, 2, 0, 0, 0))),
        pngChunk('eXIf', tiff),
        pngChunk('iTXt', text('XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta/>')),
        pngChunk('IDAT', new Uint8Array(10)),
      ),
      'image/png',
      { image: { width: 800, height: 600 }, xmp: true },
    ],
    [
      'WebP VP8X',
      riff('WEBP', ['VP8X', bytesOf(0, 0, 0, 0, 0x3f, 0x01, 0x00, 0xef, 0x00, 0x00)]),
      'image/webp',
      { image: { width: 320, height: 240 } },
    ],
    [
      'WebP VP8L',
      riff('WEBP', ['VP8L', concatBytes(bytesOf(0x2f), u32le(99 | (49 << 14)))]),
      'image/webp',
      { image: { width: 100, height: 50 } },
    ],
    [
      'WebP VP8',
      riff('WEBP', ['VP8 ', bytesOf(0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01)]),
      'image/webp',
      { image: { width: 640, height: 480 } },
    ],
    ['TIFF', tiff, 'image/tiff', { image: { width: 320, height: 200 } }],
    ['WAV', riff('WAVE', ['fmt ', new Uint8Array(16)]), 'audio/wav'],
    ['AVI', riff('AVI ', ['LIST', new Uint8Array(4)]), 'video/x-msvideo'],
    ['MP4', concatBytes(ftyp('isom', 'isom', 'mp41'), u32be(8), text('mdat')), 'video/mp4'],
    ['QuickTime (ftyp)', ftyp('qt  ', 'qt  '), 'video/quicktime'],
    ['QuickTime (no ftyp)', concatBytes(u32be(8), text('wide'), u32be(8), text('mdat')), 'video/quicktime'],
    ['HEIC', ftyp('heic', 'mif1', 'heic'), 'image/heic'],
    ['HEIF', ftyp('mif1', 'mif1'), 'image/heif'],
    ['HEIF with heic brand', ftyp('mif1', 'mif1', 'heic'), 'image/heic'],
    ['WebM', ebml('webm'), 'video/webm'],
    ['Matroska', ebml('matroska'), 'video/x-matroska'],
    ['MP3 with ID3', bytesOf('ID3', 4, 0, 0, 0, 0, 0, 0), 'audio/mpeg'],
    ['MP3 frames', concatBytes(mp3Frame(), mp3Frame(), mp3Frame()), 'audio/mpeg'],
    [
      'a lone frame sync in binary',
      concatBytes(bytesOf(0xff, 0xfb, 0x90, 0x00), randomBytes(random, 2000)),
      'application/octet-stream',
    ],
    ['Ogg', bytesOf('OggS', 0, 2), 'audio/ogg'],
    ['FLAC', bytesOf('fLaC', 0, 0, 0, 34), 'audio/flac'],
    ['WARC', testdataBytes('warc/example.warc'), 'application/warc'],
    ['gzip WARC', testdataBytes('warc/example.warc.gz'), 'application/warc'],
  ];
  for (const [name, bytes, mediaType, expected] of cases) {
    it(`${name} → ${mediaType}`, async () => {
      const result = await extractBytes(bytes);
      assert.equal(result.mediaType, mediaType);
      assert.equal(result.size, bytes.length);
      for (const [key, value] of Object.entries(expected ?? {})) {
        assert.deepEqual((result as unknown as Record<string, unknown>)[key], value, key);
      }
    });
  }

  it('reads EXIF from a TIFF file and a PNG eXIf chunk', async () => {
    const fromTiff = await extractBytes(tiff);
    assert.equal(fromTiff.exif?.make, 'Scanner');
    const png = cases.find(([name]) => name === 'PNG with eXIf and XMP')?.[1];
    assert.ok(png);
    assert.equal((await extractBytes(png)).exif?.make, 'Scanner');
  });

  it('accepts text cut inside a multi-byte character at the end of the head', async () => {
    const long = text(`${'é'.repeat(100)}`);
    const result = await extractBytes(long, { maxHeadBytes: 65 });
    assert.equal(result.mediaType, 'text/plain');
    const wholeButCut = await extractBytes(long.subarray(0, 65));
    assert.equal(
      wholeButCut.mediaType,
      'application/octet-stream',
      'a complete file may not end mid-character',
    );
  });

  it('ignores file names: a JPEG named .txt and text named .jpg', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-extract-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    copyFileSync(testdataPath(`${SAMPLES}jpg/Canon_40D.jpg`), join(dir, 'statement.txt'));
    copyFileSync(testdataPath('warc/example.warc.gz'), join(dir, 'notes'));
    writeFileSync(join(dir, 'photo.jpg'), 'not a photo\n');
    const jpeg = await extractFromFile(join(dir, 'statement.txt'));
    assert.equal(jpeg.mediaType, 'image/jpeg');
    assert.equal(jpeg.exif?.model, 'Canon EOS 40D');
    assert.equal((await extractFromFile(join(dir, 'notes'))).mediaType, 'application/warc');
    assert.equal((await extractFromFile(join(dir, 'photo.jpg'))).mediaType, 'text/plain');
    await assert.rejects(extractFromFile(join(dir, 'missing')), { code: 'ENOENT' });
  });

  it('extractFromFile streams the same result as one chunk', async () => {
    const file = `${SAMPLES}jpg/corrupted.jpg`;
    assert.deepEqual(
      await extractFromFile(fileURLToPath(testdataPath(file))),
      await extractBytes(testdataBytes(file)),
    );
  });
});

describe('bounds and malformed input', () => {
  it('keeps only maxHeadBytes, and says when metadata lies beyond them', async () => {
    const bytes = testdataBytes(`${SAMPLES}jpg/Canon_40D.jpg`);
    const result = await extractBytes(bytes, { maxHeadBytes: 1024 });
    assert.equal(result.mediaType, 'image/jpeg');
    assert.equal(result.size, bytes.length);
    assert.equal(result.exif, undefined);
    assert.deepEqual(result.problems, [
      'JPEG metadata continues beyond the first 1024 bytes, which is all that is read',
    ]);
  });

  it('flags a JPEG cut in its metadata', async () => {
    const bytes = testdataBytes(`${SAMPLES}jpg/Canon_40D.jpg`);
    const result = await extractBytes(bytes.subarray(0, 3000));
    assert.deepEqual(result.problems, ['JPEG file ends in the middle of its metadata']);
  });

  it('survives truncation of every image at many points', async () => {
    const random = seededRandom(5);
    for (const file of TEST_FILES.filter((f) => f.startsWith(SAMPLES))) {
      const bytes = testdataBytes(file);
      for (let i = 0; i < 5; i++) {
        const cut = Math.floor(random() * Math.min(bytes.length, 70_000));
        const result = await extractBytes(bytes.subarray(0, cut));
        assert.equal(result.size, cut);
      }
    }
  });

  it('survives random bytes after every magic number', async () => {
    const random = seededRandom(6);
    const prefixes = [
      bytesOf(0xff, 0xd8, 0xff, 0xe1),
      concatBytes(bytesOf(0xff, 0xd8, 0xff, 0xe1, 0x10, 0x00), text('Exif\0\0II*\0')),
      PNG_SIGNATURE,
      text('RIFF\0\0\0\0WEBP'),
      bytesOf('II*', 0),
      bytesOf('MM', 0, '*'),
      ftyp('heic', 'mif1'),
      concatBytes(ftyp('heic'), u32be(100), text('meta'), u32be(0)),
      text('WARC/1.0\r\n'),
      bytesOf(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3),
      bytesOf(0x1a, 0x45, 0xdf, 0xa3),
      text('GIF89a'),
    ];
    for (const prefix of prefixes) {
      for (let i = 0; i < 40; i++) {
        const bytes = concatBytes(prefix, randomBytes(random, Math.floor(random() * 3000)));
        const result = await extractChunks(chunksOf(bytes, randomChunkSizes(random)));
        assert.equal(result.size, bytes.length);
        assert.doesNotThrow(() => JSON.stringify(result));
      }
    }
  });

  it('refuses write() after end()', async () => {
    const extractor = createExtractor();
    await extractor.end();
    assert.throws(() => extractor.write(new Uint8Array(1)), /after end/);
  });

  it('streams a 256 MiB file and a 64 MiB gzip WARC record with bounded memory', async () => {
    const block = new Uint8Array(1 << 16);
    for (let i = 0; i < block.length; i++) block[i] = (i * 31 + (i >> 8)) & 0xff;

    let peak = 0;
    const baseline = process.memoryUsage().arrayBuffers;
    const track = () => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
    };
    async function* video(): AsyncGenerator<Uint8Array> {
      yield concatBytes(ftyp('isom', 'isom'), u32be(0), text('mdat'));
      for (let i = 0; i < 4096; i++) {
        track();
        yield block;
      }
    }
    const big = await extractFromStream(video());
    assert.equal(big.mediaType, 'video/mp4');
    assert.equal(big.size, 4096 * block.length + 28);

    // One resource record of 1024 × 64 KiB, its digest computed beforehand, gzip-compressed on the fly.
    const blocks = 1024;
    const digest = createHash('sha1');
    for (let i = 0; i < blocks; i++) digest.update(block);
    const length = blocks * block.length;
    const header = buildWarcRecord({
      type: 'resource',
      fields: [['WARC-Block-Digest', `sha1:${base32(new Uint8Array(digest.digest()))}`]],
      block: '',
      contentLength: length,
    });
    const gzip = createGzip();
    const feed = async () => {
      gzip.write(header.subarray(0, header.length - 4));
      for (let i = 0; i < blocks; i++) {
        track();
        if (!gzip.write(block)) await new Promise((resolve) => gzip.once('drain', resolve));
      }
      gzip.end(text('\r\n\r\n'));
    };
    const [warc] = await Promise.all([extractFromStream(gzip), feed()]);
    assert.deepEqual(warc.problems, []);
    assert.equal(warc.warc?.records[0]?.contentLength, length);
    assert.equal(warc.warc?.records[0]?.blockDigest?.status, 'ok');
    // Far less than the data that went through (256 MiB + 64 MiB); garbage awaiting collection included.
    assert.ok(peak < 64 << 20, `peak ${peak} bytes`);
  });
});
