import type { OrgId, UserId } from '../shared/ids.ts';

/**
 * Security events. The trail records who did what to whom and whether it worked — never a
 * password, TOTP code, token secret, IP address or user agent.
 */
export const AUDIT_TYPES = [
  'login.password',
  'login.totp',
  'login.locked',
  'totp.enrolled',
  'totp.reset',
  'logout',
  'logout.everywhere',
  'password.changed',
  'password.reset',
  'user.created',
  'user.role_changed',
  'user.disabled',
  'user.enabled',
  'org.created',
  'token.created',
  'token.revoked',
  'token.used',
  'token.rejected',
  'access.denied',
] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

export type AuditOutcome = 'success' | 'failure';

export interface AuditEventInput {
  readonly type: AuditType;
  readonly outcome: AuditOutcome;
  readonly actorUserId: UserId | null;
  readonly actorOrgId: OrgId | null;
  readonly subjectUserId: UserId | null;
  /** Small, non-secret facts: a role name, a token id, "via": "cli". */
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

export interface AuditEvent extends AuditEventInput {
  readonly seq: number;
  readonly id: string;
  readonly at: string;
}
