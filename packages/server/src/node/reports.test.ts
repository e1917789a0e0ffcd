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
      reportSettings: { concurrentLookups: 1, wrongCodePenaltyMs: 300, queuedLookups: 4, sendsPerMinute: 12 },
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
      ['partnerAdvocate', 'survivor_advocate'],
    ] as const) {
      const { user } = await accounts.createUser(operator, {
        orgId: key === 'partnerAdvocate' ? orgs.partner : orgs.lead,
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
    assert.ok(await unlock('partnerAdvocate'));
    assert.equal(await n.node.reports.accepting(), false, 'no reporting organisation named yet');
    assert.match(
      await refusal(n.node.reports.setReportingOrganisation(as('lead'), orgs.lead!)),
      /only the node operator/,
    );
    assert.match(
      await refusal(
        n.node.reports.setReportingOrganisation(operator, '00000000-0000-4000-8000-000000000000'),
      ),
      /^not_found/,
    );
    await n.node.reports.setReportingOrganisation(operator, orgs.lead!);
    assert.equal(await n.node.reports.accepting(), true);
    assert.deepEqual(await n.node.reports.recipients(as('advocate')), [users.get('advocate')!.id]);
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

  it('wrong codes are refused, and guessing is slowed for everyone without recording who; a right code waits its turn', async () => {
    assert.match(
      await refusal(n.node.reports.survivorView('not a code')),
      /^invalid_input: a receipt code has 20 letters/,
    );
    const wrong = (i: number) => `00000-00000-00000-0000${i}`;
    const started = performance.now();
    assert.match(
      await refusal(n.node.reports.survivorView(wrong(0))),
      /^not_found: no report has this receipt code/,
    );
    assert.ok(performance.now() - started >= 290, 'a wrong code holds its slot for the penalty');
    // The survivor comes back while someone floods the node with wrong codes: the survivor waits
    // their turn and gets in; the flood past the queue is refused as busy.
    const first = refusal(n.node.reports.survivorView(wrong(1)));
    const mine = n.node.reports.survivorView(code);
    const flood = [
      first,
      ...Array.from({ length: 8 }, (_, i) => refusal(n.node.reports.survivorView(wrong(i + 2)))),
    ];
    const answers = await Promise.all(flood);
    assert.ok(
      answers.some((a) => /^rate_limited: the node is busy/.test(a)),
      answers.join('\n'),
    );
    assert.ok(answers.every((a) => /^(rate_limited|not_found)/.test(a)));
    assert.equal((await mine).content.account, ACCOUNT, 'the right code is answered, not refused');
    // Sending a report is never refused as busy: its files are already received.
    const sent = await n.node.reports.startReport('en', {
      account: 'sent during a flood',
      consent: ['investigation'],
    });
    const flood2 = Array.from({ length: 8 }, (_, i) => refusal(n.node.reports.survivorView(wrong(i))));
    const receipt = await sent.commit();
    await Promise.all(flood2);
    assert.equal((await n.node.reports.survivorView(receipt.code)).content.account, 'sent during a flood');
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
      await refusal(n.node.reports.queue(as('partnerAdvocate'), await unlock('partnerAdvocate'))),
      /^forbidden: not allowed: reports are handled by the survivor advocates of the node's reporting organisation/,
      "a partner organisation's advocate receives no report",
    );
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
    // A password that does not open the key never replaces it at sign-in.
    assert.equal(await unlock('advocate2', 'not the password 123'), undefined);
    assert.equal((await n.node.reports.open(as('advocate2'), key, reportId)).content.account, ACCOUNT);
    // An administrator's reset: nothing is made under the password they chose; the user's own
    // new password makes a new pair, which colleagues share reports with again.
    assert.equal(
      await n.node.reports.unlock({ ...user, mustChangePassword: true }, 'chosen by the admin 1'),
      false,
    );
    await n.node.reports.reseal(
      user,
      'chosen by the admin 1',
      'after the reset 2026!',
      'session-after-reset',
    );
    const fresh = n.node.reports.keys.get('session-after-reset', user.id);
    assert.ok(fresh);
    assert.match(
      await refusal(n.node.reports.open(as('advocate2'), fresh, reportId)),
      /not been shared with your key yet/,
    );
    await n.node.reports.queue(as('advocate'), await unlock('advocate'));
    assert.equal((await n.node.reports.open(as('advocate2'), fresh, reportId)).content.account, ACCOUNT);
  });

  it('when the reporter comes back, the report reaches an advocate who lost their key, without a colleague', async () => {
    const user = users.get('advocate2')!;
    await n.node.reports.reseal(user, 'forgotten by now 99', 'the third password 7', 'session-third');
    const third = n.node.reports.keys.get('session-third', user.id);
    assert.match(
      await refusal(n.node.reports.open(as('advocate2'), third, reportId)),
      /not been shared with your key yet/,
    );
    await n.node.reports.survivorView(code);
    assert.equal((await n.node.reports.open(as('advocate2'), third, reportId)).content.account, ACCOUNT);
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

  it('at start the node removes intake files that no report records, and keeps every recorded one', async () => {
    const { randomBytes, randomUUID } = await import('node:crypto');
    const intake = n.node.reports.intake;
    const before = (await intake.stored()).length;
    const orphan = randomUUID();
    await intake.put(orphan, randomUUID(), randomBytes(32), Readable.from([Buffer.from('left over')]));
    await intake.put(reportId, randomUUID(), randomBytes(32), Readable.from([Buffer.from('stray')]));
    assert.equal((await intake.stored()).length, before + 2);
    assert.equal(await n.node.reports.sweepIntake(60_000), 0, 'young files may be uploads in flight');
    assert.equal(await n.node.reports.sweepIntake(0), 2);
    assert.equal((await intake.stored()).length, before);
    assert.equal((await n.node.reports.survivorView(code)).attachments.length, 2, 'recorded files stay');
  });

  let witnessId = '';
  it('linked to a case, the reporter becomes a witness and the report is filed as their statement', async () => {
    const key = await unlock('advocate');
    // Filing needs the reporter's consent to the investigation.
    const without = await (await n.node.reports.startReport('en', { account: 'no consent given' })).commit();
    await n.node.reports.link(as('advocate'), key, without.report.id, { caseId });
    assert.match(
      await refusal(n.node.reports.makeWitness(as('advocate'), key, without.report.id)),
      /^forbidden: consent missing: the reporter has not consented to the investigation; nothing was filed$/,
    );
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
    assert.equal(
      photoItem.title,
      'Safe report of 2026-03-01: file 1',
      "the reporter's own file name stays sealed",
    );
    const timeline = await n.node.evidence.timeline(as('advocate'), photoItem.id);
    assert.ok(!JSON.stringify(timeline).includes('market-photo'));
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

  it('a flood of reports is refused node-wide before any file is read, and the next minute opens again', async () => {
    let accepted = 0;
    let refused = '';
    for (let i = 0; i < 20 && !refused; i++) {
      try {
        await n.node.reports.startReport('en', { account: `flood ${i}` });
        accepted++;
      } catch (e) {
        refused = (e as Error).message;
      }
    }
    assert.ok(accepted < 12, `${accepted} accepted`);
    assert.match(refused, /^too many reports are arriving right now; wait a minute and send again$/);
    n.clock.advance(61_000);
    const started = await n.node.reports.startReport('en', { account: 'after the minute' });
    await started.upload.abort();
  });
});
