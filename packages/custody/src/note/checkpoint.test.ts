import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromBase64, sha256, toBase64 } from '../bytes.ts';
import { rejectsWith, throwsMalformed, vectorText } from '../testing/vectors.ts';
import { formatCheckpointBody, parseCheckpointBody, verifyCheckpoint } from './checkpoint.ts';
import { parseNote, parseSignerKey, parseVerifierKey, signNote } from './note.ts';
import { parseRfc6962NoteSignature, treeHeadSignatureInput, verifyTreeHeadSignature } from './rfc6962.ts';

const text = (name: string): string => vectorText(`signed-note/${name}`);
const line = (name: string): string => text(name).trim();
const rejects = rejectsWith;

const SUM_ROOT = 'mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=';
const SUM_BODY = `go.sum database tree\n6476701\n${SUM_ROOT}\n`;
const ROOT = toBase64(new Uint8Array(32));

describe('parseCheckpointBody', () => {
  it('parses origin, size, root hash and extension lines', () => {
    const cp = parseCheckpointBody(SUM_BODY);
    assert.equal(cp.origin, 'go.sum database tree');
    assert.equal(cp.size, 6476701);
    assert.equal(toBase64(cp.rootHash), SUM_ROOT);
    assert.deepEqual(cp.extensions, []);
    assert.deepEqual(parseCheckpointBody(`o\n0\n${ROOT}\next one\next two\n`).extensions, [
      'ext one',
      'ext two',
    ]);
    assert.equal(parseCheckpointBody(`o\n9007199254740991\n${ROOT}\n`).size, Number.MAX_SAFE_INTEGER);
  });

  it('rejects non-canonical sizes, bad roots and missing lines', () => {
    for (const size of ['01', '00', '+1', '-1', '1e3', ' 1', '1 ', '0x10', '', '1.0', '１']) {
      throwsMalformed(() => parseCheckpointBody(`o\n${size}\n${ROOT}\n`), /tree size/);
    }
    throwsMalformed(() => parseCheckpointBody(`o\n9007199254740992\n${ROOT}\n`), /2\^53/);
    throwsMalformed(
      () => parseCheckpointBody(`o\n1\n${toBase64(new Uint8Array(31))}\n`),
      /31 bytes, expected 32/,
    );
    throwsMalformed(() => parseCheckpointBody(`o\n1\n${ROOT.replace('=', '')}\n`), /base64/);
    throwsMalformed(() => parseCheckpointBody(`o\n1\n${ROOT.replaceAll('A', '-')}\n`), /base64/);
    throwsMalformed(() => parseCheckpointBody(`o\n1\n${ROOT}`), /end with a newline/);
    throwsMalformed(() => parseCheckpointBody('o\n1\n'), /at least 3 lines/);
    throwsMalformed(() => parseCheckpointBody(`\n1\n${ROOT}\n`), /empty origin/);
    throwsMalformed(() => parseCheckpointBody(`o\n1\n${ROOT}\n\next\n`), /empty extension/);
  });
});

describe('formatCheckpointBody', () => {
  it('formats exactly the sum.golang.org body and round-trips', () => {
    const body = formatCheckpointBody({
      origin: 'go.sum database tree',
      size: 6476701,
      rootHash: fromBase64(SUM_ROOT),
    });
    assert.equal(body, SUM_BODY);
    const withExt = formatCheckpointBody({ ...parseCheckpointBody(SUM_BODY), extensions: ['x y'] });
    assert.equal(withExt, `${SUM_BODY}x y\n`);
  });

  it('rejects values that would not parse back', () => {
    const rootHash = new Uint8Array(32);
    throwsMalformed(() => formatCheckpointBody({ origin: '', size: 1, rootHash }));
    throwsMalformed(() => formatCheckpointBody({ origin: 'a\nb', size: 1, rootHash }));
    throwsMalformed(() => formatCheckpointBody({ origin: 'o', size: -1, rootHash }));
    throwsMalformed(() => formatCheckpointBody({ origin: 'o', size: 1.5, rootHash }));
    throwsMalformed(() => formatCheckpointBody({ origin: 'o', size: 2 ** 53, rootHash }));
    throwsMalformed(() => formatCheckpointBody({ origin: 'o', size: 1, rootHash: new Uint8Array(33) }));
    throwsMalformed(() => formatCheckpointBody({ origin: 'o', size: 1, rootHash, extensions: [''] }));
  });
});

