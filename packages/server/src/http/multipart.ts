import { AccordError } from '@accord/core';

/**
 * A streaming reader for multipart/form-data (RFC 7578 over RFC 2046 §5.1): parts are handed out
 * one at a time and each part's body is an async iterable over the request stream, so a file of
 * any size passes through with only a few kilobytes held in memory. Form fields arrive in
 * document order, which is why forms put their small fields (the CSRF token first) before the
 * file inputs.
 */
export interface MultipartPart {
  /** The form field's name. */
  readonly name: string;
  /** The file name sent with a file input (possibly ''); undefined for a plain field. */
  readonly fileName: string | undefined;
  readonly contentType: string;
  /** The part's bytes. Read it (or skip it) before asking for the next part. */
  readonly body: AsyncIterable<Uint8Array>;
  /** The whole body as UTF-8 text; refuses bodies longer than `maxBytes`. */
  text(maxBytes?: number): Promise<string>;
}

export interface MultipartLimits {
  /** Most parts in one request (default 1,000). */
  readonly maxParts?: number;
  /** Largest header block of one part (default 16 KiB). */
  readonly maxHeaderBytes?: number;
  /** Most bytes before the first boundary (default 16 KiB). */
  readonly maxPreambleBytes?: number;
}

const malformed = (what: string): AccordError =>
  new AccordError('invalid_input', `the form data is malformed: ${what}`, {
    context: { reason: 'bad_form' },
  });

/** The boundary parameter of a multipart/form-data Content-Type, or undefined. */
export const boundaryOf = (contentType: string | undefined): string | undefined => {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))(?=\s*(?:;|$))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  // RFC 2046 §5.1.1: 1 to 70 characters from a restricted set (bchars).
  if (!boundary || !/^[0-9A-Za-z'()+_,\-./:=? ]*[0-9A-Za-z'()+_,\-./:=?]$/.test(boundary)) return undefined;
  return boundary;
};

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * The parts of a form, one at a time. Leaving a `for await` loop early does not close the reader
 * (it has no `return`), so the rest of the form can still be read or skipped afterwards.
 */
export interface MultipartReader extends AsyncIterable<MultipartPart> {
  next(): Promise<IteratorResult<MultipartPart, undefined>>;
}

/** Reads parts from `source`; throws AccordError('invalid_input') for malformed input. */
export const readMultipart = (
  source: AsyncIterable<Uint8Array>,
  boundary: string,
  limits: MultipartLimits = {},
): MultipartReader => {
  const parts = generateParts(source, boundary, limits);
  const reader: MultipartReader = {
    next: () => parts.next(),
    [Symbol.asyncIterator]: () => ({ next: () => parts.next() }),
  };
  return reader;
};

