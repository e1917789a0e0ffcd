import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  type Actor,
  actorOf,
  type CaseRole,
  type DataCategory,
  type ItemRecord,
  type Principal,
  type Role,
} from '@accord/core';
import { createTestNode, describeEachDatabase, refusal, type TestNode } from '../testing/harness.ts';

/**
 * The authorization bar of the cases issue, end to end on both databases: members of a case in
 * several organisations, inside and outside a compartment, with and without a joint investigation
 * team agreement. Someone outside a compartment must not be able to learn that anything in it
 * exists — not from lists, counts, filtered searches, the case dashboard, incidents, the proof
 * matrix, the gap analysis, derived-item lists, timelines, proofs or the case history.
 * (The role × action table itself is tested exhaustively in core's policy.test.ts.)
 */
describeEachDatabase('case access: compartments, organisations, agreements', (create, name) => {
  let n: TestNode;
  const operator = { operator: true } as const;
  const actors = new Map<string, Actor>();
  let caseId = '';
  let compartmentId = '';
  const items: Record<string, ItemRecord> = {};
  const incidents: Record<string, string> = {};
  let chargeId = '';
  /** An item id that exists nowhere: outsiders must get exactly the answer it gets. */
  const NOWHERE = '00000000-0000-4000-8000-0000000000ff';

  const as = (key: string): Principal => {
    const a = actors.get(key);
    assert.ok(a, key);
    return a;
  };
  const bytes = (text: string) => Readable.from([Buffer.from(text)]);
  /** The error message, with the id replaced, so answers for different ids can be compared. */
  before(async () => {
    n = await createTestNode(create, name, { checkpointIntervalMs: 20 });
    const { accounts, cases, evidence } = n.node;
    const orgs: Record<string, string> = {};
    for (const [key, country] of [
      ['lead', 'NL'],
      ['partner', 'UA'],
      ['derived', 'DE'],
      ['none', 'FR'],
    ] as const) {
      orgs[key] = (
        await accounts.createOrganisation(operator, { name: `Org ${key}`, country, kind: 'other' })
      ).id;
    }
    const people: [string, string, Role, CaseRole | null, boolean][] = [
      // key, organisation, node role, case role (null: not a member), in the compartment
      ['lead', 'lead', 'investigator', 'lead', true],
      ['insider', 'lead', 'investigator', 'investigator', true],
      ['outsider', 'lead', 'investigator', 'investigator', false],
      ['observer', 'lead', 'investigator', 'observer', false],
      ['partnerIn', 'partner', 'analyst', 'analyst', true],
      ['partnerOut', 'partner', 'analyst', 'analyst', false],
      ['derivedOnly', 'derived', 'investigator', 'investigator', false],
      ['noAgreement', 'none', 'investigator', 'investigator', false],
      ['stranger', 'lead', 'admin', null, false],
    ];
    for (const [key, org, role] of people) {
      const { user } = await accounts.createUser(operator, {
        orgId: orgs[org],
        username: key.toLowerCase(),
        displayName: key,
        role,
        password: 'correct horse battery staple',
      });
      actors.set(key, actorOf(user));
    }
    const lead = as('lead');
    caseId = (await cases.create(lead, { title: 'Case with a compartment', jurisdictions: ['ICC', 'DE'] }))
      .id;
    for (const [key, , , caseRole] of people) {
      if (caseRole && key !== 'lead') {
        await cases.putMember(lead, caseId, { userId: actors.get(key)!.userId, role: caseRole });
      }
    }
    await cases.saveAgreement(lead, caseId, {
      title: 'JIT',
      basisKind: 'eu_jit_model',
      startsOn: '2020-01-01',
      participants: [
        { orgId: orgs.partner, country: 'UA', receives: ['originals', 'incidents', 'analysis'] },
        { orgId: orgs.derived, country: 'DE', receives: ['derivatives', 'incidents', 'analysis'] },
      ],
    });
    // An agreement that has ended gives nothing.
    await cases.saveAgreement(lead, caseId, {
      title: 'Expired',
      basisKind: 'bilateral',
      startsOn: '2019-01-01',
      endsOn: '2019-12-31',
      participants: [{ orgId: orgs.none, country: 'FR', receives: ['originals', 'incidents', 'analysis'] }],
    });
    const compartment = await cases.createCompartment(lead, caseId, {
      name: 'Witness protection',
      members: ['insider', 'partnerIn'].map((k) => actors.get(k)!.userId),
    });
    compartmentId = compartment.id;

    const insider = as('insider');
    const ingest = async (key: string, text: string, inCompartment: boolean) => {
      items[key] = (
        await evidence.ingest(
          insider,
          {
            caseId,
            source: bytes(text),
            fileName: `${key}.txt`,
            ...(inCompartment ? { compartmentId } : {}),
          },
          'api',
        )
      ).item;
    };
    await ingest('general', 'a general statement', false);
    await ingest('secret', 'a protected witness statement', true);
    items.generalRedacted = (
      await evidence.derive(
        insider,
        items.general!.id,
        { source: bytes('a general [...]'), kind: 'redacted' },
        'api',
      )
    ).item;
    items.secretRedacted = (
      await evidence.derive(
        insider,
        items.secret!.id,
        { source: bytes('a protected [...]'), kind: 'redacted' },
        'api',
      )
    ).item;

    incidents.general = (
      await cases.saveIncident(insider, caseId, {
        title: 'Shelling of the market',
        occurredFrom: '2022-03-09',
      })
    ).id;
    incidents.secret = (
      await cases.saveIncident(insider, caseId, {
        title: 'Threats against a witness',
        occurredFrom: '2022-04',
        compartmentId,
      })
    ).id;
    await cases.linkIncidentItem(insider, incidents.general, items.general!.id, true);
    await cases.linkIncidentItem(insider, incidents.general, items.secret!.id, true);

    const suspect = await cases.addSuspect(insider, caseId, {
      name: 'Commander X',
      position: 'Brigade commander',
    });
    chargeId = (
      await cases.addCharge(insider, caseId, {
        suspectId: suspect.id,
        crimeId: 'rs-7-1-a',
        modeId: 'rs-28-a',
      })
    ).id;
    const grade = { weight: 'high', reliability: 'B', credibility: '2' };
    await cases.addLink(insider, chargeId, {
      elementId: 'rs-7-1-a.1',
      itemId: items.general!.id,
      stance: 'supports',
      ...grade,
    });
    await cases.addLink(insider, chargeId, {
      elementId: 'rs-7-1-a.1',
      itemId: items.secret!.id,
      stance: 'supports',
      ...grade,
    });
    await cases.addLink(insider, chargeId, {
      elementId: 'rs-7-1-a.2',
      itemId: items.secretRedacted!.id,
      stance: 'contradicts',
      ...grade,
    });
    await cases.addLink(insider, chargeId, {
      elementId: 'rs-7-1-a.3',
      itemId: items.generalRedacted!.id,
      stance: 'supports',
      ...grade,
    });
    await cases.setProfile(insider, items.general!.id, { sourceKind: 'testimony', sourceLabel: 'W-0001' });
    await cases.setProfile(insider, items.secret!.id, {
      sourceKind: 'documentary',
      sourceLabel: 'Protected file',
    });
  });
  after(() => n?.close());

  /** What each member may see, written out by hand. */
  const SEES: Record<string, { items: string[]; incidents: string[]; matrix: boolean }> = {
    lead: {
      items: ['general', 'secret', 'generalRedacted', 'secretRedacted'],
      incidents: ['general', 'secret'],
      matrix: true,
    },
    insider: {
      items: ['general', 'secret', 'generalRedacted', 'secretRedacted'],
      incidents: ['general', 'secret'],
      matrix: true,
    },
    outsider: { items: ['general', 'generalRedacted'], incidents: ['general'], matrix: true },
    observer: { items: [], incidents: ['general'], matrix: false },
    partnerIn: {
      items: ['general', 'secret', 'generalRedacted', 'secretRedacted'],
      incidents: ['general', 'secret'],
      matrix: true,
    },
    partnerOut: { items: ['general', 'generalRedacted'], incidents: ['general'], matrix: true },
    derivedOnly: { items: ['generalRedacted'], incidents: ['general'], matrix: true },
    noAgreement: { items: [], incidents: [], matrix: false },
  };
  const names = (list: readonly { id: string }[]) =>
    list.map((i) => Object.entries(items).find(([, v]) => v.id === i.id)?.[0] ?? i.id).sort();

  it('whoever creates a compartment is in it; others see only the compartments they are in', async () => {
    assert.deepEqual(await n.node.cases.compartments(as('outsider'), caseId), []);
    assert.equal((await n.node.cases.compartments(as('insider'), caseId)).length, 1);
    const shown = await n.node.cases.compartments(as('lead'), caseId);
    assert.deepEqual(
      shown.map((k) => k.name),
      ['Witness protection'],
    );
    assert.equal(shown[0]?.members.includes(actors.get('lead')!.userId), true);
  });

  for (const who of Object.keys(SEES)) {
    it(`${who}: lists, counts and filtered searches show exactly what they may see`, async () => {
      const expected = SEES[who]!;
      const { evidence, cases } = n.node;
      const me = as(who);
      {
        const all = await evidence.list(me, { caseId: caseId as never, limit: 50 });
        assert.deepEqual(names(all.items), [...expected.items].sort());
        assert.equal(all.total, expected.items.length, 'the count matches the list');
        const unfiltered = await evidence.list(me, { limit: 50 });
        assert.deepEqual(names(unfiltered.items), [...expected.items].sort(), 'without a case filter too');
        const search = await evidence.list(me, { caseId: caseId as never, mediaPrefix: 'text/', limit: 1 });
        assert.equal(search.total, expected.items.length, 'a filtered search counts only visible items');
        const derived = await evidence.derived(me, items.general!.id).catch(() => []);
        assert.ok(!derived.some((d) => d.id === items.secretRedacted!.id));
      }
      const dashboard = await cases.dashboard(me, caseId);
      assert.equal(dashboard.counts.items, who === 'observer' ? 0 : expected.items.length);
      assert.equal(dashboard.counts.incidents, expected.incidents.length);
      if (expected.incidents.length > 0) {
        const listed = await cases.listIncidents(me, caseId);
        assert.deepEqual(
          listed.map((i) => Object.entries(incidents).find(([, id]) => id === i.id)?.[0]).sort(),
          expected.incidents,
        );
        const general = await cases.incident(me, incidents.general!);
        assert.deepEqual(
          names(general.items),
          expected.items.filter((k) => k === 'general' || k === 'secret').sort(),
        );
      } else {
        assert.match(await refusal(cases.listIncidents(me, caseId), caseId), /^not_found/);
      }
      for (const event of await cases.history(me, caseId)) {
        if (!expected.incidents.includes('secret')) assert.equal(event.compartmentId, null, event.type);
      }
    });

    it(`${who}: items, incidents and links in the compartment answer exactly like things that do not exist`, async () => {
      const expected = SEES[who]!;
      const { evidence, cases } = n.node;
      const me = as(who);
      for (const key of ['secret', 'secretRedacted', 'general', 'generalRedacted']) {
        const id = items[key]!.id;
        const answer = await refusal(evidence.get(me, id), id);
        if (expected.items.includes(key)) assert.equal(answer, 'allowed', key);
        else if (who === 'observer' && key.startsWith('general')) assert.match(answer, /^forbidden/, key);
        else assert.equal(answer, await refusal(evidence.get(me, NOWHERE), NOWHERE), key);
        for (const attempt of [
          () => evidence.timeline(me, id),
          () => evidence.view(me, id, 'api'),
          () => evidence.collections(me, id as never),
        ]) {
          const a = await refusal(attempt(), id);
          assert.equal(a === 'allowed', expected.items.includes(key), `${key}: ${a}`);
        }
      }
      const event = (await evidence.timeline(operator, items.secret!.id))[0]!.event;
      const proof = await refusal(evidence.proveEvent(me, event.id), event.id);
      if (expected.items.includes('secret')) assert.equal(proof, 'allowed');
      else if (who !== 'observer') assert.equal(proof, `not_found: there is no custody event <id>`);
      const secretIncident = await refusal(cases.incident(me, incidents.secret!), incidents.secret!);
      assert.equal(secretIncident === 'allowed', expected.incidents.includes('secret'));
      if (!expected.incidents.includes('secret')) {
        const missing = '00000000-0000-4000-8000-0000000000fe';
        assert.equal(secretIncident, await refusal(cases.incident(me, missing), missing));
      }
    });

    it(`${who}: the proof matrix and the gap analysis show only cells of visible items`, async () => {
      const expected = SEES[who]!;
      const { cases } = n.node;
      const me = as(who);
      if (!expected.matrix) {
        assert.match(
          await refusal(cases.matrix(me, caseId), caseId),
          who === 'observer' ? /^forbidden/ : /^not_found/,
        );
        assert.match(await refusal(cases.gaps(me, chargeId, 'ICC'), chargeId), /^(forbidden|not_found)/);
        return;
      }
      const matrix = await cases.matrix(me, caseId);
      const linked = new Set(matrix.links.map((l) => l.itemId));
      assert.deepEqual(names([...linked].map((id) => ({ id }))), [...expected.items].sort());
      assert.deepEqual(names(matrix.items), [...expected.items].sort());
      assert.ok(matrix.profiles.every((p) => expected.items.some((k) => items[k]!.id === p.itemId)));
      const { report } = await cases.gaps(me, chargeId, 'ICC');
      const cellItems = new Set(report.rows.flatMap((r) => r.cells.map((c) => c.itemId)));
      assert.deepEqual(names([...cellItems].map((id) => ({ id }))), [...expected.items].sort());
      const e1 = report.rows.find((r) => r.element.id === 'rs-7-1-a.1')!;
      const e2 = report.rows.find((r) => r.element.id === 'rs-7-1-a.2')!;
      if (expected.items.includes('secret')) {
        // Testimony (W-0001) and the protected documentary file: corroborated.
        assert.equal(e1.status, 'corroborated');
        assert.equal(e2.contradicted, true);
      } else {
        // Without the compartment the same element rests on one source, and nothing contradicts.
        assert.equal(e1.status, expected.items.includes('general') ? 'single_source' : 'unproven');
        assert.equal(e2.contradicted, false);
        assert.equal(e2.cells.length, 0);
      }
    });
  }

  it('someone who is not a member learns nothing: the case itself answers "not found"', async () => {
    const stranger = as('stranger');
    const { cases, evidence } = n.node;
    assert.deepEqual(await cases.list(stranger), []);
    const missingCase = '00000000-0000-4000-8000-0000000000fd';
    for (const [attempt, id] of [
      [() => cases.view(stranger, caseId), caseId],
      [() => cases.dashboard(stranger, caseId), caseId],
      [() => cases.matrix(stranger, caseId), caseId],
    ] as const) {
      assert.equal(await refusal(attempt(), id), `not_found: there is no case <id>`);
    }
    assert.equal(
      await refusal(cases.view(stranger, missingCase), missingCase),
      `not_found: there is no case <id>`,
    );
    assert.deepEqual((await evidence.list(stranger, { limit: 50 })).items, []);
    assert.equal(
      await refusal(evidence.get(stranger, items.general!.id), items.general!.id),
      `not_found: there is no evidence item <id>`,
    );
  });

  it('uploading the bytes of a compartment item elsewhere in the case records nothing and reveals no id', async () => {
    const outsider = as('outsider');
    const before = (await n.node.custody.state()).size;
    const answer = await refusal(
      n.node.evidence.ingest(outsider, { caseId, source: bytes('a protected witness statement') }, 'api'),
      items.secret!.id,
    );
    assert.match(
      answer,
      /^conflict: these exact bytes are already filed in this case under a different compartment/,
    );
    assert.doesNotMatch(answer, /<id>/);
    await n.node.custody.flush();
    assert.equal((await n.node.custody.state()).size, before);
  });

  it('a member outside the compartment cannot file items into it, link them, or move them out', async () => {
    const outsider = as('outsider');
    const { cases, evidence } = n.node;
    assert.match(
      await refusal(evidence.requireCase(outsider, caseId, compartmentId), compartmentId),
      /^not_found: there is no compartment <id> in this case/,
    );
    assert.match(
      await refusal(cases.fileItem(outsider, items.general!.id, compartmentId), compartmentId),
      /^not_found/,
    );
    assert.match(
      await refusal(cases.fileItem(outsider, items.secret!.id, null), items.secret!.id),
      /^not_found: there is no evidence item <id>/,
    );
    assert.match(
      await refusal(
        cases.addLink(outsider, chargeId, {
          elementId: 'rs-7-1-a.1',
          itemId: items.secret!.id,
          stance: 'supports',
          weight: 'low',
          reliability: 'C',
          credibility: '3',
        }),
        items.secret!.id,
      ),
      /^not_found: there is no evidence item <id>/,
    );
  });

  it('incidents: an end is before a start only when even its last moment is; unlinking needs a link', async () => {
    const { cases } = n.node;
    const insider = as('insider');
    const save = (occurredFrom: string, occurredTo: string) =>
      refusal(cases.saveIncident(insider, caseId, { title: 'Timing', occurredFrom, occurredTo }), '');
    assert.equal(await save('2022-03-09T10:00:00+02:00', '2022-03-09T09:30:00Z'), 'allowed');
    assert.equal(await save('2022-03-09T10:15:00Z', '2022-03-09'), 'allowed');
    assert.equal(await save('2022-03', '2022-03-31'), 'allowed');
    assert.match(await save('2022-03-10', '2022-03-09'), /the incident cannot end before it starts/);
    assert.match(
      await save('2022-03-09T10:00:00Z', '2022-03-09T11:59:00+02:00'),
      /cannot end before it starts/,
    );
    assert.match(
      await refusal(cases.linkIncidentItem(insider, incidents.secret!, items.general!.id, false), ''),
      /^not_found: this item is not linked to the incident/,
    );
  });

  it('filing an item into a compartment takes what was derived with it, and its history', async () => {
    const { cases, evidence } = n.node;
    const insider = as('insider');
    const outsider = as('outsider');
    const later = (await evidence.ingest(insider, { caseId, source: bytes('filed later') }, 'api')).item;
    const laterT = (
      await evidence.derive(
        insider,
        later.id,
        { source: bytes('filed later, transcribed'), kind: 'transcript' },
        'api',
      )
    ).item;
    await cases.setProfile(insider, later.id, { sourceKind: 'testimony', sourceLabel: 'W-0777' });
    const grade = { weight: 'low', reliability: 'C', credibility: '3' };
    await cases.addLink(insider, chargeId, {
      elementId: 'rs-7-1-a.3',
      itemId: later.id,
      stance: 'supports',
      ...grade,
    });
    const mentions = async (who: Principal) =>
      (await cases.history(who, caseId, 500)).filter(
        (e) => e.subjectId === later.id || e.type === 'link.added',
      ).length;
    assert.equal((await evidence.get(outsider, laterT.id)).id, laterT.id);
    const before = await mentions(outsider);
    const insiderBefore = await mentions(insider);
    assert.ok(before >= 2);

    await cases.fileItem(insider, later.id, compartmentId);
    for (const id of [later.id, laterT.id]) {
      assert.match(
        await refusal(evidence.get(outsider, id), id),
        /^not_found: there is no evidence item <id>/,
      );
    }
    assert.equal(await mentions(outsider), before - 2, 'the profile and the link left with the item');
    assert.ok((await cases.history(outsider, caseId, 500)).every((e) => e.subjectId !== later.id));
    assert.equal(await mentions(insider), insiderBefore + 1, 'members of the compartment still see it all');

    // A transcript shared with the whole case on purpose stays where it is put.
    await cases.fileItem(insider, laterT.id, null);
    assert.equal((await evidence.get(outsider, laterT.id)).id, laterT.id);
  });

  it('members whose organisation may not receive originals cannot add them, and are told why', async () => {
    for (const who of ['derivedOnly', 'noAgreement']) {
      const answer = await refusal(n.node.evidence.requireCase(as(who), caseId), caseId);
      assert.match(
        answer,
        /^forbidden: not allowed: no joint investigation team agreement in force lets your organisation receive originals/,
        who,
      );
    }
  });

  it('an item in a compartment cannot be linked into another case (its copy would be in plain sight)', async () => {
    const insider = as('insider');
    const other = await n.node.cases.create(insider, { title: 'Another case' });
    const answer = await refusal(n.node.evidence.linkToCase(insider, items.secret!.id, other.id, 'api'), '');
    assert.match(
      answer,
      /^conflict: this item is filed in a compartment; link a redacted derivative instead/,
    );
  });

  it('two leads demoting each other at the same moment cannot leave the case without a lead', async () => {
    const { cases } = n.node;
    const lead = as('lead');
    const insider = as('insider');
    const kase = await cases.create(lead, { title: 'Two leads' });
    await cases.putMember(lead, kase.id, { userId: actors.get('insider')!.userId, role: 'lead' });
    const results = await Promise.allSettled([
      cases.putMember(lead, kase.id, { userId: actors.get('lead')!.userId, role: 'investigator' }),
      cases.putMember(insider, kase.id, { userId: actors.get('insider')!.userId, role: 'investigator' }),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const leads = (await cases.members({ operator: true }, kase.id)).filter((m) => m.role === 'lead');
    assert.equal(leads.length, 1);
  });

  it('a statement and its own translation are one source, however each is classified', async () => {
    const { cases, evidence } = n.node;
    const insider = as('insider');
    const statement = (
      await evidence.ingest(insider, { caseId, source: bytes('statement of W-0900') }, 'api')
    ).item;
    const translation = (
      await evidence.derive(
        insider,
        statement.id,
        { source: bytes('translation of W-0900'), kind: 'translation' },
        'api',
      )
    ).item;
    await cases.setProfile(insider, statement.id, { sourceKind: 'testimony', sourceLabel: 'W-0900' });
    await cases.setProfile(insider, translation.id, {
      sourceKind: 'documentary',
      sourceLabel: 'Sworn translation',
    });
    const suspect = await cases.addSuspect(insider, caseId, { name: 'Commander Y' });
    const charge = await cases.addCharge(insider, caseId, {
      suspectId: suspect.id,
      crimeId: 'rs-7-1-a',
      modeId: 'rs-28-a',
    });
    const grade = { weight: 'high', reliability: 'B', credibility: '2' };
    for (const item of [statement, translation]) {
      await cases.addLink(insider, charge.id, {
        elementId: 'rs-7-1-a.1',
        itemId: item.id,
        stance: 'supports',
        ...grade,
      });
    }
    const { report } = await cases.gaps(insider, charge.id, 'ICC');
    const row = report.rows.find((r) => r.element.id === 'rs-7-1-a.1')!;
    assert.equal(row.status, 'single_source');
    assert.match(row.reasons.join(), /only one independent source \(W-0900\)/);
  });

  it('suspects are analysis: incident readers see only the names of those alleged in their incidents', async () => {
    const { cases } = n.node;
    const insider = as('insider');
    const suspect = (await cases.suspects(insider, caseId))[0]!;
    await cases.saveIncident(
      insider,
      caseId,
      { title: 'Shelling of the market', occurredFrom: '2022-03-09', perpetratorIds: [suspect.id] },
      incidents.general,
    );
    assert.match(await refusal(cases.suspects(as('observer'), caseId), caseId), /^forbidden/);
    const seen = await cases.incident(as('observer'), incidents.general!);
    assert.deepEqual(
      seen.suspects.map((s) => [s.name, s.position, s.note]),
      [[suspect.name, '', '']],
    );
    assert.equal((await cases.incident(insider, incidents.general!)).suspects[0]?.position, suspect.position);
  });

  it('outsiders get the same words whether a case exists or not, whatever they try', async () => {
    const stranger = as('stranger');
    const missingCase = '00000000-0000-4000-8000-0000000000fc';
    const { cases, evidence } = n.node;
    for (const [attempt, missing] of [
      [
        () => cases.saveIncident(stranger, caseId, { title: 'X', occurredFrom: '2022-01' }),
        () => cases.saveIncident(stranger, missingCase, { title: 'X', occurredFrom: '2022-01' }),
      ],
      [
        () => evidence.requireCase(stranger, caseId, compartmentId),
        () => evidence.requireCase(stranger, missingCase, compartmentId),
      ],
      [
        () => cases.setCompartmentMembers(stranger, compartmentId, []),
        () => cases.setCompartmentMembers(stranger, NOWHERE, []),
      ],
    ] as const) {
      const a = await refusal(attempt(), caseId);
      const b = await refusal(missing(), missingCase);
      assert.equal(a.replace(compartmentId, '<c>'), b.replace(NOWHERE, '<c>'));
      assert.match(a, /^not_found/);
    }
    // A member of the case who is neither lead nor in the compartment cannot tell it exists either.
    assert.equal(
      await refusal(cases.setCompartmentMembers(as('outsider'), compartmentId, []), compartmentId),
      await refusal(cases.setCompartmentMembers(as('outsider'), NOWHERE, []), NOWHERE),
    );
  });

  it('an export by a member outside the compartment leaves its items out without naming them', async () => {
    const plan = await n.node.evidence.recordExport(
      as('outsider'),
      { caseId, recipient: 'Court', purpose: 'Trial' },
      'api',
    );
    const exported = new Set(plan.items.map((i) => i.item.id));
    assert.ok(exported.has(items.general!.id) && exported.has(items.generalRedacted!.id));
    const visible = await n.node.evidence.list(as('outsider'), { caseId: caseId as never, limit: 500 });
    assert.deepEqual(
      [...exported].sort(),
      visible.items.map((i) => i.id).sort(),
      'exactly what the exporter sees',
    );
    for (const hidden of [items.secret!, items.secretRedacted!]) assert.ok(!exported.has(hidden.id));
    assert.deepEqual(plan.left, []);
  });
});

describe('case access: nothing but the policy module decides', () => {
  it('the data categories of agreements are the policy module’s', async () => {
    const categories: DataCategory[] = ['originals', 'derivatives', 'incidents', 'analysis', 'witnesses'];
    const { DATA_CATEGORIES } = await import('@accord/core');
    assert.deepEqual([...DATA_CATEGORIES], categories);
  });
});
