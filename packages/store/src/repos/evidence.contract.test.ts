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
