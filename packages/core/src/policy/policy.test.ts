import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROLES, type Role } from '../accounts/types.ts';
import type { OrgId, UserId } from '../shared/ids.ts';
import {
  ACTIONS,
  type Action,
  type Actor,
  CASE_ACTIONS,
  CASE_ROLES,
  type CaseAction,
  type CaseDecision,
  type CaseRole,
  type CaseStanding,
  can,
  decide,
  decideConsent,
  decideInCase,
} from './policy.ts';

const actor = (role: Role, scopes?: Actor['scopes']): Actor => ({
  userId: '00000000-0000-4000-8000-000000000001' as UserId,
  orgId: '00000000-0000-4000-8000-000000000002' as OrgId,
  role,
  ...(scopes ? { scopes } : {}),
});

// The expected matrix, written out by hand: a change to the policy must change this table too.
const Y = true;
const N = false;
//                           admin inv  ana  legal adv  prot  aud  obs
const EXPECTED: Record<Exclude<Action, 'public'>, boolean[]> = {
  self: [Y, Y, Y, Y, Y, Y, Y, Y],
  'self.change': [Y, Y, Y, Y, Y, Y, Y, Y],
  'org.read': [Y, Y, Y, Y, Y, Y, Y, Y],
  'org.create': [Y, N, N, N, N, N, N, N],
  'user.read': [Y, Y, Y, Y, Y, Y, Y, N],
  'user.create': [Y, N, N, N, N, N, N, N],
  'user.update': [Y, N, N, N, N, N, N, N],
  'user.reset_credentials': [Y, N, N, N, N, N, N, N],
  'audit.read': [Y, N, N, N, N, N, Y, N],
  'case.read': [Y, Y, Y, Y, Y, Y, Y, Y],
  'case.create': [Y, Y, N, Y, N, N, N, N],
  'evidence.read': [Y, Y, Y, Y, Y, Y, Y, N],
  'evidence.add': [Y, Y, Y, N, Y, N, N, N],
  'evidence.manage': [Y, Y, N, Y, N, N, N, N],
  'evidence.export': [Y, Y, N, Y, N, N, N, N],
  'legal.read': [Y, Y, Y, Y, Y, Y, Y, Y],
  'report.triage': [N, N, N, N, Y, N, N, N],
};

describe('policy: role × action matrix', () => {
  it('the table covers every action', () => {
    assert.deepEqual(Object.keys(EXPECTED).sort(), ACTIONS.filter((a) => a !== 'public').sort());
  });
  for (const action of ACTIONS) {
    for (const [i, role] of ROLES.entries()) {
      const expected = action === 'public' ? true : EXPECTED[action][i];
      it(`${role} ${expected ? 'may' : 'may not'} ${action}`, () => {
        assert.equal(can(actor(role), action), expected);
      });
    }
  }
  it('nobody is allowed anything but public without an actor (deny by default)', () => {
    for (const action of ACTIONS) assert.equal(can(undefined, action), action === 'public', action);
  });
  it('a refusal says why', () => {
    const d = decide(actor('observer'), 'user.read');
    assert.equal(d.allowed, false);
    assert.match(d.allowed ? '' : d.reason, /observer role may not view users/);
  });
});

describe('policy: API token scopes narrow the role, never widen it', () => {
  it('a read token cannot create, even for an admin', () => {
    assert.equal(can(actor('admin', ['read']), 'org.read'), true);
    assert.equal(can(actor('admin', ['read']), 'org.create'), false);
    assert.match(
      (decide(actor('admin', ['read']), 'org.create') as { reason: string }).reason,
      /lacks the "admin" scope/,
    );
  });
  it('an admin-scoped token of an observer still cannot create', () => {
    assert.equal(can(actor('observer', ['read', 'write', 'admin']), 'org.create'), false);
  });
  it("a read token cannot change its owner's account (revoke tokens)", () => {
    assert.equal(can(actor('investigator', ['read']), 'self.change'), false);
    assert.equal(can(actor('investigator', ['read', 'write']), 'self.change'), true);
  });
  it('a token without read scope cannot read', () => {
    assert.equal(can(actor('admin', ['admin']), 'org.read'), false);
    assert.equal(can(actor('admin', ['admin']), 'org.create'), true);
  });
});

