import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { base32, buildWarcRecord, concatBytes, digestOf } from '../testing/build.ts';
import { chunksOf, randomChunkSizes, seededRandom } from '../testing/random.ts';
import { extractBytes, extractChunks, testdataBytes } from '../testing/testdata.ts';
import type { ExtractedMetadata, WarcSummary } from '../types.ts';

const SIX_TYPES = ['warcinfo', 'warcinfo', 'response', 'request', 'revisit', 'request'];

const warcOf = async (path: string): Promise<{ result: ExtractedMetadata; warc: WarcSummary }> => {
  const result = await extractBytes(testdataBytes(`warc/${path}`));
  assert.ok(result.warc, `${path} parsed as WARC`);
  return { result, warc: result.warc };
};

const types = (warc: WarcSummary): string[] => warc.records.map((r) => r.type);

/** Records (other than revisits) whose digests all pass: what `warcio check -v` prints as "digest pass". */
const passingRecords = (warc: WarcSummary): number =>
  warc.records.filter((r) => {
    if (r.type === 'revisit') return false;
    const digests = [r.blockDigest, r.payloadDigest].filter((d) => d !== undefined);
    return digests.length > 0 && digests.every((d) => d.status === 'ok');
  }).length;

describe('WARC test data (testdata README §7)', () => {
  it('example.warc and example.warc.gz: six records, digests pass, no problems', async () => {
    const plain = await warcOf('example.warc');
    const gz = await warcOf('example.warc.gz');
    for (const { result, warc } of [plain, gz]) {
      assert.equal(result.mediaType, 'application/warc');
      assert.deepEqual(types(warc), SIX_TYPES);
      assert.equal(warc.recordCount, 6);
      assert.equal(warc.digestFailures, 0);
      assert.equal(warc.truncated, undefined);
      assert.deepEqual(result.problems, []);
    }
    // warcio's "4 digest passes" is over both files together (one per record, revisits not checked):
    // the response in example.warc, and the response and both requests in example.warc.gz.
    assert.equal(passingRecords(plain.warc) + passingRecords(gz.warc), 4);
    // Counting each digest: block + payload of the response, and the revisit's block digest.
    assert.equal(plain.warc.digestsChecked, 3);
    assert.equal(gz.warc.digestsChecked, 7);

    const response = plain.warc.records[2];
    assert.deepEqual(response, {
      type: 'response',
      recordId: '<urn:uuid:a9c51e3e-0221-11e7-bf66-0242ac120005>',
      targetUri: 'http://example.com/',
      date: '2017-03-06T04:02:06Z',
      contentLength: 975,
      blockDigest: { value: 'sha1:DR5MBP7OD3OPA7RFKWJUD4CTNUQUGFC5', status: 'ok' },
      payloadDigest: { value: 'sha1:G7HRM7BGOKSKMSXZAHMUQTTV53QOFSMK', status: 'ok' },
    });
    // A revisit's payload digest names the payload of the record it refers to; its block is checked.
    const revisit = plain.warc.records[4];
    assert.equal(revisit?.blockDigest?.status, 'ok');
    assert.equal(revisit?.payloadDigest?.status, 'unchecked');
  });

  it('example-digest.warc: exactly one payload digest failure, in record 1; base64 and URL-safe base64 pass', async () => {
    const { result, warc } = await warcOf('example-digest.warc');
    assert.deepEqual(types(warc), ['request', 'request', 'request', 'request']);
    assert.equal(warc.digestFailures, 1);
    assert.equal(warc.digestsChecked, 8);
    assert.equal(passingRecords(warc), 3);
    assert.deepEqual(result.problems, [
      'WARC payload digest mismatch in record 1 (<urn:uuid:a9c5c23a-0221-11e7-8fe3-0242ac120007>)',
    ]);
    assert.equal(warc.records[0]?.payloadDigest?.status, 'failed');
    assert.equal(warc.records[0]?.blockDigest?.status, 'ok');
    assert.equal(warc.records[1]?.payloadDigest?.value, 'sha1:2jmj7l5rSw0yVb/vlWAYkK/YBwk=');
    assert.equal(warc.records[1]?.payloadDigest?.status, 'ok');
    assert.equal(warc.records[3]?.payloadDigest?.value, 'sha1:2jmj7l5rSw0yVb_vlWAYkK_YBwk=');
    assert.equal(warc.records[3]?.payloadDigest?.status, 'ok');
    assert.equal(warc.records[3]?.blockDigest?.value, 'sha1:z63rEhCCBP7YH3WDqUv9stXFfxs=');
    assert.equal(warc.records[3]?.blockDigest?.status, 'ok');
  });

  it('example-iana.org-chunked.warc: 2 records pass, 1 has no digest; the payload digest is over the chunked body', async () => {
    const { result, warc } = await warcOf('example-iana.org-chunked.warc');
    assert.deepEqual(types(warc), ['warcinfo', 'response', 'request']);
    assert.equal(passingRecords(warc), 2);
    assert.equal(warc.records[0]?.blockDigest, undefined);
    assert.equal(warc.records[0]?.payloadDigest, undefined);
    assert.equal(warc.digestFailures, 0);
    assert.deepEqual(result.problems, []);
    // This file's payload digest is over the body as transferred (still chunked), as warcio computes it.
    const block = testdataBytes('warc/example-iana.org-chunked.warc');
    const text = new TextDecoder('latin1').decode(block);
    assert.match(text, /Transfer-Encoding: chunked/);
  });

  it('example-trunc.warc: flagged as truncated, the following record still found', async () => {
    const { result, warc } = await warcOf('example-trunc.warc');
    assert.equal(warc.truncated, true);
    const truncation = result.problems.filter((p) => p.startsWith('WARC truncated'));
    assert.equal(truncation.length, 1);
    assert.match(truncation[0] ?? '', /record 3 \(<urn:uuid:a9c51e3e-0221-11e7-bf66-0242ac120005>\)/);
    assert.deepEqual(types(warc), ['warcinfo', 'warcinfo', 'response', 'request']);
    // The 973 bytes its Content-Length claims do not match the digests written for the 975-byte block.
    assert.equal(warc.records[2]?.contentLength, 973);
    assert.equal(warc.records[2]?.blockDigest?.status, 'failed');
  });

  it('example-bad-non-chunked.warc.gz: one gzip member for all records is flagged; content still read', async () => {
    const { result, warc } = await warcOf('example-bad-non-chunked.warc.gz');
    assert.deepEqual(types(warc), SIX_TYPES);
    assert.ok(result.problems.some((p) => /gzip members do not match records: record 2/.test(p)));
    // Independently checked: this copy's revisit record carries a different block digest
    // (DVRKRZEW…) than example.warc's (W5NMHSQV…), and the block hashes to the latter. warcio does not
    // check revisit records, so it never reports this.
    assert.equal(warc.records[4]?.blockDigest?.value, 'sha1:DVRKRZEWKT4QEWGQOSFOA5KY5VDIWJLW');
    assert.equal(warc.records[4]?.blockDigest?.status, 'failed');
    assert.equal(warc.digestFailures, 1);
  });

  it('example-bad-non-chunked.warc.gz recompressed one record per member: the six types, no member problem', async () => {
    const plain = gunzipSync(testdataBytes('warc/example-bad-non-chunked.warc.gz'));
    const text = plain.toString('latin1');
    const starts = [...text.matchAll(/WARC\/1\.0\r\n/g)].map((m) => m.index ?? 0);
    const members = starts.map((s, i) => gzipSync(plain.subarray(s, starts[i + 1] ?? plain.length)));
    const { warc, problems } = (await extractBytes(concatBytes(...members))) as ExtractedMetadata & {
      warc: WarcSummary;
    };
    assert.deepEqual(types(warc), SIX_TYPES);
    assert.ok(!problems.some((p) => /gzip members/.test(p)));
  });

  it('example-wrong-chunks.warc.gz: members split inside records are flagged', async () => {
    const { result, warc } = await warcOf('example-wrong-chunks.warc.gz');
    assert.ok(result.problems.some((p) => /gzip members do not match records/.test(p)));
    assert.deepEqual(types(warc), ['response', 'request']);
    // Independently checked: the response block hashes to BRFEUIWE…, not the SDZIDCNQ… it declares.
    assert.equal(warc.records[0]?.blockDigest?.status, 'failed');
  });

  it('example-resource.warc.gz: a resource record without HTTP headers, Content-Length = body length', async () => {
    const { result, warc } = await warcOf('example-resource.warc.gz');
    assert.deepEqual(types(warc), ['warcinfo', 'warcinfo', 'resource']);
    const resource = warc.records[2];
    assert.equal(resource?.contentLength, 1303);
    assert.equal(resource?.blockDigest?.status, 'ok');
    assert.equal(resource?.payloadDigest?.status, 'ok', 'payload = whole block for a non-HTTP record');
    assert.deepEqual(result.problems, []);
  });

  it('flags corrupt and truncated gzip WARCs instead of throwing', async () => {
    const gz = testdataBytes('warc/example.warc.gz');
    const truncated = await extractBytes(gz.subarray(0, 1500));
    assert.equal(truncated.mediaType, 'application/warc');
    assert.ok(truncated.problems.some((p) => /^gzip stream is corrupt: unexpected end/.test(p)));
    assert.equal(truncated.warc?.truncated, true);

    // example.warc.gz's gzip members start at these offsets (one per record).
    const MEMBER_STARTS = [0, 353, 784, 2012, 2621, 3207];
    const random = seededRandom(7);
    for (let i = 0; i < 300; i++) {
      const broken = gz.slice();
      const at = Math.floor(random() * gz.length);
      // Flags, MTIME, XFL and OS of a member header do not affect the content.
      if (MEMBER_STARTS.some((m) => at >= m + 3 && at < m + 10)) continue;
      broken[at] = (broken[at] ?? 0) ^ (1 << Math.floor(random() * 8));
      const result = await extractChunks(chunksOf(broken, randomChunkSizes(random)));
      // Every flipped bit is caught: by the inflater, the CRC, a digest or the WARC framing; or the
      // damaged start no longer reads as a gzip-compressed WARC and the file gets another media type.
      assert.ok(
        result.problems.length > 0 || result.mediaType !== 'application/warc',
        `bit flip at ${at} went unnoticed`,
      );
    }

    const trailing = await extractBytes(concatBytes(gz, new Uint8Array(7)));
    assert.ok(trailing.problems.includes('gzip stream has 7 bytes of trailing data after its last member'));
  });
});

