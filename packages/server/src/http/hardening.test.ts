import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { type AccordError, isAccordError, type User } from '@accord/core';
import { Hono } from 'hono';
import { DEMO_PASSWORD, seedDemo } from '../node/demo.ts';
import { openNode } from '../node/node.ts';
import { TestClient } from '../testing/client.ts';
import { codeFor, createTestNode, describeEachDatabase, type TestNode } from '../testing/harness.ts';
import { clientKey } from './app.ts';

const code = (e: unknown) => (isAccordError(e) ? (e as AccordError).code : String(e));

it('clientKey: socket address by default, the proxy-appended address when trusted, IPv6 by /64', async () => {
  const app = new Hono();
  app.get('/k', (c) => c.text(clientKey(c, c.req.query('trust') === '1')));
  const key = async (trust: boolean, xff?: string) =>
    (
      await app.request(`/k${trust ? '?trust=1' : ''}`, { headers: xff ? { 'X-Forwarded-For': xff } : {} })
    ).text();
  // Without a socket (app.request) and without trust, the forwarded header is ignored.
  assert.equal(await key(false, '203.0.113.9'), 'unknown');
  assert.equal(await key(true, 'evil-chosen, 203.0.113.9'), '203.0.113.9');
  assert.equal(await key(true, '2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
});

describeEachDatabase('hardening', (create, name) => {
  let n: TestNode;
  let users: Map<string, User>;
  const operator = { operator: true } as const;

  before(async () => {
    n = await createTestNode(create, name);
    await seedDemo(n.node);
    users = new Map((await n.node.accounts.listUsers(operator)).map((u) => [u.username, u]));
  });
  after(() => n.close());

  it('concurrent wrong passwords all count: the account locks', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => n.node.accounts.signIn('demo-observer', 'wrong-password-guess')),
    );
    assert.ok(results.every((r) => r.status === 'rejected' && code(r.reason) === 'unauthenticated'));
    const observer = await n.node.accounts.findUserByUsername('demo-observer');
    assert.ok(observer.lockedUntil && new Date(observer.lockedUntil) > n.clock.now(), 'locked');
    const events = await n.node.accounts.listAudit(operator, { limit: 50, userId: observer.id });
    assert.equal(events.filter((e) => e.type === 'login.locked').length, 1);
  });

  it('a locked account answers a wrong password like any other; only the right one learns of the lock', async () => {
    await assert.rejects(
      n.node.accounts.signIn('demo-observer', 'another-wrong-guess'),
      (e) => code(e) === 'unauthenticated',
    );
    await assert.rejects(n.node.accounts.signIn('demo-observer', DEMO_PASSWORD), (e) => code(e) === 'locked');
    n.clock.advance(16 * 60_000);
    const grant = await n.node.accounts.signIn('demo-observer', DEMO_PASSWORD);
    assert.equal(grant.session.stage, 'enrol');
  });

  it('a refused user change writes nothing (one transaction for role and disabled)', async () => {
    const admin = users.get('demo-admin')!;
    const actor = { userId: admin.id, orgId: admin.orgId, role: admin.role };
    await assert.rejects(
      n.node.accounts.updateUser(actor, admin.id, { role: 'observer', disabled: true }),
      (e) => code(e) === 'conflict',
    );
    assert.equal((await n.node.accounts.findUserByUsername('demo-admin')).role, 'admin');
    await assert.rejects(
      n.node.accounts.updateUser(actor, admin.id, { role: 'observer' }),
      (e) => code(e) === 'conflict',
    );
  });

  it('resetting credentials revokes every API token of the user', async () => {
    const analyst = users.get('demo-analyst')!;
    const { secret } = await n.node.accounts.createToken(analyst, { name: 'script', scopes: ['read'] });
    assert.equal((await n.node.accounts.authenticateToken(secret)).user.id, analyst.id);
    await n.node.accounts.resetCredentials(operator, analyst.id, { resetTotp: true });
    await assert.rejects(n.node.accounts.authenticateToken(secret), (e) => code(e) === 'unauthenticated');
    const tokens = await n.node.accounts.listTokens(analyst);
    assert.ok(tokens.every((t) => t.revokedAt !== null));
  });

  it('a read-only token cannot revoke tokens; a write token can', async () => {
    const legal = users.get('demo-legal')!;
    const reader = await n.node.accounts.createToken(legal, { name: 'reader', scopes: ['read'] });
    const writer = await n.node.accounts.createToken(legal, { name: 'writer', scopes: ['read', 'write'] });
    const del = (secret: string, id: string) =>
      n.app.app.request(`http://127.0.0.1/api/v1/tokens/${id}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${secret}` },
      });
    const refused = await del(reader.secret, writer.token.id);
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /"write" scope/);
    assert.equal((await del(writer.secret, reader.token.id)).status, 204);
  });

  it('made-up tokens are refused without writing to the audit trail', async () => {
    const before = (await n.node.accounts.listAudit(operator, { limit: 1 }))[0]!.seq;
    for (let i = 0; i < 5; i++) {
      const res = await n.app.app.request('http://127.0.0.1/api/v1/me', {
        headers: { Authorization: `Bearer acc_made-up-${i}` },
      });
      assert.equal(res.status, 401);
    }
    assert.equal((await n.node.accounts.listAudit(operator, { limit: 1 }))[0]!.seq, before);
  });

  it('replacing the authenticator needs the current password and a current code', async () => {
    n.clock.advance(60_000);
    const client = new TestClient(n.app.app);
    const { secret } = await client.signIn('demo-protection', DEMO_PASSWORD, n.clock.now);
    n.clock.advance(30_000);
    const noProof = await client.postForm('/profile/totp', { current: 'not-my-password', code: '000000' });
    assert.equal(noProof.status, 401);
    assert.match(await noProof.text(), /The current password is not correct\./);
    const wrongCode = await client.postForm('/profile/totp', { current: DEMO_PASSWORD, code: '000000' });
    assert.equal(wrongCode.status, 401);
    assert.match(await wrongCode.text(), /The code is not correct or was already used\./);
    const ok = await client.postForm('/profile/totp', {
      current: DEMO_PASSWORD,
      code: codeFor(secret, n.clock.now()),
    });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('Location'), '/enrol');
    const events = await n.node.accounts.listAudit(operator, {
      limit: 10,
      userId: users.get('demo-protection')!.id,
    });
    assert.ok(events.some((e) => e.type === 'totp.reset' && e.outcome === 'success'));
  });

  it('accord demo never adds demo logins to a node with real accounts', async () => {
    const real = await createTestNode(create, name);
    try {
      const org = await real.node.accounts.createOrganisation(operator, {
        name: 'Real office',
        country: 'DE',
        kind: 'police',
      });
      await real.node.accounts.createUser(operator, {
        orgId: org.id,
        username: 'real-admin',
        displayName: 'Real',
        role: 'admin',
      });
      await assert.rejects(seedDemo(real.node), /already has accounts that are not demo data/);
      assert.equal((await real.node.accounts.listUsers(operator)).length, 1);
    } finally {
      await real.close();
    }
  });

  it('concurrent creations of the same name: one succeeds, the other is a conflict (not a crash)', async () => {
    const results = await Promise.allSettled(
      [0, 1, 2].map(() =>
        n.node.accounts.createOrganisation(operator, { name: 'Twin office', country: 'FR', kind: 'ngo' }),
      ),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok(results.every((r) => r.status === 'fulfilled' || code(r.reason) === 'conflict'));
  });

  it("a database is bound to its data folder's secret key: another key is refused", async () => {
    const other = await createTestNode(create, name);
    try {
      await other.node.close();
      await writeFile(join(other.dataDir, 'keys', 'secret.key'), `${randomBytes(32).toString('base64')}\n`);
      await assert.rejects(
        openNode({ dataDir: other.dataDir, databaseUrl: other.databaseUrl }),
        /belongs to another data folder/,
      );
    } finally {
      await other.close();
    }
  });
});
