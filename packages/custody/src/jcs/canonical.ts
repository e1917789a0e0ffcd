/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): one exact byte string for every JSON value, so that
 * hashes and signatures over JSON are reproducible. Runs unchanged in Node and in browsers.
 *
 * JCS relies on I-JSON (RFC 7493): strings must be valid Unicode and object names unique, so lone
 * surrogates and duplicate keys are errors here, never silently repaired or dropped. Inputs are treated
 * as hostile: nesting depth and (for parsing) size are limited.
 */
import { equalBytes, utf8 } from '../bytes.ts';
import { CustodyError } from '../errors.ts';

/** Containers (arrays and objects) that may be nested inside each other; a bare scalar has depth 0. */
export const JCS_DEFAULT_MAX_DEPTH = 64;

/** Largest input `parseCanonical` reads by default: 1 MiB. */
export const JCS_DEFAULT_MAX_BYTES = 1024 * 1024;

export type CanonicalizeOptions = {
  /** Deepest allowed nesting of arrays and objects (default {@link JCS_DEFAULT_MAX_DEPTH}). */
  maxDepth?: number;
};

export type ParseCanonicalOptions = CanonicalizeOptions & {
  /** Longest accepted input in bytes (default {@link JCS_DEFAULT_MAX_BYTES}). */
  maxBytes?: number;
};

/**
 * Serialises a JSON value (null, booleans, finite numbers, strings, arrays and plain objects) in
 * RFC 8785 canonical form. Throws `CustodyError('not_canonical')` for anything JSON cannot carry
 * exactly: undefined, functions, symbols, bigints, NaN and ±Infinity, strings with lone surrogates,
 * array holes, symbol keys, non-plain objects (Date, Map, class instances…), cycles and nesting deeper
 * than `maxDepth`.
 *
 * @example
 * canonicalize({ b: [1, 2.50, 'é'], a: null }); // '{"a":null,"b":[1,2.5,"é"]}'
 */
export const canonicalize = (value: unknown, options: CanonicalizeOptions = {}): string => {
  const out: string[] = [];
  serialize(value, {
    out,
    path: [],
    ancestors: new Set(),
    maxDepth: options.maxDepth ?? JCS_DEFAULT_MAX_DEPTH,
  });
  return out.join('');
};

/**
 * The canonical form of `value` encoded as UTF-8 (RFC 8785 §3.2.4): the bytes to hash or sign.
 *
 * @example
 * const digest = await sha256(canonicalBytes({ kind: 'seal', seq: 7 }));
 */
export const canonicalBytes = (value: unknown, options: CanonicalizeOptions = {}): Uint8Array =>
  utf8(canonicalize(value, options));

/**
 * Parses bytes that must already be canonical JSON, and returns the value they encode. Throws
 * `CustodyError('malformed')` for input that is not strict JSON: over `maxBytes`, not valid UTF-8,
 * a syntax error, a duplicate object key, or nesting deeper than `maxDepth`. Throws
 * `CustodyError('not_canonical')` for valid JSON that is not byte-for-byte its own canonical form
 * (whitespace, unsorted keys, `1.0`, `"\/"`, …) or that JCS cannot represent (`1e400`, `"\ud800"`).
 *
 * @example
 * parseCanonical(utf8('{"a":1,"b":[true]}')); // { a: 1, b: [true] }
 * parseCanonical(utf8('{"b":1,"a":2}')); // throws CustodyError (not_canonical: keys unsorted)
 */
export const parseCanonical = (bytes: Uint8Array, options: ParseCanonicalOptions = {}): unknown => {
  const maxBytes = options.maxBytes ?? JCS_DEFAULT_MAX_BYTES;
  const maxDepth = options.maxDepth ?? JCS_DEFAULT_MAX_DEPTH;
  if (bytes.length > maxBytes) {
    throw new CustodyError('malformed', `JSON input is too large: ${bytes.length} bytes, limit ${maxBytes}`);
  }
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch (cause) {
    throw new CustodyError('malformed', 'JSON input is not valid UTF-8', { cause });
  }
  const value = parseJson(text, maxDepth);
  // RFC 8785 §3.2: the canonical form is unique, so the input is canonical iff re-serialising the
  // parsed value reproduces it exactly.
  const canonical = canonicalBytes(value, { maxDepth });
  if (!equalBytes(canonical, bytes)) {
    let at = 0;
    while (at < canonical.length && canonical[at] === bytes[at]) at++;
    throw new CustodyError(
      'not_canonical',
      `JSON input is not in RFC 8785 canonical form (first difference at byte ${at})`,
    );
  }
  return value;
};

