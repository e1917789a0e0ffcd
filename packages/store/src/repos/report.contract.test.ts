import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  type AttachmentRecord,
  type CaseId,
  isAccordError,
  newId,
  type RecipientKey,
  type Report,
  type ReportEntry,
  type UserId,
} from '@accord/core';
import { sql } from 'kysely';
import type { OpenDatabase } from '../db/open.ts';
import { describeEachDatabase, withDatabase } from '../testing/index.ts';
import { insertCase, insertItem, insertOrg, insertUser, ROW_TIME } from '../testing/rows.ts';
import { KyselyReportRepo } from './report-repo.ts';

const advocate = async (database: OpenDatabase, orgId: Parameters<typeof insertUser>[1], name: string) => {
  const id = await insertUser(database, orgId, name);
  await database.db.updateTable('users').set({ role: 'survivor_advocate' }).where('id', '=', id).execute();
  return id;
};

const insertWitness = async (database: OpenDatabase, caseId: CaseId): Promise<string> => {
  const id = newId();
  await database.db
    .insertInto('witnesses')
    .values({
      id,
      case_id: caseId,
      pseudonym: 'W-0001',
      kind: 'survivor',
      languages: '[]',
      note: '',
      created_at: ROW_TIME,
      updated_at: ROW_TIME,
    })
    .execute();
  return id;
};

const setup = async (database: OpenDatabase) => {
  const org = await insertOrg(database, 'Lead Org');
  const alice = await advocate(database, org, 'alice');
  const bob = await advocate(database, org, 'bob');
  const caseId = await insertCase(database, org, 'Shelling of the market');
  return { repo: new KyselyReportRepo(database.db), org, alice, bob, caseId };
};

const report = (over: Partial<Report> = {}): Report => ({
  id: newId(),
  lookup: newId().replaceAll('-', ''),
  language: 'uk',
  status: 'received',
  receivedOn: '2026-11-20',
  updatedOn: '2026-11-20',
  assignedTo: null,
  caseId: null,
  incidentId: null,
  witnessId: null,
  codeWrap: 'code-wrap',
  sealed: 'sealed-content',
  ...over,
});

const entry = (r: Report, over: Partial<Omit<ReportEntry, 'seq'>> = {}): Omit<ReportEntry, 'seq'> => ({
  reportId: r.id,
  id: newId(),
  kind: 'reporter',
  authorUserId: null,
  onDay: '2026-11-21',
  sealed: 'sealed-body',
  ...over,
});

const attachment = (r: Report, over: Partial<AttachmentRecord> = {}): AttachmentRecord => ({
  reportId: r.id,
  id: newId(),
  sealed: 'sealed-meta',
  itemId: null,
  ...over,
});

const keyOf = (userId: UserId, over: Partial<RecipientKey> = {}): RecipientKey => ({
  userId,
  publicKey: `public-${userId}`,
  sealedPrivate: `sealed-${userId}`,
  salt: 'c2FsdHNhbHRzYWx0c2FsdA',
  createdOn: '2026-11-01',
  ...over,
});

const isRefused = (e: unknown): boolean => e instanceof Error;

