import { ROLES, type Role, type TokenScope } from '../accounts/types.ts';
import type { OrgId, UserId } from '../shared/ids.ts';

/**
 * The one place that decides access. Every route, page and service names one of these actions;
 * anything not granted here is denied.
 */
export const ACTIONS = [
  // Anyone, signed in or not: sign-in, health probes, the API description.
  'public',
  // Any fully signed-in user: home, own profile, own tokens, sign-out.
  'self',
  // Changes to one's own account made through the API (revoking a token): needs the write scope.
  'self.change',
  'org.read',
  'org.create',
  'user.read',
  'user.create',
  'user.update',
  'user.reset_credentials',
  'audit.read',
  'case.read',
  'case.create',
  // Evidence: read (list, view, download, proofs), add (ingest, derive), manage (seal, transfer,
  // edit metadata, link to another case).
  'evidence.read',
  'evidence.add',
  'evidence.manage',
  // Export bundles for courts and partners (a custody event on every exported item).
  'evidence.export',
  // The legal catalogue (crimes, elements, national profiles): reference material.
  'legal.read',
] as const;
export type Action = (typeof ACTIONS)[number];

export interface Actor {
  readonly userId: UserId;
  readonly orgId: OrgId;
  readonly role: Role;
  /** Present when the request is made with an API token: the token can do no more than these. */
  readonly scopes?: readonly TokenScope[];
}

const EVERY_ROLE: readonly Role[] = ROLES;

/** Role grants. Separation of duties: auditors read the trail but manage nobody. */
const GRANTS: Readonly<Record<Exclude<Action, 'public'>, readonly Role[]>> = {
  self: EVERY_ROLE,
  'self.change': EVERY_ROLE,
  'org.read': EVERY_ROLE,
  'org.create': ['admin'],
  'user.read': EVERY_ROLE.filter((r) => r !== 'observer'),
  'user.create': ['admin'],
  'user.update': ['admin'],
  'user.reset_credentials': ['admin'],
  'audit.read': ['admin', 'auditor'],
  'case.read': EVERY_ROLE,
  'case.create': ['admin', 'investigator', 'legal_officer'],
  'evidence.read': EVERY_ROLE.filter((r) => r !== 'observer'),
  'evidence.add': ['admin', 'investigator', 'analyst', 'survivor_advocate'],
  'evidence.manage': ['admin', 'investigator', 'legal_officer'],
  'evidence.export': ['admin', 'investigator', 'legal_officer'],
  'legal.read': EVERY_ROLE,
};

/** Which token scope an action needs. */
const SCOPE: Readonly<Record<Exclude<Action, 'public'>, TokenScope>> = {
  self: 'read',
  'self.change': 'write',
  'org.read': 'read',
  'org.create': 'admin',
  'user.read': 'read',
  'user.create': 'admin',
  'user.update': 'admin',
  'user.reset_credentials': 'admin',
  'audit.read': 'read',
  'case.read': 'read',
  'case.create': 'write',
  'evidence.read': 'read',
  'evidence.add': 'write',
  'evidence.manage': 'write',
  'evidence.export': 'write',
  'legal.read': 'read',
};

export type Decision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

const ALLOW: Decision = { allowed: true };

export const decide = (actor: Actor | undefined, action: Action): Decision => {
  if (action === 'public') return ALLOW;
  if (!actor) return { allowed: false, reason: 'sign in first' };
  if (!GRANTS[action].includes(actor.role)) {
    return { allowed: false, reason: `the ${actor.role} role may not ${describeAction(action)}` };
  }
  if (actor.scopes && !actor.scopes.includes(SCOPE[action])) {
    return { allowed: false, reason: `this API token lacks the "${SCOPE[action]}" scope` };
  }
  return ALLOW;
};

export const can = (actor: Actor | undefined, action: Action): boolean => decide(actor, action).allowed;

export const isAction = (value: string): value is Action => (ACTIONS as readonly string[]).includes(value);

/** Roles an admin may hand out; kept here so that role changes are policy, not page logic. */
export const assignableRoles = (actor: Actor): readonly Role[] => (actor.role === 'admin' ? EVERY_ROLE : []);

const describeAction = (action: Exclude<Action, 'public'>): string => {
  switch (action) {
    case 'self':
      return 'use this node';
    case 'self.change':
      return 'change their own account';
    case 'org.read':
      return 'view organisations';
    case 'org.create':
      return 'create organisations';
    case 'user.read':
      return 'view users';
    case 'user.create':
      return 'create users';
    case 'user.update':
      return 'change users';
    case 'user.reset_credentials':
      return "reset other users' credentials";
    case 'audit.read':
      return 'read the audit trail';
    case 'case.read':
      return 'view cases';
    case 'case.create':
      return 'open cases';
    case 'evidence.read':
      return 'view evidence';
    case 'evidence.add':
      return 'add evidence';
    case 'evidence.manage':
      return 'seal, transfer or edit evidence';
    case 'evidence.export':
      return 'export evidence';
    case 'legal.read':
      return 'read the legal catalogue';
  }
};
