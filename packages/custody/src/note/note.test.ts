import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concat, fromBase64, sha256, toBase64, toHex, utf8 } from '../bytes.ts';
import { rejectsWith, throwsMalformed, vectorBytes, vectorText } from '../testing/vectors.ts';
import {
  generateKeyPair,
  NOTE_MAX_SIGNATURES,
  type NoteVerifier,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  verifyNote,
} from './note.ts';

const text = (name: string): string => vectorText(`signed-note/${name}`);
const bytes = (name: string): Uint8Array => vectorBytes(`signed-note/${name}`);
const line = (name: string): string => text(name).trim();
const rejects = rejectsWith;

/** A syntactically valid Ed25519 vkey for `name` and `pub32` (with the matching key ID). */
const vkeyFor = async (name: string, pub32: Uint8Array, type = 0x01): Promise<string> => {
  const key = concat(new Uint8Array([type]), pub32);
  const id = toHex((await sha256(concat(utf8(name), new Uint8Array([0x0a]), key))).subarray(0, 4));
  return `${name}+${id}+${toBase64(key)}`;
};

const PETER_TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";

describe('parseVerifierKey', () => {
  it('parses the golang/mod and C2SP example keys and checks their key IDs', async () => {
    const peter = await parseVerifierKey(line('PeterNeumann.vkey'));
    assert.equal(peter.name, 'PeterNeumann');
    assert.equal(peter.keyId, 'c74f20a3');
    assert.equal(peter.type, 'ed25519');
    assert.equal(peter.publicKey.length, 32);
    assert.equal((await parseVerifierKey(line('EnochRoot.vkey'))).keyId, 'af0cfe78');
    const foo = await parseVerifierKey(line('example.com-foo.vkey'));
    assert.deepEqual([foo.name, foo.keyId], ['example.com/foo', '530d903a']);
  });

  it("splits on the first two '+' only (base64 with '+')", async () => {
    const sum = await parseVerifierKey(line('sum.golang.org.vkey'));
    assert.deepEqual([sum.name, sum.keyId], ['sum.golang.org', '033de0ae']);
    assert.equal(sum.publicKey.length, 32);
  });

  it('parses every witness and test key', async () => {
    const keys = text('witnesses-monkeys-bananas-witness.vkeys').trim().split('\n');
    const parsed = await Promise.all(keys.map((k) => parseVerifierKey(k)));
    assert.deepEqual(
      parsed.map((v) => `${v.name}+${v.keyId}`),
      ['monkeys+db4d9f7e', 'bananas+cf639f13', 'witness+f13a86db'],
    );
  });

  it('rejects a key ID that does not match the key', async () => {
    await rejects(
      parseVerifierKey(line('PeterNeumann.vkey').replace('c74f20a3', 'c74f20a4')),
      'malformed',
      /key ID/,
    );
    await rejects(
      parseVerifierKey(line('PeterNeumann.vkey').replace('PeterNeumann', 'PeterNeumanm')),
      'malformed',
    );
  });

  it('rejects malformed keys with clear messages', async () => {
    const peter = line('PeterNeumann.vkey');
    await rejects(parseVerifierKey('PeterNeumann'), 'malformed', /<name>\+<hex key ID>\+<base64 key>/);
    await rejects(parseVerifierKey(peter.replace('c74f20a3', 'c74f20a')), 'malformed', /8 hex digits/);
    await rejects(parseVerifierKey(peter.replace('c74f20a3', 'c74f20ag')), 'malformed', /8 hex digits/);
    await rejects(parseVerifierKey(`+${peter.slice(peter.indexOf('+') + 1)}`), 'malformed', /invalid name/);
    await rejects(parseVerifierKey(`Peter Neumann${peter.slice(12)}`), 'malformed', /invalid name/);
    await rejects(parseVerifierKey(`${peter.slice(0, -1)}_`), 'malformed', /base64/);
    await rejects(parseVerifierKey('a+00000000+'), 'malformed', /empty/);
    const short = await vkeyFor('short', new Uint8Array(31));
    await rejects(parseVerifierKey(short), 'malformed', /31 bytes, expected 32/);
  });

  it('rejects unsupported key types (e.g. 0x04 witness cosignature keys)', async () => {
    const cosigner = await vkeyFor('witness.example.com/w1', new Uint8Array(32).fill(7), 0x04);
    await rejects(parseVerifierKey(cosigner), 'malformed', /unsupported key type 0x04/);
  });
});