describeEachDatabase('report repository', (create) => {
  it(
    'reports round-trip, are found by lookup and updated in their mutable fields only',
    withDatabase(create, async ({ database }) => {
      const { repo, alice, caseId } = await setup(database);
      const r = report();
      await repo.apply([{ type: 'report', report: r }]);
      assert.deepEqual(await repo.get(r.id), r);
      assert.deepEqual(await repo.findByLookup(r.lookup), r);
      assert.equal(await repo.get(newId()), undefined);
      assert.equal(await repo.findByLookup('0'.repeat(64)), undefined);

      const witnessId = await insertWitness(database, caseId);
      const next: Report = {
        ...r,
        status: 'linked',
        updatedOn: '2026-11-22',
        assignedTo: alice,
        caseId,
        witnessId,
      };
      // What was received is written once: a change of it in an update is not taken.
      await repo.apply([
        { type: 'report', report: { ...next, lookup: 'other', sealed: 'forged', receivedOn: '2026-01-01' } },
      ]);
      assert.deepEqual(await repo.get(r.id), next);

      // Unassigning and unlinking write nulls back.
      const cleared: Report = { ...next, assignedTo: null, caseId: null, witnessId: null };
      await repo.apply([{ type: 'report', report: cleared }]);
      assert.deepEqual(await repo.get(r.id), cleared);
    }),
  );

  it(
    'an update changes only the fields it names, so changes made by others meanwhile stay',
    withDatabase(create, async ({ database }) => {
      const { repo, alice, caseId } = await setup(database);
      const r = report();
      await repo.apply([{ type: 'report', report: r }]);
      // Two advocates at once: one assigns, the other links; neither undoes the other.
      await repo.apply([
        { type: 'update', reportId: r.id, set: { assignedTo: alice, updatedOn: '2026-11-22' } },
      ]);
      await repo.apply([
        { type: 'update', reportId: r.id, set: { caseId, status: 'linked', updatedOn: '2026-11-23' } },
      ]);
      assert.deepEqual(await repo.get(r.id), {
        ...r,
        assignedTo: alice,
        caseId,
        status: 'linked',
        updatedOn: '2026-11-23',
      });
      await repo.apply([
        { type: 'update', reportId: r.id, set: { assignedTo: null, updatedOn: '2026-11-24' } },
      ]);
      assert.equal((await repo.get(r.id))?.assignedTo, null);
      assert.equal((await repo.get(r.id))?.caseId, caseId);
      await assert.rejects(
        repo.apply([{ type: 'update', reportId: newId(), set: { updatedOn: '2026-11-24' } }]),
        /does not exist/,
      );
      await assert.rejects(
        repo.apply([{ type: 'update', reportId: r.id, set: { updatedOn: '2026-11-24T10:00:00Z' } }]),
        'a time of day is refused in an update too',
      );
    }),
  );

  it(
    'two reports cannot share a lookup, and dates must be days without a time',
    withDatabase(create, async ({ database }) => {
      const { repo, alice } = await setup(database);
      const r = report();
      await repo.apply([{ type: 'report', report: r }]);
      await assert.rejects(repo.apply([{ type: 'report', report: report({ lookup: r.lookup }) }]), isRefused);
      for (const bad of ['2026-11-20T09:00:00.000Z', '2026-11-20 09:00', '20261120', '']) {
        await assert.rejects(
          repo.apply([{ type: 'report', report: report({ receivedOn: bad }) }]),
          isRefused,
        );
        await assert.rejects(repo.apply([{ type: 'report', report: { ...r, updatedOn: bad } }]), isRefused);
        await assert.rejects(repo.apply([{ type: 'entry', entry: entry(r, { onDay: bad }) }]), isRefused);
        await assert.rejects(repo.putRecipientKey(keyOf(alice, { createdOn: bad })), isRefused);
      }
      assert.deepEqual(await repo.get(r.id), r);
      assert.deepEqual(await repo.entries(r.id), []);
      assert.equal(await repo.recipientKey(alice), undefined);
    }),
  );

  it(
    'lists newest first, filtered by status and assignee',
    withDatabase(create, async ({ database }) => {
      const { repo, alice, bob } = await setup(database);
      const old = report({ receivedOn: '2026-10-01', updatedOn: '2026-10-01', status: 'closed' });
      const mid = report({ receivedOn: '2026-11-01', updatedOn: '2026-11-01', assignedTo: alice });
      const [sameDayA, sameDayB] = [
        report({ receivedOn: '2026-11-20' }),
        report({ receivedOn: '2026-11-20' }),
      ].sort((a, b) => (a.id < b.id ? -1 : 1)) as [Report, Report];
      const newest = report({
        receivedOn: '2026-11-24',
        updatedOn: '2026-11-24',
        status: 'under_review',
        assignedTo: bob,
      });
      await repo.apply(
        [mid, newest, sameDayB, old, sameDayA].map((r) => ({ type: 'report' as const, report: r })),
      );
      const ids = (rs: Report[]) => rs.map((r) => r.id);
      assert.deepEqual(ids(await repo.list({})), ids([newest, sameDayA, sameDayB, mid, old]));
      assert.deepEqual(ids(await repo.list({ status: 'received' })), ids([sameDayA, sameDayB, mid]));
      assert.deepEqual(ids(await repo.list({ status: 'closed' })), ids([old]));
      assert.deepEqual(ids(await repo.list({ status: 'linked' })), []);
      assert.deepEqual(ids(await repo.list({ assignedTo: alice })), ids([mid]));
      assert.deepEqual(ids(await repo.list({ assignedTo: bob, status: 'under_review' })), ids([newest]));
      assert.deepEqual(ids(await repo.list({ assignedTo: bob, status: 'received' })), []);
      assert.deepEqual(await repo.list({ assignedTo: alice }), [mid]);
    }),
  );

  it(
    'key wraps: a later wrap for the same user replaces the earlier; missingWraps lists the rest',
    withDatabase(create, async ({ database }) => {
      const { repo, alice, bob } = await setup(database);
      const first = report({ receivedOn: '2026-11-01' });
      const second = report({ receivedOn: '2026-11-02' });
      const third = report({ receivedOn: '2026-11-03' });
      await repo.apply([
        { type: 'report', report: first },
        { type: 'report', report: second },
        { type: 'report', report: third },
        { type: 'wrap', wrap: { reportId: first.id, userId: alice, wrapped: 'a1' } },
        { type: 'wrap', wrap: { reportId: first.id, userId: bob, wrapped: 'b1' } },
        { type: 'wrap', wrap: { reportId: third.id, userId: alice, wrapped: 'a3' } },
      ]);
      assert.deepEqual(await repo.wrapFor(first.id, alice), {
        reportId: first.id,
        userId: alice,
        wrapped: 'a1',
      });
      assert.deepEqual(await repo.wrapFor(first.id, bob), { reportId: first.id, userId: bob, wrapped: 'b1' });
      assert.equal(await repo.wrapFor(second.id, alice), undefined);
      assert.deepEqual(await repo.missingWraps(alice), [second.id]);
      assert.deepEqual(await repo.missingWraps(bob), [second.id, third.id]);

      await repo.apply([
        { type: 'wrap', wrap: { reportId: first.id, userId: alice, wrapped: 'a1-new' } },
        { type: 'wrap', wrap: { reportId: second.id, userId: alice, wrapped: 'a2' } },
      ]);
      assert.equal((await repo.wrapFor(first.id, alice))?.wrapped, 'a1-new');
      assert.equal((await repo.wrapFor(first.id, bob))?.wrapped, 'b1');
      assert.deepEqual(await repo.missingWraps(alice), []);
      // A wrap for a report or a user that does not exist is refused.
      await assert.rejects(
        repo.apply([{ type: 'wrap', wrap: { reportId: newId(), userId: alice, wrapped: 'x' } }]),
        isRefused,
      );
      await assert.rejects(
        repo.apply([{ type: 'wrap', wrap: { reportId: first.id, userId: newId<UserId>(), wrapped: 'x' } }]),
        isRefused,
      );
    }),
  );

  it(
    "a user's new key pair drops the keys wrapped to the old one, so that they are wrapped again",
    withDatabase(create, async ({ database }) => {
      const { repo, alice, bob } = await setup(database);
      const [first, second] = [report({ receivedOn: '2026-11-01' }), report({ receivedOn: '2026-11-02' })];
      await repo.putRecipientKey(keyOf(alice));
      await repo.putRecipientKey(keyOf(bob));
      await repo.apply([
        { type: 'report', report: first },
        { type: 'report', report: second },
        ...[first, second].flatMap((r) =>
          [alice, bob].map((userId) => ({
            type: 'wrap' as const,
            wrap: { reportId: r.id, userId, wrapped: 'w' },
          })),
        ),
      ]);
      // A changed password reseals the same pair: the wraps still open with it.
      await repo.putRecipientKey(keyOf(alice, { sealedPrivate: 'resealed', salt: 'bmV3c2FsdA' }));
      assert.deepEqual(await repo.missingWraps(alice), []);
      // A reset makes a new pair: what was wrapped to the old one is gone, for this user only.
      await repo.putRecipientKey(keyOf(alice, { publicKey: 'another-public', sealedPrivate: 'another' }));
      assert.deepEqual(await repo.missingWraps(alice), [first.id, second.id]);
      assert.equal(await repo.wrapFor(first.id, alice), undefined);
      assert.deepEqual(await repo.missingWraps(bob), []);
      await repo.apply([
        { type: 'wrap', wrap: { reportId: first.id, userId: alice, wrapped: 'to the new pair' } },
      ]);
      assert.deepEqual(await repo.missingWraps(alice), [second.id]);
    }),
  );

  it(
    'entries are numbered 1, 2, 3… per report, in the order applied',
    withDatabase(create, async ({ database }) => {
      const { repo, alice } = await setup(database);
      const r = report();
      const other = report();
      const e1 = entry(r, { kind: 'consent' });
      const e2 = entry(r, { kind: 'advocate', authorUserId: alice });
      await repo.apply([
        { type: 'report', report: r },
        { type: 'report', report: other },
        { type: 'entry', entry: e1 },
        { type: 'entry', entry: e2 },
      ]);
      const o1 = entry(other, { kind: 'note', authorUserId: alice });
      const e3 = entry(r, { kind: 'status', authorUserId: alice, onDay: '2026-11-22' });
      await repo.apply([
        { type: 'entry', entry: o1 },
        { type: 'entry', entry: e3 },
      ]);
      assert.deepEqual(await repo.entries(r.id), [
        { ...e1, seq: 1 },
        { ...e2, seq: 2 },
        { ...e3, seq: 3 },
      ]);
      assert.deepEqual(await repo.entries(other.id), [{ ...o1, seq: 1 }]);
      assert.deepEqual(await repo.entries(newId()), []);
      // An entry of a report that does not exist is refused.
      await assert.rejects(repo.apply([{ type: 'entry', entry: entry(report()) }]), (e: unknown) =>
        isAccordError(e),
      );
    }),
  );

  it(
    'concurrent appends get distinct, consecutive numbers',
    withDatabase(create, async ({ database }) => {
      const { repo } = await setup(database);
      const r = report();
      await repo.apply([
        { type: 'report', report: r },
        { type: 'entry', entry: entry(r) },
      ]);
      const entries = Array.from({ length: 10 }, () => entry(r));
      await Promise.all(
        entries.map((e, i) =>
          repo.apply([
            { type: 'entry', entry: e },
            // Some with an attachment, which is numbered under the same lock.
            ...(i % 2 === 0 ? [{ type: 'attachment' as const, attachment: attachment(r) }] : []),
          ]),
        ),
      );
      const stored = await repo.entries(r.id);
      assert.deepEqual(
        stored.map((e) => e.seq),
        Array.from({ length: 11 }, (_, i) => i + 1),
      );
      assert.deepEqual(new Set(stored.slice(1).map((e) => e.id)), new Set(entries.map((e) => e.id)));
      const positions = await database.db
        .selectFrom('report_attachments')
        .select('position')
        .where('report_id', '=', r.id)
        .orderBy('position')
        .execute();
      assert.deepEqual(
        positions.map((p) => Number(p.position)),
        [1, 2, 3, 4, 5],
      );
    }),
  );

  it(
    'entries are append-only in the database',
    withDatabase(create, async ({ database }) => {
      const { repo } = await setup(database);
      const r = report();
      const e = entry(r);
      await repo.apply([
        { type: 'report', report: r },
        { type: 'entry', entry: e },
      ]);
      for (const statement of [
        sql`UPDATE report_entries SET sealed = 'forged'`,
        sql`UPDATE report_entries SET seq = 7`,
        sql`DELETE FROM report_entries`,
        // Rewriting a row by inserting over it is a delete and an insert: refused too.
        database.dialect === 'sqlite'
          ? sql`INSERT OR REPLACE INTO report_entries SELECT * FROM report_entries`
          : sql`INSERT INTO report_entries SELECT * FROM report_entries ON CONFLICT (report_id, seq) DO UPDATE SET sealed = 'forged'`,
      ]) {
        await assert.rejects(statement.execute(database.db), /append-only/);
      }
      if (database.dialect === 'postgres') {
        await assert.rejects(sql`TRUNCATE report_entries`.execute(database.db), /append-only/);
      }
      assert.deepEqual(await repo.entries(r.id), [{ ...e, seq: 1 }]);
      // A second entry with the same id is refused, not merged.
      await assert.rejects(repo.apply([{ type: 'entry', entry: e }]), isRefused);
      assert.deepEqual(await repo.entries(r.id), [{ ...e, seq: 1 }]);
    }),
  );

  it(
    'attachments keep their order and are filed once',
    withDatabase(create, async ({ database }) => {
      const { repo, caseId } = await setup(database);
      const item = await insertItem(database, caseId, 1);
      const other = await insertItem(database, caseId, 2);
      const r = report();
      const [a1, a2, a3] = [attachment(r), attachment(r), attachment(r)];
      await repo.apply([
        { type: 'report', report: r },
        { type: 'attachment', attachment: a2 },
        { type: 'attachment', attachment: a1 },
      ]);
      await repo.apply([{ type: 'attachment', attachment: a3 }]);
      assert.deepEqual(await repo.attachments(r.id), [a2, a1, a3]);
      assert.deepEqual(await repo.attachments(newId()), []);

      await repo.apply([{ type: 'filed', reportId: r.id, attachmentId: a1.id, itemId: item }]);
      assert.deepEqual(await repo.attachments(r.id), [a2, { ...a1, itemId: item }, a3]);

      // Filed once: not again, not to another item, and never back to null.
      await assert.rejects(
        repo.apply([{ type: 'filed', reportId: r.id, attachmentId: a1.id, itemId: other }]),
        /filed once/,
      );
      await assert.rejects(
        repo.apply([{ type: 'filed', reportId: r.id, attachmentId: a1.id, itemId: item }]),
        /filed once/,
      );
      // A filing of an unknown attachment, or of another report's, is not found.
      await assert.rejects(
        repo.apply([{ type: 'filed', reportId: r.id, attachmentId: newId(), itemId: other }]),
        (e: unknown) => isAccordError(e) && e.code === 'not_found',
      );
      // Filing to an item that does not exist is refused.
      await assert.rejects(
        repo.apply([{ type: 'filed', reportId: r.id, attachmentId: a2.id, itemId: newId() as typeof item }]),
        isRefused,
      );
      for (const statement of [
        sql`UPDATE report_attachments SET item_id = NULL`,
        sql`UPDATE report_attachments SET item_id = ${other} WHERE id = ${a1.id}`,
        sql`UPDATE report_attachments SET sealed = 'forged' WHERE id = ${a2.id}`,
        sql`UPDATE report_attachments SET position = 9 WHERE id = ${a3.id}`,
        sql`UPDATE report_attachments SET sealed = 'forged', item_id = ${other} WHERE id = ${a2.id}`,
        sql`DELETE FROM report_attachments`,
        database.dialect === 'sqlite'
          ? sql`INSERT OR REPLACE INTO report_attachments SELECT report_id, id, position, sealed, NULL FROM report_attachments`
          : sql`INSERT INTO report_attachments SELECT * FROM report_attachments ON CONFLICT (id) DO UPDATE SET item_id = NULL`,
      ]) {
        await assert.rejects(statement.execute(database.db), /filed once/);
      }
      assert.deepEqual(await repo.attachments(r.id), [a2, { ...a1, itemId: item }, a3]);
    }),
  );

  it(
    'a failing change leaves nothing of the others',
    withDatabase(create, async ({ database }) => {
      const { repo, alice } = await setup(database);
      const r = report();
      const a = attachment(r);
      await assert.rejects(
        repo.apply([
          { type: 'report', report: r },
          { type: 'wrap', wrap: { reportId: r.id, userId: alice, wrapped: 'w' } },
          { type: 'attachment', attachment: a },
          { type: 'entry', entry: entry(r) },
          // A second attachment with the same id: refused.
          { type: 'attachment', attachment: a },
          { type: 'entry', entry: entry(r) },
        ]),
      );
      assert.equal(await repo.get(r.id), undefined);
      assert.equal(await repo.wrapFor(r.id, alice), undefined);
      assert.deepEqual(await repo.entries(r.id), []);
      assert.deepEqual(await repo.attachments(r.id), []);
      assert.deepEqual(await repo.list({}), []);

      // An existing report keeps its fields, and its numbering, when a later change fails.
      await repo.apply([
        { type: 'report', report: r },
        { type: 'entry', entry: entry(r) },
      ]);
      await assert.rejects(
        repo.apply([
          { type: 'report', report: { ...r, status: 'closed', updatedOn: '2026-11-23' } },
          { type: 'entry', entry: entry(r) },
          { type: 'wrap', wrap: { reportId: r.id, userId: newId<UserId>(), wrapped: 'w' } },
        ]),
      );
      assert.deepEqual(await repo.get(r.id), r);
      assert.deepEqual(
        (await repo.entries(r.id)).map((e) => e.seq),
        [1],
      );
      const next = entry(r);
      await repo.apply([{ type: 'entry', entry: next }]);
      assert.deepEqual((await repo.entries(r.id)).at(-1), { ...next, seq: 2 });
    }),
  );

  it(
    'recipient keys are replaced per user; recipients are the enabled survivor advocates',
    withDatabase(create, async ({ database }) => {
      const { repo, org, alice, bob } = await setup(database);
      const investigator = await insertUser(database, org, 'ivan');
      const gone = await advocate(database, org, 'gone');
      assert.equal(await repo.recipientKey(alice), undefined);
      assert.deepEqual(await repo.recipients(org), []);

      for (const u of [alice, bob, investigator, gone]) await repo.putRecipientKey(keyOf(u));
      await database.db.updateTable('users').set({ disabled_at: ROW_TIME }).where('id', '=', gone).execute();
      assert.deepEqual(await repo.recipientKey(alice), keyOf(alice));
      const byId = (keys: RecipientKey[]) => [...keys].sort((a, b) => (a.userId < b.userId ? -1 : 1));
      assert.deepEqual(await repo.recipients(org), byId([keyOf(alice), keyOf(bob)]));

      // A new key pair (after a password reset) replaces the old one.
      const renewed = keyOf(alice, {
        publicKey: 'new-public',
        sealedPrivate: 'new-sealed',
        salt: 'bmV3c2FsdA',
      });
      await repo.putRecipientKey(renewed);
      assert.deepEqual(await repo.recipientKey(alice), renewed);
      assert.deepEqual(await repo.recipients(org), byId([renewed, keyOf(bob)]));

      // A user who stops being an advocate stops receiving reports; the key pair stays theirs.
      await database.db.updateTable('users').set({ role: 'analyst' }).where('id', '=', bob).execute();
      assert.deepEqual(await repo.recipients(org), [renewed]);
      assert.deepEqual(await repo.recipientKey(bob), keyOf(bob));
      // A key for a user who does not exist is refused.
      await assert.rejects(repo.putRecipientKey(keyOf(newId<UserId>())), isRefused);

      // Only the advocates of the organisation asked for: a partner's advocate receives nothing.
      const partner = await insertOrg(database, 'Partner Org');
      const carol = await advocate(database, partner, 'carol');
      await repo.putRecipientKey(keyOf(carol));
      assert.deepEqual(await repo.recipients(org), [renewed]);
      assert.deepEqual(await repo.recipients(partner), [keyOf(carol)]);

      // The reporting organisation is a node setting, replaced when set again.
      assert.equal(await repo.reportingOrg(), undefined);
      await repo.setReportingOrg(org);
      assert.equal(await repo.reportingOrg(), org);
      await repo.setReportingOrg(partner);
      assert.equal(await repo.reportingOrg(), partner);
    }),
  );

  it(
    'the receipt-code salt is 16 random bytes, made once, then the same for every caller',
    withDatabase(create, async ({ database }) => {
      const { repo } = await setup(database);
      // Concurrent first uses agree on one salt.
      const first = await Promise.all([repo.codeSalt(), repo.codeSalt(), repo.codeSalt()]);
      assert.equal(first[0].byteLength, 16);
      for (const s of first) assert.deepEqual(s, first[0]);
      const again = await new KyselyReportRepo(database.db).codeSalt();
      assert.deepEqual(again, first[0]);
      const row = await database.db
        .selectFrom('node_meta')
        .select('value')
        .where('key', '=', 'report_code_salt')
        .executeTakeFirstOrThrow();
      assert.equal(Buffer.from(row.value, 'base64url').toString('base64url'), row.value);
      assert.deepEqual(new Uint8Array(Buffer.from(row.value, 'base64url')), first[0]);

      // A damaged salt is reported, never silently replaced (every receipt code depends on it).
      await database.db
        .updateTable('node_meta')
        .set({ value: 'short' })
        .where('key', '=', 'report_code_salt')
        .execute();
      await assert.rejects(repo.codeSalt(), (e: unknown) => isAccordError(e) && e.code === 'integrity');
    }),
  );

  it(
    'no report column holds a time of day, an address or a browser',
    withDatabase(create, async ({ database }) => {
      const tables = [
        'recipient_keys',
        'reports',
        'report_key_wraps',
        'report_entries',
        'report_attachments',
      ];
      const names: string[] = [];
      for (const table of tables) {
        const { rows } =
          database.dialect === 'postgres'
            ? await sql<{ name: string }>`select column_name as name from information_schema.columns
                where table_schema = current_schema() and table_name = ${table}`.execute(database.db)
            : await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(database.db);
        names.push(...rows.map((r) => r.name));
      }
      assert.equal(names.length, 32);
      for (const name of names) {
        assert.doesNotMatch(name, /_at$|time|(^|_)ip(_|$)|agent|address|host/, `column ${name}`);
      }
    }),
  );
});
