import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  Accounts,
  type AccountsRepo,
  type AuditEventInput,
  actorOf,
  base32Decode,
  type ErrorCode,
  isAccordError,
  newId,
  type Organisation,
  type OrgId,
  SecretBox,
  type Session,
  totp,
  type User,
  type UserId,
} from '@accord/core';
import { sql } from 'kysely';
import type { OpenDatabase } from '../db/open.ts';
import { knownMigrations, migrateToLatest } from '../migrations/index.ts';
import { describeEachDatabase, type TestDatabaseHandle, withDatabase } from '../testing/index.ts';
import { KyselyAccountsRepo } from './accounts-repo.ts';

const T0 = Date.parse('2026-11-25T09:00:00.000Z');
const MINUTE = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

/** Asserts the rejection is an AccordError with this code (for `assert.rejects`). */
const withCode =
  (code: ErrorCode) =>
  (e: unknown): true => {
    assert.ok(isAccordError(e), `expected an AccordError(${code}), got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  };

const org = (name: string, createdAt = iso(T0)): Organisation => ({
  id: newId<OrgId>(),
  name,
  country: 'UA',
  kind: 'ngo',
  createdAt,
});

const userRecord = (orgId: OrgId, username: string, role: User['role'] = 'investigator') => ({
  id: newId<UserId>(),
  orgId,
  username,
  displayName: `Display ${username}`,
  role,
  passwordHash: `$argon2id$fake$${username}`,
  mustChangePassword: true,
  createdAt: iso(T0),
});

const session = (
  userId: UserId,
  id: string,
  expiresAt: string,
  stage: Session['stage'] = 'full',
): Session => ({
  id,
  userId,
  stage,
  csrfToken: `csrf-${id}`,
  createdAt: iso(T0),
  lastSeenAt: iso(T0),
  expiresAt,
});

const auditInput = (
  type: AuditEventInput['type'],
  subjectUserId: UserId | null,
  details: AuditEventInput['details'] = {},
  actorUserId: UserId | null = null,
): AuditEventInput & { id: string; at: string } => ({
  id: newId<string>(),
  at: iso(T0),
  type,
  outcome: 'success',
  actorUserId,
  actorOrgId: null,
  subjectUserId,
  details,
});

/** A repo with one organisation and one user, the usual starting point. */
const seeded = async (database: OpenDatabase) => {
  const repo = new KyselyAccountsRepo(database.db);
  const o = org('Seed Org');
  await repo.insertOrg(o);
  const u = userRecord(o.id, 'seed.user');
  await repo.insertUser(u);
  return { repo, org: o, userId: u.id };
};

describeEachDatabase('accounts storage contract', (create, name) => {
  const test = (fn: (handle: TestDatabaseHandle) => Promise<void>) => withDatabase(create, fn);

  describe('migrations', () => {
    it(
      'applies every known migration once; running again applies nothing',
      test(async ({ database, migration }) => {
        assert.equal(database.dialect, name);
        assert.deepEqual(migration.applied, knownMigrations());
        assert.equal(migration.current, knownMigrations().at(-1));
        const again = await migrateToLatest(database.db, database.dialect);
        assert.deepEqual(again.applied, []);
        assert.equal(again.current, knownMigrations().at(-1));
        const rows = await sql<{ name: string }>`select name from accord_migrations order by name`.execute(
          database.db,
        );
        assert.deepEqual(
          rows.rows.map((r) => r.name),
          [...knownMigrations()].sort(),
        );
      }),
    );
  });

  describe('repository round trips', () => {
    it(
      'organisations: insert, get, find by name (any case), list by name',
      test(async ({ database }) => {
        const repo = new KyselyAccountsRepo(database.db);
        const b = org('Bravo Prosecutors', iso(T0 + 1));
        const a = { ...org('Alpha Watch', iso(T0 + 2)), country: 'DE', kind: 'prosecution' as const };
        await repo.insertOrg(b);
        await repo.insertOrg(a);
        assert.deepEqual(await repo.getOrg(a.id), a);
        assert.equal(await repo.getOrg(newId<OrgId>()), undefined);
        assert.deepEqual(await repo.findOrgByName('alpha WATCH'), a);
        assert.equal(await repo.findOrgByName('Nobody'), undefined);
        assert.deepEqual(await repo.listOrgs(), [a, b]);
      }),
    );

    it(
      'users: insert, get, find, list with filter, every patch field including nulls, countAdmins',
      test(async ({ database }) => {
        const { repo, org: o, userId } = await seeded(database);
        const other = org('Other Org');
        await repo.insertOrg(other);
        const admin = userRecord(other.id, 'admin.one', 'admin');
        await repo.insertUser({ ...admin, mustChangePassword: false });

        const fresh = await repo.getUser(userId);
        assert.deepEqual(fresh, {
          user: {
            id: userId,
            orgId: o.id,
            username: 'seed.user',
            displayName: 'Display seed.user',
            role: 'investigator',
            locale: null,
            totpEnrolled: false,
            mustChangePassword: true,
            disabled: false,
            lockedUntil: null,
            createdAt: iso(T0),
          },
          passwordHash: '$argon2id$fake$seed.user',
          totpSecretSealed: null,
          totpPendingSealed: null,
          totpLastStep: null,
          failedLogins: 0,
        });
        assert.deepEqual(await repo.findUserByUsername('seed.user'), fresh);
        assert.equal(await repo.findUserByUsername('nobody'), undefined);
        assert.equal(await repo.getUser(newId<UserId>()), undefined);
        assert.deepEqual(
          (await repo.listUsers()).map((c) => c.user.username),
          ['admin.one', 'seed.user'],
        );
        assert.deepEqual(
          (await repo.listUsers({ orgId: other.id })).map((c) => c.user.username),
          ['admin.one'],
        );
        assert.equal((await repo.getUser(admin.id))?.user.mustChangePassword, false);
        assert.equal(await repo.countAdmins(), 1);

        // A step number beyond 2^31 checks that bigint columns come back as numbers.
        const bigStep = 2 ** 40 + 7;
        await repo.updateUser(userId, {
          role: 'admin',
          displayName: 'Olena Kovalenko — ліцензія',
          passwordHash: '$argon2id$other',
          mustChangePassword: false,
          totpSecretSealed: 'v1.sealed-secret',
          totpPendingSealed: 'v1.sealed-pending',
          totpLastStep: bigStep,
          locale: 'uk',
          failedLogins: 4,
          lockedUntil: iso(T0 + 15 * MINUTE),
          disabledAt: iso(T0 + 1),
        });
        assert.deepEqual(await repo.getUser(userId), {
          user: {
            id: userId,
            orgId: o.id,
            username: 'seed.user',
            displayName: 'Olena Kovalenko — ліцензія',
            role: 'admin',
            locale: 'uk',
            totpEnrolled: true,
            mustChangePassword: false,
            disabled: true,
            lockedUntil: iso(T0 + 15 * MINUTE),
            createdAt: iso(T0),
          },
          passwordHash: '$argon2id$other',
          totpSecretSealed: 'v1.sealed-secret',
          totpPendingSealed: 'v1.sealed-pending',
          totpLastStep: bigStep,
          failedLogins: 4,
        });
        // Disabled admins do not count.
        assert.equal(await repo.countAdmins(), 1);
        await repo.updateUser(userId, { disabledAt: null });
        assert.equal(await repo.countAdmins(), 2);

        await repo.updateUser(userId, {
          mustChangePassword: true,
          totpSecretSealed: null,
          totpPendingSealed: null,
          totpLastStep: null,
          locale: null,
          failedLogins: 0,
          lockedUntil: null,
          disabledAt: null,
        });
        const cleared = await repo.getUser(userId);
        assert.deepEqual(cleared, {
          user: {
            id: userId,
            orgId: o.id,
            username: 'seed.user',
            displayName: 'Olena Kovalenko — ліцензія',
            role: 'admin',
            locale: null,
            totpEnrolled: false,
            mustChangePassword: true,
            disabled: false,
            lockedUntil: null,
            createdAt: iso(T0),
          },
          passwordHash: '$argon2id$other',
          totpSecretSealed: null,
          totpPendingSealed: null,
          totpLastStep: null,
          failedLogins: 0,
        });
        // An empty patch changes nothing, and a patch touches only its own user.
        await repo.updateUser(userId, {});
        assert.deepEqual(await repo.getUser(userId), cleared);
        assert.equal((await repo.getUser(admin.id))?.user.displayName, 'Display admin.one');
      }),
    );

    it(
      'sessions: insert, get, touch, stage, delete, delete per user with exception, delete expired',
      test(async ({ database }) => {
        const { repo, org: o, userId } = await seeded(database);
        const other = userRecord(o.id, 'other.user');
        await repo.insertUser(other);

        const s1 = session(userId, 'a'.repeat(64), iso(T0 + 60 * MINUTE), 'enrol');
        const s2 = session(userId, 'b'.repeat(64), iso(T0 + 10 * MINUTE));
        const s3 = session(userId, 'c'.repeat(64), iso(T0 + 120 * MINUTE), 'totp');
        const s4 = session(other.id, 'd'.repeat(64), iso(T0 + 5 * MINUTE));
        for (const s of [s1, s2, s3, s4]) await repo.insertSession(s);
        assert.deepEqual(await repo.getSession(s1.id), s1);
        assert.equal(await repo.getSession('e'.repeat(64)), undefined);

        await repo.touchSession(s1.id, iso(T0 + 5 * MINUTE));
        await repo.setSessionStage(s1.id, 'full');
        assert.deepEqual(await repo.getSession(s1.id), {
          ...s1,
          stage: 'full',
          lastSeenAt: iso(T0 + 5 * MINUTE),
        });
        assert.deepEqual(await repo.getSession(s2.id), s2);

        await repo.deleteSession(s2.id);
        assert.equal(await repo.getSession(s2.id), undefined);

        // Expiry is inclusive: a session expiring exactly now is gone.
        assert.equal(await repo.deleteExpiredSessions(iso(T0 + 5 * MINUTE)), 1);
        assert.equal(await repo.getSession(s4.id), undefined);
        assert.equal(await repo.deleteExpiredSessions(iso(T0 + 5 * MINUTE)), 0);

        await repo.insertSession(s2);
        assert.equal(await repo.deleteUserSessions(userId, s1.id), 2);
        assert.deepEqual(await repo.getSession(s1.id), {
          ...s1,
          stage: 'full',
          lastSeenAt: iso(T0 + 5 * MINUTE),
        });
        assert.equal(await repo.getSession(s3.id), undefined);
        await repo.insertSession(s3);
        assert.equal(await repo.deleteUserSessions(userId), 2);
        assert.equal(await repo.getSession(s1.id), undefined);
        assert.equal(await repo.deleteUserSessions(userId), 0);
      }),
    );

    it(
      'tokens: insert, find by secret hash, list newest first, revoke only own and once, touch',
      test(async ({ database }) => {
        const { repo, org: o, userId } = await seeded(database);
        const other = userRecord(o.id, 'other.user');
        await repo.insertUser(other);
        const t1 = {
          id: newId<string>(),
          userId,
          name: 'ci export',
          scopes: ['read', 'write'] as const,
          secretHash: '1'.repeat(64),
          createdAt: iso(T0),
          expiresAt: null,
        };
        const t2 = { ...t1, id: newId<string>(), name: 'admin', scopes: ['admin'] as const };
        const t2rec = {
          ...t2,
          secretHash: '2'.repeat(64),
          createdAt: iso(T0 + 1),
          expiresAt: iso(T0 + 86_400_000),
        };
        await repo.insertToken(t1);
        await repo.insertToken(t2rec);
        const { secretHash: _h1, ...t1Public } = t1;
        const { secretHash: _h2, ...t2Public } = t2rec;
        const expected1 = { ...t1Public, scopes: ['read', 'write'], lastUsedAt: null, revokedAt: null };
        const expected2 = { ...t2Public, scopes: ['admin'], lastUsedAt: null, revokedAt: null };
        assert.deepEqual(await repo.findTokenBySecretHash('1'.repeat(64)), expected1);
        assert.equal(await repo.findTokenBySecretHash('3'.repeat(64)), undefined);
        assert.deepEqual(await repo.listTokens(userId), [expected2, expected1]);
        assert.deepEqual(await repo.listTokens(other.id), []);

        assert.equal(await repo.revokeToken(t1.id, other.id, iso(T0 + 2)), false);
        assert.equal((await repo.findTokenBySecretHash('1'.repeat(64)))?.revokedAt, null);
        assert.equal(await repo.revokeToken(t1.id, userId, iso(T0 + 3)), true);
        assert.equal(await repo.revokeToken(t1.id, userId, iso(T0 + 4)), false);
        assert.equal((await repo.findTokenBySecretHash('1'.repeat(64)))?.revokedAt, iso(T0 + 3));

        await repo.touchToken(t2.id, iso(T0 + 5));
        assert.equal((await repo.findTokenBySecretHash('2'.repeat(64)))?.lastUsedAt, iso(T0 + 5));

        // Secret hashes are unique.
        await assert.rejects(repo.insertToken({ ...t1, id: newId<string>() }));
      }),
    );

    it(
      'audit: append, newest first, paging with beforeSeq, filter by user, details round trip',
      test(async ({ database }) => {
        const { repo, userId } = await seeded(database);
        const otherId = newId<UserId>();
        const details = { role: 'admin', count: 3, ratio: 0.5, flag: false, text: 'ünïcødé "quoted" \\ ✓' };
        const e1 = auditInput('user.created', userId, details);
        const e2 = auditInput('login.password', otherId, { reason: 'wrong_password' });
        const e3 = auditInput('token.used', null, { tokenId: 'tok' }, userId);
        const e4 = auditInput('logout', otherId);
        for (const e of [e1, e2, e3, e4]) await repo.appendAudit(e);

        const all = await repo.listAudit({ limit: 10 });
        assert.deepEqual(
          all.map((e) => e.id),
          [e4.id, e3.id, e2.id, e1.id],
        );
        for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]!.seq > all[i]!.seq);
        const { seq: _seq, ...first } = all.at(-1)!;
        assert.deepEqual(first, e1);
        assert.equal(typeof all[0]!.seq, 'number');

        const page1 = await repo.listAudit({ limit: 2 });
        assert.deepEqual(
          page1.map((e) => e.id),
          [e4.id, e3.id],
        );
        const page2 = await repo.listAudit({ limit: 2, beforeSeq: page1.at(-1)!.seq });
        assert.deepEqual(
          page2.map((e) => e.id),
          [e2.id, e1.id],
        );
        assert.deepEqual(await repo.listAudit({ limit: 2, beforeSeq: page2.at(-1)!.seq }), []);

        // As actor or as subject.
        const mine = await repo.listAudit({ limit: 10, userId });
        assert.deepEqual(
          mine.map((e) => e.id),
          [e3.id, e1.id],
        );
        const theirs = await repo.listAudit({ limit: 1, userId: otherId });
        assert.deepEqual(
          theirs.map((e) => e.id),
          [e4.id],
        );
      }),
    );
  });

  describe('database guarantees', () => {
    it(
      `audit_events is append-only: UPDATE and DELETE fail${name === 'postgres' ? ', and TRUNCATE' : ''}`,
      test(async ({ database }) => {
        const { repo, userId } = await seeded(database);
        const e = auditInput('user.created', userId, { role: 'investigator' });
        await repo.appendAudit(e);
        const { db } = database;
        await assert.rejects(sql`update audit_events set type = 'logout'`.execute(db), /append-only/);
        await assert.rejects(
          sql`update audit_events set details = '{}' where id = ${e.id}`.execute(db),
          /append-only/,
        );
        await assert.rejects(sql`delete from audit_events`.execute(db), /append-only/);
        await assert.rejects(sql`delete from audit_events where id = ${e.id}`.execute(db), /append-only/);
        if (name === 'postgres') {
          await assert.rejects(sql`truncate audit_events`.execute(db), /append-only/);
        }
        const [kept] = await repo.listAudit({ limit: 10 });
        assert.equal(kept?.id, e.id);
        assert.equal(kept?.type, 'user.created');
        assert.deepEqual(kept?.details, { role: 'investigator' });
      }),
    );

    it(
      'an error inside transaction() rolls back every write made in it',
      test(async ({ database }) => {
        const { repo, org: o, userId } = await seeded(database);
        const newOrg = org('Rolled Back');
        const newUser = userRecord(o.id, 'rolled.back');
        const boom = new Error('boom');
        await assert.rejects(
          repo.transaction(async (tx) => {
            await tx.insertOrg(newOrg);
            await tx.insertUser(newUser);
            await tx.updateUser(userId, { failedLogins: 3, locale: 'fr' });
            await tx.insertSession(session(userId, 'f'.repeat(64), iso(T0 + MINUTE)));
            await tx.appendAudit(auditInput('user.created', newUser.id));
            // Nested transaction() joins the outer one.
            await tx.transaction(async (inner) => inner.insertOrg(org('Inner')));
            assert.ok(await tx.getOrg(newOrg.id), 'the transaction sees its own writes');
            throw boom;
          }),
          (e) => e === boom,
        );
        assert.equal(await repo.getOrg(newOrg.id), undefined);
        assert.equal(await repo.findOrgByName('Inner'), undefined);
        assert.equal(await repo.getUser(newUser.id), undefined);
        const creds = await repo.getUser(userId);
        assert.equal(creds?.failedLogins, 0);
        assert.equal(creds?.user.locale, null);
        assert.equal(await repo.getSession('f'.repeat(64)), undefined);
        assert.deepEqual(await repo.listAudit({ limit: 10 }), []);

        // And a successful one commits everything.
        const value = await repo.transaction(async (tx) => {
          await tx.insertOrg(newOrg);
          await tx.insertUser(newUser);
          return 42;
        });
        assert.equal(value, 42);
        assert.ok(await repo.getOrg(newOrg.id));
        assert.ok(await repo.getUser(newUser.id));
      }),
    );

    it(
      'rejects a duplicate username or organisation name',
      test(async ({ database }) => {
        const { repo, org: o } = await seeded(database);
        await assert.rejects(repo.insertOrg(org('Seed Org')));
        await assert.rejects(repo.insertUser(userRecord(o.id, 'seed.user')));
        assert.equal((await repo.listOrgs()).length, 1);
        assert.equal((await repo.listUsers()).length, 1);
      }),
    );

    it(
      'rejects a user of an organisation that does not exist',
      test(async ({ database }) => {
        const repo = new KyselyAccountsRepo(database.db);
        await assert.rejects(repo.insertUser(userRecord(newId<OrgId>(), 'orphan.user')));
      }),
    );
  });

  describe('Accounts service end to end', () => {
    let handle: TestDatabaseHandle;
    let repo: AccountsRepo;
    let accounts: Accounts;
    let t = T0;
    const clock = { now: () => new Date(t) };
    const operator = { operator: true } as const;
    /** Every password, TOTP code and token secret this block uses; none may reach the audit trail. */
    const secrets = { long: new Set<string>(), codes: new Set<string>() };
    let orgId: OrgId;
    let admin: User;
    const ADMIN_PASSWORD = 'correct horse battery staple';

    /** A fresh policy-compliant password; the label never goes into it (it must not contain the username). */
    const password = (_label: string): string => {
      const p = `Pw#${randomBytes(12).toString('base64url')}`;
      secrets.long.add(p);
      return p;
    };
    const codeAt = (secret: Uint8Array, ms = t): string => {
      const c = totp(secret, ms);
      secrets.codes.add(c);
      return c;
    };
    const newUser = async (username: string, role: User['role'] = 'investigator') => {
      const pw = password(username);
      const { user } = await accounts.createUser(actorOf(admin), {
        orgId,
        username,
        displayName: username,
        role,
        password: pw,
      });
      return { user, password: pw };
    };
    /** Signs in and enrols a new user: returns a full session and the TOTP secret. */
    const enrol = async (username: string, pw: string) => {
      const pending = await accounts.signIn(username, pw);
      assert.equal(pending.session.stage, 'enrol');
      const { secret } = await accounts.beginEnrolment(pending.token);
      secrets.long.add(secret);
      const bytes = base32Decode(secret);
      const grant = await accounts.confirmEnrolment(pending.token, codeAt(bytes));
      return { grant, secret: bytes };
    };
    /** Password then code, with the clock moved to a fresh TOTP step. */
    const fullSignIn = async (username: string, pw: string, secret: Uint8Array) => {
      t += 30_000;
      const pending = await accounts.signIn(username, pw);
      assert.equal(pending.session.stage, 'totp');
      return accounts.verifyTotp(pending.token, codeAt(secret));
    };
    const auditOf = async (userId: UserId) => repo.listAudit({ limit: 500, userId });

    before(async () => {
      handle = await create();
      repo = new KyselyAccountsRepo(handle.database.db);
      accounts = new Accounts({ repo, secretBox: new SecretBox(randomBytes(32)), clock });
      secrets.long.add(ADMIN_PASSWORD);
    });
    after(async () => {
      await handle?.cleanup();
    });

    it('the operator creates an organisation and its first admin', async () => {
      const created = await accounts.createOrganisation(operator, {
        name: ' Truth Commission ',
        country: 'ua',
        kind: 'ngo',
      });
      assert.equal(created.name, 'Truth Commission');
      assert.equal(created.country, 'UA');
      orgId = created.id;
      assert.deepEqual(await accounts.getOrganisation(operator, orgId), created);
      await assert.rejects(
        accounts.createOrganisation(operator, { name: 'truth commission', country: 'UA', kind: 'ngo' }),
        withCode('conflict'),
      );
      const result = await accounts.createUser(operator, {
        orgId,
        username: ' Admin.One ',
        displayName: 'Admin One',
        role: 'admin',
        password: ADMIN_PASSWORD,
      });
      admin = result.user;
      assert.equal(result.initialPassword, undefined);
      assert.equal(admin.username, 'admin.one');
      assert.equal(admin.mustChangePassword, false);
      assert.equal(admin.totpEnrolled, false);

      const events = await repo.listAudit({ limit: 10 });
      assert.deepEqual(
        events.map((e) => [e.type, e.details.via]),
        [
          ['user.created', 'cli'],
          ['org.created', 'cli'],
        ],
      );
      await assert.rejects(
        accounts.createUser(operator, {
          orgId,
          username: 'admin.one',
          displayName: 'Again',
          role: 'admin',
          password: password('dup'),
        }),
        withCode('conflict'),
      );
    });

    it('a user created without a password gets a generated one and must change it', async () => {
      const { user, initialPassword } = await accounts.createUser(actorOf(admin), {
        orgId,
        username: 'gen.user',
        displayName: 'Generated',
        role: 'analyst',
      });
      assert.ok(initialPassword && initialPassword.length >= 20);
      secrets.long.add(initialPassword);
      assert.equal(user.mustChangePassword, true);
      const pending = await accounts.signIn('GEN.USER', initialPassword);
      assert.equal(pending.session.stage, 'enrol');
      assert.equal(pending.user.mustChangePassword, true);
    });

    it('a wrong password is refused and audited without the password; five lock the account', async () => {
      const { user, password: pw } = await newUser('lock.me');
      const wrong = password('wrong');
      await assert.rejects(accounts.signIn('lock.me', wrong), withCode('unauthenticated'));
      const [failure] = await auditOf(user.id);
      assert.equal(failure?.type, 'login.password');
      assert.equal(failure?.outcome, 'failure');
      assert.equal(failure?.subjectUserId, user.id);
      assert.deepEqual(failure?.details, { reason: 'wrong_password' });
      assert.ok(!JSON.stringify(failure).includes(wrong));

      // An unknown user gives the same answer.
      await assert.rejects(accounts.signIn('no.such.user', wrong), withCode('unauthenticated'));

      for (let i = 2; i <= 5; i++) {
        t += 1000;
        await assert.rejects(accounts.signIn('lock.me', wrong), withCode('unauthenticated'));
      }
      const lockedAt = t;
      assert.ok((await auditOf(user.id)).some((e) => e.type === 'login.locked'));
      // Locked: even the right password is refused, without being checked.
      await assert.rejects(accounts.signIn('lock.me', pw), withCode('locked'));
      t = lockedAt + 14 * MINUTE;
      await assert.rejects(accounts.signIn('lock.me', pw), withCode('locked'));
      t = lockedAt + 15 * MINUTE + 1000;
      const grant = await accounts.signIn('lock.me', pw);
      assert.equal(grant.session.stage, 'enrol');
      assert.equal(grant.user.id, user.id);
    });

    it('enrols TOTP, then requires a code that cannot be replayed', async () => {
      const { user, password: pw } = await newUser('totp.user');
      const pending = await accounts.signIn('totp.user', pw);
      assert.equal(pending.session.stage, 'enrol');
      // A half-signed-in session reaches nothing but enrolment.
      assert.equal((await accounts.authenticateSession(pending.token))?.session.stage, 'enrol');
      const { secret, uri } = await accounts.beginEnrolment(pending.token);
      secrets.long.add(secret);
      assert.ok(uri.startsWith('otpauth://totp/'));
      assert.deepEqual(await accounts.pendingEnrolment(pending.token), { secret, uri });
      const bytes = base32Decode(secret);

      await assert.rejects(
        accounts.confirmEnrolment(pending.token, codeAt(bytes, t + 5 * 30_000)),
        withCode('unauthenticated'),
      );
      const code = codeAt(bytes);
      const full = await accounts.confirmEnrolment(pending.token, code);
      assert.equal(full.session.stage, 'full');
      assert.equal(full.user.totpEnrolled, true);
      assert.notEqual(full.token, pending.token);
      assert.equal(await accounts.authenticateSession(pending.token), undefined);
      assert.equal((await accounts.authenticateSession(full.token))?.user.id, user.id);
      const creds = await repo.getUser(user.id);
      assert.equal(creds?.totpPendingSealed, null);
      const sealed = creds?.totpSecretSealed ?? '';
      assert.ok(sealed.startsWith('v1.'));
      assert.ok(!sealed.includes(secret));

      const next = await accounts.signIn('totp.user', pw);
      assert.equal(next.session.stage, 'totp');
      await assert.rejects(accounts.beginEnrolment(next.token), withCode('unauthenticated'));
      // The code that completed enrolment is spent.
      await assert.rejects(accounts.verifyTotp(next.token, code), withCode('unauthenticated'));
      t += 30_000;
      const nextCode = codeAt(bytes);
      const verified = await accounts.verifyTotp(next.token, nextCode);
      assert.equal(verified.session.stage, 'full');
      assert.equal(await accounts.authenticateSession(next.token), undefined);
      assert.equal((await accounts.authenticateSession(verified.token))?.user.id, user.id);
      // And so is this one, even with a fresh password step.
      const again = await accounts.signIn('totp.user', pw);
      await assert.rejects(accounts.verifyTotp(again.token, nextCode), withCode('unauthenticated'));
    });

    it('sessions end after the idle timeout and at the absolute expiry', async () => {
      const { user, password: pw } = await newUser('session.user');
      const { grant, secret } = await enrol('session.user', pw);
      const { idleMinutes, maxHours } = {
        idleMinutes: accounts.settings.sessionIdleMinutes,
        maxHours: accounts.settings.sessionMaxHours,
      };

      // Activity keeps a session alive; the idle clock restarts on each use.
      t += (idleMinutes - 1) * MINUTE;
      assert.ok(await accounts.authenticateSession(grant.token));
      t += (idleMinutes - 1) * MINUTE;
      assert.ok(await accounts.authenticateSession(grant.token));
      t += idleMinutes * MINUTE;
      assert.equal(await accounts.authenticateSession(grant.token), undefined);
      assert.equal(await repo.getSession(grant.session.id), undefined, 'an idle session is removed');

      // However active, a session ends at its absolute expiry.
      const fresh = await fullSignIn('session.user', pw, secret);
      const started = t;
      const end = started + maxHours * 60 * MINUTE;
      while (t + (idleMinutes - 1) * MINUTE < end) {
        t += (idleMinutes - 1) * MINUTE;
        assert.equal((await accounts.authenticateSession(fresh.token))?.user.id, user.id, iso(t));
      }
      t = end - 1;
      assert.ok(await accounts.authenticateSession(fresh.token));
      t = end;
      assert.equal(await accounts.authenticateSession(fresh.token), undefined);
      assert.equal(await repo.getSession(fresh.session.id), undefined);
    });

    it('signing out everywhere ends every session of the user', async () => {
      const { user, password: pw } = await newUser('everywhere');
      const { grant: one, secret } = await enrol('everywhere', pw);
      const two = await fullSignIn('everywhere', pw, secret);
      const pending = await accounts.signIn('everywhere', pw);
      const bystander = await accounts.signIn('admin.one', ADMIN_PASSWORD);
      assert.equal(await accounts.signOutEverywhere(user), 3);
      for (const g of [one, two, pending])
        assert.equal(await accounts.authenticateSession(g.token), undefined);
      assert.ok(await accounts.authenticateSession(bystander.token), "other users' sessions stay");
      const [event] = await auditOf(user.id);
      assert.equal(event?.type, 'logout.everywhere');
      assert.deepEqual(event?.details, { sessions: 3 });
    });

    it('changing the password keeps only the current session', async () => {
      const { user, initialPassword } = await accounts.createUser(actorOf(admin), {
        orgId,
        username: 'changer',
        displayName: 'Changer',
        role: 'legal_officer',
      });
      assert.ok(initialPassword);
      secrets.long.add(initialPassword);
      const { grant: current, secret } = await enrol('changer', initialPassword);
      const other = await fullSignIn('changer', initialPassword, secret);
      const pending = await accounts.signIn('changer', initialPassword);

      const next = password('next');
      await assert.rejects(
        accounts.changePassword(user, password('not-current'), next, current.token),
        withCode('unauthenticated'),
      );
      await assert.rejects(
        accounts.changePassword(user, initialPassword, 'short', current.token),
        withCode('invalid_input'),
      );
      await assert.rejects(
        accounts.changePassword(user, initialPassword, 'xx-changer-xx-long', current.token),
        withCode('invalid_input'),
      );
      await accounts.changePassword(user, initialPassword, next, current.token);

      assert.equal((await accounts.authenticateSession(current.token))?.user.mustChangePassword, false);
      assert.equal(await accounts.authenticateSession(other.token), undefined);
      assert.equal(await accounts.authenticateSession(pending.token), undefined);
      await assert.rejects(accounts.signIn('changer', initialPassword), withCode('unauthenticated'));
      assert.equal((await accounts.signIn('changer', next)).session.stage, 'totp');
    });

    it('API tokens: created, used (audited by id only), revoked, expired, or of a disabled user', async () => {
      const { user } = await newUser('token.user');
      const { token, secret } = await accounts.createToken(user, {
        name: 'export',
        scopes: ['read', 'read'],
      });
      secrets.long.add(secret);
      assert.ok(secret.startsWith('acc_'));
      assert.deepEqual(token.scopes, ['read']);
      assert.equal(token.expiresAt, null);

      t += 1000;
      const used = await accounts.authenticateToken(secret);
      assert.equal(used.user.id, user.id);
      assert.equal(used.token.id, token.id);
      const [usedEvent] = await auditOf(user.id);
      assert.equal(usedEvent?.type, 'token.used');
      assert.equal(usedEvent?.actorUserId, user.id);
      assert.deepEqual(usedEvent?.details, { tokenId: token.id });
      assert.equal((await accounts.listTokens(user))[0]?.lastUsedAt, iso(t));

      await assert.rejects(accounts.authenticateToken(`${secret}x`), withCode('unauthenticated'));
      await assert.rejects(accounts.authenticateToken('not-a-token'), withCode('unauthenticated'));

      // Only the owner revokes, once.
      await assert.rejects(accounts.revokeToken(admin, token.id), withCode('not_found'));
      await accounts.authenticateToken(secret);
      await accounts.revokeToken(user, token.id);
      await assert.rejects(accounts.revokeToken(user, token.id), withCode('not_found'));
      await assert.rejects(accounts.authenticateToken(secret), withCode('unauthenticated'));
      const [rejected] = await auditOf(user.id);
      assert.equal(rejected?.type, 'token.rejected');
      assert.deepEqual(rejected?.details, { tokenId: token.id });

      const expiring = await accounts.createToken(user, { name: 'day', scopes: ['write'], expiresInDays: 1 });
      secrets.long.add(expiring.secret);
      assert.equal(expiring.token.expiresAt, iso(t + 86_400_000));
      t += 86_400_000 - 1;
      assert.equal((await accounts.authenticateToken(expiring.secret)).token.id, expiring.token.id);
      t += 1;
      await assert.rejects(accounts.authenticateToken(expiring.secret), withCode('unauthenticated'));

      const live = await accounts.createToken(user, { name: 'live', scopes: ['admin'] });
      secrets.long.add(live.secret);
      assert.equal((await accounts.authenticateToken(live.secret)).user.id, user.id);
      await accounts.setDisabled(actorOf(admin), user.id, true);
      await assert.rejects(accounts.authenticateToken(live.secret), withCode('unauthenticated'));
      await accounts.setDisabled(actorOf(admin), user.id, false);
      assert.equal((await accounts.authenticateToken(live.secret)).user.id, user.id);
    });

    it('refuses to demote or disable the last admin', async () => {
      await assert.rejects(accounts.changeRole(operator, admin.id, 'investigator'), withCode('conflict'));
      await assert.rejects(accounts.setDisabled(operator, admin.id, true), withCode('conflict'));
      assert.equal((await accounts.getUser(operator, admin.id)).role, 'admin');
      assert.equal(await repo.countAdmins(), 1);
    });

    it('policy: an observer may not create an organisation', async () => {
      const { user } = await newUser('observer.one', 'observer');
      const before = await accounts.listOrganisations(actorOf(user));
      await assert.rejects(
        accounts.createOrganisation(actorOf(user), { name: 'Sneaky', country: 'FR', kind: 'other' }),
        withCode('forbidden'),
      );
      await assert.rejects(accounts.listUsers(actorOf(user)), withCode('forbidden'));
      assert.deepEqual(await accounts.listOrganisations(operator), before);
    });

    it('no password, TOTP code, TOTP secret or token secret ever reaches the audit trail', async () => {
      assert.ok(secrets.long.size >= 10 && secrets.codes.size >= 3, 'the scenarios above ran');
      const rows = await handle.database.db.selectFrom('audit_events').selectAll().execute();
      assert.ok(rows.length >= 30);
      const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
      for (const row of rows) {
        const raw = JSON.stringify(row);
        for (const s of secrets.long) assert.ok(!raw.includes(s), `audit row ${row.seq} contains a secret`);
        // Six-digit codes could appear inside random ids by chance; compare what remains without them.
        const { details, ...rest } = row;
        const detailsParsed: unknown = JSON.parse(details);
        for (const value of [...Object.values(rest), ...Object.values(detailsParsed as object)]) {
          const text = String(value).replace(uuid, '');
          for (const c of secrets.codes) assert.ok(!text.includes(c), `audit row ${row.seq} contains a code`);
        }
      }
    });
  });
});
