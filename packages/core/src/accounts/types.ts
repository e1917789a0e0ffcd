import type { OrgId, UserId } from '../shared/ids.ts';

export const ORG_KINDS = ['prosecution', 'police', 'un_mechanism', 'ngo', 'court', 'other'] as const;
export type OrgKind = (typeof ORG_KINDS)[number];

export const ROLES = [
  'admin',
  'investigator',
  'analyst',
  'legal_officer',
  'survivor_advocate',
  'protection_officer',
  'auditor',
  'observer',
] as const;
export type Role = (typeof ROLES)[number];

export const LOCALES = ['en', 'fr', 'es', 'ar', 'uk'] as const;
export type Locale = (typeof LOCALES)[number];

export interface Organisation {
  readonly id: OrgId;
  readonly name: string;
  /** ISO 3166-1 alpha-2, upper case. */
  readonly country: string;
  readonly kind: OrgKind;
  readonly createdAt: string;
}

/** A user as the rest of the system sees it: never carries the password hash or TOTP secret. */
export interface User {
  readonly id: UserId;
  readonly orgId: OrgId;
  readonly username: string;
  readonly displayName: string;
  readonly role: Role;
  readonly locale: Locale | null;
  readonly totpEnrolled: boolean;
  readonly mustChangePassword: boolean;
  readonly disabled: boolean;
  readonly lockedUntil: string | null;
  readonly createdAt: string;
}

/** What a login needs and nobody else sees. */
export interface UserCredentials {
  readonly user: User;
  readonly passwordHash: string;
  readonly totpSecretSealed: string | null;
  readonly totpPendingSealed: string | null;
  readonly totpLastStep: number | null;
  readonly failedLogins: number;
}

/** How far a browser session has come through sign-in. Only 'full' grants access. */
export type SessionStage = 'totp' | 'enrol' | 'full';

export interface Session {
  readonly id: string;
  readonly userId: UserId;
  readonly stage: SessionStage;
  readonly csrfToken: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
}

export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface ApiToken {
  readonly id: string;
  readonly userId: UserId;
  readonly name: string;
  readonly scopes: readonly TokenScope[];
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}
