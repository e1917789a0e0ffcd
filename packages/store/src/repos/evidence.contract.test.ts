import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  type CaseId,
  CustodyLog,
  type EventDraft,
  hashLeafSync,
  type ItemId,
  isAccordError,
  type NewItem,
  newId,
  type OrgId,
  parseEventBytes,
  privateMatches,
  type Sha256Hex,
  TileTree,
} from '@accord/core';
import * as custody from '@accord/custody';
import { sql } from 'kysely';
import type { OpenDatabase } from '../db/open.ts';
import { describeEachDatabase, withDatabase } from '../testing/index.ts';
import { KyselyEvidenceRepo } from './evidence-repo.ts';

const ORIGIN = 'accord.test/log';
const NOW = '2026-11-25T09:00:00.000Z';
const clock = { now: () => new Date(NOW) };

const setup = async (database: OpenDatabase) => {
  const orgId = newId<OrgId>();
  const caseId = newId<CaseId>();
  await database.db
    .insertInto('organisations')
    .values({ id: orgId, name: `Org ${orgId}`, country: 'UA', kind: 'ngo', created_at: NOW })
    .execute();
  await database.db
    .insertInto('cases')
    .values({ id: caseId, title: 'Case', lead_org_id: orgId, created_by: null, created_at: NOW })
    .execute();
  const { skey, vkey } = await custody.generateKeyPair(ORIGIN);
  const signer = await custody.parseSignerKey(skey);
  const verifier = await custody.parseVerifierKey(vkey);
  const repo = new KyselyEvidenceRepo(database.db);
  const log = new CustodyLog({ repo, signer, verifier, origin: ORIGIN, clock, checkpointIntervalMs: 10 });
  return { orgId, caseId, repo, log, verifier };
};

const newItem = (caseId: CaseId, n: number): NewItem => ({
  id: newId<ItemId>(),
  caseId,
  sha256: Buffer.alloc(32, n).toString('hex') as Sha256Hex,
  size: n,
  mediaType: 'application/octet-stream',
  title: `item ${n}`,
  description: '',
  kind: 'original',
  derivedFrom: null,
  metadata: { n },
  problems: [],
  capturedAt: null,
  latitude: n % 2 === 0 ? 10 : null,
  longitude: n % 2 === 0 ? 20 : null,
  sensitive: false,
  holderOrgId: null,
  holderUserId: null,
  createdAt: NOW,
  createdBy: null,
});

const draft = (action: EventDraft['action'], privateFields?: Record<string, unknown>): EventDraft => ({
  id: newId(),
  action,
  at: NOW,
  actor: { user: null, org: null, via: 'cli' },
  ...(privateFields ? { private: privateFields } : {}),
});

