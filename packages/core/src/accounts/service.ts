import { randomBytes } from 'node:crypto';
import type { AuditEvent, AuditEventInput } from '../audit/types.ts';
import { base32Encode } from '../crypto/base32.ts';
import type { SecretBox } from '../crypto/secretbox.ts';
import { randomToken, sha256Hex } from '../crypto/tokens.ts';
import { matchTotp, otpauthUri } from '../crypto/totp.ts';
import { type Action, type Actor, decide } from '../policy/policy.ts';
import { AccordError, invalid, notFound } from '../shared/errors.ts';
import { newId, type OrgId, type UserId } from '../shared/ids.ts';
import {
  checkPasswordPolicy,
  dummyVerify,
  generatePassword,
  hashPassword,
  verifyPassword,
} from './passwords.ts';
import type { AccountsRepo, AuditQuery, Clock } from './ports.ts';
import type {
  ApiToken,
  Locale,
  Organisation,
  Role,
  Session,
  SessionStage,
  TokenScope,
  User,
  UserCredentials,
} from './types.ts';
import { parseCountry, parseOrgKind, parseRole, parseText, parseUsername } from './validate.ts';

export interface AccountsSettings {
  /** Shown in authenticator apps next to the account. */
  readonly issuer: string;
  readonly maxFailedLogins: number;
  readonly lockoutMinutes: number;
  readonly sessionIdleMinutes: number;
  readonly sessionMaxHours: number;
  /** How long a half-finished sign-in (password accepted, code not yet) stays valid. */
  readonly pendingMinutes: number;
}

export const DEFAULT_ACCOUNTS_SETTINGS: AccountsSettings = {
  issuer: 'Accord',
  maxFailedLogins: 5,
  lockoutMinutes: 15,
  sessionIdleMinutes: 30,
  sessionMaxHours: 12,
  pendingMinutes: 10,
};

/** Who asks: a signed-in person, or the operator at the node's command line. */
export type Principal = Actor | { readonly operator: true };

export interface SessionGrant {
  /** The cookie value. Only its SHA-256 is stored. */
  readonly token: string;
  readonly session: Session;
  readonly user: User;
}

export interface Authenticated {
  readonly session: Session;
  readonly user: User;
}

const TOTP_PURPOSE = (userId: UserId) => `totp:${userId}`;
const TOKEN_PREFIX = 'acc_';

/**
 * Organisations, people, sign-in, sessions and API tokens. Every change that matters for security
 * is written together with its audit event in one transaction.
 */
export class Accounts {
  readonly #repo: AccountsRepo;
  readonly #box: SecretBox;
  readonly #clock: Clock;
  readonly #settings: AccountsSettings;

  constructor(deps: {
    repo: AccountsRepo;
    secretBox: SecretBox;
    clock: Clock;
    settings?: Partial<AccountsSettings>;
  }) {
    this.#repo = deps.repo;
    this.#box = deps.secretBox;
    this.#clock = deps.clock;
    this.#settings = { ...DEFAULT_ACCOUNTS_SETTINGS, ...deps.settings };
  }

  get settings(): AccountsSettings {
    return this.#settings;
  }

  // ── organisations ────────────────────────────────────────────────────────────