describe('verifyCheckpoint', () => {
  it('sum.golang.org checkpoint + vkey: valid, with the expected parsed values', async () => {
    const log = await parseVerifierKey(line('sum.golang.org.vkey'));
    const cp = await verifyCheckpoint(text('sum.golang.org-6476701.checkpoint'), [log]);
    assert.equal(cp.origin, 'go.sum database tree');
    assert.equal(cp.size, 6476701);
    assert.equal(toBase64(cp.rootHash), SUM_ROOT);
    assert.deepEqual(cp.extensions, []);
    assert.equal(cp.body, SUM_BODY);
    assert.deepEqual(cp.verified, [{ name: 'sum.golang.org', keyId: '033de0ae' }]);
    const same = await verifyCheckpoint(text('sum.golang.org-6476701.checkpoint'), [log], {
      origin: 'go.sum database tree',
    });
    assert.equal(same.size, 6476701);
  });

  it('rejects the same checkpoint when another origin is expected', async () => {
    const log = await parseVerifierKey(line('sum.golang.org.vkey'));
    const checkpoint = text('sum.golang.org-6476701.checkpoint');
    await rejects(
      verifyCheckpoint(checkpoint, [log], { origin: 'sum.golang.org' }),
      'wrong_origin',
      /go\.sum/,
    );
    await rejects(verifyCheckpoint(checkpoint, [log], { origin: 'go.sum database tree ' }), 'wrong_origin');
  });

  it('checkpoint with 3 witness signatures: all 3 witness signatures are valid', async () => {
    const checkpoint = text('sum.golang.org-6476701-with-3-witness-sigs.checkpoint');
    const witnesses = await Promise.all(
      text('witnesses-monkeys-bananas-witness.vkeys')
        .trim()
        .split('\n')
        .map((k) => parseVerifierKey(k)),
    );
    const only = await verifyCheckpoint(checkpoint, witnesses, { origin: 'go.sum database tree' });
    assert.deepEqual(
      only.verified.map((k) => k.name),
      ['monkeys', 'bananas', 'witness'],
    );
    assert.deepEqual(only.unknown, [{ name: 'sum.golang.org', keyId: '033de0ae' }]);
    const log = await parseVerifierKey(line('sum.golang.org.vkey'));
    const all = await verifyCheckpoint(checkpoint, [log, ...witnesses]);
    assert.equal(all.verified.length, 4);
    assert.deepEqual(all.unknown, []);
    await rejects(
      verifyCheckpoint(checkpoint.replace('6476701', '6476702'), [log, ...witnesses]),
      'signature_invalid',
    );
  });

  it('a checkpoint signed with the transparency-dev test log key round-trips', async () => {
    const keys = text('test-keys-transparency-dev-formats.txt').split('\n');
    const signer = await parseSignerKey(keys.find((k) => k.startsWith('PRIVATE+KEY+Log+'))!);
    const verifier = await parseVerifierKey(keys.find((k) => k.startsWith('Log+'))!);
    const rootHash = await sha256(new Uint8Array(0));
    const note = await signNote(
      formatCheckpointBody({ origin: 'example.com/log', size: 0, rootHash }),
      signer,
    );
    const cp = await verifyCheckpoint(note, [verifier], { origin: 'example.com/log' });
    assert.equal(cp.size, 0);
    assert.deepEqual(cp.rootHash, rootHash);
    await rejects(verifyCheckpoint(note, [verifier], { origin: 'example.com/other' }), 'wrong_origin');
  });

  it('a validly signed note that is not a checkpoint is malformed', async () => {
    const peter = await parseVerifierKey(line('PeterNeumann.vkey'));
    await rejects(
      verifyCheckpoint(text('golang-note-peterneumann.note'), [peter]),
      'malformed',
      /malformed checkpoint/,
    );
  });
});

