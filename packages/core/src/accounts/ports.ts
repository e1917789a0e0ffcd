import type { AuditEvent, AuditEventInput } from '../audit/types.ts';
import type { OrgId, UserId } from '../shared/ids.ts';
import type {
  ApiToken,
  Locale,
  Organisation,
  Role,
  Session,
  SessionStage,
  TokenScope,
  UserCredentials,
} from './types.ts';

export interface NewUserRecord {
  readonly id: UserId;
  readonly orgId: OrgId;
  readonly username: string;
  readonly displayName: string;
  readonly role: Role;
  readonly passwordHash: string;
  readonly mustChangePassword: boolean;
  readonly createdAt: string;
}

export interface UserPatch {
  readonly role?: Role;
  readonly displayName?: string;
  readonly passwordHash?: string;
  readonly mustChangePassword?: boolean;
  readonly totpSecretSealed?: string | null;
  readonly totpPendingSealed?: string | null;
  readonly totpLastStep?: number | null;
  readonly locale?: Locale | null;
  readonly failedLogins?: number;
  readonly lockedUntil?: string | null;
  readonly disabledAt?: string | null;
}

export interface NewTokenRecord {
  readonly id: string;
  readonly userId: UserId;
  readonly name: string;
  readonly scopes: readonly TokenScope[];
  readonly secretHash: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
}

export interface AuditQuery {
  readonly limit: number;
  /** Only events with a smaller sequence number (paging backwards from the newest). */
  readonly beforeSeq?: number;
  readonly userId?: UserId;
}

/**
 * What the accounts module needs from storage. Implemented by @accord/store for SQLite and
 * PostgreSQL; the same contract tests run against both.
 */
export interface AccountsRepo {
  /** Runs `fn` atomically: all its writes land, or none do. */
  transaction<T>(fn: (repo: AccountsRepo) => Promise<T>): Promise<T>;

  insertOrg(org: Organisation): Promise<void>;
  getOrg(id: OrgId): Promise<Organisation | undefined>;
  findOrgByName(name: string): Promise<Organisation | undefined>;
  listOrgs(): Promise<Organisation[]>;

  insertUser(user: NewUserRecord): Promise<void>;
  getUser(id: UserId): Promise<UserCredentials | undefined>;
  findUserByUsername(username: string): Promise<UserCredentials | undefined>;
  listUsers(filter?: { orgId?: OrgId }): Promise<UserCredentials[]>;
  updateUser(id: UserId, patch: UserPatch): Promise<void>;
  countAdmins(): Promise<number>;
  /**
   * Records that a TOTP step was used, only if it is newer than the last used one. Atomic, so two
   * concurrent requests with the same code cannot both succeed. False when the step was not newer.
   */
  claimTotpStep(id: UserId, step: number): Promise<boolean>;
  /**
   * Counts one failed sign-in atomically (concurrent failures all count). When the count reaches
   * `max` the account is locked until `lockUntil` and the count starts again; true when this
   * failure locked it.
   */
  recordFailedLogin(id: UserId, max: number, lockUntil: string): Promise<boolean>;
  /** Activates a confirmed TOTP secret only if `pendingSealed` is still the one waiting (once). */
  completeEnrolment(id: UserId, pendingSealed: string, secretSealed: string, step: number): Promise<boolean>;
  revokeUserTokens(userId: UserId, at: string): Promise<number>;

  insertSession(session: Session): Promise<void>;
  getSession(id: string): Promise<Session | undefined>;
  touchSession(id: string, lastSeenAt: string): Promise<void>;
  setSessionStage(id: string, stage: SessionStage): Promise<void>;
  deleteSession(id: string): Promise<void>;
  deleteUserSessions(userId: UserId, exceptId?: string): Promise<number>;
  deleteExpiredSessions(now: string): Promise<number>;

  insertToken(token: NewTokenRecord): Promise<void>;
  findTokenBySecretHash(secretHash: string): Promise<ApiToken | undefined>;
  listTokens(userId: UserId): Promise<ApiToken[]>;
  revokeToken(id: string, userId: UserId, at: string): Promise<boolean>;
  touchToken(id: string, at: string): Promise<void>;

  appendAudit(event: AuditEventInput & { id: string; at: string }): Promise<void>;
  listAudit(query: AuditQuery): Promise<AuditEvent[]>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
