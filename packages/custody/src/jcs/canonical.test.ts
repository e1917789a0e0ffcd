import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8 } from '../bytes.ts';
import { CustodyError, type CustodyErrorCode } from '../errors.ts';
import {
  canonicalBytes,
  canonicalize,
  JCS_DEFAULT_MAX_BYTES,
  JCS_DEFAULT_MAX_DEPTH,
  parseCanonical,
} from './canonical.ts';

const throwsCustody = (fn: () => unknown, code: CustodyErrorCode, message?: RegExp): void => {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CustodyError, `expected a CustodyError, got ${String(e)}`);
    assert.equal(e.code, code, `code of "${e.message}"`);
    if (message) assert.match(e.message, message);
    return true;
  });
};

/** An IEEE 754 double from its 16-hex-digit bit pattern, as RFC 8785 Appendix B lists them. */
const fromBits = (hex: string): number => {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
};

const nested = (depth: number, leaf: unknown = 0): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
};

describe('RFC 8785 §3.2.2: sample input and output', () => {
  // The input deliberately uses whitespace, exponents, trailing zeros and needless escapes.
  const input = String.raw`{
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  }`;
  const expected = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;

  it('canonicalises the parsed sample to the RFC output', () => {
    assert.equal(canonicalize(JSON.parse(input)), expected);
  });

  it('encodes the output as UTF-8 (§3.2.4): € is e2 82 ac', () => {
    const bytes = canonicalBytes(JSON.parse(input));
    assert.deepEqual(bytes, utf8(expected));
    const euro = expected.indexOf('€');
    assert.deepEqual([...bytes.slice(euro, euro + 3)], [0xe2, 0x82, 0xac]);
  });

  it('parseCanonical accepts the output and rejects the input', () => {
    assert.deepEqual(parseCanonical(utf8(expected)), JSON.parse(input));
    throwsCustody(() => parseCanonical(utf8(input)), 'not_canonical');
  });
});

