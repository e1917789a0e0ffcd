import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildJpeg, buildTiff, type IfdSpec } from '../testing/build.ts';
import { extractBytes } from '../testing/testdata.ts';
import { parseTiff } from './tiff.ts';

const parse = (bytes: Uint8Array) => {
  const problems: string[] = [];
  const result = parseTiff(bytes, 'EXIF', (m) => problems.push(m));
  return { ...result, problems };
};

// A camera in the southern and western hemispheres, 12.5 m below sea level.
const SAMPLE: IfdSpec = {
  fields: [
    { tag: 0x010f, type: 2, text: 'Make Co.' },
    { tag: 0x0110, type: 2, text: 'Model 9' },
    { tag: 0x0112, type: 3, numbers: [6] },
    { tag: 0x0132, type: 2, text: '2024:05:01 10:00:00' },
  ],
  exif: { fields: [{ tag: 0x9003, type: 2, text: '2024:05:01 09:59:58' }] },
  gps: {
    fields: [
      { tag: 0x0001, type: 2, text: 'S' },
      {
        tag: 0x0002,
        type: 5,
        ratios: [
          [33, 1],
          [52, 1],
          [1234, 100],
        ],
      },
      { tag: 0x0003, type: 2, text: 'W' },
      {
        tag: 0x0004,
        type: 5,
        ratios: [
          [70, 1],
          [30, 1],
          [0, 1],
        ],
      },
      { tag: 0x0005, type: 1, numbers: [1] },
      { tag: 0x0006, type: 5, ratios: [[25, 2]] },
      { tag: 0x0012, type: 2, text: 'WGS-84' },
      { tag: 0x001d, type: 2, text: '2024:05:01' },
    ],
  },
  next: { fields: [{ tag: 0x0103, type: 3, numbers: [6] }] },
};

describe('TIFF/EXIF parsing', () => {
  for (const littleEndian of [true, false]) {
    it(`reads IFD0, the Exif, GPS and next IFDs (${littleEndian ? 'II, little' : 'MM, big'}-endian)`, () => {
      const { exif, problems } = parse(buildTiff(SAMPLE, littleEndian));
      assert.deepEqual(problems, []);
      assert.deepEqual(exif, {
        make: 'Make Co.',
        model: 'Model 9',
        orientation: 6,
        orientationText: 'Rotated 90 CW',
        dateTimeOriginal: '2024:05:01 09:59:58',
        dateTime: '2024:05:01 10:00:00',
        gps: {
          latitude: -(33 + 52 / 60 + 12.34 / 3600),
          longitude: -(70 + 30 / 60),
          altitude: -12.5,
          datum: 'WGS-84',
          date: '2024:05:01',
        },
        // IFD0: 4 fields + 2 pointers; Exif 1; GPS 8; IFD1 1.
        tagCount: 16,
      });
    });
  }

  it('goes through a JPEG APP1 segment, with XMP flagged separately', async () => {
    const jpeg = buildJpeg({ width: 640, height: 480, exif: buildTiff(SAMPLE, false), xmp: '<x:xmpmeta/>' });
    const result = await extractBytes(jpeg);
    assert.equal(result.mediaType, 'image/jpeg');
    assert.deepEqual(result.image, { width: 640, height: 480 });
    assert.equal(result.exif?.make, 'Make Co.');
    assert.equal(result.xmp, true);
    assert.deepEqual(result.problems, []);
  });

  it('stops at IFD cycles', () => {
    const tiff = buildTiff({ fields: [{ tag: 0x010f, type: 2, text: 'Loop' }], exif: { fields: [] } }, true);
    const view = new DataView(tiff.buffer);
    const ifd0 = view.getUint32(4, true);
    // Point the Exif IFD pointer and the next-IFD link back at IFD0.
    const count = view.getUint16(ifd0, true);
    for (let i = 0; i < count; i++) {
      if (view.getUint16(ifd0 + 2 + i * 12, true) === 0x8769)
        view.setUint32(ifd0 + 2 + i * 12 + 8, ifd0, true);
    }
    view.setUint32(ifd0 + 2 + count * 12, ifd0, true);
    const { exif, problems } = parse(tiff);
    assert.equal(exif?.make, 'Loop');
    assert.ok(problems.some((p) => /cycle/.test(p)));
  });

  it('flags out-of-range offsets and short IFDs, keeping what is readable', () => {
    const tiff = buildTiff(SAMPLE, true);
    const view = new DataView(tiff.buffer);
    const ifd0 = view.getUint32(4, true);
    // Make's value offset (entry 0, ASCII longer than 4 bytes) now points past the end.
    view.setUint32(ifd0 + 2 + 8, 0xfffffff0, true);
    const first = parse(tiff);
    assert.equal(first.exif?.make, undefined);
    assert.equal(first.exif?.model, 'Model 9');
    assert.ok(first.problems.some((p) => /points outside the data/.test(p)));

    // An entry count far beyond the data.
    view.setUint16(ifd0, 0xffff, true);
    const second = parse(tiff);
    assert.ok(second.problems.some((p) => /cut short/.test(p)));

    const third = parse(new Uint8Array([0x49, 0x49, 42, 0, 0xff, 0xff, 0xff, 0x7f]));
    assert.equal(third.exif, undefined);
    assert.ok(third.problems.some((p) => /outside the data/.test(p)));

    assert.match(parse(new Uint8Array([1, 2, 3])).problems[0] ?? '', /no TIFF header/);
  });

  it('rejects impossible GPS values instead of reporting them', () => {
    const gps = (ratios: Array<[number, number]>): IfdSpec => ({
      fields: [],
      gps: {
        fields: [
          { tag: 0x0002, type: 5, ratios },
          {
            tag: 0x0004,
            type: 5,
            ratios: [
              [10, 1],
              [0, 1],
              [0, 1],
            ],
          },
        ],
      },
    });
    const divByZero = parse(
      buildTiff(
        gps([
          [10, 0],
          [0, 1],
          [0, 1],
        ]),
        true,
      ),
    );
    assert.equal(divByZero.exif?.gps, undefined);
    assert.ok(divByZero.problems.some((p) => /latitude/.test(p)));
    const outOfRange = parse(
      buildTiff(
        gps([
          [91, 1],
          [0, 1],
          [0, 1],
        ]),
        true,
      ),
    );
    assert.equal(outOfRange.exif?.gps, undefined);
    assert.ok(outOfRange.problems.some((p) => /out of range/.test(p)));
    // 0/0 means "no value" to some cameras: read as 0.
    const zeroOverZero = parse(
      buildTiff(
        gps([
          [10, 1],
          [30, 1],
          [0, 0],
        ]),
        true,
      ),
    );
    assert.equal(zeroOverZero.exif?.gps?.latitude, 10.5);
  });

  it('survives every single-byte corruption of an EXIF block', async () => {
    const tiff = buildTiff(SAMPLE, true);
    for (let at = 0; at < tiff.length; at++) {
      for (const value of [0x00, 0xff, 0x80]) {
        const broken = tiff.slice();
        broken[at] = value;
        const result = await extractBytes(buildJpeg({ width: 1, height: 1, exif: broken }));
        assert.equal(result.mediaType, 'image/jpeg');
        if (result.exif) assert.ok(result.exif.tagCount > 0);
      }
    }
  });
});
