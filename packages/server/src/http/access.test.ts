import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import {
  actorOf,
  decide,
  type OrgId,
  ROLES,
  type Role,
  randomToken,
  type Session,
  sha256Hex,
  type User,
} from '@accord/core';
import { KyselyAccountsRepo } from '@accord/store';
import { createTestNode, describeEachDatabase, type TestNode } from '../testing/harness.ts';

/**
 * Every route × every role: the route must have a policy rule, and the answer must be exactly
 * what the policy module decides — 403 when it says no, anything but 401/403 when it says yes.
 */
describeEachDatabase('access matrix', (create, name) => {
  let n: TestNode;
  let repo: KyselyAccountsRepo;
  const users = new Map<Role, User>();

  before(async () => {
    n = await createTestNode(create, name);
    repo = new KyselyAccountsRepo(n.node.database.db);
    const operator = { operator: true } as const;
    const org = await n.node.accounts.createOrganisation(operator, {
      name: 'Matrix org',
      country: 'FR',
      kind: 'ngo',
    });
    // Its survivor advocate is the one who may triage reports (the node's reporting organisation).
    await n.node.reports.setReportingOrganisation(operator, org.id);
    for (const role of ROLES) {
      const { user } = await n.node.accounts.createUser(operator, {
        orgId: org.id as OrgId,
        username: `m-${role.replace('_', '-')}`,
        displayName: `Matrix ${role}`,
        role,
        password: 'matrix-password-long',
      });
      users.set(role, user);
    }
    // A second admin so that requests which demote or disable admins cannot lock the node.
    await n.node.accounts.createUser(operator, {
      orgId: org.id,
      username: 'm-spare-admin',
      displayName: 'Spare admin',
      role: 'admin',
      password: 'matrix-password-long',
    });
  });
  after(() => n.close());

  /** A fresh fully signed-in session, made directly in the store (sign-in itself is tested elsewhere). */
  const sessionFor = async (user: User): Promise<{ token: string; csrf: string }> => {
    const token = randomToken();
    const now = n.clock.now();
    const session: Session = {
      id: sha256Hex(token),
      userId: user.id,
      stage: 'full',
      csrfToken: randomToken(),
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
    };
    await repo.insertSession(session);
    return { token, csrf: session.csrfToken };
  };

  it('every route has exactly one policy rule, and every rule has a route', () => {
    const routes = n.app.app.routes.filter((r) => r.method !== 'ALL');
    const keys = new Set(routes.map((r) => `${r.method} ${r.path}`));
    const missing = [...keys].filter((k) => {
      const [method, path] = k.split(' ') as [string, string];
      return !n.app.registry.find(method, path);
    });
    assert.deepEqual(missing, [], 'routes without a policy rule');
    const orphaned = n.app.registry
      .all()
      .map((r) => `${r.method} ${r.path}`)
      .filter((k) => !keys.has(k));
    assert.deepEqual(orphaned, [], 'rules without a route');
    assert.ok(keys.size >= 60, `expected the full route table, found ${keys.size}`);
  });

  it('the evidence, export and legal routes are declared with the actions the brief gives them', () => {
    const expected: Record<string, string> = {
      'GET /cases': 'case.read',
      'POST /cases': 'case.create',
      'GET /evidence': 'evidence.read',
      'GET /evidence/upload': 'evidence.add',
      'POST /evidence/upload': 'evidence.add',
      'GET /evidence/:id': 'evidence.read',
      'GET /evidence/:id/content': 'evidence.read',
      // The node's own map tiles are not evidence: incident maps need them too.
      'GET /map/tiles/:z/:x/:y': 'self',
      'POST /evidence/:id/verify': 'evidence.read',
      'POST /evidence/:id/seal': 'evidence.manage',
      'POST /evidence/:id/metadata': 'evidence.manage',
      'POST /evidence/:id/transfer': 'evidence.manage',
      'POST /evidence/:id/link': 'evidence.manage',
      'POST /evidence/:id/derive': 'evidence.add',
      'GET /cases/:caseId/export': 'evidence.export',
      'POST /cases/:caseId/export': 'evidence.export',
      'GET /assets/upload.js': 'public',
      'GET /log/checkpoint': 'public',
      'GET /log/vkey': 'public',
      'GET /log/tile/*': 'public',
      'GET /api/v1/cases': 'case.read',
      'POST /api/v1/cases': 'case.create',
      'POST /api/v1/cases/:caseId/evidence': 'evidence.add',
      'GET /api/v1/evidence': 'evidence.read',
      'GET /api/v1/evidence/:id': 'evidence.read',
      'GET /api/v1/evidence/:id/content': 'evidence.read',
      'GET /api/v1/evidence/:id/events': 'evidence.read',
      'POST /api/v1/evidence/:id/seal': 'evidence.manage',
      'POST /api/v1/evidence/:id/metadata': 'evidence.manage',
      'POST /api/v1/evidence/:id/transfer': 'evidence.manage',
      'POST /api/v1/evidence/:id/derive': 'evidence.add',
      'POST /api/v1/evidence/:id/link': 'evidence.manage',
      'POST /api/v1/evidence/:id/verify': 'evidence.read',
      'GET /api/v1/log/proof': 'evidence.read',
      'POST /api/v1/cases/:caseId/exports': 'evidence.export',
      'GET /legal': 'legal.read',
      'GET /legal/jurisdictions/:code': 'legal.read',
      'GET /legal/compare/:crimeId': 'legal.read',
      'GET /api/v1/legal/crimes': 'legal.read',
      'GET /api/v1/legal/crimes/:id': 'legal.read',
      'GET /api/v1/legal/jurisdictions': 'legal.read',
      'GET /api/v1/legal/jurisdictions/:code': 'legal.read',
      'GET /api/v1/legal/compare/:crimeId': 'legal.read',
    };
    const declared = Object.fromEntries(
      Object.keys(expected).map((k) => {
        const [method, path] = k.split(' ') as [string, string];
        return [k, n.app.registry.find(method, path)?.action];
      }),
    );
    assert.deepEqual(declared, expected);
  });

  it('only the upload routes stream their bodies past the body limit', () => {
    const streaming = n.app.registry
      .all()
      .filter((r) => r.streamsBody)
      .map((r) => `${r.method} ${r.path}`)
      .sort();
    assert.deepEqual(streaming, [
      'POST /api/v1/cases/:caseId/evidence',
      'POST /api/v1/evidence/:id/derive',
      'POST /evidence/:id/derive',
      'POST /evidence/upload',
      // The reporting portal's report and reply forms, capped at 1 GiB of files each.
      'POST /report/:lang/new',
      'POST /report/:lang/reply',
    ]);
  });

  it('only the public reporting portal goes without CSRF tokens, and none of its routes needs a session', () => {
    const open = n.app.registry.all().filter((r) => r.noCsrf);
    assert.deepEqual(open.map((r) => `${r.method} ${r.path}`).sort(), [
      'GET /report',
      'GET /report/:lang',
      'GET /report/:lang/new',
      'GET /report/:lang/return',
      'GET /report/portal.css',
      'POST /report/:lang/consent',
      'POST /report/:lang/new',
      'POST /report/:lang/reply',
      'POST /report/:lang/status',
    ]);
    assert.ok(open.every((r) => r.action === 'public'));
  });

  it('every route answers each role exactly as the policy decides', async () => {
    const failures: string[] = [];
    for (const rule of n.app.registry.all()) {
      for (const role of ROLES) {
        const user = users.get(role)!;
        const { token, csrf } = await sessionFor(user);
        const path = rule.path.replace(/:(\w+)/g, () => randomUUID());
        const headers: Record<string, string> = { Cookie: `accord_session=${token}`, 'X-CSRF-Token': csrf };
        const init: RequestInit = { method: rule.method, headers };
        if (rule.method !== 'GET') {
          if (rule.kind === 'api') {
            headers['Content-Type'] = 'application/json';
            init.body = '{}';
          } else {
            headers['Content-Type'] = 'application/x-www-form-urlencoded';
            init.body = '';
          }
        }
        const res = await n.app.app.request(`http://127.0.0.1${path}`, init);
        const allowed = decide(actorOf(user), rule.action).allowed;
        const location = res.headers.get('Location') ?? '';
        // The guard refuses pages with 403 or a redirect to sign-in carrying ?next=; handlers may
        // answer 401 themselves (a wrong password in a form) or redirect to sign-in after signing out.
        const refused =
          rule.kind === 'page'
            ? res.status === 403 || location.startsWith('/sign-in?next=')
            : res.status === 401 || res.status === 403;
        if (allowed && refused)
          failures.push(`${role} ${rule.method} ${rule.path}: allowed by policy, got ${res.status}`);
        if (!allowed && res.status !== 403)
          failures.push(`${role} ${rule.method} ${rule.path}: denied by policy, got ${res.status}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('without a session every non-public route refuses', async () => {
    const failures: string[] = [];
    for (const rule of n.app.registry.all().filter((r) => r.action !== 'public')) {
      const path = rule.path.replace(/:(\w+)/g, () => randomUUID());
      const res = await n.app.app.request(`http://127.0.0.1${path}`, { method: rule.method });
      const ok =
        rule.kind === 'page'
          ? (res.status === 303 && (res.headers.get('Location') ?? '').startsWith('/sign-in')) ||
            res.status === 403
          : res.status === 401 || res.status === 403;
      if (!ok) failures.push(`${rule.method} ${rule.path}: got ${res.status}`);
    }
    assert.deepEqual(failures, []);
  });
});