describe('parseSignerKey', () => {
  it('parses PeterNeumann.skey and derives the public key of PeterNeumann.vkey', async () => {
    const signer = await parseSignerKey(line('PeterNeumann.skey'));
    const verifier = await parseVerifierKey(line('PeterNeumann.vkey'));
    assert.equal(signer.name, 'PeterNeumann');
    assert.equal(signer.keyId, 'c74f20a3');
    assert.deepEqual(signer.publicKey, verifier.publicKey);
    assert.equal(signer.privateKey.extractable, false);
  });

  it('parses the transparency-dev/formats test key pairs', async () => {
    const lines = text('test-keys-transparency-dev-formats.txt')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'));
    const skeys = lines.filter((l) => l.startsWith('PRIVATE+KEY+'));
    const vkeys = lines.filter((l) => !l.startsWith('PRIVATE+KEY+'));
    assert.equal(skeys.length, 4);
    for (const [i, skey] of skeys.entries()) {
      const signer = await parseSignerKey(skey);
      const verifier = await parseVerifierKey(vkeys[i]!);
      assert.deepEqual(
        [signer.name, signer.keyId, signer.publicKey],
        [verifier.name, verifier.keyId, verifier.publicKey],
      );
    }
  });

  it('rejects malformed signer keys', async () => {
    const skey = line('PeterNeumann.skey');
    await rejects(parseSignerKey(skey.replace('PRIVATE+KEY+', '')), 'malformed', /PRIVATE\+KEY\+/);
    await rejects(parseSignerKey(skey.replace('c74f20a3', '00000000')), 'malformed', /key ID/);
    await rejects(parseSignerKey(skey.replace('PeterNeumann', 'PeterNeumanm')), 'malformed', /key ID/);
    const seed05 = toBase64(concat(new Uint8Array([5]), new Uint8Array(32)));
    await rejects(
      parseSignerKey(`PRIVATE+KEY+x+00000000+${seed05}`),
      'malformed',
      /unsupported signer key type 0x05/,
    );
  });
});

describe('parseNote', () => {
  it('splits the body and signature lines', () => {
    const note = parseNote(text('golang-note-peter-and-enoch.note'));
    assert.equal(note.body, PETER_TEXT);
    assert.deepEqual(
      note.signatures.map((s) => [s.name, s.keyId, s.signature.length]),
      [
        ['PeterNeumann', 'c74f20a3', 64],
        ['EnochRoot', 'af0cfe78', 64],
      ],
    );
  });

  it('accepts bytes and strings alike', () => {
    assert.deepEqual(
      parseNote(bytes('golang-note-peterneumann.note')),
      parseNote(text('golang-note-peterneumann.note')),
    );
  });

  it('keeps earlier blank lines in the body (splits at the last blank line)', () => {
    const sig = `— a ${toBase64(new Uint8Array(68))}\n`;
    assert.equal(parseNote(`one\n\ntwo\n\n${sig}`).body, 'one\n\ntwo\n');
  });

  it('parses the tlog-cosignature example: 2 signature lines, a 76-byte witness cosignature', () => {
    const note = parseNote(text('c2sp-tlog-cosignature-example-unverifiable.checkpoint'));
    assert.equal(
      note.body,
      'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
    );
    assert.equal(note.signatures.length, 2);
    const [log, witness] = note.signatures;
    assert.equal(log!.name, 'example.com/behind-the-sofa');
    assert.equal(log!.signature.length, 64);
    assert.equal(witness!.name, 'witness.example.com/w1');
    assert.equal(4 + witness!.signature.length, 76);
    // cosignature/v1: 8-byte big-endian timestamp (seconds), then the 64-byte Ed25519 signature.
    const seconds = new DataView(witness!.signature.buffer, witness!.signature.byteOffset).getBigUint64(0);
    assert.equal(new Date(Number(seconds) * 1000).toISOString(), '2023-03-20T12:25:47.000Z');
  });

  it('rejects malformed notes with clear messages', () => {
    const sig = toBase64(new Uint8Array(68));
    throwsMalformed(() => parseNote(`hello\n— a ${sig}\n`), /no blank line/);
    throwsMalformed(() => parseNote('hello\n\n'), /no signature lines/);
    throwsMalformed(() => parseNote(`hello\n\n— a ${sig}`), /does not end with a newline/);
    throwsMalformed(() => parseNote(`hello\n\n- a ${sig}\n`), /U\+2014/);
    throwsMalformed(() => parseNote(`hello\n\n—a ${sig}\n`), /U\+2014/);
    throwsMalformed(() => parseNote(`hello\n\n— a\n`), /<name> <base64 signature>/);
    throwsMalformed(() => parseNote(`hello\n\n—  ${sig}\n`), /invalid key name ""/);
    throwsMalformed(() => parseNote(`hello\n\n— a+b ${sig}\n`), /invalid key name/);
    throwsMalformed(() => parseNote(`hello\n\n— a ${sig} \n`), /base64/);
    throwsMalformed(() => parseNote(`hello\n\n— a ${sig.replace(/=*$/, '')}\n`), /base64/);
    throwsMalformed(() => parseNote(`hello\n\n— a ${toBase64(new Uint8Array(4))}\n`), /shorter than/);
    // Only the last blank line separates: an earlier "signature block" is just body text.
    assert.equal(parseNote(`hello\n\n— a ${sig}\n\n— b ${sig}\n`).body, `hello\n\n— a ${sig}\n`);
    throwsMalformed(
      () => parseNote(`hello\n\n— a ${sig}\nb ${sig}\n`),
      /signature line 2 does not start with/,
    );
    throwsMalformed(() => parseNote(`hel\tlo\n\n— a ${sig}\n`), /control character U\+0009/);
    throwsMalformed(() => parseNote(`hello\r\n\n— a ${sig}\n`), /control character U\+000d/);
    throwsMalformed(() => parseNote(`he\ud800llo\n\n— a ${sig}\n`), /not valid Unicode/);
    throwsMalformed(
      () => parseNote(concat(utf8('he'), new Uint8Array([0xff]), utf8(`llo\n\n— a ${sig}\n`))),
      /UTF-8/,
    );
    const many = `— a ${sig}\n`.repeat(NOTE_MAX_SIGNATURES + 1);
    throwsMalformed(() => parseNote(`hello\n\n${many}`), /more than 100/);
  });
});