describe('RFC 6962 STH signatures (key type 0x05)', () => {
  it('parses the rome.ct.filippo.io vkey: key ID 78f4abae from SHA-256(SPKI)', async () => {
    const rome = await parseVerifierKey(line('rome.ct.filippo.io-2024h1.vkey'));
    assert.equal(rome.name, 'rome.ct.filippo.io/2024h1');
    assert.equal(rome.keyId, '78f4abae');
    assert.equal(rome.type, 'rfc6962');
  });

  it('rome.ct.filippo.io checkpoint + vkey: valid', async () => {
    const rome = await parseVerifierKey(line('rome.ct.filippo.io-2024h1.vkey'));
    const checkpoint = text('rome.ct.filippo.io-2024h1.checkpoint');
    const cp = await verifyCheckpoint(checkpoint, [rome], { origin: 'rome.ct.filippo.io/2024h1' });
    assert.equal(cp.size, 115474666);
    assert.deepEqual(cp.verified, [{ name: 'rome.ct.filippo.io/2024h1', keyId: '78f4abae' }]);
    const sig = parseRfc6962NoteSignature(parseNote(checkpoint).signatures[0]!.signature);
    assert.equal(new Date(sig.timestamp).toISOString(), '2024-03-27T06:03:10.034Z');
    assert.deepEqual([...sig.digitallySigned.subarray(0, 2)], [4, 3]);
  });

  it('rome checkpoint with a changed size, root or timestamp fails', async () => {
    const rome = await parseVerifierKey(line('rome.ct.filippo.io-2024h1.vkey'));
    const checkpoint = text('rome.ct.filippo.io-2024h1.checkpoint');
    await rejects(
      verifyCheckpoint(checkpoint.replace('115474666', '115474667'), [rome]),
      'signature_invalid',
    );
    await rejects(verifyCheckpoint(checkpoint.replace('2q1K6aiI', '2q1K6aiJ'), [rome]), 'signature_invalid');
    await rejects(
      verifyCheckpoint(checkpoint.replace('ePSrrgAAAY5+gVlS', 'ePSrrgAAAY5+gVlT'), [rome]),
      'signature_invalid',
    );
    // An STH signs no extension lines, so a body with extensions cannot carry a valid STH signature.
    const withExt = checkpoint.replace('xCw=\n', 'xCw=\nextra\n');
    await rejects(verifyCheckpoint(withExt, [rome]), 'signature_invalid');
  });

  it('argon2024 get-sth: TreeHeadSignature valid, LogID = SHA-256(SPKI)', async () => {
    const spki = fromBase64(line('argon2024-pubkey.spki.b64'));
    assert.equal(toBase64(await sha256(spki)), '7s3QZNXbGs7FXLedtM0TojKHRny87N7DUUhZRnEftZs=');
    const sth = JSON.parse(text('argon2024-sth.json')) as {
      tree_size: number;
      timestamp: number;
      sha256_root_hash: string;
      tree_head_signature: string;
    };
    const head = {
      timestamp: sth.timestamp,
      size: sth.tree_size,
      rootHash: fromBase64(sth.sha256_root_hash),
    };
    assert.equal(treeHeadSignatureInput(head).length, 50);
    await verifyTreeHeadSignature(spki, head, fromBase64(sth.tree_head_signature));
    await rejects(
      verifyTreeHeadSignature(spki, { ...head, size: head.size + 1 }, fromBase64(sth.tree_head_signature)),
      'signature_invalid',
    );
    await rejects(
      verifyTreeHeadSignature(
        spki,
        { ...head, timestamp: head.timestamp + 1 },
        fromBase64(sth.tree_head_signature),
      ),
      'signature_invalid',
    );
  });

  it('rejects malformed DigitallySigned structs and keys', async () => {
    const spki = fromBase64(line('argon2024-pubkey.spki.b64'));
    const sth = JSON.parse(text('argon2024-sth.json')) as { tree_head_signature: string };
    const good = fromBase64(sth.tree_head_signature);
    const head = { timestamp: 1, size: 1, rootHash: new Uint8Array(32) };
    const wrongAlg = good.slice();
    wrongAlg[0] = 5;
    await rejects(verifyTreeHeadSignature(spki, head, wrongAlg), 'malformed', /hash=5/);
    await rejects(
      verifyTreeHeadSignature(spki, head, good.subarray(0, good.length - 1)),
      'malformed',
      /length/,
    );
    const badDer = good.slice();
    badDer[4] = 0x31;
    await rejects(verifyTreeHeadSignature(spki, head, badDer), 'malformed', /DER/);
    await rejects(verifyTreeHeadSignature(spki.subarray(1), head, good), 'malformed', /P-256/);
    await rejects(parseVerifierKey('x+00000000+BQ=='), 'malformed', /P-256/);
  });
});