describe('RFC 8785 §3.2.3: sorting of object properties', () => {
  const input = String.raw`{
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  }`;

  it('sorts keys by UTF-16 code units', () => {
    const out = canonicalize(JSON.parse(input));
    // Read the values in text order (Object.values would move the integer-like key "1" first).
    const values = [...out.matchAll(/:"([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(values, [
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
    assert.equal(
      out,
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",' +
        '"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('orders a surrogate pair before a higher BMP character (code units, not code points)', () => {
    // U+1F600 is 0xD83D 0xDE00 in UTF-16; by code point it would sort after U+FF61, by code unit before.
    assert.equal(canonicalize({ '\uff61': 1, '😀': 2 }), '{"😀":2,"\uff61":1}');
  });

  it('is not locale-aware and puts a prefix first', () => {
    assert.equal(
      canonicalize({ b: 1, a: 2, B: 3, aa: 4, A: 5, '': 6 }),
      '{"":6,"A":5,"B":3,"a":2,"aa":4,"b":1}',
    );
  });

  it('sorts integer-like keys as strings, not in JavaScript property order', () => {
    // JS enumerates integer keys first, in numeric order: { 10, 9 } → "9", "10".
    assert.equal(canonicalize({ 10: 'x', 9: 'y', a: 'z' }), '{"10":"x","9":"y","a":"z"}');
  });

  it('sorts recursively and keeps array order', () => {
    assert.equal(
      canonicalize({ b: [{ z: 1, a: 2 }, [3, 1, 2], {}], a: { y: { d: null, c: true } } }),
      '{"a":{"y":{"c":true,"d":null}},"b":[{"a":2,"z":1},[3,1,2],{}]}',
    );
  });
});

describe('RFC 8785 Appendix B: number serialisation samples', () => {
  const samples: [string, string][] = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'], // minus zero
    ['0000000000000001', '5e-324'], // min positive subnormal
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'], // max double
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'], // 2^53
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'], // 2^68
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  for (const [bits, text] of samples) {
    it(`${bits} → ${text}`, () => {
      assert.equal(canonicalize(fromBits(bits)), text);
      // Every sample but -0 is itself canonical text that parses back to the same double.
      if (bits !== '8000000000000000') assert.equal(parseCanonical(utf8(text)), fromBits(bits));
    });
  }

  for (const bits of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000']) {
    it(`${bits} (NaN or Infinity) is an error`, () => {
      throwsCustody(() => canonicalize(fromBits(bits)), 'not_canonical', /finite/);
    });
  }
});

describe('canonicalize: primitives and structure', () => {
  it('serialises the literals and top-level scalars', () => {
    assert.equal(canonicalize(null), 'null');
    assert.equal(canonicalize(true), 'true');
    assert.equal(canonicalize(false), 'false');
    assert.equal(canonicalize(''), '""');
    assert.equal(canonicalize(42), '42');
    assert.equal(canonicalize(-1.5), '-1.5');
  });

  it('writes empty containers and no whitespace', () => {
    assert.equal(canonicalize([]), '[]');
    assert.equal(canonicalize({}), '{}');
    assert.equal(canonicalize([[], {}, [null]]), '[[],{},[null]]');
    assert.equal(canonicalize({ a: [1, { b: 'c' }] }), '{"a":[1,{"b":"c"}]}');
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.z = 1;
    bare.a = 2;
    assert.equal(canonicalize(bare), '{"a":2,"z":1}');
  });

  it('keeps an own "__proto__" key as data', () => {
    const value = JSON.parse('{"__proto__":{"x":1},"a":0}') as unknown;
    assert.equal(canonicalize(value), '{"__proto__":{"x":1},"a":0}');
    const back = parseCanonical(canonicalBytes(value)) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.ok(Object.hasOwn(back, '__proto__'));
    assert.deepEqual(back, value);
  });

  it('allows the same object twice when it is not its own ancestor', () => {
    const shared = { k: 1 };
    assert.equal(canonicalize([shared, { s: shared }]), '[{"k":1},{"s":{"k":1}}]');
  });

  it('canonicalBytes is the UTF-8 of canonicalize', () => {
    const value = { é: ['😀', 'ü'] };
    assert.deepEqual(canonicalBytes(value), utf8(canonicalize(value)));
    assert.ok(canonicalBytes(value) instanceof Uint8Array);
  });
});

describe('canonicalize: string escaping (§3.2.2.2)', () => {
  const shortEscapes: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };

  it('escapes control characters as \\u00xx (lower-case hex) except \\b \\t \\n \\f \\r', () => {
    for (let c = 0; c < 0x20; c++) {
      const expected = shortEscapes[c] ?? `\\u${c.toString(16).padStart(4, '0')}`;
      assert.equal(canonicalize(String.fromCharCode(c)), `"${expected}"`, `U+${c.toString(16)}`);
    }
  });

  it('escapes only " and \\ among printable ASCII', () => {
    assert.equal(canonicalize('"'), '"\\""');
    assert.equal(canonicalize('\\'), '"\\\\"');
    let printable = '';
    for (let c = 0x20; c < 0x7f; c++) if (c !== 0x22 && c !== 0x5c) printable += String.fromCharCode(c);
    assert.equal(canonicalize(printable), `"${printable}"`);
    assert.equal(canonicalize('a/b'), '"a/b"');
  });

  it('writes DEL, U+2028/U+2029 and other non-ASCII raw', () => {
    const raw = '\u007f\u0080\u00e9\u2028\u2029\u20ac\ufeff\uffff😀';
    assert.equal(canonicalize(raw), `"${raw}"`);
    assert.equal(canonicalize({ [raw]: raw }), `{"${raw}":"${raw}"}`);
  });

  for (const [name, text] of [
    ['a lone high surrogate', 'a\ud800b'],
    ['a high surrogate at the end', 'ab\udbff'],
    ['a lone low surrogate', '\udc00'],
    ['a reversed pair', '\ude00\ud83d'],
  ]) {
    it(`rejects ${name}`, () => {
      throwsCustody(() => canonicalize(text), 'not_canonical', /surrogate/);
      throwsCustody(() => canonicalize({ [text!]: 1 }), 'not_canonical', /surrogate/);
    });
  }
});

describe('canonicalize: rejections', () => {
  class Point {
    x = 1;
  }
  const holey: unknown[] = [1];
  holey[2] = 3;
  const cases: [string, unknown, RegExp][] = [
    ['undefined', undefined, /undefined/],
    ['undefined in an array', [1, undefined], /undefined.*\/1|\/1.*undefined/],
    ['undefined as a member', { a: { b: undefined } }, /undefined.*\/a\/b|\/a\/b.*undefined/],
    ['a function', { f: () => 1 }, /function/],
    ['a symbol', [Symbol('s')], /symbol/],
    ['a bigint', { n: 1n }, /bigint/],
    ['NaN', { n: Number.NaN }, /finite/],
    ['Infinity', [Number.POSITIVE_INFINITY], /finite/],
    ['-Infinity', Number.NEGATIVE_INFINITY, /finite/],
    ['a Date', { when: new Date(0) }, /Date/],
    ['a Map', new Map(), /Map/],
    ['a Set', [new Set()], /Set/],
    ['a RegExp', /x/, /RegExp/],
    ['a class instance', { p: new Point() }, /Point/],
    ['a Uint8Array', new Uint8Array(2), /Uint8Array/],
    ['a boxed number', Object(1), /Number/],
    ['a boxed string', { s: Object('x') }, /String/],
    ['an array hole', holey, /hole|missing/],
    ['a symbol-keyed member', { [Symbol('k')]: 1 }, /symbol/],
  ];
  for (const [name, value, message] of cases) {
    it(`rejects ${name}`, () => throwsCustody(() => canonicalize(value), 'not_canonical', message));
  }

  it('rejects a cyclic object and a cyclic array', () => {
    const obj: Record<string, unknown> = { a: 1 };
    obj.self = { back: obj };
    throwsCustody(() => canonicalize(obj), 'not_canonical', /cycl/);
    const arr: unknown[] = [];
    arr.push(arr);
    throwsCustody(() => canonicalize(arr), 'not_canonical', /cycl/);
  });

  it(`allows ${JCS_DEFAULT_MAX_DEPTH} levels of nesting and rejects one more`, () => {
    assert.equal(JCS_DEFAULT_MAX_DEPTH, 64);
    assert.doesNotThrow(() => canonicalize(nested(64)));
    throwsCustody(() => canonicalize(nested(65)), 'not_canonical', /deep|depth|nest/);
    throwsCustody(() => canonicalize(nested(100_000)), 'not_canonical', /deep|depth|nest/);
  });

  it('takes a smaller depth limit', () => {
    assert.equal(canonicalize([[1]], { maxDepth: 2 }), '[[1]]');
    throwsCustody(() => canonicalize([[[1]]], { maxDepth: 2 }), 'not_canonical', /2/);
  });
});

describe('parseCanonical: accepts canonical JSON', () => {
  const texts = [
    'null',
    'true',
    'false',
    '0',
    '-1',
    '1.5',
    '1e+30',
    '1e-7',
    '""',
    '"a\\"b\\\\c\\n\\u001f/€😀"',
    '[]',
    '{}',
    '[1,[2,[3]],{"a":[]}]',
    '{"":0,"a":{"b":null,"c":[true,false]},"é":"x"}',
  ];
  for (const text of texts) {
    it(text, () => {
      const value = parseCanonical(utf8(text));
      assert.deepEqual(value, JSON.parse(text));
      assert.equal(canonicalize(value), text);
    });
  }

  it('returns ordinary objects and arrays', () => {
    const value = parseCanonical(utf8('{"a":[{}]}')) as { a: object[] };
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.ok(Array.isArray(value.a));
    assert.equal(Object.getPrototypeOf(value.a[0]), Object.prototype);
  });
});

describe('parseCanonical: rejections', () => {
  const notCanonical: [string, string][] = [
    ['a space between tokens', '{"a": 1}'],
    ['leading whitespace', ' {}'],
    ['a trailing newline', '{}\n'],
    ['whitespace inside an array', '[1, 2]'],
    ['unsorted keys', '{"b":1,"a":2}'],
    ['keys sorted by code point instead of code unit', '{"\uff61":1,"😀":2}'],
    ['unsorted nested keys', '[{"a":{"z":1,"y":2}}]'],
    ['"1.0"', '1.0'],
    ['"1e2"', '1e2'],
    ['"1E+30"', '1E+30'],
    ['"-0"', '-0'],
    ['"0.10"', '0.10'],
    ['a number that is not the shortest round trip', '333333333.33333329'],
    ['a number too large for a double', '1e400'],
    ['an escaped solidus', '"\\/"'],
    ['an escaped letter', '"\\u0041"'],
    ['an escaped non-ASCII character', '"\\u00e9"'],
    ['an upper-case hex escape', '"\\u001F"'],
    ['\\u0008 instead of \\b', '"\\u0008"'],
    ['an escaped lone surrogate', '"\\ud800"'],
    ['an escaped surrogate pair', '"\\ud83d\\ude00"'],
  ];
  for (const [name, text] of notCanonical) {
    it(`not_canonical: ${name}`, () => throwsCustody(() => parseCanonical(utf8(text)), 'not_canonical'));
  }

  const malformed: [string, string][] = [
    ['empty input', ''],
    ['a duplicate key', '{"a":1,"a":2}'],
    ['a duplicate key spelled with an escape', '{"a":1,"\\u0061":2}'],
    ['a nested duplicate key', '[{"x":{"k":1,"k":1}}]'],
    ['a duplicate "__proto__"', '{"__proto__":1,"__proto__":2}'],
    ['trailing data', '{}{}'],
    ['a trailing comma', '[1,]'],
    ['a leading zero', '01'],
    ['a plus sign', '+1'],
    ['a bare decimal point', '1.'],
    ['a leading decimal point', '.5'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['a single-quoted string', "'a'"],
    ['an unquoted key', '{a:1}'],
    ['a raw control character in a string', '"a\u0001b"'],
    ['a raw newline in a string', '"a\nb"'],
    ['an unknown escape', '"\\x41"'],
    ['a short \\u escape', '"\\u12"'],
    ['an unterminated string', '"abc'],
    ['an unterminated array', '[1'],
    ['a missing colon', '{"a"1}'],
    ['a comment', '/**/0'],
    ['a capitalised literal', 'True'],
  ];
  for (const [name, text] of malformed) {
    it(`malformed: ${name}`, () => throwsCustody(() => parseCanonical(utf8(text)), 'malformed'));
  }

  const badUtf8: [string, number[]][] = [
    ['a lone continuation byte', [0x22, 0x80, 0x22]],
    ['an overlong "/"', [0x22, 0xc0, 0xaf, 0x22]],
    ['a truncated sequence', [0x22, 0xe2, 0x82, 0x22]],
    ['an encoded surrogate', [0x22, 0xed, 0xa0, 0x80, 0x22]],
    ['a code point above U+10FFFF', [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22]],
    ['a 0xFF byte', [0xff]],
  ];
  for (const [name, bytes] of badUtf8) {
    it(`malformed: invalid UTF-8, ${name}`, () => {
      throwsCustody(() => parseCanonical(new Uint8Array(bytes)), 'malformed', /UTF-8/);
    });
  }

  it('rejects a byte order mark rather than skipping it', () => {
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('{}')]);
    throwsCustody(() => parseCanonical(withBom), 'malformed', /character 0/);
  });

  it(`allows ${JCS_DEFAULT_MAX_DEPTH} levels of nesting and rejects one more`, () => {
    const text = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    assert.deepEqual(parseCanonical(utf8(text(64))), JSON.parse(text(64)));
    throwsCustody(() => parseCanonical(utf8(text(65))), 'malformed', /deep|depth|nest/);
    throwsCustody(() => parseCanonical(utf8(`${'{"a":'.repeat(65)}0${'}'.repeat(65)}`)), 'malformed', /deep/);
    // Far too deep for a naive recursive parser's stack: still a clean error.
    throwsCustody(() => parseCanonical(utf8(text(200_000))), 'malformed', /deep|depth|nest/);
  });

  it(`rejects input over ${JCS_DEFAULT_MAX_BYTES} bytes before parsing it`, () => {
    const big = utf8(`"${'a'.repeat(JCS_DEFAULT_MAX_BYTES)}"`);
    throwsCustody(() => parseCanonical(big), 'malformed', /large|size|bytes/);
    assert.equal(parseCanonical(utf8('"abcd"'), { maxBytes: 6 }), 'abcd');
    throwsCustody(() => parseCanonical(utf8('"abcde"'), { maxBytes: 6 }), 'malformed', /6/);
  });

  it('takes a smaller depth limit', () => {
    assert.deepEqual(parseCanonical(utf8('[[]]'), { maxDepth: 2 }), [[]]);
    throwsCustody(() => parseCanonical(utf8('[[[]]]'), { maxDepth: 2 }), 'malformed', /2/);
  });
});

describe('property: 500 random JSON values round-trip', () => {
  // Small seeded PRNG (mulberry32) so a failure can be reproduced.
  const seed = 0x8785;
  let state = seed;
  const random = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;

  const specialChars = [
    '"',
    '\\',
    '/',
    '\n',
    '\u0000',
    '\u001f',
    '\u007f',
    '\u2028',
    'é',
    '€',
    '😀',
    '\ufb33',
  ];
  const randomString = (): string => {
    let s = '';
    const length = int(8);
    for (let i = 0; i < length; i++) {
      const kind = int(4);
      if (kind === 0) s += pick(specialChars);
      else if (kind === 1) s += String.fromCharCode(0x20 + int(0x5f));
      else if (kind === 2) s += String.fromCodePoint(0x10000 + int(0x100000));
      else {
        const unit = int(0x10000);
        s += unit >= 0xd800 && unit <= 0xdfff ? 'x' : String.fromCharCode(unit); // no lone surrogates
      }
    }
    return s;
  };

  const randomNumber = (): number => {
    const kind = int(5);
    if (kind === 0) return int(2001) - 1000;
    if (kind === 1) return (random() - 0.5) * 10 ** (int(40) - 20);
    if (kind === 2) return pick([0, 5e-324, 1e21, 1e-7, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, 0.1]);
    // Any finite double, from random bits; -0 is not a round-trippable value (it canonicalises as 0).
    const view = new DataView(new ArrayBuffer(8));
    view.setUint32(0, int(2 ** 32));
    view.setUint32(4, int(2 ** 32));
    const n = view.getFloat64(0);
    return Number.isFinite(n) && !Object.is(n, -0) ? n : 1;
  };

  const randomValue = (depth: number): unknown => {
    const kind = depth >= 6 ? int(4) : int(6);
    if (kind === 0) return pick([null, true, false]);
    if (kind === 1) return randomNumber();
    if (kind === 2 || kind === 3) return randomString();
    if (kind === 4) return Array.from({ length: int(5) }, () => randomValue(depth + 1));
    const obj: Record<string, unknown> = {};
    const size = int(5);
    for (let i = 0; i < size; i++) {
      const key = int(10) === 0 ? '__proto__' : randomString();
      Object.defineProperty(obj, key, {
        value: randomValue(depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return obj;
  };

  // JSON.stringify with keys sorted by code unit is an independent model of JCS for these values.
  const sortedModel = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sortedModel);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      Object.defineProperty(out, key, {
        value: sortedModel((value as Record<string, unknown>)[key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  };

  it(`seed ${seed}`, () => {
    for (let i = 0; i < 500; i++) {
      const value = randomValue(0);
      const bytes = canonicalBytes(value);
      const back = parseCanonical(bytes);
      assert.deepEqual(back, value, `value #${i}`);
      assert.deepEqual(canonicalBytes(back), bytes, `value #${i}`);
      assert.equal(canonicalize(value), JSON.stringify(sortedModel(value)), `value #${i}`);
    }
  });
});