describe('verifyNote', () => {
  it('golang Peter note + PeterNeumann.vkey: valid (c74f20a3)', async () => {
    const peter = await parseVerifierKey(line('PeterNeumann.vkey'));
    const result = await verifyNote(text('golang-note-peterneumann.note'), [peter]);
    assert.equal(result.body, PETER_TEXT);
    assert.deepEqual(result.verified, [{ name: 'PeterNeumann', keyId: 'c74f20a3' }]);
    assert.deepEqual(result.unknown, []);
  });

  it('Peter+Enoch note with only the Peter key: 1 verified, 1 unknown', async () => {
    const peter = await parseVerifierKey(line('PeterNeumann.vkey'));
    const result = await verifyNote(text('golang-note-peter-and-enoch.note'), [peter]);
    assert.deepEqual(result.verified, [{ name: 'PeterNeumann', keyId: 'c74f20a3' }]);
    assert.deepEqual(result.unknown, [{ name: 'EnochRoot', keyId: 'af0cfe78' }]);
  });

  it('Peter+Enoch note with both keys: 2 verified', async () => {
    const keys = await Promise.all(
      [line('PeterNeumann.vkey'), line('EnochRoot.vkey')].map((k) => parseVerifierKey(k)),
    );
    const result = await verifyNote(bytes('golang-note-peter-and-enoch.note'), keys);
    assert.deepEqual(
      result.verified.map((k) => k.keyId),
      ['c74f20a3', 'af0cfe78'],
    );
    assert.deepEqual(result.unknown, []);
  });

  it('C2SP example.com/foo note + vkey: valid (530d903a)', async () => {
    const foo = await parseVerifierKey(line('example.com-foo.vkey'));
    const result = await verifyNote(text('c2sp-example.com-foo.note'), [foo]);
    assert.equal(result.body, 'This is an example message.\n');
    assert.deepEqual(result.verified, [{ name: 'example.com/foo', keyId: '530d903a' }]);
  });

  it('fails when any sampled body byte is flipped', async () => {
    const peter = await parseVerifierKey(line('PeterNeumann.vkey'));
    const note = bytes('golang-note-peterneumann.note');
    const bodyLength = utf8(PETER_TEXT).length;
    let tried = 0;
    for (let i = 0; i < bodyLength; i += 7) {
      for (const mask of [0x01, 0x20, 0x80]) {
        const tampered = note.slice();
        tampered[i]! ^= mask;
        await rejects(verifyNote(tampered, [peter]), ['signature_invalid', 'malformed']);
        tried++;
      }
    }
    assert.ok(tried >= 30);
    // An ASCII-preserving change to the body must be caught by the signature itself.
    await rejects(
      verifyNote(text('golang-note-peterneumann.note').replace('answer', 'Answer'), [peter]),
      'signature_invalid',
    );
  });

  it('fails when the trailing newline is dropped (note or body)', async () => {
    const peter = await parseVerifierKey(line('PeterNeumann.vkey'));
    const note = text('golang-note-peterneumann.note');
    await rejects(verifyNote(note.slice(0, -1), [peter]), 'malformed', /does not end with a newline/);
    await rejects(verifyNote(note.replace('is.\n\n', 'is.\n'), [peter]), 'malformed', /no blank line/);
  });

  it('fails when a signature byte is flipped', async () => {
    const peter = await parseVerifierKey(line('PeterNeumann.vkey'));
    const parsed = parseNote(text('golang-note-peterneumann.note'));
    const sig = parsed.signatures[0]!.signature.slice();
    sig[10]! ^= 1;
    const note = `${parsed.body}\n— PeterNeumann ${toBase64(concat(new Uint8Array([0xc7, 0x4f, 0x20, 0xa3]), sig))}\n`;
    await rejects(verifyNote(note, [peter]), 'signature_invalid', /PeterNeumann\+c74f20a3/);
  });

  it('wrong vkey name or key ID → unknown_key', async () => {
    const peter = await parseVerifierKey(line('PeterNeumann.vkey'));
    const note = text('golang-note-peterneumann.note');
    // Same public key under another name (hence another key ID).
    const renamed = await parseVerifierKey(await vkeyFor('PeterNeumannII', peter.publicKey));
    await rejects(verifyNote(note, [renamed]), 'unknown_key', /PeterNeumann\+c74f20a3/);
    // Same name, another key (hence another key ID).
    const other = await parseVerifierKey((await generateKeyPair('PeterNeumann')).vkey);
    await rejects(verifyNote(note, [other]), 'unknown_key');
    // A key ID that differs from the signature's, with everything else equal.
    const wrongId: NoteVerifier = { ...peter, keyId: 'c74f20a4' };
    await rejects(verifyNote(note, [wrongId]), 'unknown_key');
    await rejects(verifyNote(note, [await parseVerifierKey(line('EnochRoot.vkey'))]), 'unknown_key');
    await rejects(verifyNote(note, []), 'unknown_key');
  });

  it('a known name and key ID with the wrong public key → signature_invalid', async () => {
    const peter = await parseVerifierKey(line('PeterNeumann.vkey'));
    const enoch = await parseVerifierKey(line('EnochRoot.vkey'));
    const impostor: NoteVerifier = { ...peter, publicKey: enoch.publicKey };
    await rejects(verifyNote(text('golang-note-peterneumann.note'), [impostor]), 'signature_invalid');
  });

  it('a bad signature by a known key fails even when another known key verifies', async () => {
    const keys = await Promise.all(
      [line('PeterNeumann.vkey'), line('EnochRoot.vkey')].map((k) => parseVerifierKey(k)),
    );
    const note = text('golang-note-peter-and-enoch.note').replace('rwz+eBzm', 'rwz+eBzn');
    await rejects(verifyNote(note, keys), 'signature_invalid', /EnochRoot/);
  });

  it('cosignature example is unverifiable: no known key', async () => {
    const peter = await parseVerifierKey(line('PeterNeumann.vkey'));
    await rejects(
      verifyNote(text('c2sp-tlog-cosignature-example-unverifiable.checkpoint'), [peter]),
      'unknown_key',
      /witness\.example\.com\/w1/,
    );
  });
});

