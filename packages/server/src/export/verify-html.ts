import { createHash } from 'node:crypto';

/**
 * `bundle/verify.html`: one self-contained page that checks an export bundle (docs/bundle-format.md)
 * in a browser, offline, from a file on disk. It is deliberately a second, independent
 * implementation of the format written in plain browser JavaScript: it imports nothing from Accord,
 * loads nothing from anywhere, and its Content-Security-Policy allows exactly its own inline script
 * and style (by hash, computed here from the exact text).
 *
 * SHA-256 of item content: WebCrypto has no incremental digest, so contents up to
 * `data-whole-digest-limit` bytes (64 MiB; an attribute of <html>) are read whole and hashed by
 * WebCrypto (fast, native); larger ones are read in 8 MiB slices and hashed by a SHA-256 written in
 * the script, which checks itself against WebCrypto on lengths across block boundaries (fed in uneven
 * pieces) before any bundle is verified. The page thus never holds more than 64 MiB of one content.
 */

const STYLE = `
:root { color-scheme: light; --ok: #0b6b2e; --ok-bg: #e6f4ea; --bad: #a50e0e; --bad-bg: #fce8e6; --line: #c7c7c7; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b; background: #fff; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.5rem; }
h2 { font-size: 1.2rem; margin: 1.75rem 0 0.5rem; }
code, .hash, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
.hash, .mono { overflow-wrap: anywhere; word-break: break-all; }
label { display: block; font-weight: 600; margin: 0.75rem 0 0.25rem; }
input[type=text] { width: 100%; padding: 0.45rem 0.5rem; font: inherit; font-family: ui-monospace, monospace; border: 1px solid #767676; border-radius: 4px; }
input:focus-visible, button:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
.help { margin: 0.25rem 0 0; color: #444; font-size: 0.95rem; }
.drop { margin-top: 0.75rem; padding: 1rem; border: 2px dashed #767676; border-radius: 8px; background: #f7f7f7; }
.drop.over { border-color: #1a73e8; background: #e8f0fe; }
button { font: inherit; padding: 0.4rem 1rem; margin-top: 0.75rem; border: 1px solid #555; border-radius: 4px; background: #f1f1f1; cursor: pointer; }
button:disabled { cursor: default; opacity: 0.6; }
#status { margin: 1rem 0 0.25rem; font-weight: 600; }
progress { width: 100%; height: 0.75rem; }
.verdict { padding: 0.75rem 1rem; border-radius: 6px; font-size: 1.15rem; font-weight: 700; border: 2px solid; }
.verdict.ok { color: var(--ok); background: var(--ok-bg); border-color: var(--ok); }
.verdict.bad { color: var(--bad); background: var(--bad-bg); border-color: var(--bad); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
ul.problems { padding-left: 1.25rem; }
ul.problems li { color: var(--bad); }
table { width: 100%; border-collapse: collapse; margin-top: 0.5rem; table-layout: fixed; }
col.c-title { width: 22%; } col.c-kind { width: 11%; } col.c-hash { width: 23%; } col.c-size { width: 13%; } col.c-result { width: 31%; }
caption { text-align: left; padding-bottom: 0.25rem; color: #444; }
th, td { text-align: left; vertical-align: top; padding: 0.45rem 0.5rem; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
thead th { border-bottom: 2px solid #777; }
.sub { display: block; color: #555; font-size: 0.85rem; }
.result .ok { color: var(--ok); font-weight: 700; }
.result .bad { color: var(--bad); font-weight: 700; }
tr[data-result=verified] td.result { background: var(--ok-bg); }
tr[data-result=failed] td.result { background: var(--bad-bg); }
td.result ul { margin: 0.25rem 0 0; padding-left: 1.1rem; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  .controls, progress, #status { display: none !important; }
  tr { break-inside: avoid; }
  .verdict, tr[data-result] td.result { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;

// Plain browser JavaScript, kept ASCII (non-ASCII characters are written as \u escapes). It must
// not contain a backtick or a dollar sign followed by a brace: it lives in a template literal.
const SCRIPT = String.raw`
'use strict';
(() => {
  const MiB = 1048576;
  const BLOCK = 512;
  const MAX_MEMBERS = 1000000;
  const LIMIT = {
    manifest: 64 * MiB,
    checkpoint: 65536,
    vkey: 4096,
    metadata: 64 * MiB,
    event: 16384,
    record: 16 * MiB,
    proof: 65536,
  };
  const WINDOW = MiB;
  const SLICE = 8 * MiB;
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const HEX64 = /^[0-9a-f]{64}$/;
  const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
  const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
  const B64 = /^(?:[A-Za-z0-9+\/]{4})*(?:[A-Za-z0-9+\/]{2}==|[A-Za-z0-9+\/]{3}=)?$/;
  const KINDS = ['original', 'redacted', 'transcript', 'translation', 'excerpt'];
  const ACTIONS = ['collected', 'registered', 'metadata_edited', 'viewed', 'downloaded', 'linked_to_case',
    'transferred', 'derived', 'sealed', 'exported', 'verified'];
  const CAPTURE_FIELDS = ['collectedBy', 'collectedAt', 'sourceUrl', 'method', 'latitude', 'longitude', 'note',
    'fileName'];
  const FIRST_MEMBERS = ['bundle/manifest.json', 'bundle/checkpoint.txt', 'bundle/log.vkey'];
  const LAST_MEMBERS = ['bundle/index.html', 'bundle/index.csv', 'bundle/verify.html'];
  const ITEM_MEMBER = /^bundle\/items\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/(metadata\.json|content|events\/(0|[1-9][0-9]*)\.(json|private\.json|tlog-proof))$/;
  const EM_DASH = '\u2014';

  /** A finding for the person verifying: its message says plainly what is wrong. */
  class Problem extends Error {}
  /** A newer run replaced this one. */
  class Cancelled extends Error {}

  // ---- bytes -------------------------------------------------------------------------------

  const encoder = new TextEncoder();
  const utf8 = (text) => encoder.encode(text);
  const decodeUtf8 = (bytes, what) => {
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      throw new Problem(what + ' is not valid UTF-8 text');
    }
  };
  const toHex = (bytes) => {
    let out = '';
    for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16);
    return out;
  };
  const concat = (...parts) => {
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const isZero = (bytes) => bytes.every((b) => b === 0);
  const digest = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const toBase64 = (bytes) => {
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  };
  /** Strict RFC 4648 section 4 base64 with padding; null if the text is anything else. */
  const fromBase64 = (text) => {
    if (!B64.test(text)) return null;
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return toBase64(out) === text ? out : null;
  };
  const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
  const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
  const fmtInt = (n) => Number(n).toLocaleString('en-GB');
  const fmtBytes = (n) => {
    const exact = fmtInt(n) + (n === 1 ? ' byte' : ' bytes');
    if (n < 1024) return exact;
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let v = n / 1024;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return (v < 10 ? v.toFixed(1) : Math.round(v)) + ' ' + units[u] + ' (' + exact + ')';
  };
  /** A value from the bundle, quoted and shortened for a message. */
  const shown = (v) => {
    const text = typeof v === 'string' ? v : JSON.stringify(v) === undefined ? String(v) : JSON.stringify(v);
    const cut = text.length > 100 ? text.slice(0, 97) + '...' : text;
    return typeof v === 'string' ? JSON.stringify(cut) : cut;
  };

  // ---- SHA-256 for streaming (FIPS 180-4) ----------------------------------------------------
  // The constants are the first 32 fraction bits of the square and cube roots of the first primes,
  // computed exactly with integer roots rather than typed in.

  const integerRoot = (n, k) => {
    const K = BigInt(k);
    let x = BigInt(Math.floor(Math.pow(Number(n), 1 / k)));
    while (x ** K > n) x -= 1n;
    while ((x + 1n) ** K <= n) x += 1n;
    return x;
  };
  const PRIMES = [];
  for (let p = 2; PRIMES.length < 64; p++) if (PRIMES.every((q) => p % q !== 0)) PRIMES.push(p);
  const H0 = new Uint32Array(PRIMES.slice(0, 8).map((p) => Number(integerRoot(BigInt(p) << 64n, 2) & 0xffffffffn)));
  const K256 = new Uint32Array(PRIMES.map((p) => Number(integerRoot(BigInt(p) << 96n, 3) & 0xffffffffn)));

  class Sha256 {
    constructor() {
      this.h = new Uint32Array(H0);
      this.w = new Uint32Array(64);
      this.block = new Uint8Array(64);
      this.fill = 0;
      this.length = 0;
    }
    update(data) {
      const n = data.length;
      let i = 0;
      this.length += n;
      if (this.fill > 0) {
        const take = Math.min(64 - this.fill, n);
        this.block.set(data.subarray(0, take), this.fill);
        this.fill += take;
        i = take;
        if (this.fill < 64) return;
        this.compress(this.block, 0);
        this.fill = 0;
      }
      for (; i + 64 <= n; i += 64) this.compress(data, i);
      if (i < n) {
        this.block.set(data.subarray(i), 0);
        this.fill = n - i;
      }
    }
    compress(d, p) {
      const w = this.w;
      const H = this.h;
      for (let t = 0; t < 16; t++, p += 4) w[t] = (d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3];
      for (let t = 16; t < 64; t++) {
        const x = w[t - 15];
        const y = w[t - 2];
        const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
      }
      let a = H[0], b = H[1], c = H[2], e = H[4], f = H[5], g = H[6], h = H[7], dd = H[3];
      for (let t = 0; t < 64; t++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const ch = (e & f) ^ (~e & g);
        const t1 = (h + S1 + ch + K256[t] + w[t]) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const maj = (a & b) ^ (a & c) ^ (b & c);
        const t2 = (S0 + maj) | 0;
        h = g;
        g = f;
        f = e;
        e = (dd + t1) | 0;
        dd = c;
        c = b;
        b = a;
        a = (t1 + t2) | 0;
      }
      H[0] += a;
      H[1] += b;
      H[2] += c;
      H[3] += dd;
      H[4] += e;
      H[5] += f;
      H[6] += g;
      H[7] += h;
    }
    digest() {
      const bitsHigh = Math.floor(this.length / 0x20000000);
      const bitsLow = (this.length * 8) % 0x100000000;
      const tail = new Uint8Array(this.fill < 56 ? 64 - this.fill : 128 - this.fill);
      tail[0] = 0x80;
      const view = new DataView(tail.buffer);
      view.setUint32(tail.length - 8, bitsHigh);
      view.setUint32(tail.length - 4, bitsLow);
      this.update(tail);
      const out = new Uint8Array(32);
      const outView = new DataView(out.buffer);
      for (let i = 0; i < 8; i++) outView.setUint32(i * 4, this.h[i]);
      return out;
    }
  }

  /** The script's SHA-256 must agree with WebCrypto before it is trusted with anything. */
  const selfTest = (async () => {
    const data = new Uint8Array(70001);
    let seed = 0x2545f491;
    for (let i = 0; i < data.length; i++) {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      data[i] = seed & 255;
    }
    for (const n of [0, 1, 3, 55, 56, 57, 63, 64, 65, 111, 119, 120, 127, 128, 129, 1000, 4097, 70001]) {
      const part = data.subarray(0, n);
      const h = new Sha256();
      for (let at = 0, step = 1; at < n; step = step * 3 + 2) {
        const next = Math.min(n, at + step);
        h.update(part.subarray(at, next));
        at = next;
      }
      if (toHex(h.digest()) !== toHex(await digest(part))) return false;
    }
    return true;
  })().catch(() => false);

  // ---- RFC 8785 canonical JSON ---------------------------------------------------------------

  const ESCAPES = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r', 34: '\\"', 92: '\\\\' };
  const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
  const canonString = (s) => {
    if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
    let out = '"';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (has(ESCAPES, c)) out += ESCAPES[c];
      else if (c < 0x20) out += '\\u' + c.toString(16).padStart(4, '0');
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
        out += s[i] + s[i + 1];
        i++;
      } else if (c >= 0xd800 && c <= 0xdfff) throw new Problem('holds text with a lone UTF-16 surrogate');
      else out += s[i];
    }
    return out + '"';
  };
  const byCodeUnits = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  const canon = (v, depth = 0) => {
    if (depth > 100) throw new Problem('is nested more than 100 levels deep');
    if (v === null) return 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new Problem('holds a number that is not finite');
      return JSON.stringify(v); // ECMAScript Number::toString, as RFC 8785 section 3.2.2.3 asks
    }
    if (typeof v === 'string') return canonString(v);
    if (Array.isArray(v)) return '[' + v.map((x) => canon(x, depth + 1)).join(',') + ']';
    if (typeof v === 'object') {
      const keys = Object.keys(v).sort(byCodeUnits);
      return '{' + keys.map((k) => canonString(k) + ':' + canon(v[k], depth + 1)).join(',') + '}';
    }
    throw new Problem('holds a value JSON cannot hold');
  };
  /** Parses JSON strictly (UTF-8, RFC 8259); throws Problem naming what is wrong. */
  const parseJson = (bytes, what) => {
    const text = decodeUtf8(bytes, what);
    try {
      return { text, value: JSON.parse(text) };
    } catch {
      throw new Problem(what + ' is not valid JSON');
    }
  };
  /** Parses JSON that must be canonical: re-serialising it must give the same bytes. */
  const parseCanonical = (bytes, what) => {
    const { text, value } = parseJson(bytes, what);
    let again;
    try {
      again = canon(value);
    } catch (e) {
      if (e instanceof Problem) throw new Problem(what + ' ' + e.message);
      throw e;
    }
    if (again !== text) {
      let i = 0;
      while (i < text.length && text[i] === again[i]) i++;
      const at = utf8(text.slice(0, i)).length;
      throw new Problem(what + ' is not canonical JSON (RFC 8785): it differs from its canonical form at byte ' + fmtInt(at));
    }
    return value;
  };
  /** Names missing and unexpected members of an object that must have exactly these keys. */
  const keyProblems = (obj, keys, what) => {
    if (!isObject(obj)) return [what + ' is not a JSON object'];
    const missing = keys.filter((k) => !has(obj, k));
    const extra = Object.keys(obj).filter((k) => !keys.includes(k));
    const out = [];
    if (missing.length) out.push(what + ' lacks ' + missing.map((k) => shown(k)).join(', '));
    if (extra.length) out.push(what + ' has unexpected members ' + extra.map((k) => shown(k)).join(', '));
    return out;
  };

  // ---- reading the file ----------------------------------------------------------------------

  class Reader {
    constructor(file) {
      this.file = file;
      this.size = file.size;
      this.start = 0;
      this.window = new Uint8Array(0);
    }
    /** Exactly these bytes, read with file.slice(); never more than asked for. */
    async exact(offset, length) {
      const buffer = await this.file.slice(offset, offset + length).arrayBuffer();
      if (buffer.byteLength !== length) {
        throw new Problem('the file could not be read completely (was it changed or moved while being checked?)');
      }
      return new Uint8Array(buffer);
    }
    /** Small reads (headers, members) go through a 1 MiB window, so that many small members are fast. */
    async bytes(offset, length) {
      const s = this.start;
      const w = this.window;
      if (offset >= s && offset + length <= s + w.length) return w.subarray(offset - s, offset - s + length);
      if (length >= WINDOW) return this.exact(offset, length);
      this.window = await this.exact(offset, Math.min(this.size - offset, WINDOW));
      this.start = offset;
      return this.window.subarray(0, length);
    }
  }

  // ---- the tar container (bundle-format section 1) ------------------------------------------

  const fieldText = (bytes) => {
    let s = '';
    for (const b of bytes) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '\\x' + (b < 16 ? '0' : '') + b.toString(16);
    return s;
  };
  /** An octal header field: optional leading spaces, digits, then NUL or spaces only. */
  const octal = (field) => {
    let i = 0;
    while (i < field.length && field[i] === 0x20) i++;
    let value = 0;
    let digits = 0;
    for (; i < field.length && field[i] >= 0x30 && field[i] <= 0x37; i++, digits++) value = value * 8 + (field[i] - 0x30);
    for (; i < field.length; i++) if (field[i] !== 0 && field[i] !== 0x20) return null;
    return digits > 0 ? value : null;
  };
  /** The size field: octal, or (for 8 GiB and more) the base-256 form with the high bit set. */
  const sizeField = (field) => {
    if (field[0] === 0x80) {
      let value = 0;
      for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
      return Number.isSafeInteger(value) ? value : null;
    }
    return octal(field);
  };
  /** Why a member name is not allowed (section 1 and 2), or null. */
  const nameProblem = (name) => {
    if (!name.startsWith('bundle/')) return 'does not start with bundle/';
    if (name.includes('\\')) return 'contains a backslash';
    if (name.includes('//')) return 'contains an empty path segment (//)';
    if (name.split('/').some((part) => part === '..' || part === '.')) return 'contains a . or .. segment';
    if (FIRST_MEMBERS.includes(name) || LAST_MEMBERS.includes(name)) return null;
    const m = ITEM_MEMBER.exec(name);
    if (!m) return 'is not a member a bundle may have';
    if (m[3] !== undefined && !Number.isSafeInteger(Number(m[3]))) return 'names a leaf index that is too large';
    return null;
  };

  /**
   * Reads the headers of a ustar archive from the file, member by member, without reading the
   * members' contents. Returns the members and the problems found; a problem that makes the rest
   * of the archive unreadable ends the listing and is returned as fatal.
   */
  const indexTar = async (reader, alive, status) => {
    const members = new Map();
    const order = [];
    const problems = [];
    const result = (fatal) => ({ members, order, problems, fatal });
    if (reader.size === 0) return result('The file is empty: it is not a bundle.');
    let offset = 0;
    let count = 0;
    for (;;) {
      if ((count & 1023) === 0) {
        alive();
        if (count > 0) status('Reading the list of files in the bundle: ' + fmtInt(count) + ' so far...');
      }
      if (offset === reader.size) {
        return result('The file ends without the two empty blocks that close a tar archive: it is truncated.');
      }
      if (offset + BLOCK > reader.size) {
        return result('The file ends in the middle of a tar header (at byte ' + fmtInt(offset) + '): it is truncated.');
      }
      const header = await reader.bytes(offset, BLOCK);
      if (isZero(header)) {
        if (offset + 2 * BLOCK > reader.size) {
          return result('The file ends after only one of the two empty blocks that close a tar archive: it is truncated.');
        }
        if (!isZero(await reader.bytes(offset + BLOCK, BLOCK))) {
          return result('The tar archive is damaged: an empty block at byte ' + fmtInt(offset) + ' is followed by more data.');
        }
        for (let at = offset + 2 * BLOCK; at < reader.size; at += WINDOW) {
          alive();
          if (!isZero(await reader.exact(at, Math.min(WINDOW, reader.size - at)))) {
            return result('There are data after the end of the tar archive (after byte ' + fmtInt(offset + 2 * BLOCK) + ').');
          }
        }
        return result(null);
      }
      if (count >= MAX_MEMBERS) return result('The bundle has more than 1,000,000 files; the verifier stops there.');
      const where = 'The tar header at byte ' + fmtInt(offset);
      if (fieldText(header.subarray(257, 263)) !== 'ustar\\x00' || fieldText(header.subarray(263, 265)) !== '00') {
        return result(count === 0
          ? 'This file is not a bundle: it is not a POSIX ustar tar archive.'
          : where + ' is not a POSIX ustar header: the archive is damaged.');
      }
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
      if (octal(header.subarray(148, 156)) !== sum) return result(where + ' has a wrong checksum: the archive is damaged.');
      const size = sizeField(header.subarray(124, 136));
      if (size === null) return result(where + ' has a size that is not a number: the archive is damaged.');
      const nul = header.indexOf(0);
      const nameEnd = nul < 0 || nul > 100 ? 100 : nul;
      const name = fieldText(header.subarray(0, nameEnd));
      const start = offset + BLOCK;
      const next = start + Math.ceil(size / BLOCK) * BLOCK;
      if (start + size > reader.size || next > reader.size) {
        return result('The file ends inside ' + shown(name) + ', which should have ' + fmtBytes(size) + ': the bundle is truncated.');
      }
      count++;
      offset = next;
      const label = 'The member ' + shown(name);
      const type = header[156];
      let problem = null;
      if (type !== 0x30 && type !== 0) problem = label + ' is not a regular file (tar type ' + shown(String.fromCharCode(type)) + ').';
      else if (nameEnd < 100 && !isZero(header.subarray(nameEnd, 100))) problem = label + ' has bytes after the end of its name.';
      else if (!isZero(header.subarray(345, 500))) problem = label + ' uses the ustar prefix field: names must fit in the 100-byte name field.';
      else if (!/^[\x20-\x7e]+$/.test(name)) problem = label + ' has a name that is not printable ASCII.';
      else if (members.has(name)) problem = label + ' appears twice in the bundle.';
      else {
        const why = nameProblem(name);
        if (why) problem = label + ' ' + why + '.';
      }
      if (problem) {
        problems.push(problem);
        continue;
      }
      const m = ITEM_MEMBER.exec(name);
      const member = { name, offset: start, size, position: order.length, item: m ? m[1] : null };
      members.set(name, member);
      order.push(member);
    }
  };

  // ---- the manifest (section 3) --------------------------------------------------------------

  /** Checks the manifest's shape; returns bundle-level problems and, for each item, its problems. */
  const manifestShape = (m) => {
    const problems = keyProblems(m, ['format', 'version', 'log', 'createdAt', 'export', 'items'], 'The manifest');
    if (!isObject(m)) return { problems, items: [] };
    if (has(m, 'format') && m.format !== 'accord-bundle') problems.push('The manifest\'s format is ' + shown(m.format) + ', not "accord-bundle".');
    if (has(m, 'version') && m.version !== 1) problems.push('The manifest is of version ' + shown(m.version) + '; this verifier reads version 1.');
    if (typeof m.log !== 'string' || m.log === '') problems.push('The manifest does not name the log (log).');
    if (has(m, 'createdAt') && (typeof m.createdAt !== 'string' || !ISO_MS.test(m.createdAt))) {
      problems.push('The manifest\'s createdAt is not an ISO 8601 UTC time with milliseconds.');
    }
    const e = m.export;
    for (const p of keyProblems(e, ['recipient', 'purpose', 'legalBasis', 'derivedOnly'], 'The manifest\'s export')) problems.push(p + '.');
    if (isObject(e)) {
      if (has(e, 'recipient') && typeof e.recipient !== 'string') problems.push('The manifest\'s export.recipient is not text.');
      if (has(e, 'purpose') && typeof e.purpose !== 'string') problems.push('The manifest\'s export.purpose is not text.');
      if (has(e, 'legalBasis') && e.legalBasis !== null && typeof e.legalBasis !== 'string') problems.push('The manifest\'s export.legalBasis is neither text nor null.');
      if (has(e, 'derivedOnly') && typeof e.derivedOnly !== 'boolean') problems.push('The manifest\'s export.derivedOnly is not true or false.');
    }
    if (!Array.isArray(m.items)) {
      problems.push('The manifest has no list of items.');
      return { problems, items: [] };
    }
    if (m.items.length === 0) problems.push('The manifest lists no items.');
    const seen = new Set();
    const items = m.items.map((it, index) => {
      const out = keyProblems(it, ['itemId', 'sha256', 'size', 'mediaType', 'kind', 'title', 'content', 'derivedFrom', 'events', 'exportEvent'], 'its manifest entry');
      if (!isObject(it)) return { item: it, index, problems: out };
      if (typeof it.itemId !== 'string' || !UUID.test(it.itemId)) out.push('its itemId is not a lowercase UUID');
      else if (seen.has(it.itemId)) out.push('the manifest lists it twice');
      else seen.add(it.itemId);
      if (typeof it.sha256 !== 'string' || !HEX64.test(it.sha256)) out.push('its sha256 is not 64 lowercase hex digits');
      if (!Number.isSafeInteger(it.size) || it.size < 0) out.push('its size is not a whole number of bytes');
      if (typeof it.mediaType !== 'string') out.push('its mediaType is not text');
      if (!KINDS.includes(it.kind)) out.push('its kind ' + shown(it.kind) + ' is not one of ' + KINDS.join(', '));
      if (typeof it.title !== 'string') out.push('its title is not text');
      if (typeof it.content !== 'boolean') out.push('its content flag is not true or false');
      const d = it.derivedFrom;
      if (d !== null && d !== undefined) {
        const dp = keyProblems(d, ['itemId', 'sha256'], 'its derivedFrom');
        out.push(...dp);
        if (!dp.length && (!UUID.test(String(d.itemId)) || typeof d.itemId !== 'string' || typeof d.sha256 !== 'string' || !HEX64.test(d.sha256))) {
          out.push('its derivedFrom does not hold an item id and a SHA-256');
        }
      }
      if (!Array.isArray(it.events) || it.events.length === 0) out.push('it lists no events');
      else {
        let last = -1;
        const ids = new Set();
        for (const [i, ev] of it.events.entries()) {
          const at = 'its event ' + (i + 1) + ' in the manifest';
          const ep = keyProblems(ev, ['id', 'leafIndex'], at);
          if (ep.length) {
            out.push(...ep);
            continue;
          }
          if (typeof ev.id !== 'string' || !UUID.test(ev.id)) out.push(at + ' has an id that is not a lowercase UUID');
          else if (ids.has(ev.id)) out.push(at + ' repeats an earlier event');
          ids.add(ev.id);
          if (!Number.isSafeInteger(ev.leafIndex) || ev.leafIndex < 0) out.push(at + ' has a leafIndex that is not a whole number');
          else if (ev.leafIndex <= last) out.push('its events are not listed in increasing leafIndex');
          else last = ev.leafIndex;
        }
      }
      if (typeof it.exportEvent !== 'string' || !UUID.test(it.exportEvent)) out.push('its exportEvent is not a lowercase UUID');
      return { item: it, index, problems: out };
    });
    return { problems, items };
  };

  // ---- keys, signed notes, checkpoints (section 3 step 3) ------------------------------------

  const validKeyName = (name) => name !== '' && !/[\s+\u0000-\u001f\u007f]/.test(name);

  /** Parses a C2SP verifier key name+keyid+base64(0x01 || Ed25519 public key) and checks its id. */
  const parseKey = async (text, what) => {
    const first = text.indexOf('+');
    const second = first < 0 ? -1 : text.indexOf('+', first + 1);
    if (second < 0) throw new Problem(what + ' is not a verifier key of the form <name>+<key id>+<base64 key>.');
    const name = text.slice(0, first);
    const id = text.slice(first + 1, second);
    const data = fromBase64(text.slice(second + 1));
    if (!validKeyName(name)) throw new Problem(what + ' has a name that is not allowed (' + shown(name) + ').');
    if (!/^[0-9a-fA-F]{8}$/.test(id)) throw new Problem(what + ' has a key id that is not 8 hex digits.');
    if (!data) throw new Problem(what + ': the key is not valid base64.');
    if (data.length !== 33 || data[0] !== 1) throw new Problem(what + ' is not an Ed25519 key (type 01 with 32 bytes); only those are used for Accord logs.');
    const pub = data.slice(1);
    const expected = toHex((await digest(concat(utf8(name), Uint8Array.of(0x0a, 0x01), pub))).subarray(0, 4));
    if (expected !== id.toLowerCase()) {
      throw new Problem(what + ': its key id ' + id + ' does not belong to the key (it would be ' + expected + ').');
    }
    let cryptoKey;
    try {
      cryptoKey = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
    } catch (e) {
      throw new Problem('This browser cannot check Ed25519 signatures (' + (e && e.message) + '). Use a current version of Chrome, Edge, Firefox or Safari.');
    }
    return { name, id: expected, pub, cryptoKey, label: name + '+' + expected };
  };

  /** Parses checkpoint.txt (a C2SP signed note) and checks its signature with the key, if any. */
  const readCheckpoint = async (bytes, key, log) => {
    const where = 'bundle/checkpoint.txt';
    const text = decodeUtf8(bytes, where);
    if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) throw new Problem(where + ' contains control characters.');
    const split = text.lastIndexOf('\n\n');
    if (split < 0) throw new Problem(where + ' is not a signed note: there is no blank line before the signatures.');
    const body = text.slice(0, split + 1);
    const block = text.slice(split + 2);
    if (block === '' || !block.endsWith('\n')) throw new Problem(where + ' is not a signed note: its signatures must end with a newline.');
    const lines = body.slice(0, -1).split('\n');
    if (lines.length !== 3) {
      throw new Problem(where + ' must have exactly three lines before its signatures (origin, tree size, root hash); it has ' + lines.length + '.');
    }
    const [origin, sizeText, rootText] = lines;
    if (!DECIMAL.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new Problem(where + ': the tree size ' + shown(sizeText) + ' is not a decimal number.');
    const root = fromBase64(rootText);
    if (!root || root.length !== 32) throw new Problem(where + ': the root hash is not 32 bytes in base64.');
    const checkpoint = { text, origin, size: Number(sizeText), root, rootText, verified: false, signatureOk: false, problems: [] };
    if (origin !== log) checkpoint.problems.push(where + ' is a checkpoint of the log ' + shown(origin) + ', not of the bundle\'s log ' + shown(log) + '.');
    const signers = [];
    let matched = 0;
    let good = 0;
    const sigLines = block.slice(0, -1).split('\n');
    if (sigLines.length > 100) throw new Problem(where + ' has more than 100 signature lines.');
    for (const line of sigLines) {
      if (!line.startsWith(EM_DASH + ' ')) throw new Problem(where + ': a signature line does not start with an em dash and a space.');
      const rest = line.slice(2);
      const space = rest.indexOf(' ');
      const name = space > 0 ? rest.slice(0, space) : '';
      const raw = space > 0 ? fromBase64(rest.slice(space + 1)) : null;
      if (!validKeyName(name) || !raw || raw.length < 5) throw new Problem(where + ': a signature line is not "<em dash> <key name> <base64 signature>".');
      const id = toHex(raw.subarray(0, 4));
      signers.push(name + '+' + id);
      if (key && name === key.name && id === key.id) {
        matched++;
        const signature = raw.slice(4);
        if (signature.length === 64 && (await crypto.subtle.verify('Ed25519', key.cryptoKey, signature, utf8(body)))) good++;
      }
    }
    if (!key) checkpoint.problems.push('The signature of ' + where + ' could not be checked: there is no usable verifier key.');
    else if (matched === 0) checkpoint.problems.push(where + ' is not signed by the key ' + key.label + ' (it is signed by ' + signers.join(', ') + ').');
    else if (good < matched) checkpoint.problems.push('The signature on ' + where + ' by ' + key.label + ' is not valid: the checkpoint was changed, or signed by another key.');
    else {
      checkpoint.signatureOk = true;
      checkpoint.verified = checkpoint.problems.length === 0;
    }
    return checkpoint;
  };

  // ---- inclusion proofs (section 4; RFC 9162 section 2.1.3.2) --------------------------------

  const rootFromProof = async (index, size, leaf, proof) => {
    let fn = index;
    let sn = size - 1;
    let r = leaf;
    for (const p of proof) {
      if (sn === 0) return null;
      if (fn % 2 === 1 || fn === sn) {
        r = await digest(concat(Uint8Array.of(1), p, r));
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      } else {
        r = await digest(concat(Uint8Array.of(1), r, p));
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 ? r : null;
  };

  /** What is wrong with an event's .tlog-proof, or null when it leads to the checkpoint root. */
  const proofProblem = async (bytes, leafIndex, eventBytes, checkpoint) => {
    let text;
    try {
      text = decodeUtf8(bytes, 'the inclusion proof');
    } catch (e) {
      return e.message;
    }
    const blank = text.indexOf('\n\n');
    if (blank < 0) return 'the inclusion proof is malformed: there is no blank line before its checkpoint';
    const lines = text.slice(0, blank).split('\n');
    if (lines[0] !== 'c2sp.org/tlog-proof@v1') return 'the inclusion proof does not start with c2sp.org/tlog-proof@v1';
    let at = 1;
    if (lines[at] !== undefined && /^extra [A-Za-z0-9+\/=]*$/.test(lines[at])) at++;
    const m = /^index (0|[1-9][0-9]*)$/.exec(lines[at] || '');
    if (!m) return 'the inclusion proof has no valid "index" line';
    if (Number(m[1]) !== leafIndex) return 'the inclusion proof is for leaf ' + m[1] + ', not leaf ' + leafIndex;
    const hashes = [];
    for (const line of lines.slice(at + 1)) {
      const h = fromBase64(line);
      if (!h || h.length !== 32) return 'the inclusion proof has a line that is not a base64 SHA-256 hash';
      hashes.push(h);
    }
    if (hashes.length > 63) return 'the inclusion proof has more hashes than any tree needs';
    if (!checkpoint) return 'the inclusion proof cannot be checked, because bundle/checkpoint.txt could not be read';
    if (text.slice(blank + 2) !== checkpoint.text) return 'the inclusion proof carries a different checkpoint from bundle/checkpoint.txt';
    if (leafIndex >= checkpoint.size) return 'leaf ' + leafIndex + ' is outside the checkpoint\'s tree of ' + fmtInt(checkpoint.size) + ' leaves';
    const leaf = await digest(concat(Uint8Array.of(0), eventBytes));
    const root = await rootFromProof(leafIndex, checkpoint.size, leaf, hashes);
    if (root === null) return 'the inclusion proof has the wrong number of hashes for leaf ' + leafIndex + ' in a tree of ' + fmtInt(checkpoint.size) + ' leaves';
    if (!sameBytes(root, checkpoint.root)) return 'inclusion proof does not lead to the checkpoint root';
    return null;
  };

  // ---- events (custody-log.md section 1.1) ---------------------------------------------------

  const eventShape = (d) => {
    const out = keyProblems(d, ['type', 'v', 'log', 'id', 'item', 'itemId', 'case', 'action', 'at', 'actor', 'details', 'private', 'prev'], 'the event');
    if (out.length) return out;
    if (d.type !== 'accord.custody-event' || d.v !== 1) out.push('it is not an accord.custody-event of version 1');
    for (const k of ['log', 'id', 'itemId', 'case']) if (typeof d[k] !== 'string') out.push('its ' + k + ' is not text');
    if (typeof d.item !== 'string' || !HEX64.test(d.item)) out.push('its item is not a SHA-256');
    if (!ACTIONS.includes(d.action)) out.push('its action ' + shown(d.action) + ' is unknown');
    if (typeof d.at !== 'string' || !ISO_MS.test(d.at)) out.push('its time is not an ISO 8601 UTC time with milliseconds');
    const a = d.actor;
    const ap = keyProblems(a, ['org', 'user', 'via'], 'its actor');
    out.push(...ap);
    if (!ap.length && (!['web', 'api', 'cli'].includes(a.via) || (a.org !== null && typeof a.org !== 'string') || (a.user !== null && typeof a.user !== 'string'))) {
      out.push('its actor is malformed');
    }
    if (!isObject(d.details) || Object.values(d.details).some((v) => v !== null && !['string', 'number', 'boolean'].includes(typeof v))) {
      out.push('its details are not an object of plain values');
    }
    if (d.private !== null && (typeof d.private !== 'string' || !HEX64.test(d.private))) out.push('its private is neither null nor a SHA-256');
    if (d.prev !== null && (typeof d.prev !== 'string' || !HEX64.test(d.prev))) out.push('its prev is neither null nor a SHA-256');
    return out;
  };

  // ---- one item (section 6 steps 1, 4, 5, 6) -------------------------------------------------

  const checkItem = async (entry, ctx) => {
    const item = entry.item;
    const fails = [];
    const prefix = 'bundle/items/' + item.itemId + '/';
    const member = (rel) => ctx.members.get(prefix + rel);
    const read = async (m, limit, what) => {
      if (m.size > limit) throw new Problem(what + ' is larger than ' + fmtBytes(limit) + ', more than such a file may be');
      return ctx.reader.bytes(m.offset, m.size);
    };
    const attempt = async (fn) => {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof Problem) {
          fails.push(e.message);
          return undefined;
        }
        throw e;
      }
    };

    // Members: only those section 2 allows for this item.
    const leaves = new Set(item.events.map((e) => String(e.leafIndex)));
    for (const m of ctx.itemMembers.get(item.itemId) || []) {
      const rel = m.name.slice(prefix.length);
      const ev = /^events\/(\d+)\./.exec(rel);
      if (rel === 'content' && !item.content) fails.push('its content is in the bundle, but the manifest says it was left out');
      else if (ev && !leaves.has(ev[1])) fails.push(m.name + ' is not one of the item\'s listed events');
    }

    // Events, in order.
    const docs = [];
    let prevHash = null;
    let prevKnown = true;
    let caseId = null;
    for (let i = 0; i < item.events.length; i++) {
      ctx.alive();
      const listed = item.events[i];
      const label = 'event ' + (i + 1) + ' (leaf ' + listed.leafIndex + ')';
      const base = 'events/' + listed.leafIndex;
      const slot = { label, listed, doc: null, record: null };
      docs.push(slot);
      const em = member(base + '.json');
      if (!em) {
        fails.push(label + ': ' + prefix + base + '.json is missing');
        prevKnown = false;
        continue;
      }
      if (em.size > LIMIT.event) {
        fails.push(label + ': the event is larger than 16,384 bytes');
        prevKnown = false;
        continue;
      }
      const bytes = await ctx.reader.bytes(em.offset, em.size);
      const hash = toHex(await digest(bytes));
      let doc = null;
      try {
        doc = parseCanonical(bytes, 'the event');
      } catch (e) {
        if (!(e instanceof Problem)) throw e;
        fails.push(label + ': ' + e.message);
      }
      const shape = doc === null ? ['unreadable'] : eventShape(doc);
      if (doc !== null) for (const p of shape) fails.push(label + ': ' + p);
      if (doc !== null && shape.length === 0) {
        slot.doc = doc;
        if (doc.id !== listed.id) fails.push(label + ': its id is ' + doc.id + ', but the manifest lists ' + listed.id);
        if (doc.itemId !== item.itemId) fails.push(label + ': it is an event of another item (' + shown(doc.itemId) + ')');
        if (doc.item !== item.sha256) fails.push(label + ': it names other bytes (SHA-256 ' + doc.item + ') than the manifest');
        if (doc.log !== ctx.log) fails.push(label + ': it belongs to another log (' + shown(doc.log) + ')');
        if (caseId === null) caseId = doc.case;
        else if (doc.case !== caseId) fails.push(label + ': it names another case than the events before it');
        if (i === 0 && doc.prev !== null) fails.push(label + ': prev should be null for the item\'s first event, so earlier events are left out');
        else if (i > 0 && prevKnown && doc.prev !== prevHash) fails.push(label + ': prev is not the SHA-256 of event ' + i + ' (the chain of events is broken)');
        // The private record.
        const pm = member(base + '.private.json');
        if (doc.private === null) {
          if (pm) fails.push(label + ': ' + prefix + base + '.private.json is present, but the event has no private record');
        } else if (!pm) fails.push(label + ': its private record (' + prefix + base + '.private.json) is missing');
        else {
          await attempt(async () => {
            const rb = await read(pm, LIMIT.record, label + ': its private record');
            if (toHex(await digest(rb)) !== doc.private) throw new Problem(label + ': its private record does not match the SHA-256 in the event');
            slot.record = parseCanonical(rb, label + ': its private record');
          });
        }
      }
      // The inclusion proof.
      const proof = member(base + '.tlog-proof');
      if (!proof) fails.push(label + ': its inclusion proof (' + prefix + base + '.tlog-proof) is missing');
      else {
        await attempt(async () => {
          const problem = await proofProblem(await read(proof, LIMIT.proof, label + ': its inclusion proof'), listed.leafIndex, bytes, ctx.checkpoint);
          if (problem) fails.push(label + ': ' + problem);
        });
      }
      prevHash = hash;
      prevKnown = true;
    }

    // The export event ends the list.
    const lastListed = item.events[item.events.length - 1];
    const lastDoc = docs[docs.length - 1].doc;
    if (lastListed.id !== item.exportEvent) fails.push('the last listed event is not the export event the manifest names (' + item.exportEvent + ')');
    if (lastDoc && lastDoc.action !== 'exported') fails.push('the last listed event is a "' + lastDoc.action + '" event, not "exported"');
    if (lastDoc && lastDoc.action === 'exported') {
      // What the page shows about the export must be what the export events record.
      const last = docs[docs.length - 1];
      const ex = ctx.manifest.export;
      const differ = [];
      if (lastDoc.at !== ctx.manifest.createdAt) differ.push('time (createdAt)');
      if (isObject(last.record)) {
        for (const k of ['recipient', 'purpose', 'legalBasis']) if (has(last.record, k) && canonOrNull(last.record[k]) !== canonOrNull(ex[k])) differ.push(k);
      }
      if (has(lastDoc.details, 'derivedOnly') && lastDoc.details.derivedOnly !== ex.derivedOnly) differ.push('derivedOnly');
      if (differ.length) fails.push(last.label + ': the export event records another ' + differ.join(', ') + ' than the manifest');
      // The files for people are committed to by hash in every export event (format section 6, step 6).
      if (!ctx.peopleFiles) {
        ctx.peopleFiles = (async () => {
          const out = {};
          for (const [key, name] of [['indexHtml', 'bundle/index.html'], ['indexCsv', 'bundle/index.csv'], ['verifyHtml', 'bundle/verify.html']]) {
            const m = ctx.members.get(name);
            out[key] = m && m.size <= 64 * 1024 * 1024 ? toHex(await digest(await ctx.reader.bytes(m.offset, m.size))) : null;
          }
          return out;
        })();
      }
      const files = await ctx.peopleFiles;
      const changed = [['indexHtml', 'index.html'], ['indexCsv', 'index.csv'], ['verifyHtml', 'verify.html']]
        .filter(([key]) => lastDoc.details[key] !== files[key])
        .map(([, name]) => name);
      if (changed.length) fails.push(changed.join(', ') + (changed.length === 1 ? ' is' : ' are') + ' not the file the export event recorded (' + last.label + ')');
    }

    // Derivation (step 6).
    const first = docs[0].doc;
    if (item.derivedFrom) {
      const d = item.derivedFrom;
      if (!first || first.action !== 'derived') fails.push('the manifest says it is derived from item ' + d.itemId + ', but its first event is not a "derived" event');
      else {
        if (first.details.fromItemId !== d.itemId) fails.push('its "derived" event names another original item than the manifest');
        if (first.details.from !== d.sha256) fails.push('its "derived" event names another original SHA-256 than the manifest');
        if (first.details.toItemId !== item.itemId) fails.push('its "derived" event was made for another item');
      }
    }

    // metadata.json against the registration and the collections (step 6).
    const mm = member('metadata.json');
    let meta = null;
    if (!mm) fails.push(prefix + 'metadata.json is missing');
    else {
      await attempt(async () => {
        const value = parseJson(await read(mm, LIMIT.metadata, 'metadata.json'), 'metadata.json').value;
        if (!isObject(value)) throw new Problem('metadata.json is not a JSON object');
        if (!has(value, 'metadata')) throw new Problem('metadata.json has no "metadata"');
        if (!Array.isArray(value.problems) || value.problems.some((p) => typeof p !== 'string')) throw new Problem('metadata.json has no list of "problems" (text)');
        if (!Array.isArray(value.captures) || value.captures.some((c) => !isObject(c))) throw new Problem('metadata.json has no list of "captures"');
        meta = value;
      });
    }
    const reg = docs.find((s) => s.doc && s.doc.action === 'registered');
    if (!reg) fails.push('none of its listed events is its "registered" event');
    else if (!isObject(reg.record)) fails.push(reg.label + ': the "registered" event has no readable private record');
    else {
      if (meta) {
        await attempt(async () => {
          let text;
          try {
            text = canon({ metadata: meta.metadata, problems: meta.problems });
          } catch (e) {
            if (e instanceof Problem) throw new Problem('metadata.json ' + e.message);
            throw e;
          }
          if (toHex(await digest(utf8(text))) !== reg.record.metadata) {
            throw new Problem('metadata.json does not match what was recorded when the item was registered (' + reg.label + ')');
          }
        });
      }
      // What the page shows (kind, size, media type, title) must be what the custody events record:
      // the registration, then any later edit of the title (custody-log.md sections 1.2 and 1.3).
      const rd = reg.doc.details;
      const differ = [];
      if (rd.kind !== item.kind) differ.push('kind');
      if (rd.size !== item.size) differ.push('size');
      if (rd.mediaType !== item.mediaType) differ.push('media type');
      let title = reg.record.title;
      for (const s of docs.slice(docs.indexOf(reg) + 1)) {
        if (s.doc && s.doc.action === 'metadata_edited' && isObject(s.record) && isObject(s.record.after) && typeof s.record.after.title === 'string') title = s.record.after.title;
      }
      if (title !== item.title) differ.push('title');
      // metadata.json's descriptive fields too: the registration, then later edits (step 7).
      let description = typeof reg.record.description === 'string' ? reg.record.description : '';
      for (const s of docs.slice(docs.indexOf(reg) + 1)) {
        if (s.doc && s.doc.action === 'metadata_edited' && isObject(s.record) && isObject(s.record.after) && typeof s.record.after.description === 'string') description = s.record.after.description;
      }
      if (meta) {
        const md = [];
        const same = (a, b) => (a === undefined ? null : a) === (b === undefined ? null : b);
        if (meta.itemId !== item.itemId) md.push('item id');
        if (meta.title !== title) md.push('title');
        if (!same(meta.description, description)) md.push('description');
        if (meta.mediaType !== rd.mediaType) md.push('media type');
        if (!same(meta.capturedAt, reg.record.capturedAt)) md.push('capture time');
        if (!same(meta.latitude, reg.record.latitude)) md.push('latitude');
        if (!same(meta.longitude, reg.record.longitude)) md.push('longitude');
        if (md.length) fails.push('metadata.json: its ' + md.join(', ') + ' differ' + (md.length === 1 ? 's' : '') + ' from what its custody events record');
      }
      if (differ.length) fails.push('the manifest\'s ' + differ.join(', ') + ' differ' + (differ.length === 1 ? 's' : '') + ' from what its custody events record');
      const recorded = has(rd, 'derivedFrom') ? rd.derivedFrom : null;
      const expected = item.derivedFrom ? item.derivedFrom.itemId : null;
      if (recorded !== expected) fails.push(reg.label + ': the registration records derivedFrom ' + shown(recorded) + ', but the manifest says ' + shown(expected));
    }
    if (meta) {
      meta.captures.forEach((c, k) => {
        const what = 'capture record ' + (k + 1) + ' in metadata.json';
        const slot = docs.find((s) => s.doc && s.doc.id === c.eventId);
        if (!slot) fails.push(what + ' names an event that is not among the item\'s listed events');
        else if (slot.doc.action !== 'collected') fails.push(what + ' names ' + slot.label + ', which is not a "collected" event');
        else if (!isObject(slot.record)) fails.push(what + ': ' + slot.label + ' has no readable private record');
        else {
          const differ = CAPTURE_FIELDS.filter((f) => !has(c, f) || !has(slot.record, f) || canonOrNull(c[f]) !== canonOrNull(slot.record[f]));
          if (differ.length) fails.push(what + ' differs from the private record of ' + slot.label + ' in: ' + differ.join(', '));
        }
      });
    }

    // The bytes (step 4).
    const cm = member('content');
    if (item.content) {
      if (!cm) fails.push('its content (' + prefix + 'content) is missing');
      else if (cm.size !== item.size) fails.push('its content is ' + fmtBytes(cm.size) + ', but the manifest says ' + fmtBytes(item.size));
      else {
        const hash = await hashContent(ctx, cm, item);
        if (hash !== item.sha256) fails.push('content hash does not match: the bytes in the bundle have SHA-256 ' + hash);
      }
    } else if (!(item.kind === 'original' && ctx.manifest.export.derivedOnly === true)) {
      fails.push('the manifest leaves its content out, but only originals in a derived-only export may be left out');
    }
    return fails;
  };

  const canonOrNull = (v) => {
    try {
      return canon(v === undefined ? null : v);
    } catch {
      return '\u0000invalid';
    }
  };

  const wholeDigestLimit = () => {
    const n = Number(document.documentElement.dataset.wholeDigestLimit);
    return Number.isFinite(n) && n >= 0 ? n : 64 * MiB;
  };

  /** SHA-256 of a content member: whole by WebCrypto up to the limit, else streamed in slices. */
  const hashContent = async (ctx, m, item) => {
    if (m.size <= wholeDigestLimit()) return toHex(await digest(await ctx.reader.exact(m.offset, m.size)));
    const h = new Sha256();
    for (let at = 0; at < m.size; at += SLICE) {
      ctx.alive();
      const n = Math.min(SLICE, m.size - at);
      h.update(await ctx.reader.exact(m.offset + at, n));
      ctx.progress(ctx.done + at + n, 'Computing the SHA-256 of "' + item.title + '": ' + Math.floor(((at + n) / m.size) * 100) + '%');
    }
    return toHex(h.digest());
  };

  // ---- the page ------------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);
  const ui = {
    file: $('file'),
    key: $('vkey'),
    run: $('run'),
    drop: $('drop'),
    status: $('status'),
    progress: $('progress'),
    results: $('results'),
    verdict: $('verdict'),
    facts: $('bundle-facts'),
    problems: $('bundle-problems'),
    rows: $('item-rows'),
    itemsNote: $('items-note'),
  };
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : String(c));
    return e;
  };
  const setStatus = (text) => {
    ui.status.textContent = text;
  };
  const fact = (term, ...value) => {
    ui.facts.append(el('dt', null, term), el('dd', null, ...value));
  };

  /** One run: checks the file and fills the page. A newer run makes this one stop. */
  let runs = 0;
  let chosen = null;

  const verifyFile = async (file) => {
    const token = ++runs;
    chosen = file;
    ui.run.disabled = false;
    const alive = () => {
      if (token !== runs) throw new Cancelled();
    };
    document.documentElement.dataset.state = 'running';
    for (const list of [ui.facts, ui.problems, ui.rows]) list.replaceChildren();
    ui.itemsNote.hidden = true;
    ui.verdict.className = 'verdict';
    ui.verdict.textContent = 'Checking...';
    delete ui.verdict.dataset.verdict;
    ui.results.hidden = false;
    ui.results.setAttribute('aria-busy', 'true');
    const bundleProblems = [];
    const problem = (text) => {
      bundleProblems.push(text);
      ui.problems.append(el('li', null, text));
    };
    let failedItems = 0;
    let items = 0;
    try {
      await run(file, ui.key.value.trim(), alive, problem, (ok) => {
        items++;
        if (!ok) failedItems++;
      });
    } catch (e) {
      if (e instanceof Cancelled) return;
      problem(e instanceof Problem ? e.message : 'The verifier could not finish: ' + (e && e.message ? e.message : String(e)) + '. The bundle is not verified.');
    }
    if (token !== runs) return;
    ui.progress.hidden = true;
    ui.results.removeAttribute('aria-busy');
    const valid = bundleProblems.length === 0 && failedItems === 0 && items > 0;
    ui.verdict.dataset.verdict = valid ? 'valid' : 'invalid';
    ui.verdict.className = 'verdict ' + (valid ? 'ok' : 'bad');
    ui.verdict.textContent = valid
      ? 'The bundle is valid: ' + (items === 1 ? 'its one item was verified.' : 'every one of its ' + fmtInt(items) + ' items was verified.')
      : 'The bundle is NOT valid: ' + [
          bundleProblems.length ? bundleProblems.length + (bundleProblems.length === 1 ? ' problem' : ' problems') + ' with the bundle' : '',
          failedItems ? failedItems + ' of ' + items + (items === 1 ? ' item' : ' items') + ' failed' : '',
        ].filter(Boolean).join(', ') + '. Details are below.';
    setStatus('Finished. ' + (valid ? 'The bundle is valid.' : 'The bundle is NOT valid.'));
    document.documentElement.dataset.state = 'done';
  };

  const run = async (file, enteredKey, alive, problem, counted) => {
    setStatus('Checking the verifier itself...');
    if (!window.crypto || !crypto.subtle) throw new Problem('This browser does not offer WebCrypto here, so nothing can be verified. Open the page in a current version of Chrome, Edge, Firefox or Safari.');
    if (!(await selfTest)) throw new Problem('This browser computed a wrong SHA-256 in the verifier\'s self-test; it cannot be used to verify bundles.');
    alive();
    fact('File', file.name + ', ' + fmtBytes(file.size));
    fact('Checked', new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') + ', in this browser, without a network');

    const reader = new Reader(file);
    setStatus('Reading the list of files in the bundle...');
    const tar = await indexTar(reader, alive, setStatus);
    for (const p of tar.problems) problem(p);
    if (tar.fatal) problem(tar.fatal);
    const members = tar.members;

    // The manifest.
    let manifest = null;
    let shape = { problems: [], items: [] };
    const mm = members.get('bundle/manifest.json');
    if (!mm) problem(tar.fatal ? 'bundle/manifest.json could not be found.' : 'bundle/manifest.json is missing: this is not an Accord bundle.');
    else if (mm.size > LIMIT.manifest) problem('bundle/manifest.json is larger than 64 MiB.');
    else {
      try {
        manifest = parseJson(await reader.bytes(mm.offset, mm.size), 'bundle/manifest.json').value;
        try {
          parseCanonical(await reader.bytes(mm.offset, mm.size), 'bundle/manifest.json');
        } catch (e) {
          if (!(e instanceof Problem)) throw e;
          problem(e.message + '.');
        }
        shape = manifestShape(manifest);
        for (const p of shape.problems) problem(p.endsWith('.') ? p : p + '.');
      } catch (e) {
        if (!(e instanceof Problem)) throw e;
        problem(e.message + '.');
        manifest = null;
      }
    }
    const log = manifest && typeof manifest.log === 'string' ? manifest.log : null;
    if (log !== null) fact('Log', el('span', { class: 'mono' }, log));
    if (manifest && isObject(manifest.export)) {
      const ex = manifest.export;
      fact('Exported', String(manifest.createdAt).replace('T', ' ').replace(/\.\d+Z$/, ' UTC'), ' to ', String(ex.recipient));
      fact('Purpose', String(ex.purpose));
      fact('Legal basis', ex.legalBasis === null ? 'none given' : String(ex.legalBasis));
      if (ex.derivedOnly === true) fact('Scope', 'derived copies only (originals left out)');
    }

    // The members against the manifest (step 1).
    const itemIndex = new Map();
    for (const entry of shape.items) if (isObject(entry.item) && typeof entry.item.itemId === 'string') itemIndex.set(entry.item.itemId, entry);
    const itemMembers = new Map();
    const strays = new Map();
    for (const m of tar.order) {
      if (!m.item) continue;
      if (itemIndex.has(m.item)) {
        if (!itemMembers.has(m.item)) itemMembers.set(m.item, []);
        itemMembers.get(m.item).push(m);
      } else strays.set(m.item, (strays.get(m.item) || 0) + 1);
    }
    if (manifest) {
      for (const [id, n] of strays) problem(fmtInt(n) + (n === 1 ? ' file' : ' files') + ' under bundle/items/' + id + '/ belong to no item in the manifest.');
      for (const name of FIRST_MEMBERS) if (!members.has(name) && name !== 'bundle/manifest.json' && !tar.fatal) problem(name + ' is missing.');
      // Section 2 fixes the order of the members.
      if (!tar.fatal) {
        const expected = [...FIRST_MEMBERS];
        for (const entry of shape.items) {
          const it = entry.item;
          if (!isObject(it) || typeof it.itemId !== 'string' || !Array.isArray(it.events)) continue;
          const p = 'bundle/items/' + it.itemId + '/';
          expected.push(p + 'metadata.json');
          for (const ev of it.events) if (isObject(ev)) expected.push(p + 'events/' + ev.leafIndex + '.json', p + 'events/' + ev.leafIndex + '.private.json', p + 'events/' + ev.leafIndex + '.tlog-proof');
          expected.push(p + 'content');
        }
        expected.push(...LAST_MEMBERS);
        const present = expected.filter((name) => members.has(name));
        const known = new Set(present);
        const actual = tar.order.filter((m) => known.has(m.name)).map((m) => m.name);
        const i = present.findIndex((name, k) => actual[k] !== name);
        if (i >= 0) problem('The files of the bundle are not in the order section 2 of the format requires: ' + actual[i] + ' comes where ' + present[i] + ' should.');
      }
    }

    // The key and the checkpoint (step 3).
    let bundleKey = null;
    const vm = members.get('bundle/log.vkey');
    if (vm) {
      try {
        if (vm.size > LIMIT.vkey) throw new Problem('bundle/log.vkey is too large to be a key.');
        const text = decodeUtf8(await reader.bytes(vm.offset, vm.size), 'bundle/log.vkey');
        if (!text.endsWith('\n') || text.indexOf('\n') !== text.length - 1) throw new Problem('bundle/log.vkey must be one line ending with a newline.');
        bundleKey = await parseKey(text.slice(0, -1), 'The key in bundle/log.vkey');
      } catch (e) {
        if (!(e instanceof Problem)) throw e;
        problem(e.message);
      }
    }
    let key = null;
    let keySource = '';
    if (enteredKey) {
      try {
        key = await parseKey(enteredKey, 'The key you entered');
        keySource = 'entered';
        if (bundleKey && (bundleKey.name !== key.name || !sameBytes(bundleKey.pub, key.pub))) {
          problem('bundle/log.vkey holds the key ' + bundleKey.label + ', not the key you entered (' + key.label + '): the bundle carries a key other than the one you trust.');
        }
      } catch (e) {
        if (!(e instanceof Problem)) throw e;
        problem(e.message);
      }
    } else if (bundleKey) {
      key = bundleKey;
      keySource = 'bundle';
    }
    if (key && log !== null && key.name !== log) {
      problem('The key ' + key.label + ' is for the log ' + shown(key.name) + ', but the bundle comes from the log ' + shown(log) + '.');
      key = null;
    }
    let checkpoint = null;
    const cm = members.get('bundle/checkpoint.txt');
    if (cm && log !== null) {
      try {
        if (cm.size > LIMIT.checkpoint) throw new Problem('bundle/checkpoint.txt is too large to be a checkpoint.');
        checkpoint = await readCheckpoint(await reader.bytes(cm.offset, cm.size), key, log);
        for (const p of checkpoint.problems) problem(p);
      } catch (e) {
        if (!(e instanceof Problem)) throw e;
        problem(e.message);
      }
    }
    if (checkpoint) {
      fact('Checkpoint', 'tree size ' + fmtInt(checkpoint.size) + ', root ', el('span', { class: 'mono' }, checkpoint.rootText), ', origin ', el('span', { class: 'mono' }, checkpoint.origin));
    }
    if (key) {
      const how = keySource === 'entered'
        ? ' (the key you entered)'
        : ' (the key that came with the bundle, in bundle/log.vkey: a forger could replace it; for certainty, enter the key you got from the node\'s operator and verify again)';
      const ok = checkpoint && checkpoint.signatureOk;
      fact('Signed by', el('span', { class: 'mono' }, key.label), how + (ok ? ': the signature is valid' : ': the signature is NOT valid'));
    } else {
      fact('Signed by', 'not checked: there is no usable key');
    }

    // The items.
    if (tar.fatal) {
      if (shape.items.length) {
        ui.itemsNote.textContent = 'The items were not checked, because the bundle file is damaged (see above).';
        ui.itemsNote.hidden = false;
      }
      for (const entry of shape.items) {
        addRow(entry.item, ['not checked, because the bundle file itself is damaged (see "Bundle")']);
        counted(false);
      }
      return;
    }
    const anchored = checkpoint !== null && checkpoint.verified;
    const total = shape.items.reduce((n, e) => n + (isObject(e.item) && e.item.content === true && Number.isSafeInteger(e.item.size) ? e.item.size : 0), 0);
    const ctx = {
      reader,
      members,
      itemMembers,
      log,
      manifest,
      checkpoint,
      alive,
      done: 0,
      progress: (done, text) => {
        ui.progress.max = Math.max(total, 1);
        ui.progress.value = Math.min(done, total);
        ui.progress.setAttribute('aria-valuetext', text);
      },
    };
    ui.progress.hidden = total === 0;
    ui.progress.value = 0;
    ui.progress.max = Math.max(total, 1);
    for (const [k, entry] of shape.items.entries()) {
      alive();
      setStatus('Checking item ' + fmtInt(k + 1) + ' of ' + fmtInt(shape.items.length) + '...');
      let fails = entry.problems.slice();
      if (fails.length === 0 && log !== null && isObject(manifest.export)) {
        try {
          fails = await checkItem(entry, ctx);
        } catch (e) {
          if (e instanceof Cancelled) throw e;
          fails.push(e instanceof Problem ? e.message : 'the verifier could not finish checking it (' + (e && e.message) + ')');
        }
        if (fails.length === 0 && !anchored) fails.push('its events could not be checked against a signed checkpoint (see "Bundle")');
      } else if (fails.length === 0) {
        fails.push('not checked, because the manifest is not usable (see "Bundle")');
      }
      if (isObject(entry.item) && entry.item.content === true && Number.isSafeInteger(entry.item.size)) ctx.done += entry.item.size;
      ctx.progress(ctx.done, 'Checked ' + (k + 1) + ' of ' + shape.items.length + ' items');
      addRow(entry.item, fails);
      counted(fails.length === 0);
    }
  };

  const addRow = (item, fails) => {
    const it = isObject(item) ? item : {};
    const text = (v) => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));
    const ok = fails.length === 0;
    const result = ok
      ? el('td', { class: 'result' }, el('span', { class: 'ok' }, 'verified'), it.content === false ? ' (custody only: the content is not in this bundle)' : '')
      : el('td', { class: 'result' }, el('span', { class: 'bad' }, 'FAILED: '), fails.length === 1 ? fails[0] : el('ul', null, ...fails.map((f) => el('li', null, f))));
    const row = el('tr', { 'data-result': ok ? 'verified' : 'failed' },
      el('th', { scope: 'row' }, text(it.title) || '(no title)', el('span', { class: 'sub mono' }, text(it.itemId))),
      el('td', null, text(it.kind), it.derivedFrom && isObject(it.derivedFrom) ? el('span', { class: 'sub' }, 'derived from ' + text(it.derivedFrom.itemId)) : ''),
      el('td', { class: 'hash' }, text(it.sha256)),
      el('td', { class: 'size' }, Number.isSafeInteger(it.size) ? fmtBytes(it.size) : text(it.size)),
      result);
    if (typeof it.itemId === 'string') row.dataset.itemId = it.itemId;
    ui.rows.append(row);
  };

  // ---- wiring --------------------------------------------------------------------------------

  selfTest.then((ok) => {
    document.documentElement.dataset.selfTest = ok ? 'passed' : 'failed';
  });
  ui.file.addEventListener('change', () => {
    if (ui.file.files && ui.file.files.length === 1) verifyFile(ui.file.files[0]);
  });
  ui.run.addEventListener('click', () => {
    if (chosen) verifyFile(chosen);
  });
  const dragging = (e) => {
    if (!e.dataTransfer || !Array.from(e.dataTransfer.types || []).includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    ui.drop.classList.add('over');
  };
  document.addEventListener('dragenter', dragging);
  document.addEventListener('dragover', dragging);
  document.addEventListener('dragleave', (e) => {
    if (e.target === document.documentElement || e.target === ui.drop) ui.drop.classList.remove('over');
  });
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    ui.drop.classList.remove('over');
    const files = e.dataTransfer ? e.dataTransfer.files : null;
    if (!files || files.length === 0) return;
    if (files.length > 1) {
      setStatus('Drop one bundle file at a time.');
      return;
    }
    verifyFile(files[0]);
  });
  document.documentElement.dataset.state = 'ready';
})();
`;

const BODY = `<main>
<h1>Verify an Accord export bundle</h1>
<p>This page checks an evidence export bundle (a <code>.accord.tar</code> file) completely inside this browser.
Nothing is uploaded or sent anywhere: the page works without a network connection, and it is not allowed to
make any connection at all.</p>
<p>It checks that every item's bytes are unchanged, that each item's custody events are complete and in order,
and that every event is included in the log checkpoint signed by the node that exported the bundle.</p>
<section class="controls" aria-labelledby="h-key">
<h2 id="h-key">1. The log's verifier key (recommended)</h2>
<label for="vkey">Verifier key of the log</label>
<input id="vkey" type="text" spellcheck="false" autocomplete="off" autocapitalize="off" aria-describedby="vkey-help">
<p id="vkey-help" class="help">Paste the key you received from the node's operator through a channel you trust, for example
<code>evidence.example.org/accord+1a2b3c4d+AX1...</code>. Without it, the page uses the key that came inside the bundle,
which proves only that the bundle is consistent with itself.</p>
<h2 id="h-file">2. The bundle</h2>
<div id="drop" class="drop">
<label for="file">Choose the bundle file</label>
<input id="file" type="file" accept=".tar,application/x-tar">
<p class="help">or drag the file and drop it onto this page. Checking starts at once.</p>
</div>
<button id="run" type="button" disabled>Verify again</button>
</section>
<p id="status" role="status" aria-live="polite">Choose a bundle file to begin.</p>
<progress id="progress" hidden aria-label="Progress of the check"></progress>
<section id="results" hidden aria-labelledby="h-result">
<h2 id="h-result">Result</h2>
<p id="verdict" class="verdict"></p>
<h2 id="h-bundle">Bundle</h2>
<dl id="bundle-facts" class="facts"></dl>
<ul id="bundle-problems" class="problems" aria-label="Problems with the bundle"></ul>
<h2 id="h-items">Items</h2>
<p id="items-note" hidden></p>
<table aria-labelledby="h-items">
<caption>"Verified" means that the item's bytes, its custody events and their inclusion in the signed log all check out, and that its title, kind and size are the ones its custody events record.</caption>
<colgroup><col class="c-title"><col class="c-kind"><col class="c-hash"><col class="c-size"><col class="c-result"></colgroup>
<thead><tr><th scope="col">Title</th><th scope="col">Kind</th><th scope="col">SHA-256</th><th scope="col">Size</th><th scope="col">Result</th></tr></thead>
<tbody id="item-rows"></tbody>
</table>
</section>
<noscript><p>This verifier needs JavaScript. Allow scripts for this page, or check the bundle by hand as docs/bundle-format.md section 7 describes.</p></noscript>
</main>`;

const cspSource = (text: string): string =>
  `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** 64 MiB: contents up to this size are hashed whole by WebCrypto, larger ones streamed. */
const WHOLE_DIGEST_LIMIT = 64 * 1024 * 1024;

let built: string | undefined;

/**
 * The complete verify.html: markup, inline style and inline script, with a Content-Security-Policy
 * that admits exactly that style and script (by SHA-256) and nothing from anywhere else.
 */
export const verifyHtml = (): string => {
  if (built !== undefined) return built;
  for (const [what, text] of [
    ['script', SCRIPT],
    ['style', STYLE],
  ] as const) {
    // The hash covers the exact characters; the HTML parser must not change or end them early.
    if (/<\/(script|style)|<!--|[^\n -~]/i.test(text)) {
      throw new Error(
        `verify.html: the inline ${what} must be printable ASCII without closing tags or comments`,
      );
    }
  }
  const csp = [
    "default-src 'none'",
    `script-src ${cspSource(SCRIPT)}`,
    `style-src ${cspSource(STYLE)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  built = `<!doctype html>
<html lang="en" data-whole-digest-limit="${WHOLE_DIGEST_LIMIT}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verify an Accord export bundle</title>
<style>${STYLE}</style>
</head>
<body>
${BODY}
<script>${SCRIPT}</script>
</body>
</html>
`;
  return built;
};