describeEachDatabase('evidence repository and custody log', (create) => {
  it(
    'appends items and events atomically; the tree matches the reference and checkpoints verify',
    withDatabase(create, async ({ database }) => {
      const { caseId, repo, log, verifier } = await setup(database);
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, n) =>
          log.submit([
            {
              item: { ensure: newItem(caseId, n) },
              events: [draft('collected', { collectedBy: `collector ${n}` })],
              eventsOnCreate: [draft('registered')],
            },
          ]),
        ),
      );
      assert.equal(results.length, 40);
      for (const [r] of results) {
        assert.ok(r?.created);
        assert.equal(r?.events.length, 2);
      }
      await log.flush();
      const state = await repo.logState();
      assert.equal(state.size, 80);
      const entries = await repo.readEntries(0, 80);
      const reference = await custody.rootFromLeafHashes(entries.map(hashLeafSync));
      assert.deepEqual(state.root, reference);
      const checkpoint = await repo.latestCheckpoint();
      assert.equal(checkpoint?.size, 80);
      const verified = await custody.verifyCheckpoint(checkpoint?.note ?? '', [verifier], { origin: ORIGIN });
      assert.deepEqual(verified.rootHash, reference);

      // Each event: canonical bytes, chain to the previous event of its item, private commitment.
      const first = results[0]?.[0];
      const events = await repo.listEvents(first?.item.id as ItemId);
      const docs = events.map((e) => parseEventBytes(e.bytes));
      assert.deepEqual(
        docs.map((d) => d.action),
        ['collected', 'registered'],
      );
      assert.equal(docs[0]?.prev, null);
      assert.equal(docs[1]?.prev, events[0]?.hash);
      assert.equal(docs[0]?.item, first?.item.sha256);
      assert.ok(docs[0] && privateMatches(docs[0], events[0]?.privateRecord ?? null));
      assert.doesNotMatch(Buffer.from(events[0]?.bytes ?? []).toString(), /collector/);
      const item = await repo.getItem(first?.item.id as ItemId);
      assert.equal(item?.headHash, events[1]?.hash);
      assert.equal(item?.eventCount, 2);

      // Inclusion proofs from stored tiles verify against the signed checkpoint.
      const tree = new TileTree(repo, 80);
      for (const e of events) {
        const proof = await tree.inclusionProof(e.leafIndex);
        await custody.verifyInclusion(e.leafIndex, 80, hashLeafSync(e.bytes), proof, verified.rootHash);
      }
      await log.close();
    }),
  );

  it(
    'the same bytes collected again in the same case add a collected event to the existing item',
    withDatabase(create, async ({ database }) => {
      const { caseId, repo, log } = await setup(database);
      const a = newItem(caseId, 7);
      const [first] = await log.submit([
        { item: { ensure: a }, events: [draft('collected')], eventsOnCreate: [draft('registered')] },
      ]);
      const [second] = await log.submit([
        {
          item: { ensure: { ...a, id: newId<ItemId>() } },
          events: [draft('collected')],
          eventsOnCreate: [draft('registered')],
        },
      ]);
      assert.equal(second?.created, false);
      assert.equal(second?.item.id, first?.item.id);
      assert.deepEqual(
        second?.events.map((e) => e.action),
        ['collected'],
      );
      const { items, total } = await repo.listItems({ caseId, limit: 10 });
      assert.equal(total, 1);
      assert.equal(items[0]?.eventCount, 3);
      await log.close();
    }),
  );

  it(
    'a failing unit writes nothing, and does not sink the other units of its batch',
    withDatabase(create, async ({ database }) => {
      const { caseId, repo, log } = await setup(database);
      const [sealed] = await log.submit([
        {
          item: { ensure: newItem(caseId, 1) },
          patch: { sealedAt: NOW, sealReason: 'test' },
          events: [draft('sealed')],
        },
      ]);
      const before = await repo.logState();
      const outcomes = await Promise.allSettled([
        log.submit([{ item: { ensure: newItem(caseId, 2) }, events: [draft('collected')] }]),
        log.submit([
          { item: { ensure: newItem(caseId, 3) }, events: [draft('collected')] },
          { item: { id: sealed?.item.id as ItemId }, refuseIfSealed: true, events: [draft('derived')] },
        ]),
        log.submit([{ item: { id: newId<ItemId>() }, events: [draft('viewed')] }]),
        log.submit([{ item: { ensure: newItem(caseId, 4) }, events: [draft('collected')] }]),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'rejected', 'rejected', 'fulfilled'],
      );
      const reasons = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      assert.ok(reasons.every(isAccordError));
      assert.match(reasons[0]?.message ?? '', /is sealed/);
      assert.match(reasons[1]?.message ?? '', /there is no evidence item/);
      const after = await repo.logState();
      assert.equal(after.size, before.size + 2);
      const { total } = await repo.listItems({ caseId, limit: 10 });
      assert.equal(total, 3, 'item 3 of the refused unit was not created');
      await log.close();
    }),
  );

  it(
    'custody events, capture records and checkpoints are append-only in the database',
    withDatabase(create, async ({ database }) => {
      const { caseId, log } = await setup(database);
      await log.submit([{ item: { ensure: newItem(caseId, 1) }, events: [draft('collected')] }]);
      await log.flush();
      for (const statement of [
        sql`UPDATE custody_events SET action = 'viewed'`,
        sql`DELETE FROM custody_events`,
        sql`DELETE FROM log_checkpoints`,
      ]) {
        await assert.rejects(statement.execute(database.db), /append-only/);
      }
      await log.close();
    }),
  );

  it(
    'lists items by case, media type, date and location, with a total',
    withDatabase(create, async ({ database }) => {
      const { caseId, repo, log } = await setup(database);
      for (let n = 0; n < 6; n += 1) {
        await log.submit([{ item: { ensure: newItem(caseId, n) }, events: [draft('collected')] }]);
      }
      assert.equal((await repo.listItems({ caseId, limit: 2 })).total, 6);
      assert.equal((await repo.listItems({ caseId, limit: 2 })).items.length, 2);
      assert.equal((await repo.listItems({ caseId, hasLocation: true, limit: 10 })).total, 3);
      assert.equal((await repo.listItems({ caseId, mediaPrefix: 'image/', limit: 10 })).total, 0);
      assert.equal((await repo.listItems({ caseId, from: '2026-11-26T00:00:00.000Z', limit: 10 })).total, 0);
      assert.equal((await repo.listItems({ caseId: newId<CaseId>(), limit: 10 })).total, 0);
      await log.close();
    }),
  );
});