// ---------------------------------------------------------------------------------------------------
// Serialisation (RFC 8785 §3.2)

type SerializeState = {
  out: string[];
  /** Object keys and array indexes from the root to the current value, for error messages. */
  path: (string | number)[];
  /** Containers currently being serialised: meeting one again means a cycle. */
  ancestors: Set<object>;
  maxDepth: number;
};

/** RFC 6901 JSON Pointer of the current value, so errors say where the problem is. */
const pointer = (path: readonly (string | number)[]): string =>
  path.length === 0
    ? 'the top level'
    : path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

const notJson = (state: SerializeState, what: string): CustodyError =>
  new CustodyError('not_canonical', `${what} (at ${pointer(state.path)})`);

const serialize = (value: unknown, state: SerializeState): void => {
  // §3.2.2.1: the JSON literals.
  if (value === null) {
    state.out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      state.out.push(value ? 'true' : 'false');
      return;
    case 'number':
      state.out.push(serializeNumber(value, state));
      return;
    case 'string':
      state.out.push(serializeString(value, state));
      return;
    case 'object':
      serializeContainer(value, state);
      return;
    case 'undefined':
      throw notJson(state, 'undefined is not a JSON value');
    case 'function':
      throw notJson(state, 'a function is not a JSON value');
    case 'symbol':
      throw notJson(state, 'a symbol is not a JSON value');
    case 'bigint':
      throw notJson(state, 'a bigint is not a JSON value (convert it to a string or a safe number)');
  }
  throw notJson(state, `a ${typeof value} is not a JSON value`);
};

/**
 * §3.2.2.3: numbers are IEEE 754 doubles written with the ECMAScript Number-to-String algorithm, which
 * is what `String(n)` implements for finite numbers; it already writes -0 as "0". NaN and Infinity have
 * no JSON form and are errors.
 */
const serializeNumber = (n: number, state: SerializeState): string => {
  if (!Number.isFinite(n)) throw notJson(state, `${n} is not a finite number and has no JSON form`);
  return String(n);
};

/**
 * §3.2.2.2: strings are escaped exactly as ECMAScript's JSON.stringify does (", \ and control
 * characters; \b \t \n \f \r in short form, other controls as lower-case \u00xx; everything else raw,
 * including "/" and non-ASCII). JSON.stringify would also escape lone surrogates, but JCS input must be
 * valid Unicode (§3.1, I-JSON), so those are rejected first.
 */
const serializeString = (s: string, state: SerializeState): string => {
  const bad = loneSurrogateAt(s);
  if (bad >= 0) {
    const unit = s.charCodeAt(bad).toString(16);
    throw notJson(state, `string has a lone surrogate U+${unit} at index ${bad}, which is not valid Unicode`);
  }
  return JSON.stringify(s);
};

/** Index of the first UTF-16 code unit that is half of a surrogate pair without its other half, or -1. */
const loneSurrogateAt = (s: string): number => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const next = s.charCodeAt(i + 1); // NaN past the end
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
};

/**
 * §3.2.3: property names are sorted by comparing them as arrays of UTF-16 code units (not code points,
 * not locale-aware); JavaScript's `<` on strings is exactly that comparison.
 */
const compareCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Names what a non-plain object is: "an instance of Date", "an instance of Point", … */
const describeNonPlain = (value: object): string => {
  const proto: unknown = Object.getPrototypeOf(value);
  const ctor =
    typeof proto === 'object' && proto !== null
      ? Object.getOwnPropertyDescriptor(proto, 'constructor')
      : undefined;
  const name = typeof ctor?.value === 'function' ? (ctor.value as { name: string }).name : '';
  return name ? `an instance of ${name}` : 'an object with a custom prototype';
};

const serializeContainer = (value: object, state: SerializeState): void => {
  const { out, path, ancestors } = state;
  if (ancestors.has(value)) throw notJson(state, 'the value is cyclic: it contains itself');
  if (ancestors.size >= state.maxDepth) {
    throw notJson(state, `nesting is deeper than the limit of ${state.maxDepth} arrays and objects`);
  }

  if (Array.isArray(value)) {
    ancestors.add(value);
    // §3.2.3: array elements keep their order.
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      path.push(i);
      if (!(i in value)) throw notJson(state, 'an array hole (missing element) is not a JSON value');
      serialize(value[i], state);
      path.pop();
    }
    out.push(']');
    ancestors.delete(value);
    return;
  }

  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw notJson(state, `${describeNonPlain(value)} is not a plain object or array and has no JSON form`);
  }
  if (Object.getOwnPropertySymbols(value).length > 0) {
    throw notJson(state, 'an object with symbol keys has no JSON form');
  }
  ancestors.add(value);
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort(compareCodeUnits);
  out.push('{');
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0) out.push(',');
    path.push(key);
    out.push(serializeString(key, state), ':');
    serialize(record[key], state);
    path.pop();
  }
  out.push('}');
  ancestors.delete(value);
};

