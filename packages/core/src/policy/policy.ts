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
  // Safe reporting: the triage queue, reading reports (with one's own unlocked key), answering reporters.
  'report.triage',
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
  'report.triage': ['survivor_advocate'],
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
  'report.triage': 'write',
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
    case 'report.triage':
      return 'triage safe reports';
  }
};

// ── Inside a case ─────────────────────────────────────────────────────────────────────────────
//
// A case is seen only by its members. Each member has a role on the case (which may differ from
// their role on the node); compartments inside the case are seen only by their named members; and
// a member from an organisation other than the case's lead organisation receives only the data
// categories that a joint investigation team agreement in force grants their organisation.
// Anything a member may not see is answered as if it did not exist ("hide"), so that lists,
// counts, searches and matrix cells never reveal it.

export const CASE_ROLES = [
  'lead',
  'investigator',
  'analyst',
  'legal_officer',
  'survivor_advocate',
  'protection_officer',
  'auditor',
  'observer',
] as const;
export type CaseRole = (typeof CASE_ROLES)[number];

export const CASE_ACTIONS = [
  // See the case record, its members, agreements and dashboard.
  'case.view',
  // Change the case record (title, status, jurisdictions, legal basis, dates).
  'case.edit',
  // Add and remove members, set their roles, record joint investigation team agreements.
  'case.members',
  // Create compartments and name their members.
  'case.compartments',
  'evidence.read',
  'evidence.add',
  'evidence.manage',
  'evidence.export',
  'incident.read',
  'incident.edit',
  // The proof matrix: suspects, charges, links from evidence to elements, gap analysis.
  'matrix.read',
  'matrix.edit',
  // Witnesses by pseudonym: their consent, statements and interviews.
  'witness.read',
  'witness.edit',
  // Real identities, contact details and risk assessments (inside a protection compartment).
  'witness.protect',
] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];

/**
 * What a joint investigation team agreement lets a participating organisation receive: evidence
 * originals (and so their derivatives), only derivatives (redacted copies, transcripts…),
 * incidents, and the analysis (proof matrix and gap reports).
 */
export const DATA_CATEGORIES = ['originals', 'derivatives', 'incidents', 'analysis', 'witnesses'] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];

/** A member's standing on one case, as the case module works it out. */
export interface CaseStanding {
  readonly role: CaseRole;
  /** The compartments of this case the member is named in. */
  readonly compartments: readonly string[];
  /**
   * Undefined for members of the case's lead organisation (no limit). For anyone else: the
   * categories that agreements in force today grant their organisation (empty when none is).
   */
  readonly receives?: readonly DataCategory[];
}

/** What the action touches, when it touches one thing (an item, an incident, a matrix link). */
export interface CaseResource {
  readonly compartmentId: string | null;
  /** For evidence: a derivative (redacted copy, transcript…) rather than an original. */
  readonly derived?: boolean;
}

export type CaseDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** True when the answer must be "no such thing": the actor may not learn it exists. */
      readonly hide: boolean;
      readonly reason: string;
    };

const CASE_GRANTS: Readonly<Record<CaseAction, readonly CaseRole[]>> = {
  'case.view': CASE_ROLES,
  'case.edit': ['lead'],
  'case.members': ['lead'],
  'case.compartments': ['lead'],
  'evidence.read': CASE_ROLES.filter((r) => r !== 'observer'),
  'evidence.add': ['lead', 'investigator', 'analyst', 'survivor_advocate'],
  'evidence.manage': ['lead', 'investigator', 'legal_officer'],
  'evidence.export': ['lead', 'investigator', 'legal_officer'],
  'incident.read': CASE_ROLES,
  'incident.edit': ['lead', 'investigator', 'analyst'],
  'matrix.read': ['lead', 'investigator', 'analyst', 'legal_officer', 'auditor'],
  'matrix.edit': ['lead', 'investigator', 'analyst', 'legal_officer'],
  'witness.read': CASE_ROLES.filter((r) => r !== 'observer'),
  'witness.edit': ['lead', 'investigator', 'survivor_advocate', 'protection_officer'],
  'witness.protect': ['protection_officer'],
};

/** Case actions that also need a node-level grant: evidence handling is a node role's job too. */
const NODE_FLOOR: Readonly<Partial<Record<CaseAction, Action>>> = {
  'evidence.read': 'evidence.read',
  'evidence.add': 'evidence.add',
  'evidence.manage': 'evidence.manage',
  'evidence.export': 'evidence.export',
};

const CASE_READS: ReadonlySet<CaseAction> = new Set([
  'case.view',
  'evidence.read',
  'incident.read',
  'matrix.read',
  'witness.read',
  // Opening identities; changing them also needs witness.edit (and so a write scope).
  'witness.protect',
]);

