import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isAccordError } from '@accord/core';
import { boundaryOf, readMultipart } from './multipart.ts';

/** Feeds `bytes` in pieces of the given sizes (cycled), as a network would. */
async function* pieces(bytes: Uint8Array, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i += 1) {
    const n = sizes[i % sizes.length]!;
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

/** What a browser sends (Chromium's layout), built with the web platform's own encoder. */
const encode = async (form: FormData): Promise<{ body: Uint8Array; type: string }> => {
  const req = new Request('http://x/', { method: 'POST', body: form });
  return { body: new Uint8Array(await req.arrayBuffer()), type: req.headers.get('Content-Type')! };
};

const collect = async (source: AsyncIterable<Uint8Array>, boundary: string) => {
  const out: { name: string; fileName: string | undefined; type: string; bytes: Buffer }[] = [];
  for await (const part of readMultipart(source, boundary)) {
    const chunks: Buffer[] = [];
    for await (const c of part.body) chunks.push(Buffer.from(c));
    out.push({
      name: part.name,
      fileName: part.fileName,
      type: part.contentType,
      bytes: Buffer.concat(chunks),
    });
  }
  return out;
};

describe('streaming multipart/form-data', () => {
  it('reads fields and files in order, whatever the chunking', async () => {
    const file = randomBytes(200_000);
    // A boundary-like sequence inside the file must not end the part.
    file.set(Buffer.from('\r\n--not-the-boundary\r\n'), 1000);
    const form = new FormData();
    form.append('_csrf', 'token-1');
    form.append('note', 'Ліс, "quoted"\r\nline two');
    form.append('file', new Blob([file], { type: 'image/jpeg' }), 'photo "1".jpg');
    form.append('empty', new Blob([]), '');
    const { body, type } = await encode(form);
    const boundary = boundaryOf(type)!;
    assert.ok(boundary);
    for (const sizes of [[body.length], [1], [7, 3, 1000], [65_536], [boundary.length + 3]]) {
      const parts = await collect(pieces(body, sizes), boundary);
      assert.deepEqual(
        parts.map((p) => [p.name, p.fileName]),
        [
          ['_csrf', undefined],
          ['note', undefined],
          ['file', 'photo "1".jpg'],
          // undici leaves out an empty file name; browsers send filename="" (see below).
          ['empty', undefined],
        ],
      );
      assert.equal(parts[0]!.bytes.toString(), 'token-1');
      assert.equal(parts[1]!.bytes.toString(), 'Ліс, "quoted"\r\nline two');
      assert.equal(parts[2]!.type, 'image/jpeg');
      assert.equal(
        createHash('sha256').update(parts[2]!.bytes).digest('hex'),
        createHash('sha256').update(file).digest('hex'),
      );
      assert.equal(parts[3]!.bytes.length, 0);
    }
  });

  it('skips parts that are not read and reads text with a limit', async () => {
    const form = new FormData();
    form.append('a', 'x'.repeat(5000));
    form.append('b', 'short');
    form.append('c', 'y'.repeat(100));
    const { body, type } = await encode(form);
    const seen: string[] = [];
    for await (const part of readMultipart(pieces(body, [13]), boundaryOf(type)!)) {
      if (part.name === 'b') seen.push(await part.text());
      if (part.name === 'c') {
        await assert.rejects(part.text(10), (e) => isAccordError(e) && e.code === 'invalid_input');
      }
    }
    assert.deepEqual(seen, ['short']);
  });

  it('a body that stops in the middle of a part is an error, not a short file', async () => {
    const form = new FormData();
    form.append('file', new Blob([randomBytes(10_000)]), 'a.bin');
    const { body, type } = await encode(form);
    await assert.rejects(
      collect(pieces(body.subarray(0, 6000), [1000]), boundaryOf(type)!),
      (e) => isAccordError(e) && /cut off/.test(e.message),
    );
  });

  it('refuses data without the boundary, parts without a name and over-long headers', async () => {
    const bad = async (text: string | Uint8Array) => {
      const bytes = typeof text === 'string' ? Buffer.from(text) : text;
      await assert.rejects(
        collect(pieces(bytes, [5]), 'XyZ'),
        (e) => isAccordError(e) && e.code === 'invalid_input',
      );
    };
    await bad('no boundary at all');
    await bad('--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--\r\n');
    await bad(
      `--XyZ\r\nContent-Disposition: form-data; name="a"\r\nX: ${'h'.repeat(20_000)}\r\n\r\nv\r\n--XyZ--`,
    );
    await bad('--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue');
  });

  it('accepts a preamble, transport padding and filename*', async () => {
    const text =
      'preamble\r\n--XyZ  \r\nContent-Disposition: form-data; name="f"; filename*=UTF-8\'\'%D0%BB%D1%96%D1%81.txt\r\n\r\nabc' +
      '\r\n--XyZ\r\nContent-Disposition: form-data; name="g"; filename=""\r\n\r\n\r\n--XyZ--\r\nepilogue';
    const parts = await collect(pieces(Buffer.from(text), [4]), 'XyZ');
    assert.deepEqual(
      parts.map((p) => [p.name, p.fileName, p.bytes.toString()]),
      [
        ['f', 'ліс.txt', 'abc'],
        ['g', '', ''],
      ],
    );
  });

  it('finds the boundary in a Content-Type', () => {
    assert.equal(
      boundaryOf('multipart/form-data; boundary=----WebKitFormBoundaryA1b2'),
      '----WebKitFormBoundaryA1b2',
    );
    assert.equal(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b"'), 'a b');
    assert.equal(boundaryOf('application/x-www-form-urlencoded'), undefined);
    assert.equal(boundaryOf('multipart/form-data'), undefined);
    assert.equal(boundaryOf(`multipart/form-data; boundary=${'a'.repeat(71)}`), undefined);
  });
});