describe('signNote', () => {
  it('signing the Peter text with PeterNeumann.skey is byte-identical to the golang note', async () => {
    const signer = await parseSignerKey(line('PeterNeumann.skey'));
    assert.equal(await signNote(PETER_TEXT, signer), text('golang-note-peterneumann.note'));
  });

  it('round trip: generate → sign → verify, with two signers', async () => {
    const a = await generateKeyPair('example.com/a');
    const b = await generateKeyPair('b');
    assert.match(a.skey, /^PRIVATE\+KEY\+example\.com\/a\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    assert.match(a.vkey, /^example\.com\/a\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    assert.equal(fromBase64(a.vkey.split('+').slice(2).join('+'))[0], 0x01);
    const signers = await Promise.all([a.skey, b.skey].map((k) => parseSignerKey(k)));
    const verifiers = await Promise.all([a.vkey, b.vkey].map((k) => parseVerifierKey(k)));
    const body = 'Grüße — ✓\nsecond line\n';
    const note = await signNote(body, signers);
    const result = await verifyNote(note, verifiers);
    assert.equal(result.body, body);
    assert.deepEqual(
      result.verified,
      verifiers.map((v) => ({ name: v.name, keyId: v.keyId })),
    );
    await rejects(verifyNote(note.replace('second', 'Second'), verifiers), 'signature_invalid');
  });

  it('rejects bodies that are not valid note text', async () => {
    const signer = await parseSignerKey(line('PeterNeumann.skey'));
    await rejects(signNote('no newline', signer), 'malformed', /end with a newline/);
    await rejects(signNote('bell\u0007\n', signer), 'malformed', /control character/);
    await rejects(signNote('x\n', []), 'malformed', /at least one signer/);
  });

  it('generateKeyPair rejects invalid names', async () => {
    await rejects(generateKeyPair(''), 'malformed');
    await rejects(generateKeyPair('a b'), 'malformed');
    await rejects(generateKeyPair('a+b'), 'malformed');
  });
});