async function* generateParts(
  source: AsyncIterable<Uint8Array>,
  boundary: string,
  limits: MultipartLimits,
): AsyncGenerator<MultipartPart, undefined> {
  const maxParts = limits.maxParts ?? 1000;
  const maxHeader = limits.maxHeaderBytes ?? 16 * 1024;
  const maxPreamble = limits.maxPreambleBytes ?? 16 * 1024;
  // Every delimiter, the first included, is read as CRLF "--" boundary: the stream is treated as
  // if it began with a CRLF, so a body with no preamble needs no special case.
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const keep = delimiter.length - 1;
  const iterator = source[Symbol.asyncIterator]();
  let buf: Buffer = Buffer.from(CRLF);
  let ended = false;

  /** Appends the next chunk of the source; false at its end. */
  const fill = async (): Promise<boolean> => {
    if (ended) return false;
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      return false;
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    return true;
  };
  const need = async (n: number, what: string): Promise<void> => {
    while (buf.length < n) if (!(await fill())) throw malformed(what);
  };

  // ── preamble, up to the first delimiter ──
  let skipped = 0;
  for (;;) {
    const at = buf.indexOf(delimiter);
    if (at >= 0) {
      buf = buf.subarray(at + delimiter.length);
      break;
    }
    const drop = Math.max(0, buf.length - keep);
    skipped += drop;
    if (skipped > maxPreamble) throw malformed('no boundary where the form data should begin');
    buf = buf.subarray(drop);
    if (!(await fill())) throw malformed('the boundary never appears');
  }

  let inBody = false;
  let partNo = 0;
  /** The next bytes of the current part, or null at its end (the delimiter is then consumed). */
  const nextBodyChunk = async (): Promise<Buffer | null> => {
    while (inBody) {
      const at = buf.indexOf(delimiter);
      if (at >= 0) {
        const last = buf.subarray(0, at);
        buf = buf.subarray(at + delimiter.length);
        inBody = false;
        return last.length > 0 ? last : null;
      }
      // Anything but the last few bytes cannot be the start of a delimiter.
      const safe = buf.length - keep;
      if (safe > 0) {
        const out = buf.subarray(0, safe);
        buf = buf.subarray(safe);
        return out;
      }
      if (!(await fill())) throw malformed('the data ends inside a part (was the upload cut off?)');
    }
    return null;
  };
  /** An iterable over one part's bytes; it ends (without reading on) once the reader has moved past it. */
  const bodyOf = (no: number): AsyncIterable<Uint8Array> => ({
    [Symbol.asyncIterator]: () => ({
      next: async (): Promise<IteratorResult<Uint8Array>> => {
        const chunk = no === partNo ? await nextBodyChunk() : null;
        return chunk ? { value: chunk, done: false } : { value: undefined, done: true };
      },
    }),
  });

  for (let count = 0; ; count += 1) {
    // A part not read to its end is skipped.
    while ((await nextBodyChunk()) !== null) {
      // discard
    }
    await need(2, 'the data ends after a boundary');
    if (buf[0] === 0x2d && buf[1] === 0x2d) return undefined; // close delimiter "--": the epilogue is ignored
    // Transport padding (linear white space) may follow a boundary before its CRLF.
    for (;;) {
      await need(1, 'the data ends after a boundary');
      if (buf[0] !== 0x20 && buf[0] !== 0x09) break;
      buf = buf.subarray(1);
    }
    await need(2, 'the data ends after a boundary');
    if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw malformed('a boundary is not followed by a line break');
    buf = buf.subarray(2);
    if (count >= maxParts) throw malformed(`more than ${maxParts} parts`);

    // ── the part's header block ──
    let headerText: string;
    await need(2, 'the data ends inside part headers');
    if (buf[0] === 0x0d && buf[1] === 0x0a) {
      headerText = '';
      buf = buf.subarray(2);
    } else {
      for (;;) {
        const at = buf.indexOf(HEADER_END);
        if (at >= 0) {
          if (at > maxHeader) throw malformed('part headers are too long');
          headerText = buf.subarray(0, at).toString('utf8');
          buf = buf.subarray(at + HEADER_END.length);
          break;
        }
        if (buf.length > maxHeader) throw malformed('part headers are too long');
        if (!(await fill())) throw malformed('the data ends inside part headers');
      }
    }
    const headers = parseHeaders(headerText);
    const disposition = parseDisposition(headers.get('content-disposition'));
    if (!disposition) throw malformed('a part has no Content-Disposition: form-data header with a name');
    inBody = true;
    partNo += 1;
    const partBody = bodyOf(partNo);
    yield {
      name: disposition.name,
      fileName: disposition.fileName,
      contentType:
        headers.get('content-type') ??
        (disposition.fileName === undefined ? 'text/plain' : 'application/octet-stream'),
      body: partBody,
      text: async (maxBytes = 64 * 1024) => {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of partBody) {
          size += chunk.byteLength;
          if (size > maxBytes) {
            throw new AccordError(
              'invalid_input',
              `the form field ${disposition.name} is longer than ${maxBytes} bytes`,
              {
                context: { reason: 'too_long', max: maxBytes },
              },
            );
          }
          chunks.push(Buffer.from(chunk));
        }
        return Buffer.concat(chunks).toString('utf8');
      },
    };
  }
}

const parseHeaders = (text: string): Map<string, string> => {
  const headers = new Map<string, string>();
  if (text === '') return headers;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('a part header line has no name');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
};

/**
 * `form-data; name="…"; filename="…"` (RFC 7578 §4.2). Browsers send names as UTF-8 and escape
 * '"' and line breaks as %22, %0D and %0A (HTML's multipart/form-data encoding algorithm);
 * `filename*` (RFC 5987) is accepted too.
 */
const parseDisposition = (
  value: string | undefined,
): { name: string; fileName: string | undefined } | undefined => {
  if (!value) return undefined;
  const m = /^\s*form-data\s*(;|$)/i.exec(value);
  if (!m) return undefined;
  const params = new Map<string, string>();
  const re = /;\s*([A-Za-z0-9!#$&+.^_`|~*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;
  for (let p = re.exec(value); p; p = re.exec(value)) {
    const key = p[1]!.toLowerCase();
    const raw = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
    if (!params.has(key)) params.set(key, raw);
  }
  const name = params.get('name');
  if (name === undefined) return undefined;
  const decodeEscapes = (s: string) => s.replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n');
  let fileName = params.has('filename') ? decodeEscapes(params.get('filename')!) : undefined;
  const extended = params.get('filename*');
  if (extended !== undefined) {
    const e = /^UTF-8'[^']*'(.*)$/i.exec(extended);
    if (e) {
      try {
        fileName = decodeURIComponent(e[1]!);
      } catch {
        throw malformed('filename* is not valid percent-encoded UTF-8');
      }
    }
  }
  return { name: decodeEscapes(name), fileName };
};
