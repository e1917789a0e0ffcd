import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { constants, gzipSync } from 'node:zlib';
import { chunksOf, randomBytes, randomChunkSizes, seededRandom } from '../testing/random.ts';
import { GzipDecoder } from './gunzip.ts';

interface Decoded {
  output: Uint8Array;
  members: number[];
  error: string | undefined;
  trailing: number;
}

const decode = (chunks: Iterable<Uint8Array>): Decoded => {
  const parts: Uint8Array[] = [];
  const members: number[] = [];
  const decoder = new GzipDecoder({
    memberStart: (_index, offset) => members.push(offset),
    data: (bytes) => parts.push(bytes.slice()),
  });
  for (const chunk of chunks) decoder.write(chunk);
  const error = decoder.end();
  return { output: new Uint8Array(Buffer.concat(parts)), members, error, trailing: decoder.trailing };
};

const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** Text-like data that compresses with long matches, plus random stretches that do not. */
const sample = (random: () => number, length: number): Uint8Array => {
  const words = ['evidence', 'custody', ' ', '\r\n', 'WARC/1.0', 'the', 'of', '0123456789', '<html>'];
  const out = new Uint8Array(length);
  let i = 0;
  while (i < length) {
    if (random() < 0.1) {
      const n = Math.min(length - i, Math.floor(random() * 300));
      out.set(randomBytes(random, n), i);
      i += n;
    } else {
      const w = new TextEncoder().encode(words[Math.floor(random() * words.length)]);
      const n = Math.min(length - i, w.length);
      out.set(w.subarray(0, n), i);
      i += n;
    }
  }
  return out;
};

describe('GzipDecoder against node:zlib', () => {
  const random = seededRandom(20240601);

  for (const level of [0, 1, 6, 9]) {
    for (const strategy of [constants.Z_DEFAULT_STRATEGY, constants.Z_FIXED, constants.Z_HUFFMAN_ONLY]) {
      it(`level ${level}, strategy ${strategy}: round trip in random chunks`, () => {
        const data = sample(random, 150_000 + Math.floor(random() * 100_000));
        const gz = gzipSync(data, { level, strategy });
        const whole = decode([gz]);
        assert.equal(whole.error, undefined);
        assert.deepEqual(whole.output, data);
        const pieces = decode(chunksOf(gz, randomChunkSizes(random)));
        assert.equal(pieces.error, undefined);
        assert.deepEqual(pieces.output, data);
      });
    }
  }

  it('decodes byte by byte', () => {
    const data = sample(random, 20_000);
    const result = decode(chunksOf(gzipSync(data), () => 1));
    assert.equal(result.error, undefined);
    assert.deepEqual(result.output, data);
  });

  it('reports member starts of a multi-member stream, including empty members', () => {
    const a = sample(random, 1000);
    const b = new Uint8Array(0);
    const c = sample(random, 70_000);
    const result = decode(chunksOf(concat(gzipSync(a), gzipSync(b), gzipSync(c)), randomChunkSizes(random)));
    assert.equal(result.error, undefined);
    assert.deepEqual(result.members, [0, 1000, 1000]);
    assert.deepEqual(result.output, concat(a, c));
  });

  it('accepts the optional header fields (FEXTRA, FNAME, FCOMMENT, FHCRC)', () => {
    const data = sample(random, 5000);
    const plain = gzipSync(data);
    const extra = [0x41, 0x42, 0x03, 0x00, 1, 2, 3];
    const header = [0x1f, 0x8b, 8, 0x1e, 0, 0, 0, 0, 0, 3, extra.length, 0, ...extra];
    const name = [...new TextEncoder().encode('evidence.warc'), 0];
    const comment = [...new TextEncoder().encode('a comment'), 0];
    const gz = concat(new Uint8Array([...header, ...name, ...comment, 0xaa, 0xbb]), plain.subarray(10));
    const result = decode(chunksOf(gz, () => 3));
    assert.equal(result.error, undefined);
    assert.deepEqual(result.output, data);
  });

  it('counts trailing bytes after the last member', () => {
    const data = sample(random, 100);
    const result = decode([concat(gzipSync(data), new Uint8Array(10))]);
    assert.equal(result.error, undefined);
    assert.equal(result.trailing, 10);
    assert.deepEqual(result.output, data);
  });

  it('flags truncation, corruption and CRC mismatches instead of throwing', () => {
    const data = sample(random, 50_000);
    const gz = gzipSync(data);
    assert.match(decode([gz.subarray(0, gz.length - 3)]).error ?? '', /unexpected end/);
    assert.match(decode([gz.subarray(0, 5)]).error ?? '', /truncated gzip header/);
    assert.match(decode([new Uint8Array(0)]).error ?? '', /no gzip member/);
    const badCrc = gz.slice();
    badCrc[badCrc.length - 8] = (badCrc[badCrc.length - 8] ?? 0) ^ 1;
    assert.match(decode([badCrc]).error ?? '', /CRC-32 mismatch/);
    const badMethod = gz.slice();
    badMethod[2] = 7;
    assert.match(decode([badMethod]).error ?? '', /compression method/);
    // Flip bits in the deflate data: any outcome but a throw or a hang is acceptable, and it must not pass
    // silently (the CRC catches what the decoder does not).
    for (let i = 0; i < 200; i++) {
      const broken = gz.slice();
      const at = 10 + Math.floor(random() * (gz.length - 18));
      broken[at] = (broken[at] ?? 0) ^ (1 << Math.floor(random() * 8));
      const result = decode(chunksOf(broken, randomChunkSizes(random)));
      assert.ok(result.error !== undefined || Buffer.compare(result.output, data) === 0);
    }
  });

  it('decodes random garbage without throwing', () => {
    for (let i = 0; i < 300; i++) {
      const garbage = concat(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), randomBytes(random, 2000));
      const result = decode(chunksOf(garbage, randomChunkSizes(random)));
      assert.ok(result.error !== undefined || result.output.length >= 0);
    }
  });
});
