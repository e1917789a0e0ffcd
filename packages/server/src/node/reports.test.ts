import assert from 'node:assert/strict';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { after, before, it } from 'node:test';
import { type Actor, actorOf, type User } from '@accord/core';
import { dumpDatabase } from '@accord/store/testing';
import { writeBundle } from '../export/bundle-writer.ts';
import { createTestNode, describeEachDatabase, refusal, type TestNode } from '../testing/harness.ts';
import { testdataPath } from '../testing/testdata.ts';

const JPEG = testdataPath('media', 'exif-samples', 'jpg', 'gps', 'DSCN0010.jpg');
const PASSWORD = 'correct horse battery staple';
const ACCOUNT = 'Soldiers took my brother from the market in Zelenivka on the morning of 3 March.';

/**
 * Safe reporting on both databases: a survivor reports with files and consent and gets a receipt
 * code; advocates read only with their own unlocked keys; the survivor comes back, reads, answers
 * and changes consent; the advocate links the report to a case and makes the reporter a witness,
 * and exports then follow the survivor's consent. Nothing readable is stored.
 */
describeEachDatabase('reports: safe reporting end to end', (create, name) => {
  let n: TestNode;
  let dir: string;
  const operator = { operator: true } as const;
  const users = new Map<string, User>();
  const as = (key: string): Actor => actorOf(users.get(key)!);
  const orgs: Record<string, string> = {};
  let caseId = '';
  let code = '';
  let reportId = '';
  let sessions = 0;
  const unlock = async (key: string, password = PASSWORD) => {
    const session = `session-${++sessions}`;
    await n.node.reports.unlock(users.get(key)!, password, session);
    return n.node.reports.keys.get(session, users.get(key)!.id);
  };

  before(async () => {
    n = await createTestNode(create, name, {
      checkpointIntervalMs: 20,
      reportSettings: { wrongCodesPerMinute: 3 },
    });
    dir = await mkdtemp(join(tmpdir(), 'accord-reports-'));
    const { accounts, cases } = n.node;
    for (const [key, country] of [
      ['lead', 'NL'],
      ['partner', 'DE'],
    ] as const) {
      orgs[key] = (
        await accounts.createOrganisation(operator, { name: `Org ${key}`, country, kind: 'ngo' })
      ).id;
    }
    for (const [key, role] of [
      ['lead', 'legal_officer'],
      ['advocate', 'survivor_advocate'],
      ['advocate2', 'survivor_advocate'],
      ['investigator', 'investigator'],
    ] as const) {
      const { user } = await accounts.createUser(operator, {
        orgId: orgs.lead,
        username: key,
        displayName: key,
        role,
        password: PASSWORD,
      });
      users.set(key, user);
    }
    caseId = (await cases.create(as('lead'), { title: 'Market shelling' })).id;
    await cases.putMember(as('lead'), caseId, {
      userId: users.get('advocate')!.id,
      role: 'survivor_advocate',
    });
  });
  after(async () => {
    await n?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('takes no report while no advocate can read it', async () => {
    assert.equal(await n.node.reports.accepting(), false);
    assert.match(
      await refusal(n.node.reports.startReport('ar', { account: 'x' })),
      /^unavailable: this node does not take reports yet/,
    );
    assert.equal(await unlock('investigator'), undefined, 'only survivor advocates hold report keys');
    assert.ok(await unlock('advocate'));
    assert.equal(await n.node.reports.accepting(), true);
  });

  it('a report with a photo and consent gets a receipt code; nothing of it is stored readable', async () => {
    const started = await n.node.reports.startReport('ar', {
      account: ACCOUNT,
      where: 'Zelenivka',
      anonymous: 'yes',
      name: 'ignored when anonymous',
      support: ['legal_aid'],
      consent: ['investigation', `sharing:${orgs.partner}`],
    });
    await started.upload.attach('market-photo.jpg', createReadStream(JPEG));
    const receipt = await started.commit();
    code = receipt.code;
    reportId = receipt.report.id;
    assert.match(code, /^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$/);
    assert.equal(receipt.report.receivedOn, '2026-03-01', 'kept to the day');

    const view = await n.node.reports.survivorView(code.toLowerCase().replaceAll('-', ' '));
    assert.equal(view.status, 'received');
    assert.equal(view.language, 'ar');
    assert.equal(view.content.account, ACCOUNT);
    assert.equal(view.content.name, '', 'an anonymous report keeps no name');
    assert.deepEqual(view.attachments, [
      { fileName: 'market-photo.jpg', size: (await readFile(JPEG)).length },
    ]);
    assert.deepEqual(
      view.consent.map((c) => [c.purpose, c.scope, c.state]).sort(),
      [
        ['investigation', '', 'given'],
        ['sharing', orgs.partner, 'given'],
      ].sort(),
    );

    const dump = await dumpDatabase(n.node.database);
    const photo = await readFile(JPEG);
    const { createHash } = await import('node:crypto');
    for (const secret of [
      ACCOUNT,
      'Zelenivka',
      'market-photo.jpg',
      createHash('sha256').update(photo).digest('hex'),
      code,
      code.replaceAll('-', ''),
    ]) {
      assert.ok(!dump.includes(secret), `the database holds ${secret}`);
    }
    const intake = join(n.dataDir, 'intake', reportId);
    const [file] = await readdir(intake);
    const stored = await readFile(join(intake, file!));
    assert.ok(stored.length > photo.length, 'sealed: larger by the tags');
    assert.equal(stored.indexOf(photo.subarray(0, 4096)), -1, 'the photo is not on disk in the clear');
  });

  it('wrong codes are refused, and guessing is limited for everyone without recording who', async () => {
    assert.match(
      await refusal(n.node.reports.survivorView('not a code')),
      /^invalid_input: a receipt code has 20 letters/,
    );
    const wrong = '00000-00000-00000-00000';
    for (let i = 0; i < 3; i++)
      assert.match(
        await refusal(n.node.reports.survivorView(wrong)),
        /^not_found: no report has this receipt code/,
      );
    assert.match(
      await refusal(n.node.reports.survivorView(wrong)),
      /^rate_limited: too many wrong receipt codes/,
    );
    assert.match(
      await refusal(n.node.reports.survivorView(code)),
      /^rate_limited/,
      'the right code waits too',
    );
    n.clock.advance(61_000);
    assert.equal((await n.node.reports.survivorView(code)).status, 'received');
  });

  it('advocates read with their own key only; others are refused', async () => {
    const key = await unlock('advocate');
    const queue = await n.node.reports.queue(as('advocate'), key);
    const mine = queue.find((q) => q.report.id === reportId)!;
    assert.equal(mine.summary?.excerpt, ACCOUNT);
    assert.equal(mine.summary?.flagged, true, 'the photo carries GPS');
    assert.deepEqual(mine.summary?.support, ['legal_aid']);
    const opened = await n.node.reports.open(as('advocate'), key, reportId);
    assert.deepEqual(opened.attachments[0]!.flags.includes('gps'), true);
    assert.match(
      await refusal(n.node.reports.open(as('advocate'), undefined, reportId)),
      /^locked: sign in again/,
    );
    assert.match(await refusal(n.node.reports.queue(as('investigator'), undefined)), /^forbidden/);
    assert.match(await refusal(n.node.reports.queue(as('lead'), undefined)), /^forbidden/);
    assert.match(
      await refusal(n.node.reports.open(as('advocate'), key, '00000000-0000-4000-8000-000000000000')),
      /^not_found/,
    );
  });

  it('a new advocate receives earlier reports once a colleague opens the queue', async () => {
    const key2 = await unlock('advocate2');
    assert.match(
      await refusal(n.node.reports.open(as('advocate2'), key2, reportId)),
      /^locked: this report has not been shared with your key yet/,
    );
    assert.equal(
      (await n.node.reports.queue(as('advocate2'), key2)).find((q) => q.report.id === reportId)?.summary,
      undefined,
    );
    await n.node.reports.queue(as('advocate'), await unlock('advocate'));
    assert.equal((await n.node.reports.open(as('advocate2'), key2, reportId)).content.account, ACCOUNT);
  });

  it('a changed password keeps the key; a reset one loses it until a colleague shares again', async () => {
    const user = users.get('advocate2')!;
    await n.node.reports.reseal(user, PASSWORD, 'a brand new passphrase 42');
    const key = await unlock('advocate2', 'a brand new passphrase 42');
    assert.equal((await n.node.reports.open(as('advocate2'), key, reportId)).content.account, ACCOUNT);
    // An administrator's reset: the old key no longer opens; signing in makes a new pair.
    const fresh = await unlock('advocate2', 'after the reset 2026!');
    assert.match(
      await refusal(n.node.reports.open(as('advocate2'), fresh, reportId)),
      /not been shared with your key yet/,
    );
    await n.node.reports.queue(as('advocate'), await unlock('advocate'));
    assert.equal((await n.node.reports.open(as('advocate2'), fresh, reportId)).content.account, ACCOUNT);
  });

  it('the advocate answers; the survivor reads, replies with a file and sees no team notes', async () => {
    const key = await unlock('advocate');
    await n.node.reports.assign(as('advocate'), reportId, users.get('advocate')!.id);
    await n.node.reports.post(as('advocate'), key, reportId, 'advocate', 'Thank you. We read your report.');
    await n.node.reports.post(as('advocate'), key, reportId, 'note', 'internal: check with the DE team');
    assert.match(
      await refusal(n.node.reports.post(as('advocate'), key, reportId, 'advocate', '  ')),
      /write the message first/,
    );
    assert.match(
      await refusal(n.node.reports.assign(as('advocate'), reportId, users.get('lead')!.id)),
      /only to a survivor advocate/,
    );
    const view = await n.node.reports.survivorView(code);
    assert.equal(view.status, 'under_review');
    assert.deepEqual(
      view.entries.filter((e) => e.kind !== 'consent').map((e) => [e.kind, e.body.text]),
      [['advocate', 'Thank you. We read your report.']],
    );
    const reply = await n.node.reports.startReply(code);
    await reply.upload.attach('list.txt', Readable.from([Buffer.from('names of the others taken')]));
    const after = await reply.commit({ message: 'There were six others.' });
    assert.deepEqual(after.entries.at(-1)?.body.text, 'There were six others.');
    assert.equal(after.attachments.length, 2);
    const empty = await n.node.reports.startReply(code);
    assert.match(await refusal(empty.commit({ message: '' })), /write a message or choose a file/);
  });

  it('a failed upload leaves nothing behind', async () => {
    const before = await readdir(join(n.dataDir, 'intake'));
    const dump = await dumpDatabase(n.node.database);
    const started = await n.node.reports.startReport('en', { account: 'cut off' });
    const failing = (async function* () {
      yield Buffer.alloc(100_000, 1);
      throw new Error('the connection dropped');
    })();
    await assert.rejects(started.upload.attach('video.mp4', failing), /connection dropped/);
    await started.upload.abort();
    assert.deepEqual(await readdir(join(n.dataDir, 'intake')), before);
    assert.equal(await dumpDatabase(n.node.database), dump);
    assert.match(
      await refusal(n.node.reports.startReport('en', { account: '   ' })),
      /tell us what happened/,
    );
    assert.match(await refusal(n.node.reports.startReport('xx', { account: 'a' })), /the language is one of/);
    assert.match(
      await refusal(
        n.node.reports.startReport('en', {
          account: 'a',
          consent: ['sharing:00000000-0000-4000-8000-000000000009'],
        }),
      ),
      /partner organisations listed/,
    );
  });

  let witnessId = '';
  it('linked to a case, the reporter becomes a witness and the report is filed as their statement', async () => {
    const key = await unlock('advocate');
    await n.node.reports.link(as('advocate'), key, reportId, { caseId });
    const made = await n.node.reports.makeWitness(as('advocate'), key, reportId);
    witnessId = made.witnessId;
    assert.equal(made.filed.length, 3, 'the written account and two files');
    const again = await n.node.reports.makeWitness(as('advocate'), key, reportId);
    assert.deepEqual(again, { witnessId, filed: [] }, 'nothing is filed twice');
    const w = await n.node.witnesses.view(as('advocate'), witnessId);
    assert.equal(w.witness.pseudonym, 'W-0001');
    assert.equal(w.witness.kind, 'survivor');
    assert.equal(w.statements.length, 3);
    assert.ok(w.consent.every((c) => c.via === 'survivor' && c.at === '2026-03-01T00:00:00.000Z'));
    const photoItem = await n.node.evidence.get(as('advocate'), made.filed[1]!);
    const { createHash } = await import('node:crypto');
    assert.equal(
      photoItem.sha256,
      createHash('sha256')
        .update(await readFile(JPEG))
        .digest('hex'),
    );
    const timeline = await n.node.evidence.timeline(as('advocate'), photoItem.id);
    assert.equal(timeline[0]?.event.action, 'collected');
    assert.equal(JSON.stringify(timeline).includes('received via safe reporting'), true);
    const view = await n.node.reports.survivorView(code);
    assert.equal(view.status, 'linked');
  });

  const exportTo = async (recipientOrgId: string | undefined) => {
    const file = join(dir, `bundle-${Math.random().toString(36).slice(2)}.tar`);
    const out = createWriteStream(file);
    try {
      await writeBundle(
        n.node,
        as('lead'),
        { caseId, recipient: 'Partner', recipientOrgId, purpose: 'Trial' },
        out,
      );
    } finally {
      out.end();
      await finished(out).catch(() => {});
    }
  };

  it('the survivor withdraws consent for the partner with the code: an export to it is then refused', async () => {
    await exportTo(orgs.partner);
    const view = await n.node.reports.survivorConsent(code, {
      purpose: 'sharing',
      scope: orgs.partner,
      state: 'withdrawn',
    });
    assert.deepEqual(view.consent.find((c) => c.purpose === 'sharing')?.state, 'withdrawn');
    assert.match(
      await refusal(exportTo(orgs.partner)),
      /^forbidden: consent missing: W-0001 withdrew consent to sharing with the recipient organisation on 2026-03-01; nothing was exported$/,
    );
    const w = await n.node.witnesses.view(as('advocate'), witnessId);
    assert.equal(w.consent.at(-1)?.via, 'survivor');
    assert.equal(w.consent.at(-1)?.recordedBy, null);
  });
});