describe('policy inside a case: case role × case action × compartment × organisation', () => {
  const nodeAdmin = actor('admin');
  const COMPARTMENT = 'compartment-1';
  //                        lead inv  ana  legal adv  prot aud  obs
  const CASE_EXPECTED: Record<CaseAction, boolean[]> = {
    'case.view': [Y, Y, Y, Y, Y, Y, Y, Y],
    'case.edit': [Y, N, N, N, N, N, N, N],
    'case.members': [Y, N, N, N, N, N, N, N],
    'case.compartments': [Y, N, N, N, N, N, N, N],
    'evidence.read': [Y, Y, Y, Y, Y, Y, Y, N],
    'evidence.add': [Y, Y, Y, N, Y, N, N, N],
    'evidence.manage': [Y, Y, N, Y, N, N, N, N],
    'evidence.export': [Y, Y, N, Y, N, N, N, N],
    'incident.read': [Y, Y, Y, Y, Y, Y, Y, Y],
    'incident.edit': [Y, Y, Y, N, N, N, N, N],
    'matrix.read': [Y, Y, Y, Y, N, N, Y, N],
    'matrix.edit': [Y, Y, Y, Y, N, N, N, N],
    'witness.read': [Y, Y, Y, Y, Y, Y, Y, N],
    'witness.edit': [Y, Y, N, N, Y, Y, N, N],
    'witness.protect': [N, N, N, N, N, Y, N, N],
  };
  const standing = (role: CaseRole, extra: Partial<CaseStanding> = {}): CaseStanding => ({
    role,
    compartments: [],
    ...extra,
  });
  const outcome = (d: CaseDecision) => (d.allowed ? 'allowed' : d.hide ? 'hidden' : 'refused');

  it('the table covers every case action', () => {
    assert.deepEqual(Object.keys(CASE_EXPECTED).sort(), [...CASE_ACTIONS].sort());
  });

  for (const action of CASE_ACTIONS) {
    for (const [i, role] of CASE_ROLES.entries()) {
      const expected = CASE_EXPECTED[action][i];
      it(`${role}: ${action} — general area ${expected ? 'allowed' : 'refused'}; inside a compartment only as a member`, () => {
        const general = { compartmentId: null };
        const inside = { compartmentId: COMPARTMENT };
        // Not a member of the case: never allowed, never told why (the case "does not exist").
        assert.equal(outcome(decideInCase(nodeAdmin, undefined, action)), 'hidden');
        assert.equal(outcome(decideInCase(nodeAdmin, undefined, action, general)), 'hidden');
        // Member of the lead organisation, general area.
        assert.equal(
          outcome(decideInCase(nodeAdmin, standing(role), action, general)),
          expected ? 'allowed' : 'refused',
        );
        // Inside a compartment: outsiders cannot learn it exists, whatever their role.
        assert.equal(outcome(decideInCase(nodeAdmin, standing(role), action, inside)), 'hidden');
        const member = standing(role, { compartments: [COMPARTMENT] });
        assert.equal(
          outcome(decideInCase(nodeAdmin, member, action, inside)),
          expected ? 'allowed' : 'refused',
        );
      });
    }
  }

  it('members of other organisations receive only what an agreement in force grants', () => {
    const original = { compartmentId: null, derived: false };
    const derivative = { compartmentId: null, derived: true };
    const none = standing('investigator', { receives: [] });
    assert.equal(outcome(decideInCase(nodeAdmin, none, 'case.view')), 'allowed');
    assert.equal(outcome(decideInCase(nodeAdmin, none, 'evidence.read', original)), 'hidden');
    assert.equal(outcome(decideInCase(nodeAdmin, none, 'incident.read', { compartmentId: null })), 'hidden');
    assert.equal(outcome(decideInCase(nodeAdmin, none, 'matrix.read')), 'hidden');
    // Adding an original is refused (with the reason: adding reveals nothing), a derivative too.
    assert.equal(outcome(decideInCase(nodeAdmin, none, 'evidence.add', original)), 'refused');
    assert.match(
      (decideInCase(nodeAdmin, none, 'evidence.add', original) as { reason: string }).reason,
      /no joint investigation team agreement in force lets your organisation receive originals/,
    );

    const derived = standing('investigator', { receives: ['derivatives'] });
    assert.equal(outcome(decideInCase(nodeAdmin, derived, 'evidence.read', derivative)), 'allowed');
    assert.equal(outcome(decideInCase(nodeAdmin, derived, 'evidence.read', original)), 'hidden');
    assert.equal(outcome(decideInCase(nodeAdmin, derived, 'evidence.export', original)), 'hidden');

    const originals = standing('investigator', { receives: ['originals', 'analysis'] });
    assert.equal(outcome(decideInCase(nodeAdmin, originals, 'evidence.read', original)), 'allowed');
    assert.equal(outcome(decideInCase(nodeAdmin, originals, 'evidence.read', derivative)), 'allowed');
    assert.equal(outcome(decideInCase(nodeAdmin, originals, 'matrix.edit')), 'allowed');
    assert.equal(
      outcome(decideInCase(nodeAdmin, originals, 'incident.read', { compartmentId: null })),
      'hidden',
    );
    // The agreement never widens the role.
    const observer = standing('observer', { receives: ['originals', 'incidents', 'analysis'] });
    assert.equal(outcome(decideInCase(nodeAdmin, observer, 'evidence.read', original)), 'refused');
    // Nor does it open a compartment.
    assert.equal(
      outcome(decideInCase(nodeAdmin, originals, 'evidence.read', { compartmentId: COMPARTMENT })),
      'hidden',
    );
  });

  it('consent: the latest word counts, and a refusal says which consent is missing', () => {
    const need = { purpose: 'sharing', scope: 'org-1', label: 'sharing with Police' };
    assert.equal(decideConsent('W-0421', [], need).allowed, false);
    assert.match(
      (decideConsent('W-0421', [], need) as { reason: string }).reason,
      /^W-0421 has not consented to sharing with Police$/,
    );
    const given = { purpose: 'sharing', scope: 'org-1', state: 'given' as const, at: '2026-01-02T10:00:00Z' };
    assert.equal(decideConsent('W-0421', [given], need).allowed, true);
    assert.equal(
      decideConsent('W-0421', [{ ...given, scope: 'org-2' }], need).allowed,
      false,
      'another partner',
    );
    const withdrawn = { ...given, state: 'withdrawn' as const, at: '2026-03-04T08:00:00Z' };
    assert.match(
      (decideConsent('W-0421', [withdrawn], need) as { reason: string }).reason,
      /^W-0421 withdrew consent to sharing with Police on 2026-03-04$/,
    );
  });

  it('evidence handling also needs the node role: a node observer made case investigator still cannot read', () => {
    const d = decideInCase(actor('observer'), standing('investigator'), 'evidence.read');
    assert.equal(outcome(d), 'refused');
    assert.match(d.allowed ? '' : d.reason, /observer role may not view evidence/);
    // Incidents and the matrix are case work: the case role decides.
    assert.equal(outcome(decideInCase(actor('observer'), standing('analyst'), 'incident.edit')), 'allowed');
  });

  it('API token scopes narrow case actions too', () => {
    const reader = actor('admin', ['read']);
    assert.equal(outcome(decideInCase(reader, standing('lead'), 'case.view')), 'allowed');
    assert.equal(outcome(decideInCase(reader, standing('lead'), 'matrix.edit')), 'refused');
    assert.equal(outcome(decideInCase(reader, standing('lead'), 'evidence.add')), 'refused');
  });

  it('without an actor nothing is allowed and nothing is revealed', () => {
    for (const action of CASE_ACTIONS)
      assert.equal(outcome(decideInCase(undefined, standing('lead'), action)), 'hidden');
  });

  it('a refusal names the case role and what it may not do', () => {
    const d = decideInCase(nodeAdmin, standing('auditor'), 'matrix.edit');
    assert.match(d.allowed ? '' : d.reason, /the auditor role on this case may not change the proof matrix/);
  });
});
