import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { after, before, it } from 'node:test';
import { type Actor, actorOf, type Principal } from '@accord/core';
import { writeBundle } from '../export/bundle-writer.ts';
import { createTestNode, describeEachDatabase, refusal, type TestNode } from '../testing/harness.ts';

/**
 * Witnesses on both databases: pseudonyms everywhere, real identities only for protection officers
 * inside the protection compartment, consent that the latest word decides and that exports check,
 * and exports that never carry a protected witness's real name (searched for in the bundle's bytes).
 */
describeEachDatabase('witnesses: identities, consent, statements, protection', (create, name) => {
  let n: TestNode;
  let dir: string;
  const operator = { operator: true } as const;
  const actors = new Map<string, Actor>();
  const orgs: Record<string, string> = {};
  let caseId = '';
  let compartmentId = '';
  let witnessId = '';
  let statementItem = '';
  let redactedItem = '';
  const REAL_NAME = 'Olena Petrivna Hrytsenko';

  const as = (key: string): Principal => actors.get(key)!;
  const bytes = (text: string) => Readable.from([Buffer.from(text)]);
  before(async () => {
    n = await createTestNode(create, name, { checkpointIntervalMs: 20 });
    dir = await mkdtemp(join(tmpdir(), 'accord-witness-'));
    const { accounts, cases } = n.node;
    for (const [key, country] of [
      ['lead', 'NL'],
      ['partner', 'DE'],
    ] as const) {
      orgs[key] = (
        await accounts.createOrganisation(operator, { name: `Org ${key}`, country, kind: 'other' })
      ).id;
    }
    for (const [key, org, role] of [
      ['lead', 'lead', 'legal_officer'],
      ['advocate', 'lead', 'survivor_advocate'],
      ['protection', 'lead', 'protection_officer'],
      ['protectionOut', 'lead', 'protection_officer'],
      ['analyst', 'lead', 'analyst'],
    ] as const) {
      const { user } = await accounts.createUser(operator, {
        orgId: orgs[org],
        username: key.toLowerCase(),
        displayName: key,
        role,
        password: 'correct horse battery staple',
      });
      actors.set(key, actorOf(user));
    }
    caseId = (await cases.create(as('lead'), { title: 'Detention site' })).id;
    for (const [key, role] of [
      ['advocate', 'survivor_advocate'],
      ['protection', 'protection_officer'],
      ['protectionOut', 'protection_officer'],
      ['analyst', 'analyst'],
    ] as const) {
      await cases.putMember(as('lead'), caseId, { userId: actors.get(key)!.userId, role });
    }
    compartmentId = (
      await cases.createCompartment(as('lead'), caseId, {
        name: 'Witness protection',
        members: [actors.get('protection')!.userId],
      })
    ).id;
  });
  after(async () => {
    await n?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a witness gets the next pseudonym; a name is refused as a pseudonym', async () => {
    const { witnesses } = n.node;
    const w = await witnesses.create(as('advocate'), caseId, { kind: 'survivor', languages: 'uk, ru' });
    witnessId = w.id;
    assert.equal(w.pseudonym, 'W-0001');
    assert.deepEqual(w.languages, ['uk', 'ru']);
    assert.equal((await witnesses.create(as('advocate'), caseId, {})).pseudonym, 'W-0002');
    assert.match(
      await refusal(witnesses.create(as('advocate'), caseId, { pseudonym: 'Olena H' })),
      /never a name/,
    );
    assert.match(
      await refusal(witnesses.create(as('advocate'), caseId, { pseudonym: 'W-0001' })),
      /already has a witness W-0001/,
    );
    assert.match(
      await refusal(witnesses.create(as('analyst'), caseId, {})),
      /^forbidden: .*analyst role on this case may not record witnesses/,
    );
  });

  it('the real identity opens only to protection officers inside the protection compartment', async () => {
    const { witnesses } = n.node;
    // The lead made the compartment (and so is in it) but is not a protection officer.
    assert.match(
      await refusal(witnesses.setIdentity(as('lead'), witnessId, { compartmentId, fullName: REAL_NAME })),
      /^forbidden: not allowed: the lead role on this case may not open witness identities/,
    );
    // A protection officer outside the compartment cannot tell it exists.
    assert.match(
      await refusal(
        witnesses.setIdentity(as('protectionOut'), witnessId, { compartmentId, fullName: REAL_NAME }),
      ),
      /^not_found: there is no compartment/,
    );
    await witnesses.setIdentity(as('protection'), witnessId, {
      compartmentId,
      fullName: REAL_NAME,
      otherNames: 'Olena H.\nO. Hrytsenko',
      dateOfBirth: '1990-04-12',
      contact: '+380 00 000 0000',
    });
    assert.equal((await witnesses.view(as('protection'), witnessId)).identity?.fullName, REAL_NAME);
    for (const who of ['lead', 'advocate', 'protectionOut', 'analyst']) {
      const view = await witnesses.view(as(who), witnessId);
      assert.equal(view.identity, undefined, who);
      assert.equal(view.risks, undefined, who);
      assert.ok(!JSON.stringify(view).includes('Hrytsenko'), `${who} sees no trace of the name`);
    }
  });

  it('consent: given, withdrawn, and the history kept; a statement records consent at the time', async () => {
    const { witnesses, evidence } = n.node;
    const advocate = as('advocate');
    await witnesses.recordConsent(advocate, witnessId, { purpose: 'investigation', state: 'given' });
    await witnesses.recordConsent(advocate, witnessId, {
      purpose: 'sharing',
      scope: orgs.partner,
      state: 'given',
    });
    await witnesses.recordConsent(advocate, witnessId, {
      purpose: 'prosecution',
      scope: 'de',
      state: 'given',
    });
    assert.match(
      await refusal(
        witnesses.recordConsent(advocate, witnessId, { purpose: 'prosecution', scope: 'XX', state: 'given' }),
      ),
      /names a jurisdiction/,
    );
    assert.match(
      await refusal(
        witnesses.recordConsent(advocate, witnessId, { purpose: 'contact', scope: 'x', state: 'given' }),
      ),
      /consent to contact has no scope/,
    );
    statementItem = (
      await evidence.ingest(
        advocate,
        {
          caseId,
          source: bytes(`Statement. My name is ${REAL_NAME}. They took us.`),
          fileName: 'statement.txt',
        },
        'api',
      )
    ).item.id;
    redactedItem = (
      await evidence.derive(
        advocate,
        statementItem,
        { source: bytes('Statement. My name is [W-0001]. They took us.'), kind: 'redacted' },
        'api',
      )
    ).item.id;
    const s = await witnesses.addStatement(advocate, witnessId, {
      itemId: statementItem,
      takenOn: '2024-05-02',
      takenBy: 'Investigator of Org lead',
      language: 'uk',
      interpreter: 'Interpreter 7',
    });
    assert.deepEqual(s.consentAtTime.map((c) => `${c.purpose}:${c.scope}:${c.state}`).sort(), [
      'investigation::given',
      'prosecution:DE:given',
      `sharing:${orgs.partner}:given`,
    ]);
    const view = await witnesses.view(as('analyst'), witnessId);
    assert.equal(view.consent.length, 3);
    assert.equal(view.statements.length, 1);
  });

  it('risk assessments: protection officers only; a review that is due is listed', async () => {
    const { witnesses } = n.node;
    assert.match(
      await refusal(
        witnesses.addRisk(as('lead'), witnessId, {
          level: 'high',
          assessedOn: '2024-05-01',
          reviewOn: '2024-06-01',
        }),
      ),
      /^(forbidden|not_found)/,
    );
    await witnesses.addRisk(as('protection'), witnessId, {
      level: 'high',
      assessedOn: '2024-05-01',
      threats: 'Calls from unknown numbers',
      measures: 'New phone; address withheld',
      reviewOn: '2024-06-01',
    });
    const due = await witnesses.reviewsDue(as('protection'), caseId);
    assert.deepEqual(
      due.map((d) => d.witness.pseudonym),
      ['W-0001'],
    );
    assert.deepEqual(await witnesses.reviewsDue(as('protectionOut'), caseId), [], 'outside the compartment');
  });

  const exportTo = async (who: string, recipientOrgId: string | undefined, itemIds?: string[]) => {
    const file = join(dir, `bundle-${Math.random().toString(36).slice(2)}.tar`);
    const out = createWriteStream(file);
    try {
      await writeBundle(
        n.node,
        as(who),
        {
          caseId,
          ...(itemIds ? { itemIds } : {}),
          recipient: 'Federal prosecutor',
          ...(recipientOrgId ? { recipientOrgId } : {}),
          purpose: 'Trial',
        },
        out,
      );
    } finally {
      out.end();
      await finished(out).catch(() => {});
    }
    return readFile(file);
  };

  it('an export including a statement needs the recipient organisation and the witness’s consent to share with it', async () => {
    const size = async () => {
      await n.node.custody.flush();
      return (await n.node.custody.state()).size;
    };
    const before = await size();
    assert.match(
      await refusal(exportTo('lead', undefined, [redactedItem])),
      /name the recipient organisation: the export includes statements of W-0001/,
    );
    assert.match(
      await refusal(exportTo('lead', orgs.lead, [redactedItem])),
      /^forbidden: consent missing: W-0001 has not consented to sharing with the recipient organisation; nothing was exported$/,
    );
    await n.node.witnesses.recordConsent(as('advocate'), witnessId, {
      purpose: 'sharing',
      scope: orgs.partner,
      state: 'withdrawn',
    });
    assert.match(
      await refusal(exportTo('lead', orgs.partner, [redactedItem])),
      /consent missing: W-0001 withdrew consent to sharing with the recipient organisation on \d{4}-\d{2}-\d{2}/,
    );
    assert.equal(await size(), before, 'refused exports record nothing');
    await n.node.witnesses.recordConsent(as('advocate'), witnessId, {
      purpose: 'sharing',
      scope: orgs.partner,
      state: 'given',
    });
    const bundle = await exportTo('lead', orgs.partner, [redactedItem]);
    assert.ok(bundle.length > 0);
  });

  it('an export never carries a protected witness’s real name: the original statement is refused, the bundle is searched', async () => {
    const answer = await refusal(exportTo('lead', orgs.partner, [statementItem]));
    assert.match(
      answer,
      /^forbidden: item [0-9a-f-]+: its content names a protected witness; nothing was exported/,
    );
    assert.ok(!answer.includes('Hrytsenko'), 'the refusal does not repeat the name');
    // The whole case, as everyone else would export it: every byte of the bundle is searched.
    const { evidence } = n.node;
    await evidence.ingest(
      as('advocate'),
      { caseId, source: bytes('photo bytes'), fileName: 'site.jpg' },
      'api',
    );
    const items = (await evidence.list(as('lead'), { caseId: caseId as never, limit: 50 })).items
      .filter((i) => i.id !== statementItem)
      .map((i) => i.id);
    const bundle = await exportTo('lead', orgs.partner, items);
    const text = bundle.toString('latin1') + bundle.toString('utf8');
    for (const needle of ['Hrytsenko', 'hrytsenko', 'Olena Petrivna', '+380 00 000 0000', '1990-04-12']) {
      assert.ok(!text.includes(needle), `the bundle contains "${needle}"`);
    }
    assert.ok(text.includes('W-0001') || text.includes('[W-0001]'), 'the pseudonym is what appears');
    // A name typed into a capture record is caught too.
    const noted = (
      await evidence.ingest(
        as('advocate'),
        { caseId, source: bytes('another photo'), capture: { note: `given by olena petrivna  HRYTSENKO` } },
        'api',
      )
    ).item.id;
    assert.match(
      await refusal(exportTo('lead', orgs.partner, [noted])),
      /its collection note names a protected witness/,
    );
  });

  it('consent covers a statement’s whole family: the recording it came from and every copy made of it', async () => {
    const { evidence, witnesses } = n.node;
    const advocate = as('advocate');
    const w = await witnesses.create(advocate, caseId, { kind: 'witness' });
    const audio = (
      await evidence.ingest(advocate, { caseId, source: bytes('audio of W-0003'), fileName: 'a.ogg' }, 'api')
    ).item;
    const transcript = (
      await evidence.derive(
        advocate,
        audio.id,
        { source: bytes('transcript of W-0003'), kind: 'transcript' },
        'api',
      )
    ).item;
    const translation = (
      await evidence.derive(
        advocate,
        audio.id,
        { source: bytes('translation of W-0003'), kind: 'translation' },
        'api',
      )
    ).item;
    await witnesses.addStatement(advocate, w.id, {
      itemId: transcript.id,
      takenOn: '2024-06-01',
      takenBy: 'X',
      language: 'uk',
    });
    for (const item of [audio, transcript, translation]) {
      assert.match(
        await refusal(exportTo('lead', orgs.partner, [item.id])),
        /consent missing: W-0003 has not consented/,
        item.kind,
      );
    }
    // Nor can the statement leave for another case, where its consent would not follow.
    const other = await n.node.cases.create(as('lead'), { title: 'Another case' });
    assert.match(
      await refusal(evidence.linkToCase(as('lead'), translation.id, other.id, 'api')),
      /^conflict: this item is part of W-0003's statement/,
    );
  });

  it('the name guard sees through spelling tricks, encodings and the export’s own fields', async () => {
    const { evidence, witnesses } = n.node;
    const advocate = as('advocate');
    const ingest = async (data: Buffer, fileName: string) =>
      (await evidence.ingest(advocate, { caseId, source: Readable.from([data]), fileName }, 'api')).item.id;
    const variants: [string, Buffer][] = [
      ['zero-width space and soft hyphen', Buffer.from('said Olena Pet\u200brivna Hryt\u00adsenko')],
      ['diacritics and full-width letters', Buffer.from('Olena Petrívna Ｈｒｙｔｓｅｎｋｏ was there')],
      [
        'a NUL byte (not text/plain)',
        Buffer.concat([Buffer.from([0]), Buffer.from(' olena petrivna hrytsenko')]),
      ],
      [
        'UTF-16 with a byte-order mark',
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Olena Petrivna Hrytsenko', 'utf16le')]),
      ],
      ['a line break inside the name', Buffer.from('Olena Petrivna\r\n   Hrytsenko')],
      [
        'the name across a 64 KiB chunk boundary',
        Buffer.concat([Buffer.alloc(65536 - 8, 0x61), Buffer.from(' Olena Petrivna Hrytsenko')]),
      ],
    ];
    for (const [what, data] of variants) {
      const id = await ingest(data, `${what.replace(/[^a-z0-9]+/gi, '-')}.bin`);
      assert.match(await refusal(exportTo('lead', orgs.partner, [id])), /names a protected witness/, what);
    }
    const clean = await ingest(Buffer.from('nothing to see'), 'clean.txt');
    assert.match(
      await refusal(
        writeBundle(
          n.node,
          as('lead'),
          { caseId, itemIds: [clean], recipient: 'Court', purpose: 'Testimony of Olena Petrivna Hrytsenko' },
          createWriteStream(join(dir, 'purpose.tar')),
        ),
      ),
      /^forbidden: the export's purpose names a protected witness; nothing was exported$/,
    );
    // A name once typed into an item's description stays in its custody record: searched as text.
    await evidence.editMetadata(as('lead'), clean, { description: 'Olena Petrivna\nHrytsenko' }, 'api');
    await evidence.editMetadata(as('lead'), clean, { description: 'redacted' }, 'api');
    assert.match(
      await refusal(exportTo('lead', orgs.partner, [clean])),
      /custody record names a protected witness/,
    );
    // And a pseudonym may not carry the name either.
    assert.match(
      await refusal(witnesses.create(advocate, caseId, { pseudonym: 'Hrytsenko-1' })),
      /must not contain a name of a protected witness/,
    );
  });

  it('inside Accord too, a partner sees a statement only while the witness consents to sharing with it', async () => {
    const { accounts, cases, evidence, witnesses } = n.node;
    const { user } = await accounts.createUser(operator, {
      orgId: orgs.partner,
      username: 'partner-investigator',
      displayName: 'Partner investigator',
      role: 'investigator',
      password: 'correct horse battery staple',
    });
    const partner = actorOf(user);
    await cases.putMember(as('lead'), caseId, { userId: user.id, role: 'investigator' });
    await cases.saveAgreement(as('lead'), caseId, {
      title: 'JIT',
      basisKind: 'eu_jit_model',
      startsOn: '2020-01-01',
      participants: [{ orgId: orgs.partner, country: 'DE', receives: ['originals', 'witnesses'] }],
    });
    const visible = async () => {
      const list = await evidence.list(partner, { caseId: caseId as never, limit: 500 });
      assert.equal(list.total, list.items.length, 'the count matches what is listed');
      return new Set<string>(list.items.map((i) => i.id));
    };
    await witnesses.recordConsent(as('advocate'), witnessId, {
      purpose: 'sharing',
      scope: orgs.partner,
      state: 'given',
    });
    assert.ok((await visible()).has(redactedItem));
    assert.equal((await evidence.get(partner, redactedItem)).id, redactedItem);

    await witnesses.recordConsent(as('advocate'), witnessId, {
      purpose: 'sharing',
      scope: orgs.partner,
      state: 'withdrawn',
    });
    const after = await visible();
    for (const id of [statementItem, redactedItem]) {
      assert.ok(!after.has(id), 'withheld from lists and counts');
      assert.equal(
        await refusal(evidence.get(partner, id)),
        `not_found: there is no evidence item ${id}`,
        'opened by id it does not exist',
      );
    }
    // Members of the lead organisation are not affected; giving consent again restores the partner's view.
    assert.equal((await evidence.get(as('lead'), redactedItem)).id, redactedItem);
    await witnesses.recordConsent(as('advocate'), witnessId, {
      purpose: 'sharing',
      scope: orgs.partner,
      state: 'given',
    });
    assert.ok((await visible()).has(redactedItem));
  });

  it('contact details identify too: telephone numbers however written, e-mail addresses, address lines', async () => {
    const { evidence, witnesses } = n.node;
    await witnesses.setIdentity(as('protection'), witnessId, {
      compartmentId,
      fullName: REAL_NAME,
      otherNames: 'Olena H.\nO. Hrytsenko',
      dateOfBirth: '1990-04-12',
      contact: '+380 00 000 0000, olena.h@example.org',
      address: 'vul. Shevchenka 12\nKyiv',
    });
    const ingest = async (text: string) =>
      (await evidence.ingest(as('advocate'), { caseId, source: bytes(text), fileName: 'note.txt' }, 'api'))
        .item.id;
    for (const text of [
      'call her on (380) 00-000-00-00 after six',
      'write to OLENA.H@EXAMPLE.ORG',
      'she lives at Vul.  Shevchenka 12, second floor',
    ]) {
      assert.match(
        await refusal(exportTo('lead', orgs.partner, [await ingest(text)])),
        /content names a protected witness/,
        text,
      );
    }
    // Digits of other numbers, or the same digits broken by words, are not the number.
    const fine = await ingest('case 380 and file 00 of 000, page 0000');
    assert.equal((await exportTo('lead', orgs.partner, [fine])).length > 0, true);
  });
});
