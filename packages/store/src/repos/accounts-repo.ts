import type {
  AccountsRepo,
  ApiToken,
  AuditEvent,
  AuditEventInput,
  AuditQuery,
  Locale,
  NewTokenRecord,
  NewUserRecord,
  Organisation,
  OrgId,
  OrgKind,
  Role,
  Session,
  SessionStage,
  TokenScope,
  UserCredentials,
  UserId,
  UserPatch,
} from '@accord/core';
import { type Kysely, type Selectable, sql, type Transaction, type Updateable } from 'kysely';
import type { Database, UsersTable } from '../db/schema.ts';
import { conflictOnUnique } from './unique.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** AccountsRepo on Kysely: the same code for SQLite and PostgreSQL. */
export class KyselyAccountsRepo implements AccountsRepo {
  readonly #db: Db;
  readonly #inTransaction: boolean;

  constructor(db: Db, inTransaction = false) {
    this.#db = db;
    this.#inTransaction = inTransaction;
  }

  async transaction<T>(fn: (repo: AccountsRepo) => Promise<T>): Promise<T> {
    if (this.#inTransaction) return fn(this);
    return (this.#db as Kysely<Database>)
      .transaction()
      .execute((trx) => fn(new KyselyAccountsRepo(trx, true)));
  }

  async insertOrg(org: Organisation): Promise<void> {
    await this.#db
      .insertInto('organisations')
      .values({ id: org.id, name: org.name, country: org.country, kind: org.kind, created_at: org.createdAt })
      .execute()
      .catch(
        conflictOnUnique(`an organisation named "${org.name}" already exists`, {
          field: 'name',
          reason: 'org_name_taken',
          name: org.name,
        }),
      );
  }

  async getOrg(id: OrgId): Promise<Organisation | undefined> {
    const row = await this.#db
      .selectFrom('organisations')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toOrg(row);
  }

  async findOrgByName(name: string): Promise<Organisation | undefined> {
    const row = await this.#db
      .selectFrom('organisations')
      .selectAll()
      .where(sql<string>`lower(name)`, '=', name.toLowerCase())
      .executeTakeFirst();
    return row && toOrg(row);
  }

  async listOrgs(): Promise<Organisation[]> {
    const rows = await this.#db.selectFrom('organisations').selectAll().orderBy('name').execute();
    return rows.map(toOrg);
  }

  async insertUser(u: NewUserRecord): Promise<void> {
    await this.#db
      .insertInto('users')
      .values({
        id: u.id,
        org_id: u.orgId,
        username: u.username,
        display_name: u.displayName,
        role: u.role,
        password_hash: u.passwordHash,
        must_change_password: u.mustChangePassword ? 1 : 0,
        totp_secret_sealed: null,
        totp_pending_sealed: null,
        totp_last_step: null,
        locale: null,
        failed_logins: 0,
        locked_until: null,
        disabled_at: null,
        created_at: u.createdAt,
      })
      .execute()
      .catch(
        conflictOnUnique(`the username "${u.username}" is taken`, {
          field: 'username',
          reason: 'username_taken',
          username: u.username,
        }),
      );
  }

  async getUser(id: UserId): Promise<UserCredentials | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toCreds(row);
  }

  async findUserByUsername(username: string): Promise<UserCredentials | undefined> {
    const row = await this.#db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    return row && toCreds(row);
  }

  async listUsers(filter: { orgId?: OrgId } = {}): Promise<UserCredentials[]> {
    let q = this.#db.selectFrom('users').selectAll();
    if (filter.orgId) q = q.where('org_id', '=', filter.orgId);
    const rows = await q.orderBy('username').execute();
    return rows.map(toCreds);
  }

  async updateUser(id: UserId, p: UserPatch): Promise<void> {
    const set: Updateable<UsersTable> = {};
    if (p.role !== undefined) set.role = p.role;
    if (p.displayName !== undefined) set.display_name = p.displayName;
    if (p.passwordHash !== undefined) set.password_hash = p.passwordHash;
    if (p.mustChangePassword !== undefined) set.must_change_password = p.mustChangePassword ? 1 : 0;
    if (p.totpSecretSealed !== undefined) set.totp_secret_sealed = p.totpSecretSealed;
    if (p.totpPendingSealed !== undefined) set.totp_pending_sealed = p.totpPendingSealed;
    if (p.totpLastStep !== undefined) set.totp_last_step = p.totpLastStep;
    if (p.locale !== undefined) set.locale = p.locale;
    if (p.failedLogins !== undefined) set.failed_logins = p.failedLogins;
    if (p.lockedUntil !== undefined) set.locked_until = p.lockedUntil;
    if (p.disabledAt !== undefined) set.disabled_at = p.disabledAt;
    if (Object.keys(set).length === 0) return;
    await this.#db.updateTable('users').set(set).where('id', '=', id).execute();
  }

  async countAdmins(): Promise<number> {
    // A no-op update of the active admins' rows locks them until the transaction ends (row locks on
    // PostgreSQL, the write lock on SQLite), so two concurrent demotions cannot both see "two
    // admins left" and leave none.
    await this.#db
      .updateTable('users')
      .set({ role: sql<string>`role` })
      .where('role', '=', 'admin')
      .where('disabled_at', 'is', null)
      .execute();
    const row = await this.#db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('role', '=', 'admin')
      .where('disabled_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async claimTotpStep(id: UserId, step: number): Promise<boolean> {
    const r = await this.#db
      .updateTable('users')
      .set({ totp_last_step: step })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async recordFailedLogin(id: UserId, max: number, lockUntil: string): Promise<boolean> {
    // One statement: SET expressions see the row as it was, so concurrent failures each count.
    const row = await this.#db
      .updateTable('users')
      .set({
        locked_until: sql<
          string | null
        >`CASE WHEN failed_logins + 1 >= ${max} THEN ${lockUntil} ELSE locked_until END`,
        failed_logins: sql<number>`CASE WHEN failed_logins + 1 >= ${max} THEN 0 ELSE failed_logins + 1 END`,
      })
      .where('id', '=', id)
      .returning(['failed_logins', 'locked_until'])
      .executeTakeFirst();
    return row !== undefined && Number(row.failed_logins) === 0 && row.locked_until === lockUntil;
  }

  async completeEnrolment(
    id: UserId,
    pendingSealed: string,
    secretSealed: string,
    step: number,
  ): Promise<boolean> {
    const r = await this.#db
      .updateTable('users')
      .set({ totp_secret_sealed: secretSealed, totp_pending_sealed: null, totp_last_step: step })
      .where('id', '=', id)
      .where('totp_pending_sealed', '=', pendingSealed)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async revokeUserTokens(userId: UserId, at: string): Promise<number> {
    const r = await this.#db
      .updateTable('api_tokens')
      .set({ revoked_at: at })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async insertSession(s: Session): Promise<void> {
    await this.#db
      .insertInto('sessions')
      .values({
        id: s.id,
        user_id: s.userId,
        stage: s.stage,
        csrf_token: s.csrfToken,
        created_at: s.createdAt,
        last_seen_at: s.lastSeenAt,
        expires_at: s.expiresAt,
      })
      .execute();
  }

  async getSession(id: string): Promise<Session | undefined> {
    const r = await this.#db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return (
      r && {
        id: r.id,
        userId: r.user_id as UserId,
        stage: r.stage as SessionStage,
        csrfToken: r.csrf_token,
        createdAt: r.created_at,
        lastSeenAt: r.last_seen_at,
        expiresAt: r.expires_at,
      }
    );
  }

  async touchSession(id: string, lastSeenAt: string): Promise<void> {
    await this.#db.updateTable('sessions').set({ last_seen_at: lastSeenAt }).where('id', '=', id).execute();
  }

  async setSessionStage(id: string, stage: SessionStage): Promise<void> {
    await this.#db.updateTable('sessions').set({ stage }).where('id', '=', id).execute();
  }

  async deleteSession(id: string): Promise<void> {
    await this.#db.deleteFrom('sessions').where('id', '=', id).execute();
  }

  async deleteUserSessions(userId: UserId, exceptId?: string): Promise<number> {
    let q = this.#db.deleteFrom('sessions').where('user_id', '=', userId);
    if (exceptId) q = q.where('id', '!=', exceptId);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async deleteExpiredSessions(now: string): Promise<number> {
    const r = await this.#db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async insertToken(t: NewTokenRecord): Promise<void> {
    await this.#db
      .insertInto('api_tokens')
      .values({
        id: t.id,
        user_id: t.userId,
        name: t.name,
        scopes: t.scopes.join(' '),
        secret_hash: t.secretHash,
        created_at: t.createdAt,
        expires_at: t.expiresAt,
        last_used_at: null,
        revoked_at: null,
      })
      .execute();
  }

  async findTokenBySecretHash(secretHash: string): Promise<ApiToken | undefined> {
    const r = await this.#db
      .selectFrom('api_tokens')
      .selectAll()
      .where('secret_hash', '=', secretHash)
      .executeTakeFirst();
    return r && toToken(r);
  }

  async listTokens(userId: UserId): Promise<ApiToken[]> {
    const rows = await this.#db
      .selectFrom('api_tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toToken);
  }

  async revokeToken(id: string, userId: UserId, at: string): Promise<boolean> {
    const r = await this.#db
      .updateTable('api_tokens')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.#db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  async appendAudit(e: AuditEventInput & { id: string; at: string }): Promise<void> {
    await this.#db
      .insertInto('audit_events')
      .values({
        id: e.id,
        at: e.at,
        type: e.type,
        outcome: e.outcome,
        actor_user_id: e.actorUserId,
        actor_org_id: e.actorOrgId,
        subject_user_id: e.subjectUserId,
        details: JSON.stringify(e.details),
      })
      .execute();
  }

  async listAudit(query: AuditQuery): Promise<AuditEvent[]> {
    let q = this.#db.selectFrom('audit_events').selectAll();
    if (query.beforeSeq !== undefined) q = q.where('seq', '<', query.beforeSeq);
    if (query.userId) {
      const uid = query.userId;
      q = q.where((eb) => eb.or([eb('actor_user_id', '=', uid), eb('subject_user_id', '=', uid)]));
    }
    const rows = await q.orderBy('seq', 'desc').limit(query.limit).execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      id: r.id,
      at: r.at,
      type: r.type as AuditEvent['type'],
      outcome: r.outcome as AuditEvent['outcome'],
      actorUserId: r.actor_user_id as UserId | null,
      actorOrgId: r.actor_org_id as OrgId | null,
      subjectUserId: r.subject_user_id as UserId | null,
      details: JSON.parse(r.details) as AuditEvent['details'],
    }));
  }
}

const toOrg = (r: Selectable<Database['organisations']>): Organisation => ({
  id: r.id as OrgId,
  name: r.name,
  country: r.country,
  kind: r.kind as OrgKind,
  createdAt: r.created_at,
});

const toCreds = (r: Selectable<UsersTable>): UserCredentials => ({
  user: {
    id: r.id as UserId,
    orgId: r.org_id as OrgId,
    username: r.username,
    displayName: r.display_name,
    role: r.role as Role,
    locale: r.locale as Locale | null,
    totpEnrolled: r.totp_secret_sealed !== null,
    mustChangePassword: Number(r.must_change_password) === 1,
    disabled: r.disabled_at !== null,
    lockedUntil: r.locked_until,
    createdAt: r.created_at,
  },
  passwordHash: r.password_hash,
  totpSecretSealed: r.totp_secret_sealed,
  totpPendingSealed: r.totp_pending_sealed,
  totpLastStep: r.totp_last_step === null ? null : Number(r.totp_last_step),
  failedLogins: Number(r.failed_logins),
});

const toToken = (r: Selectable<Database['api_tokens']>): ApiToken => ({
  id: r.id,
  userId: r.user_id as UserId,
  name: r.name,
  scopes: r.scopes.split(' ').filter(Boolean) as TokenScope[],
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});
