import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { hashRaw } from '@node-rs/argon2';
import {
  deriveCodeKeys,
  newReceiptCode,
  newRecipientKeyPair,
  newReportKey,
  normaliseReceiptCode,
  openWith,
  publicKeyOf,
  RECEIPT_CODE_BITS,
  sealWith,
  unlockPrivateKey,
  unwrapAsRecipient,
  wrapToRecipient,
} from './crypto.ts';

// Small Argon2 parameters keep the tests fast; the node uses DEFAULT_ARGON2.
const FAST = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
const SALT = Buffer.alloc(16, 7);

describe('receipt codes', () => {
  it('carry at least 80 bits and read as four groups of five', () => {
    assert.ok(RECEIPT_CODE_BITS >= 80);
    const code = newReceiptCode();
    assert.match(code, /^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$/);
  });

  it('use every character of the alphabet about equally often', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++)
      for (const ch of newReceiptCode().replaceAll('-', '')) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    assert.equal(counts.size, 32);
    // 40,000 draws over 32 symbols: 1,250 expected each; ±20% is far outside chance.
    for (const [ch, n] of counts) assert.ok(n > 1000 && n < 1500, `${ch}: ${n}`);
  });

  it('are read back however a person types them', () => {
    const code = '7K3QM-2XHDA-V9PRT-0BC4W';
    assert.equal(normaliseReceiptCode(code), '7K3QM2XHDAV9PRT0BC4W');
    assert.equal(normaliseReceiptCode(' 7k3qm 2xhda v9prt obc4w '), '7K3QM2XHDAV9PRT0BC4W');
    assert.equal(normaliseReceiptCode('7K3QM–2XHDA–V9PRT–0BC4W'), '7K3QM2XHDAV9PRT0BC4W');
    assert.equal(normaliseReceiptCode('IL000-00000-00000-00000'), '11000000000000000000');
    assert.equal(normaliseReceiptCode('7K3QM-2XHDA-V9PRT-0BC4'), undefined, 'too short');
    assert.equal(normaliseReceiptCode('7K3QM-2XHDA-V9PRT-0BC4U'), undefined, 'U is not a code character');
    assert.equal(normaliseReceiptCode(42), undefined);
  });

  it('derive a stored lookup and a never-stored wrapping key from Argon2id', async () => {
    const a = await deriveCodeKeys('7K3QM2XHDAV9PRT0BC4W', SALT, FAST);
    const again = await deriveCodeKeys('7K3QM2XHDAV9PRT0BC4W', SALT, FAST);
    const other = await deriveCodeKeys('7K3QM2XHDAV9PRT0BC4X', SALT, FAST);
    const otherSalt = await deriveCodeKeys('7K3QM2XHDAV9PRT0BC4W', Buffer.alloc(16, 8), FAST);
    assert.equal(a.lookup, again.lookup);
    assert.deepEqual(a.wrapKey, again.wrapKey);
    assert.notEqual(a.lookup, other.lookup);
    assert.notEqual(a.lookup, otherSalt.lookup);
    assert.match(a.lookup, /^[0-9a-f]{64}$/);
    assert.equal(a.wrapKey.length, 32);
    // Both halves are one Argon2id output: the stored half says nothing of the other.
    const raw = await hashRaw('accord-receipt-v1:7K3QM2XHDAV9PRT0BC4W', {
      algorithm: 2,
      salt: SALT,
      outputLen: 64,
      ...FAST,
    });
    assert.equal(a.lookup, raw.subarray(0, 32).toString('hex'));
    assert.deepEqual(a.wrapKey, raw.subarray(32));
  });
});

describe('sealing under a report key', () => {
  it('opens only with the same key and context, and detects any change', () => {
    const key = newReportKey();
    const sealed = sealWith(key, 'what happened', 'report:1');
    assert.equal(openWith(key, sealed, 'report:1').toString(), 'what happened');
    assert.throws(() => openWith(newReportKey(), sealed, 'report:1'), /failed authentication/);
    assert.throws(() => openWith(key, sealed, 'report:2'), /failed authentication/);
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    raw[20]! ^= 1;
    assert.throws(
      () => openWith(key, `r1.${raw.toString('base64url')}`, 'report:1'),
      /failed authentication/,
    );
    assert.throws(() => openWith(key, 'v9.abc', 'report:1'), /unknown format/);
  });
});

describe('recipient key pairs', () => {
  it('unlock with the password they were sealed under, and with nothing else', async () => {
    const pair = await newRecipientKeyPair('correct horse battery staple', 'user-1', FAST);
    const key = await unlockPrivateKey(pair, 'correct horse battery staple', 'user-1', FAST);
    assert.equal(publicKeyOf(key), pair.publicKey);
    await assert.rejects(
      unlockPrivateKey(pair, 'wrong password here', 'user-1', FAST),
      /failed authentication/,
    );
    await assert.rejects(
      unlockPrivateKey(pair, 'correct horse battery staple', 'user-2', FAST),
      /failed authentication/,
      'a sealed key cannot be moved to another user',
    );
  });

  it('wrap a report key that only the recipient unwraps', async () => {
    const pair = await newRecipientKeyPair('correct horse battery staple', 'user-1', FAST);
    const mine = await unlockPrivateKey(pair, 'correct horse battery staple', 'user-1', FAST);
    const reportKey = newReportKey();
    const wrapped = wrapToRecipient(reportKey, pair.publicKey, 'report-key:r1');
    assert.match(wrapped, /^x1\.[A-Za-z0-9_-]{43}\./);
    assert.deepEqual(unwrapAsRecipient(wrapped, mine, 'report-key:r1'), reportKey);
    // Two wraps of the same key differ (a fresh ephemeral key each time).
    assert.notEqual(wrapToRecipient(reportKey, pair.publicKey, 'report-key:r1'), wrapped);
    const stranger = generateKeyPairSync('x25519').privateKey;
    assert.throws(() => unwrapAsRecipient(wrapped, stranger, 'report-key:r1'), /failed authentication/);
    assert.throws(() => unwrapAsRecipient(wrapped, mine, 'report-key:r2'), /failed authentication/);
    assert.throws(() => unwrapAsRecipient('x1.short', mine, 'report-key:r1'), /unknown format/);
  });
});