describe('WARC digests, synthetic records', () => {
  const http = (body: string, headers = ''): string =>
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${headers}\r\n${body}`;

  it('accepts sha1 in base32, base16, base64 and URL-safe base64, and sha256 and md5', async () => {
    const body = 'evidence payload ?>?>?>';
    const block = http(body);
    const sha1 = digestOf('sha1', body);
    const encodings = [
      `sha1:${base32(sha1)}`,
      `sha1:${Buffer.from(sha1).toString('hex')}`,
      `SHA1:${Buffer.from(sha1).toString('hex').toUpperCase()}`,
      `sha1:${Buffer.from(sha1).toString('base64')}`,
      `sha1:${Buffer.from(sha1).toString('base64url')}`,
      `sha-256:${base32(digestOf('sha256', body))}`,
      `sha256:${Buffer.from(digestOf('sha256', body)).toString('hex')}`,
      `md5:${Buffer.from(digestOf('md5', body)).toString('base64')}`,
    ];
    const warc = concatBytes(
      ...encodings.map((payloadDigest, i) =>
        buildWarcRecord({
          type: 'response',
          id: `<urn:test:${i}>`,
          fields: [
            ['Content-Type', 'application/http; msgtype=response'],
            ['WARC-Block-Digest', `sha256:${base32(digestOf('sha256', block))}`],
            ['WARC-Payload-Digest', payloadDigest],
          ],
          block,
        }),
      ),
    );
    const result = await extractBytes(warc);
    assert.deepEqual(result.problems, []);
    assert.equal(result.warc?.digestsChecked, encodings.length * 2);
    for (const r of result.warc?.records ?? []) {
      assert.equal(r.payloadDigest?.status, 'ok', r.payloadDigest?.value);
      assert.equal(r.blockDigest?.status, 'ok');
    }
  });

  it('marks unknown algorithms unsupported and malformed values failed', async () => {
    const warc = concatBytes(
      buildWarcRecord({ type: 'resource', fields: [['WARC-Block-Digest', 'blake9:AAAA']], block: 'x' }),
      buildWarcRecord({ type: 'resource', fields: [['WARC-Block-Digest', 'sha1:not-a-digest']], block: 'x' }),
    );
    const result = await extractBytes(warc);
    assert.equal(result.warc?.records[0]?.blockDigest?.status, 'unsupported');
    assert.equal(result.warc?.records[1]?.blockDigest?.status, 'failed');
    assert.equal(result.warc?.digestsChecked, 1);
    assert.equal(result.warc?.digestFailures, 1);
  });

  it('accepts a payload digest over the de-chunked body as well as over the chunked one', async () => {
    const chunked = '5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n';
    const block = http(chunked, 'Transfer-Encoding: chunked\r\n');
    const record = (payload: string, id: string) =>
      buildWarcRecord({
        type: 'response',
        id,
        fields: [
          ['Content-Type', 'application/http;msgtype=response'],
          ['WARC-Payload-Digest', `sha1:${base32(digestOf('sha1', payload))}`],
        ],
        block,
      });
    const result = await extractBytes(
      concatBytes(record('hello, world', '<a>'), record(chunked, '<b>'), record('hello', '<c>')),
    );
    assert.deepEqual(
      result.warc?.records.map((r) => r.payloadDigest?.status),
      ['ok', 'ok', 'failed'],
    );
  });

  it('lists at most maxWarcRecords records but checks and counts all', async () => {
    const records = Array.from({ length: 30 }, (_, i) =>
      buildWarcRecord({
        type: 'resource',
        id: `<urn:test:${i}>`,
        fields: [['WARC-Block-Digest', `sha1:${base32(digestOf('sha1', i === 25 ? 'tampered' : `r${i}`))}`]],
        block: `r${i}`,
      }),
    );
    const result = await extractBytes(concatBytes(...records), { maxWarcRecords: 10 });
    assert.equal(result.warc?.records.length, 10);
    assert.equal(result.warc?.recordCount, 30);
    assert.equal(result.warc?.digestsChecked, 30);
    assert.deepEqual(result.problems, ['WARC block digest mismatch in record 26 (<urn:test:25>)']);
  });

  it('flags a record cut off at the end of the data', async () => {
    const whole = buildWarcRecord({
      type: 'resource',
      fields: [['WARC-Block-Digest', 'sha1:AAAA']],
      block: 'x'.repeat(100),
    });
    const result = await extractBytes(whole.subarray(0, whole.length - 60));
    assert.equal(result.warc?.truncated, true);
    assert.match(
      result.problems.join('\n'),
      /WARC truncated: record 1 .* ends before its Content-Length \(44 of 100 bytes/,
    );
    assert.equal(result.warc?.records[0]?.blockDigest?.status, 'unchecked');

    const header = await extractBytes(whole.subarray(0, 40));
    assert.match(header.problems.join('\n'), /the header of record 1 is incomplete/);
  });

  it('stops (without throwing) at a record without a valid Content-Length', async () => {
    const bad = new TextEncoder().encode(
      'WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: -5\r\n\r\nxxxxx',
    );
    const result = await extractBytes(bad);
    assert.equal(result.warc?.recordCount, 0);
    assert.match(result.problems[0] ?? '', /no valid Content-Length/);
  });

  it('bounds header memory: a header without end is abandoned after 1 MiB', async () => {
    const extractorInput = concatBytes(
      new TextEncoder().encode('WARC/1.1\r\nX: '),
      new Uint8Array(2 << 20).fill(0x41),
    );
    const result = await extractChunks(chunksOf(extractorInput, () => 65536));
    assert.match(result.problems[0] ?? '', /header longer than 1 MiB/);
  });
});