// ---------------------------------------------------------------------------------------------------
// Strict parsing (RFC 8259 grammar, plus the I-JSON rules JCS needs)

/** Fatal: invalid UTF-8 throws instead of becoming U+FFFD. ignoreBOM: a BOM is kept, and so rejected. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** RFC 8259 §6 number grammar. */
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/**
 * Parses any RFC 8259 JSON text (whitespace included: rejecting it is the canonical check's job), but
 * unlike JSON.parse rejects duplicate object keys (RFC 7493 §2.3) and limits nesting depth.
 */
const parseJson = (text: string, maxDepth: number): unknown => {
  let pos = 0;

  const malformed = (what: string): CustodyError =>
    new CustodyError('malformed', `invalid JSON: ${what} at character ${pos}`);

  const skipWhitespace = (): void => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      pos++;
    }
  };

  const expect = (char: string): void => {
    skipWhitespace();
    if (text[pos] !== char) throw malformed(`expected '${char}'`);
    pos++;
  };

  const parseString = (): string => {
    pos++; // opening quote
    let out = '';
    let start = pos;
    for (;;) {
      if (pos >= text.length) throw malformed('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos++;
        return out;
      }
      if (c < 0x20) throw malformed('raw control character in a string');
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(start, pos);
      const escaped = text[pos + 1] ?? '';
      if (escaped === 'u') {
        const hex = text.slice(pos + 2, pos + 6);
        if (!HEX4.test(hex)) throw malformed('bad \\u escape');
        // May produce a lone surrogate; canonicalisation rejects it afterwards.
        out += String.fromCharCode(Number.parseInt(hex, 16));
        pos += 6;
      } else {
        const decoded = SHORT_ESCAPES[escaped];
        if (decoded === undefined) throw malformed('unknown escape');
        out += decoded;
        pos += 2;
      }
      start = pos;
    }
  };

  const parseValue = (depth: number): unknown => {
    skipWhitespace();
    const c = text[pos];
    if (c === '{' || c === '[') {
      if (depth >= maxDepth) {
        throw malformed(`nesting deeper than the limit of ${maxDepth} arrays and objects`);
      }
      return c === '{' ? parseObject(depth + 1) : parseArray(depth + 1);
    }
    if (c === '"') return parseString();
    for (const [literal, value] of LITERALS) {
      if (text.startsWith(literal, pos)) {
        pos += literal.length;
        return value;
      }
    }
    NUMBER.lastIndex = pos;
    const match = NUMBER.exec(text);
    if (match === null) {
      throw malformed(pos >= text.length ? 'unexpected end of input' : 'unexpected character');
    }
    pos += match[0].length;
    return Number(match[0]);
  };

  const parseArray = (depth: number): unknown[] => {
    pos++; // [
    const items: unknown[] = [];
    skipWhitespace();
    if (text[pos] === ']') {
      pos++;
      return items;
    }
    for (;;) {
      items.push(parseValue(depth));
      skipWhitespace();
      if (text[pos] === ']') {
        pos++;
        return items;
      }
      expect(',');
    }
  };

  const parseObject = (depth: number): Record<string, unknown> => {
    pos++; // {
    const obj: Record<string, unknown> = {};
    skipWhitespace();
    if (text[pos] === '}') {
      pos++;
      return obj;
    }
    for (;;) {
      skipWhitespace();
      if (text[pos] !== '"') throw malformed('expected a string key');
      const keyAt = pos;
      const key = parseString();
      // RFC 7493 §2.3 (required by RFC 8785 §3.1): names must be unique. JSON.parse would keep the last.
      if (Object.hasOwn(obj, key)) {
        pos = keyAt;
        throw malformed(`duplicate key ${JSON.stringify(key.slice(0, 64))}`);
      }
      expect(':');
      // defineProperty, not assignment: a "__proto__" key must stay data, not replace the prototype.
      Object.defineProperty(obj, key, {
        value: parseValue(depth),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      skipWhitespace();
      if (text[pos] === '}') {
        pos++;
        return obj;
      }
      expect(',');
    }
  };

  const value = parseValue(0);
  skipWhitespace();
  if (pos < text.length) throw malformed('trailing data after the JSON value');
  return value;
};

const LITERALS: readonly (readonly [string, unknown])[] = [
  ['true', true],
  ['false', false],
  ['null', null],
];