const categoryOf = (action: CaseAction, resource: CaseResource | undefined): DataCategory | undefined => {
  if (action.startsWith('evidence.') && resource) return resource.derived ? 'derivatives' : 'originals';
  if (action.startsWith('incident.')) return 'incidents';
  if (action.startsWith('matrix.')) return 'analysis';
  if (action.startsWith('witness.')) return 'witnesses';
  return undefined;
};

/** Whoever receives originals receives what was derived from them too. */
export const receivesCategory = (receives: readonly DataCategory[], category: DataCategory): boolean =>
  receives.includes(category) || (category === 'derivatives' && receives.includes('originals'));

const hidden = (reason: string): CaseDecision => ({ allowed: false, hide: true, reason });
const refused = (reason: string): CaseDecision => ({ allowed: false, hide: false, reason });

/**
 * Decides one action inside one case. `standing` is undefined when the actor is not a member.
 * Order matters: membership, then compartment, then agreement, then role — so that a refusal for
 * something the actor may not know about never says more than "not found".
 */
export const decideInCase = (
  actor: Actor | undefined,
  standing: CaseStanding | undefined,
  action: CaseAction,
  resource?: CaseResource,
): CaseDecision => {
  if (!actor) return hidden('sign in first');
  if (!standing) return hidden('not a member of this case');
  if (resource?.compartmentId && !standing.compartments.includes(resource.compartmentId)) {
    return hidden('not a member of the compartment');
  }
  const category = categoryOf(action, resource);
  if (category && standing.receives && !receivesCategory(standing.receives, category)) {
    const why = `no joint investigation team agreement in force lets your organisation receive ${category}`;
    // Adding is not receiving anything: the member may be told why. Any other use of something
    // of a category they do not receive must not reveal that it exists.
    return action !== 'evidence.add' && (CASE_READS.has(action) || resource) ? hidden(why) : refused(why);
  }
  if (!CASE_GRANTS[action].includes(standing.role)) {
    return refused(`the ${standing.role} role on this case may not ${describeCaseAction(action)}`);
  }
  const floor = NODE_FLOOR[action];
  if (floor) {
    const d = decide(actor, floor);
    if (!d.allowed) return refused(d.reason);
  } else if (actor.scopes && !actor.scopes.includes(CASE_READS.has(action) ? 'read' : 'write')) {
    return refused(`this API token lacks the "${CASE_READS.has(action) ? 'read' : 'write'}" scope`);
  }
  return ALLOW;
};

/** Case roles that a lead may hand out (all of them: a case can have several leads). */
export const isCaseRole = (value: string): value is CaseRole =>
  (CASE_ROLES as readonly string[]).includes(value);

export const describeCaseAction = (action: CaseAction): string => {
  switch (action) {
    case 'case.view':
      return 'view the case';
    case 'case.edit':
      return 'change the case record';
    case 'case.members':
      return 'manage members and agreements';
    case 'case.compartments':
      return 'manage compartments';
    case 'evidence.read':
      return 'view evidence';
    case 'evidence.add':
      return 'add evidence';
    case 'evidence.manage':
      return 'seal, transfer, edit or file evidence';
    case 'evidence.export':
      return 'export evidence';
    case 'incident.read':
      return 'view incidents';
    case 'incident.edit':
      return 'record incidents';
    case 'matrix.read':
      return 'view the proof matrix';
    case 'matrix.edit':
      return 'change the proof matrix';
    case 'witness.read':
      return 'view witnesses';
    case 'witness.edit':
      return 'record witnesses, their consent and statements';
    case 'witness.protect':
      return 'open witness identities and risk assessments';
  }
};

// ── Consent ───────────────────────────────────────────────────────────────────────────────────
//
// Whatever is done with a witness's account — exporting it, sharing it — needs the witness's
// consent for that purpose, and the latest word counts: consent can be withdrawn at any time.

export interface ConsentRecord {
  readonly purpose: string;
  readonly scope: string;
  readonly state: 'given' | 'withdrawn';
  readonly at: string;
}

export interface ConsentNeed {
  readonly purpose: string;
  readonly scope: string;
  /** How people say the purpose: "sharing with Federal War Crimes Unit". */
  readonly label: string;
}

/** Decides whether a witness's current consent allows a use; a refusal names what is missing. */
export const decideConsent = (
  pseudonym: string,
  current: readonly ConsentRecord[],
  need: ConsentNeed,
): Decision => {
  const state = current.find((c) => c.purpose === need.purpose && c.scope === need.scope);
  if (state?.state === 'given') return ALLOW;
  if (state?.state === 'withdrawn') {
    return {
      allowed: false,
      reason: `${pseudonym} withdrew consent to ${need.label} on ${state.at.slice(0, 10)}`,
    };
  }
  return { allowed: false, reason: `${pseudonym} has not consented to ${need.label}` };
};