const addCompartment = async (database: OpenDatabase, caseId: CaseId, name: string): Promise<string> => {
  const id = newId();
  await database.db
    .insertInto('case_compartments')
    .values({ id, case_id: caseId, name, description: '', created_at: NOW })
    .execute();
  return id;
};

const addCase = async (database: OpenDatabase, orgId: OrgId): Promise<CaseId> => {
  const id = newId<CaseId>();
  await database.db
    .insertInto('cases')
    .values({ id, title: 'Other case', lead_org_id: orgId, created_by: null, created_at: NOW })
    .execute();
  return id;
};

const filedIn = async (database: OpenDatabase, itemId: ItemId): Promise<string | null> => {
  const row = await database.db
    .selectFrom('item_compartments')
    .select('compartment_id')
    .where('item_id', '=', itemId)
    .executeTakeFirst();
  return row?.compartment_id ?? null;
};

const isCompartmentConflict = (e: unknown): boolean =>
  isAccordError(e) &&
  e.code === 'conflict' &&
  e.message ===
    'these exact bytes are already filed in this case under a different compartment; nothing was recorded — ask the case lead';

describeEachDatabase('evidence repository: compartments', (create) => {
  it(
    'files a new item in its compartment; the same bytes from another compartment record nothing',
    withDatabase(create, async ({ database }) => {
      const { caseId, repo, log } = await setup(database);
      const witnesses = await addCompartment(database, caseId, 'Witnesses');
      const insiders = await addCompartment(database, caseId, 'Insiders');
      const secret = newItem(caseId, 1);
      const [first] = await log.submit([
        { item: { ensure: secret }, compartmentId: witnesses, events: [draft('collected')] },
      ]);
      assert.equal(first?.created, true);
      assert.equal(await filedIn(database, secret.id), witnesses);
      const general = newItem(caseId, 2);
      await log.submit([{ item: { ensure: general }, compartmentId: null, events: [draft('collected')] }]);
      assert.equal(await filedIn(database, general.id), null);

      const before = await repo.logState();
      const again = (compartmentId: string | null | undefined, n = 1, mustCreate = false) =>
        log.submit([
          {
            item: { ensure: { ...newItem(caseId, n), id: newId<ItemId>() } },
            ...(compartmentId === undefined ? {} : { compartmentId }),
            ...(mustCreate ? { mustCreate } : {}),
            events: [draft('collected')],
          },
        ]);
      await assert.rejects(again(undefined), isCompartmentConflict);
      await assert.rejects(again(null), isCompartmentConflict);
      await assert.rejects(again(insiders), isCompartmentConflict);
      await assert.rejects(
        again(witnesses, 2),
        isCompartmentConflict,
        'general item, asked for a compartment',
      );
      // Refused for the compartment before `mustCreate` could name the hidden item.
      await assert.rejects(again(null, 1, true), isCompartmentConflict);
      // A unit with a conflicting op writes none of its ops.
      const fresh = newItem(caseId, 3);
      await assert.rejects(
        log.submit([
          { item: { ensure: fresh }, compartmentId: insiders, events: [draft('collected')] },
          { item: { ensure: { ...newItem(caseId, 1), id: newId<ItemId>() } }, events: [draft('collected')] },
        ]),
        isCompartmentConflict,
      );
      assert.equal(await repo.getItem(fresh.id), undefined);
      assert.equal(await filedIn(database, fresh.id), null);
      // Two ops of one unit on the same new bytes must agree on the compartment too.
      const twice = newItem(caseId, 4);
      await assert.rejects(
        log.submit([
          { item: { ensure: twice }, compartmentId: insiders, events: [draft('collected')] },
          { item: { ensure: { ...twice, id: newId<ItemId>() } }, events: [draft('collected')] },
        ]),
        isCompartmentConflict,
      );
      assert.equal(await repo.getItem(twice.id), undefined);
      assert.deepEqual(await repo.logState(), before);
      assert.equal((await repo.getItem(secret.id))?.eventCount, 1);

      // From the same compartment, the bytes join the existing item.
      const [same] = await again(witnesses);
      assert.equal(same?.created, false);
      assert.equal(same?.item.id, secret.id);
      const [plain] = await again(undefined, 2);
      assert.equal(plain?.item.id, general.id);
      assert.equal((await repo.listItems({ caseId, limit: 10 })).total, 2);
      await log.close();
    }),
  );

  it(
    'lists only the items within the scopes, and counts only those',
    withDatabase(create, async ({ database }) => {
      const { orgId, caseId, repo, log } = await setup(database);
      const otherCase = await addCase(database, orgId);
      const witnesses = await addCompartment(database, caseId, 'Witnesses');
      const insiders = await addCompartment(database, caseId, 'Insiders');
      const submit = async (item: NewItem, compartmentId: string | null = null): Promise<ItemId> => {
        const [r] = await log.submit([
          { item: { ensure: item }, compartmentId, events: [draft('collected')] },
        ]);
        return r?.item.id as ItemId;
      };
      // Even n have a location (see newItem).
      const original = await submit(newItem(caseId, 0));
      const redacted = await submit({ ...newItem(caseId, 1), kind: 'redacted', derivedFrom: original });
      const statement = await submit(newItem(caseId, 2), witnesses);
      const statementRedacted = await submit(
        { ...newItem(caseId, 3), kind: 'redacted', derivedFrom: statement },
        witnesses,
      );
      const insider = await submit(newItem(caseId, 4), insiders);
      const elsewhere = await submit(newItem(otherCase, 5));

      const ids = async (filter: Omit<Parameters<typeof repo.listItems>[0], 'limit'>) => {
        const { items, total } = await repo.listItems({ limit: 100, ...filter });
        assert.equal(total, items.length);
        return items.map((i) => i.id).sort();
      };
      const sorted = (...list: ItemId[]) => [...list].sort();
      const scope = (compartments: string[], derivedOnly = false, of: CaseId = caseId) => ({
        caseId: of,
        compartments,
        derivedOnly,
      });

      assert.deepEqual(
        await ids({ caseId }),
        sorted(original, redacted, statement, statementRedacted, insider),
        'no scopes: no restriction',
      );
      assert.deepEqual(await repo.listItems({ scopes: [], limit: 100 }), { items: [], total: 0 });
      assert.deepEqual(await repo.listItems({ caseId, scopes: [], limit: 100 }), { items: [], total: 0 });
      assert.deepEqual(await ids({ scopes: [scope([])] }), sorted(original, redacted));
      assert.deepEqual(
        await ids({ scopes: [scope([witnesses])] }),
        sorted(original, redacted, statement, statementRedacted),
      );
      assert.deepEqual(
        await ids({ scopes: [scope([witnesses, insiders])] }),
        sorted(original, redacted, statement, statementRedacted, insider),
      );
      assert.deepEqual(await ids({ scopes: [scope([], true)] }), sorted(redacted));
      assert.deepEqual(
        await ids({ scopes: [scope([witnesses], true)] }),
        sorted(redacted, statementRedacted),
      );
      assert.deepEqual(await ids({ scopes: [scope([newId()])] }), sorted(original, redacted));
      // A compartment of one case does not open another case.
      assert.deepEqual(await ids({ scopes: [scope([witnesses], false, otherCase)] }), sorted(elsewhere));
      assert.deepEqual(
        await ids({ scopes: [scope([insiders]), scope([], false, otherCase)] }),
        sorted(original, redacted, insider, elsewhere),
      );
      // Combined with the other filters.
      assert.deepEqual(
        await ids({ scopes: [scope([insiders]), scope([], false, otherCase)], caseId: otherCase }),
        sorted(elsewhere),
      );
      assert.deepEqual(
        await ids({ scopes: [scope([witnesses, insiders])], hasLocation: true }),
        sorted(original, statement, insider),
      );
      // The total counts every visible item, never the hidden ones, whatever the page size.
      const page = await repo.listItems({ scopes: [scope([witnesses])], limit: 1, offset: 1 });
      assert.equal(page.items.length, 1);
      assert.equal(page.total, 4);
      await log.close();
    }),
  );
});