  async createOrganisation(
    by: Principal,
    input: { name: unknown; country: unknown; kind: unknown },
  ): Promise<Organisation> {
    this.#authorize(by, 'org.create');
    const org: Organisation = {
      id: newId<OrgId>(),
      name: parseText(input.name, 'name', 'the organisation name'),
      country: parseCountry(input.country),
      kind: parseOrgKind(input.kind),
      createdAt: this.#nowIso(),
    };
    return this.#repo.transaction(async (tx) => {
      if (await tx.findOrgByName(org.name)) {
        throw new AccordError('conflict', `an organisation named "${org.name}" already exists`, {
          context: { field: 'name', reason: 'org_name_taken', name: org.name },
        });
      }
      await tx.insertOrg(org);
      await this.#audit(tx, by, {
        type: 'org.created',
        outcome: 'success',
        subjectUserId: null,
        details: { orgId: org.id },
      });
      return org;
    });
  }

  async listOrganisations(by: Principal): Promise<Organisation[]> {
    this.#authorize(by, 'org.read');
    return this.#repo.listOrgs();
  }

  async getOrganisation(by: Principal, id: OrgId): Promise<Organisation> {
    this.#authorize(by, 'org.read');
    const org = await this.#repo.getOrg(id);
    if (!org) throw notFound('no organisation has this id');
    return org;
  }

  /** Finds an organisation by id or exact name, for the command line. */
  async resolveOrganisation(ref: string): Promise<Organisation> {
    const orgs = await this.#repo.listOrgs();
    const found =
      orgs.find((o) => o.id === ref) ?? orgs.find((o) => o.name.toLowerCase() === ref.trim().toLowerCase());
    if (!found) {
      const known = orgs.map((o) => `"${o.name}"`).join(', ') || 'none yet';
      throw notFound(`no organisation "${ref}" (known: ${known})`);
    }
    return found;
  }

  // ── users ────────────────────────────────────────────────────────────────────

  /**
   * Creates a user. Without a password, one is generated and returned once; the user must change
   * it at first sign-in. Every new user must enrol TOTP before reaching anything.
   */
  async createUser(
    by: Principal,
    input: {
      orgId: unknown;
      username: unknown;
      displayName: unknown;
      role: unknown;
      password?: string | undefined;
    },
  ): Promise<{ user: User; initialPassword?: string }> {
    this.#authorize(by, 'user.create');
    const username = parseUsername(input.username);
    const displayName = parseText(input.displayName, 'displayName', 'the display name');
    const role = parseRole(input.role);
    const orgId = typeof input.orgId === 'string' ? (input.orgId as OrgId) : undefined;
    if (!orgId || !(await this.#repo.getOrg(orgId))) {
      throw invalid('the organisation does not exist', { field: 'orgId', reason: 'org_missing' });
    }
    const generated = input.password === undefined ? generatePassword() : undefined;
    const password = input.password ?? generated!;
    if (input.password !== undefined) checkPasswordPolicy(password, username);
    const passwordHash = await hashPassword(password);
    const id = newId<UserId>();
    await this.#repo.transaction(async (tx) => {
      if (await tx.findUserByUsername(username)) {
        throw new AccordError('conflict', `the username "${username}" is taken`, {
          context: { field: 'username', reason: 'username_taken', username },
        });
      }
      await tx.insertUser({
        id,
        orgId,
        username,
        displayName,
        role,
        passwordHash,
        mustChangePassword: generated !== undefined,
        createdAt: this.#nowIso(),
      });
      await this.#audit(tx, by, {
        type: 'user.created',
        outcome: 'success',
        subjectUserId: id,
        details: { role },
      });
    });
    const user = await this.#user(id);
    return generated === undefined ? { user } : { user, initialPassword: generated };
  }

  async listUsers(by: Principal, filter: { orgId?: OrgId } = {}): Promise<User[]> {
    this.#authorize(by, 'user.read');
    return (await this.#repo.listUsers(filter)).map((c) => c.user);
  }

  async getUser(by: Principal, id: UserId): Promise<User> {
    if (!('operator' in by) && by.userId === id) return this.#user(id);
    this.#authorize(by, 'user.read');
    return this.#user(id);
  }

  async findUserByUsername(username: string): Promise<User> {
    const creds = await this.#repo.findUserByUsername(parseUsername(username));
    if (!creds) throw notFound(`no user "${username.trim().toLowerCase()}"`);
    return creds.user;
  }

  async changeRole(by: Principal, userId: UserId, roleInput: unknown): Promise<User> {
    return this.updateUser(by, userId, { role: roleInput });
  }

  /** Disabling ends every session and makes every token of the user useless. */
  async setDisabled(by: Principal, userId: UserId, disabled: boolean): Promise<User> {
    return this.updateUser(by, userId, { disabled });
  }

  /**
   * Changes a user's role and/or disabled state in one transaction: every precondition is checked
   * before anything is written, so a refused change leaves the user exactly as they were.
   */
  async updateUser(
    by: Principal,
    userId: UserId,
    change: { role?: unknown; disabled?: boolean },
  ): Promise<User> {
    this.#authorize(by, 'user.update');
    const role = change.role === undefined ? undefined : parseRole(change.role);
    const disabled = change.disabled;
    if (disabled && !('operator' in by) && by.userId === userId) {
      throw new AccordError('conflict', 'you cannot disable your own account', {
        context: { reason: 'self_disable' },
      });
    }
    await this.#repo.transaction(async (tx) => {
      const current = await tx.getUser(userId);
      if (!current) throw notFound('no user has this id');
      const roleChanges = role !== undefined && role !== current.user.role;
      const disabledChanges = disabled !== undefined && disabled !== current.user.disabled;
      const losesAdmin =
        current.user.role === 'admin' &&
        !current.user.disabled &&
        ((roleChanges && role !== 'admin') || (disabledChanges && disabled));
      if (losesAdmin && (await tx.countAdmins()) <= 1) {
        throw new AccordError('conflict', 'this is the last active admin; make someone else admin first', {
          context: { reason: 'last_admin' },
        });
      }
      if (roleChanges) {
        await tx.updateUser(userId, { role });
        await this.#audit(tx, by, {
          type: 'user.role_changed',
          outcome: 'success',
          subjectUserId: userId,
          details: { from: current.user.role, to: role },
        });
      }
      if (disabledChanges) {
        await tx.updateUser(userId, { disabledAt: disabled ? this.#nowIso() : null });
        if (disabled) await tx.deleteUserSessions(userId);
        await this.#audit(tx, by, {
          type: disabled ? 'user.disabled' : 'user.enabled',
          outcome: 'success',
          subjectUserId: userId,
          details: {},
        });
      }
    });
    return this.#user(userId);
  }

  /**
   * Gives a user a new generated password (shown once), optionally clears their TOTP so they enrol
   * again, unlocks the account and signs them out everywhere.
   */
  async resetCredentials(
    by: Principal,
    userId: UserId,
    options: { resetTotp: boolean },
  ): Promise<{ user: User; password: string }> {
    this.#authorize(by, 'user.reset_credentials');
    const password = generatePassword();
    const passwordHash = await hashPassword(password);
    await this.#repo.transaction(async (tx) => {
      if (!(await tx.getUser(userId))) throw notFound('no user has this id');
      await tx.updateUser(userId, {
        passwordHash,
        mustChangePassword: true,
        failedLogins: 0,
        lockedUntil: null,
        ...(options.resetTotp ? { totpSecretSealed: null, totpPendingSealed: null, totpLastStep: null } : {}),
      });
      await tx.deleteUserSessions(userId);
      // Tokens too: a reset is how an admin answers a suspected compromise.
      const tokensRevoked = await tx.revokeUserTokens(userId, this.#nowIso());
      await this.#audit(tx, by, {
        type: 'password.reset',
        outcome: 'success',
        subjectUserId: userId,
        details: { totpReset: options.resetTotp, tokensRevoked },
      });
    });
    return { user: await this.#user(userId), password };
  }

  // ── sign-in ──────────────────────────────────────────────────────────────────

  /**
   * First factor. Wrong username and wrong password give the same answer. After
   * `maxFailedLogins` consecutive failures (password or code) the account locks for a while.
   */
  async signIn(usernameInput: unknown, password: unknown): Promise<SessionGrant> {
    const failure = new AccordError('unauthenticated', 'the username or password is not correct');
    if (typeof password !== 'string' || password === '' || password.length > 4096) throw failure;
    let username: string;
    try {
      username = parseUsername(usernameInput);
    } catch {
      await dummyVerify(password);
      throw failure;
    }
    const creds = await this.#repo.findUserByUsername(username);
    if (!creds) {
      await dummyVerify(password);
      await this.#audit(this.#repo, null, {
        type: 'login.password',
        outcome: 'failure',
        subjectUserId: null,
        details: { reason: 'unknown_user' },
      });
      throw failure;
    }
    const { user } = creds;
    // The password is checked even while the account is locked, and a wrong one gets the usual
    // answer: a lock is revealed only to someone who knows the password (no account probing).
    const locked = this.#isLocked(creds);
    const ok = await verifyPassword(creds.passwordHash, password);
    if (!ok) {
      if (locked) {
        await this.#audit(this.#repo, null, {
          type: 'login.password',
          outcome: 'failure',
          subjectUserId: user.id,
          details: { reason: 'wrong_password_while_locked' },
        });
      } else {
        await this.#recordFailure(creds, 'login.password', 'wrong_password');
      }
      throw failure;
    }
    this.#assertNotLocked(creds);
    if (user.disabled) {
      await this.#audit(this.#repo, null, {
        type: 'login.password',
        outcome: 'failure',
        subjectUserId: user.id,
        details: { reason: 'disabled' },
      });
      throw new AccordError('forbidden', 'this account is disabled; ask an administrator');
    }
    const stage: SessionStage = creds.totpSecretSealed ? 'totp' : 'enrol';
    return this.#repo.transaction(async (tx) => {
      await this.#audit(tx, null, {
        type: 'login.password',
        outcome: 'success',
        subjectUserId: user.id,
        details: { next: stage },
      });
      return this.#newSession(tx, user, stage);
    });
  }

  /** Second factor for an enrolled user. The session is replaced by a new one (no fixation). */
  async verifyTotp(sessionToken: string, code: unknown): Promise<SessionGrant> {
    const { session, creds } = await this.#pending(sessionToken, 'totp');
    this.#assertNotLocked(creds);
    const secret = this.#box.open(creds.totpSecretSealed!, TOTP_PURPOSE(creds.user.id));
    const step = matchTotp(
      secret,
      typeof code === 'string' ? code : '',
      this.#clock.now().getTime(),
      creds.totpLastStep,
    );
    if (step === undefined) {
      await this.#recordFailure(creds, 'login.totp', 'wrong_code');
      throw new AccordError(
        'unauthenticated',
        'the code is not correct or was already used; wait for the next one',
      );
    }
    return this.#repo.transaction(async (tx) => {
      if (!(await tx.claimTotpStep(creds.user.id, step))) {
        throw new AccordError(
          'unauthenticated',
          'the code is not correct or was already used; wait for the next one',
        );
      }
      await tx.updateUser(creds.user.id, { failedLogins: 0, lockedUntil: null });
      await tx.deleteSession(session.id);
      await this.#audit(tx, null, {
        type: 'login.totp',
        outcome: 'success',
        subjectUserId: creds.user.id,
        details: {},
      });
      return this.#newSession(tx, await this.#userIn(tx, creds.user.id), 'full');
    });
  }

  /** Starts (or restarts) TOTP enrolment: a new secret, kept sealed until confirmed. */
  async beginEnrolment(sessionToken: string): Promise<{ secret: string; uri: string }> {
    const { creds } = await this.#enrolling(sessionToken);
    const secret = randomBytes(20);
    await this.#repo.updateUser(creds.user.id, {
      totpPendingSealed: this.#box.seal(secret, `${TOTP_PURPOSE(creds.user.id)}:pending`),
    });
    const b32 = base32Encode(secret);
    return { secret: b32, uri: otpauthUri(this.#settings.issuer, creds.user.username, b32) };
  }

  /** The pending secret again (page reload), without generating a new one. */
  async pendingEnrolment(sessionToken: string): Promise<{ secret: string; uri: string } | undefined> {
    const { creds } = await this.#enrolling(sessionToken);
    if (!creds.totpPendingSealed) return undefined;
    const secret = this.#box.open(creds.totpPendingSealed, `${TOTP_PURPOSE(creds.user.id)}:pending`);
    const b32 = base32Encode(secret);
    return { secret: b32, uri: otpauthUri(this.#settings.issuer, creds.user.username, b32) };
  }

  /** Confirms enrolment with a code from the new secret; completes sign-in when it was pending. */
  async confirmEnrolment(sessionToken: string, code: unknown): Promise<SessionGrant> {
    const { session, creds } = await this.#enrolling(sessionToken);
    if (!creds.totpPendingSealed) throw invalid('start enrolment first: no new secret is waiting');
    this.#assertNotLocked(creds);
    const pending = creds.totpPendingSealed;
    const purpose = `${TOTP_PURPOSE(creds.user.id)}:pending`;
    const secret = this.#box.open(creds.totpPendingSealed, purpose);
    const step = matchTotp(secret, typeof code === 'string' ? code : '', this.#clock.now().getTime(), null);
    if (step === undefined) {
      await this.#recordFailure(creds, 'totp.enrolled', 'wrong_code');
      throw new AccordError(
        'unauthenticated',
        'the code does not match; check the time on your phone and try again',
        {
          context: { field: 'code' },
        },
      );
    }
    const wasEnrolled = creds.totpSecretSealed !== null;
    return this.#repo.transaction(async (tx) => {
      const sealed = this.#box.seal(secret, TOTP_PURPOSE(creds.user.id));
      // Conditional on the pending secret: two concurrent confirmations cannot both succeed.
      if (!(await tx.completeEnrolment(creds.user.id, pending, sealed, step))) {
        throw new AccordError('unauthenticated', 'your sign-in has expired; sign in again');
      }
      await tx.updateUser(creds.user.id, { failedLogins: 0, lockedUntil: null });
      await tx.deleteSession(session.id);
      await this.#audit(tx, actorOf(creds.user), {
        type: 'totp.enrolled',
        outcome: 'success',
        subjectUserId: creds.user.id,
        details: { replaced: wasEnrolled },
      });
      return this.#newSession(tx, await this.#userIn(tx, creds.user.id), 'full');
    });
  }

  /**
   * Resolves a session cookie. Expired, idle or orphaned sessions resolve to undefined (and are
   * removed); an active one has its idle clock restarted.
   */
  async authenticateSession(token: string | undefined): Promise<Authenticated | undefined> {
    if (!token || token.length > 200) return undefined;
    const id = sha256Hex(token);
    const session = await this.#repo.getSession(id);
    if (!session) return undefined;
    const now = this.#clock.now();
    const idleLimit = new Date(Date.parse(session.lastSeenAt) + this.#idleMs(session.stage));
    if (now >= new Date(session.expiresAt) || now >= idleLimit) {
      await this.#repo.deleteSession(id);
      return undefined;
    }
    const creds = await this.#repo.getUser(session.userId);
    if (!creds || creds.user.disabled) {
      await this.#repo.deleteSession(id);
      return undefined;
    }
    // Write at most once a minute: reads should not turn every page view into a write.
    if (now.getTime() - Date.parse(session.lastSeenAt) > 60_000)
      await this.#repo.touchSession(id, now.toISOString());
    return { session, user: creds.user };
  }

  async signOut(sessionToken: string): Promise<void> {
    const auth = await this.authenticateSession(sessionToken);
    await this.#repo.transaction(async (tx) => {
      await tx.deleteSession(sha256Hex(sessionToken));
      if (auth)
        await this.#audit(tx, actorOf(auth.user), {
          type: 'logout',
          outcome: 'success',
          subjectUserId: auth.user.id,
          details: {},
        });
    });
  }

  /** Ends every session of the user, on every device, including the current one. */
  async signOutEverywhere(user: User): Promise<number> {
    return this.#repo.transaction(async (tx) => {
      const count = await tx.deleteUserSessions(user.id);
      await this.#audit(tx, actorOf(user), {
        type: 'logout.everywhere',
        outcome: 'success',
        subjectUserId: user.id,
        details: { sessions: count },
      });
      return count;
    });
  }

  /** Changing the password ends every other session of the user. */
  async changePassword(
    user: User,
    current: unknown,
    next: unknown,
    keepSessionToken?: string,
  ): Promise<void> {
    const creds = await this.#repo.getUser(user.id);
    if (!creds) throw notFound('no user has this id');
    this.#assertNotLocked(creds);
    if (typeof current !== 'string' || !(await verifyPassword(creds.passwordHash, current))) {
      // Counts toward lockout: a stolen session must not allow unlimited password guessing.
      await this.#recordFailure(creds, 'password.changed', 'wrong_current_password');
      throw new AccordError('unauthenticated', 'the current password is not correct', {
        context: { field: 'current', reason: 'wrong_current_password' },
      });
    }
    if (typeof next !== 'string')
      throw invalid('a new password is required', { field: 'password', reason: 'required' });
    checkPasswordPolicy(next, user.username);
    if (await verifyPassword(creds.passwordHash, next)) {
      throw invalid('the new password must differ from the current one', {
        field: 'password',
        reason: 'password_reused',
      });
    }
    const passwordHash = await hashPassword(next);
    await this.#repo.transaction(async (tx) => {
      await tx.updateUser(user.id, { passwordHash, mustChangePassword: false });
      await tx.deleteUserSessions(user.id, keepSessionToken ? sha256Hex(keepSessionToken) : undefined);
      await this.#audit(tx, actorOf(user), {
        type: 'password.changed',
        outcome: 'success',
        subjectUserId: user.id,
        details: {},
      });
    });
  }

  async setLocale(user: User, locale: Locale | null): Promise<void> {
    await this.#repo.updateUser(user.id, { locale });
  }

  /** Lets a fully signed-in user replace their TOTP secret: the session goes back to enrolment. */
  /**
   * Lets a fully signed-in user replace their authenticator, after proving both factors again (a
   * stolen session alone must not be able to take over the second factor). The session goes back
   * to enrolment; the current authenticator keeps working until the new one is confirmed.
   */
  async restartEnrolment(sessionToken: string, user: User, password: unknown, code: unknown): Promise<void> {
    const creds = await this.#repo.getUser(user.id);
    if (!creds) throw notFound('no user has this id');
    this.#assertNotLocked(creds);
    if (typeof password !== 'string' || !(await verifyPassword(creds.passwordHash, password))) {
      await this.#recordFailure(creds, 'totp.reset', 'wrong_current_password');
      throw new AccordError('unauthenticated', 'the current password is not correct', {
        context: { field: 'current', reason: 'wrong_current_password' },
      });
    }
    const step = creds.totpSecretSealed
      ? matchTotp(
          this.#box.open(creds.totpSecretSealed, TOTP_PURPOSE(user.id)),
          typeof code === 'string' ? code : '',
          this.#clock.now().getTime(),
          creds.totpLastStep,
        )
      : undefined;
    const wrongCode = new AccordError('unauthenticated', 'the code is not correct or was already used', {
      context: { field: 'code', reason: 'wrong_code' },
    });
    if (step === undefined) {
      await this.#recordFailure(creds, 'totp.reset', 'wrong_code');
      throw wrongCode;
    }
    await this.#repo.transaction(async (tx) => {
      if (!(await tx.claimTotpStep(user.id, step))) throw wrongCode;
      await tx.setSessionStage(sha256Hex(sessionToken), 'enrol');
      await tx.updateUser(user.id, { totpPendingSealed: null });
      await this.#audit(tx, actorOf(user), {
        type: 'totp.reset',
        outcome: 'success',
        subjectUserId: user.id,
        details: {},
      });
    });
  }

  // ── API tokens ───────────────────────────────────────────────────────────────

  async createToken(
    user: User,
    input: { name: unknown; scopes: readonly TokenScope[]; expiresInDays?: number | undefined },
  ): Promise<{ token: ApiToken; secret: string }> {
    const name = parseText(input.name, 'name', 'the token name', 100);
    const scopes = [...new Set(input.scopes)];
    if (scopes.length === 0)
      throw invalid('choose at least one scope', { field: 'scopes', reason: 'scopes_required' });
    const days = input.expiresInDays;
    if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650)) {
      throw invalid('a token expires after 1 to 3650 days', {
        field: 'expiresInDays',
        reason: 'token_expiry_range',
      });
    }
    const id = newId<string>();
    const secret = `${TOKEN_PREFIX}${randomToken()}`;
    const now = this.#clock.now();
    const record = {
      id,
      userId: user.id,
      name,
      scopes,
      secretHash: sha256Hex(secret),
      createdAt: now.toISOString(),
      expiresAt: days === undefined ? null : new Date(now.getTime() + days * 86_400_000).toISOString(),
    };
    await this.#repo.transaction(async (tx) => {
      await tx.insertToken(record);
      await this.#audit(tx, actorOf(user), {
        type: 'token.created',
        outcome: 'success',
        subjectUserId: user.id,
        details: { tokenId: id, scopes: scopes.join(' ') },
      });
    });
    const token = (await this.#repo.listTokens(user.id)).find((t) => t.id === id)!;
    return { token, secret };
  }

  async listTokens(user: User): Promise<ApiToken[]> {
    return this.#repo.listTokens(user.id);
  }

  async revokeToken(user: User, tokenId: string): Promise<void> {
    await this.#repo.transaction(async (tx) => {
      const done = await tx.revokeToken(tokenId, user.id, this.#nowIso());
      if (!done)
        throw new AccordError('not_found', 'you have no active token with this id', {
          context: { reason: 'token_not_found' },
        });
      await this.#audit(tx, actorOf(user), {
        type: 'token.revoked',
        outcome: 'success',
        subjectUserId: user.id,
        details: { tokenId },
      });
    });
  }

  /** Resolves an `Authorization: Bearer acc_…` secret to the acting user and the token's scopes. */
  async authenticateToken(secret: string): Promise<{ user: User; token: ApiToken }> {
    const rejected = new AccordError('unauthenticated', 'the API token is not valid, expired or revoked');
    if (!secret.startsWith(TOKEN_PREFIX) || secret.length > 200) throw rejected;
    const token = await this.#repo.findTokenBySecretHash(sha256Hex(secret));
    const now = this.#clock.now();
    const creds = token ? await this.#repo.getUser(token.userId) : undefined;
    const usable =
      token &&
      creds &&
      !creds.user.disabled &&
      token.revokedAt === null &&
      (token.expiresAt === null || now < new Date(token.expiresAt));
    if (!usable) {
      // Only tokens that exist are recorded (revoked, expired, owner disabled): a made-up secret
      // concerns nobody, and recording each would let anyone fill the append-only trail.
      if (token) {
        await this.#audit(this.#repo, null, {
          type: 'token.rejected',
          outcome: 'failure',
          subjectUserId: creds?.user.id ?? null,
          details: { tokenId: token.id },
        });
      }
      throw rejected;
    }
    await this.#repo.transaction(async (tx) => {
      await tx.touchToken(token.id, now.toISOString());
      await this.#audit(tx, actorOf(creds.user), {
        type: 'token.used',
        outcome: 'success',
        subjectUserId: creds.user.id,
        details: { tokenId: token.id },
      });
    });
    return { user: creds.user, token };
  }

  // ── audit ──────────────────────────────────────────────────────────

  async listAudit(by: Principal, query: AuditQuery): Promise<AuditEvent[]> {
    this.#authorize(by, 'audit.read');
    return this.#repo.listAudit({ ...query, limit: Math.min(Math.max(query.limit, 1), 500) });
  }

  /** Records a refused access (the policy said no) so that auditors can see probing. */
  async recordDenied(actor: Actor, action: Action): Promise<void> {
    await this.#audit(this.#repo, actor, {
      type: 'access.denied',
      outcome: 'failure',
      subjectUserId: null,
      details: { action },
    });
  }

  // ── internals ────────────────────────────────────────────────────────────────

  #authorize(by: Principal, action: Action): void {
    if ('operator' in by) return;
    const d = decide(by, action);
    if (!d.allowed) throw new AccordError('forbidden', `not allowed: ${d.reason}`);
  }

  async #newSession(repo: AccountsRepo, user: User, stage: SessionStage): Promise<SessionGrant> {
    const token = randomToken();
    const now = this.#clock.now();
    const maxMs =
      stage === 'full' ? this.#settings.sessionMaxHours * 3_600_000 : this.#settings.pendingMinutes * 60_000;
    const session: Session = {
      id: sha256Hex(token),
      userId: user.id,
      stage,
      csrfToken: randomToken(),
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + maxMs).toISOString(),
    };
    await repo.insertSession(session);
    return { token, session, user };
  }

  #idleMs(stage: SessionStage): number {
    return (stage === 'full' ? this.#settings.sessionIdleMinutes : this.#settings.pendingMinutes) * 60_000;
  }

  async #pending(token: string, stage: SessionStage): Promise<{ session: Session; creds: UserCredentials }> {
    const auth = await this.authenticateSession(token);
    if (!auth || auth.session.stage !== stage) {
      throw new AccordError('unauthenticated', 'your sign-in has expired; sign in again');
    }
    const creds = await this.#repo.getUser(auth.user.id);
    if (!creds) throw new AccordError('unauthenticated', 'your sign-in has expired; sign in again');
    return { session: auth.session, creds };
  }

  async #enrolling(token: string): Promise<{ session: Session; creds: UserCredentials }> {
    return this.#pending(token, 'enrol');
  }

  #isLocked(creds: UserCredentials): boolean {
    const until = creds.user.lockedUntil;
    return until !== null && this.#clock.now() < new Date(until);
  }

  #assertNotLocked(creds: UserCredentials): void {
    const until = creds.user.lockedUntil;
    if (this.#isLocked(creds)) {
      throw new AccordError(
        'locked',
        'too many failed attempts: this account is locked for a while; try again later',
        {
          context: { until },
        },
      );
    }
  }

  async #recordFailure(
    creds: UserCredentials,
    type: 'login.password' | 'login.totp' | 'totp.enrolled' | 'totp.reset' | 'password.changed',
    reason: string,
  ) {
    const lockUntil = new Date(
      this.#clock.now().getTime() + this.#settings.lockoutMinutes * 60_000,
    ).toISOString();
    await this.#repo.transaction(async (tx) => {
      const lock = await tx.recordFailedLogin(creds.user.id, this.#settings.maxFailedLogins, lockUntil);
      await this.#audit(tx, null, {
        type,
        outcome: 'failure',
        subjectUserId: creds.user.id,
        details: { reason },
      });
      if (lock) {
        await this.#audit(tx, null, {
          type: 'login.locked',
          outcome: 'success',
          subjectUserId: creds.user.id,
          details: { minutes: this.#settings.lockoutMinutes },
        });
      }
    });
  }

  async #user(id: UserId): Promise<User> {
    return this.#userIn(this.#repo, id);
  }

  async #userIn(repo: AccountsRepo, id: UserId): Promise<User> {
    const creds = await repo.getUser(id);
    if (!creds) throw notFound('no user has this id');
    return creds.user;
  }

  async #audit(
    repo: AccountsRepo,
    by: Principal | null,
    event: Omit<AuditEventInput, 'actorUserId' | 'actorOrgId'>,
  ): Promise<void> {
    const actor = by && !('operator' in by) ? by : null;
    const details = by && 'operator' in by ? { ...event.details, via: 'cli' } : event.details;
    await repo.appendAudit({
      ...event,
      details,
      actorUserId: actor?.userId ?? null,
      actorOrgId: actor?.orgId ?? null,
      id: newId<string>(),
      at: this.#nowIso(),
    });
  }

  #nowIso(): string {
    return this.#clock.now().toISOString();
  }
}

export const actorOf = (user: User, scopes?: readonly TokenScope[]): Actor =>
  scopes
    ? { userId: user.id, orgId: user.orgId, role: user.role, scopes }
    : { userId: user.id, orgId: user.orgId, role: user.role };

export type { Role };
