import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROLES, type Role } from '../accounts/types.ts';
import type { OrgId, UserId } from '../shared/ids.ts';
import { ACTIONS, type Action, type Actor, can, decide } from './policy.ts';

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
