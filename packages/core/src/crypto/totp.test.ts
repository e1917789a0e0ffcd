import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { base32Decode, base32Encode } from './base32.ts';
import { hotp, matchTotp, otpauthUri, totp, totpStep } from './totp.ts';

const rfcSecret = new TextEncoder().encode('12345678901234567890');

describe('HOTP (RFC 4226 Appendix D)', () => {
  const expected = [
    '755224',
    '287082',
    '359152',
    '969429',
    '338314',
    '254676',
    '287922',
    '162583',
    '399871',
    '520489',
  ];
  for (const [counter, value] of expected.entries()) {
    it(`counter ${counter} → ${value}`, () => assert.equal(hotp(rfcSecret, counter), value));
  }
});

describe('TOTP (RFC 6238 Appendix B, SHA-1, 8 digits)', () => {
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];
  for (const [seconds, value] of vectors) {
    it(`T=${seconds} → ${value}`, () => assert.equal(totp(rfcSecret, seconds * 1000, 8), value));
  }
});

describe('matchTotp', () => {
  const now = 1_700_000_000_000;
  const code = totp(rfcSecret, now);
  it('accepts the current code and returns its step', () => {
    assert.equal(matchTotp(rfcSecret, code, now, null), totpStep(now));
  });
  it('accepts one step of drift either way, not two', () => {
    assert.equal(matchTotp(rfcSecret, code, now + 30_000, null), totpStep(now));
    assert.equal(matchTotp(rfcSecret, code, now - 30_000, null), totpStep(now));
    assert.equal(matchTotp(rfcSecret, code, now + 61_000, null), undefined);
  });
  it('refuses a code whose step was already used (replay)', () => {
    assert.equal(matchTotp(rfcSecret, code, now, totpStep(now)), undefined);
  });
  it('refuses malformed and wrong codes', () => {
    assert.equal(matchTotp(rfcSecret, '12345', now, null), undefined);
    assert.equal(matchTotp(rfcSecret, 'abcdef', now, null), undefined);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    assert.equal(matchTotp(rfcSecret, wrong, now, null), undefined);
  });
  it('tolerates spaces people type', () => {
    assert.equal(matchTotp(rfcSecret, `${code.slice(0, 3)} ${code.slice(3)}`, now, null), totpStep(now));
  });
});

describe('base32 (RFC 4648 §10 vectors, unpadded)', () => {
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ];
  for (const [plain, encoded] of vectors) {
    it(`${JSON.stringify(plain)} ↔ ${encoded}`, () => {
      assert.equal(base32Encode(new TextEncoder().encode(plain)), encoded);
      assert.equal(new TextDecoder().decode(base32Decode(`${encoded.toLowerCase()}==`)), plain);
    });
  }
  it('rejects characters outside the alphabet', () => assert.throws(() => base32Decode('MZ1W'), /base32/));
});

describe('otpauthUri', () => {
  it('builds a Key Uri Format URI with issuer and parameters', () => {
    const uri = otpauthUri('Accord', 'amal@example', 'MZXW6YTBOI');
    assert.equal(
      uri,
      'otpauth://totp/Accord:amal%40example?secret=MZXW6YTBOI&issuer=Accord&algorithm=SHA1&digits=6&period=30',
    );
  });
});
