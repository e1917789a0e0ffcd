import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { AuditEvent, User } from '@accord/core';
import { DEMO_PASSWORD, seedDemo } from '../node/demo.ts';
import { TestClient } from '../testing/client.ts';
import { codeFor, createTestNode, describeEachDatabase, type TestNode } from '../testing/harness.ts';

/**
 * The HTTP surface end to end, through the real app, domain and database: probes, security
 * headers, sign-in with TOTP, CSRF, sessions, languages, API tokens, API errors, admin pages,
 * the OpenAPI description, and finally that the audit trail holds none of the secrets used.
 *
 * The tests of one database share one node and run in order: later ones use the accounts,
 * sessions and tokens earlier ones created (sign-ins hash with Argon2, so they are kept few).
 */
describeEachDatabase('http', (create, name) => {
  let n: TestNode;
  const operator = { operator: true } as const;
  /** Every password, TOTP secret, token secret and code used: none may reach the audit trail. */
  const secrets = new Set<string>([DEMO_PASSWORD]);
  const codes = new Set<string>();

  // ── state shared by the tests below, in order (the clients are made in before) ──────
  let admin: TestClient;
  let adminSecret = '';
  let readToken = '';
  let adminToken = '';
  let observer: TestClient;
  let legal: TestClient;
  let legalSecret = '';

  before(async () => {
    n = await createTestNode(create, name);
    await seedDemo(n.node);
    admin = client();
    observer = client();
    legal = client();
  });
  after(() => n?.close());

  // ── helpers ────────────────────────────────────────────────────────────────────
  const client = (headers: Record<string, string> = {}) => new TestClient(n.app.app, headers);
  const now = () => n.clock.now();
  const userNamed = (username: string): Promise<User> => n.node.accounts.findUserByUsername(username);

  const htmlOf = async (res: Response): Promise<string> => {
    assert.match(res.headers.get('Content-Type') ?? '', /^text\/html; charset=utf-8$/i);
    return res.text();
  };
  const jsonOf = async <T = Record<string, unknown>>(res: Response): Promise<T> => {
    assert.match(res.headers.get('Content-Type') ?? '', /^application\/json/);
    return (await res.json()) as T;
  };
  type ErrorJson = { error: { code: string; message: string; field?: string } };
  const errorOf = async (res: Response, status: number, code: string): Promise<ErrorJson['error']> => {
    assert.equal(res.status, status);
    const body = await jsonOf<ErrorJson>(res);
    assert.equal(body.error.code, code);
    assert.equal(typeof body.error.message, 'string');
    assert.ok(body.error.message.length > 0);
    return body.error;
  };
  const csrfIn = (page: string): string => {
    const token = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
    assert.ok(token, 'the page carries a CSRF field');
    return token;
  };
  const redirectsTo = (res: Response, location: string) => {
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('Location'), location);
  };
  const setCookieFor = (res: Response, cookie: string): string | undefined =>
    res.headers.getSetCookie().find((line) => line.startsWith(`${cookie}=`));

  /** A request with an API token and no cookies, as a script would send it. */
  const bearer = (
    token: string,
    path: string,
    init: { method?: string; json?: unknown; body?: string } = {},
  ) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    let body: string | undefined = init.body;
    if (init.json !== undefined) body = JSON.stringify(init.json);
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return n.app.app.request(`http://127.0.0.1${path}`, { method: init.method ?? 'GET', headers, body });
  };

  /** Signs in (enrolling when needed) and remembers the password, TOTP secret and code. */
  const signIn = async (c: TestClient, username: string, password: string, secret?: string) => {
    secrets.add(password);
    const done = await c.signIn(username, password, now, secret);
    secrets.add(done.secret);
    codes.add(codeFor(done.secret, now()));
    return done.secret;
  };

  /** Finishes the enrolment of a session already past the password step. */
  const enrol = async (c: TestClient): Promise<string> => {
    const page = await htmlOf(await c.get('/enrol'));
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(page)?.[1]?.replace(/ /g, '');
    assert.ok(secret, 'the enrolment page shows the secret');
    secrets.add(secret);
    const code = codeFor(secret, now());
    codes.add(code);
    redirectsTo(await c.postForm('/enrol', { code }, csrfIn(page)), '/');
    return secret;
  };

  /** A six-digit code that no authenticator would show right now for this secret. */
  const wrongCode = (secret: string): string => {
    const valid = [-30_000, 0, 30_000].map((d) => codeFor(secret, new Date(now().getTime() + d)));
    const code = ['123456', '654321', '000000', '999999'].find((c) => !valid.includes(c))!;
    codes.add(code);
    return code;
  };

  const welcome = (displayName: string) => `Welcome, ${displayName}.`;

  const assertSecurityHeaders = (res: Response) => {
    const csp = res.headers.get('Content-Security-Policy') ?? '';
    const directives = csp.split(';').map((d) => d.trim().split(/\s+/));
    assert.deepEqual(directives[0], ['default-src', "'none'"]);
    for (const [directive, ...sources] of directives) {
      for (const source of sources)
        assert.ok(["'none'", "'self'", 'data:'].includes(source), `${directive} allows ${source}`);
    }
    assert.ok(directives.some(([d, s]) => d === 'frame-ancestors' && s === "'none'"));
    assert.doesNotMatch(csp, /https?:|\*|unsafe/);
    assert.equal(res.headers.get('X-Frame-Options'), 'DENY');
    assert.equal(res.headers.get('X-Content-Type-Options'), 'nosniff');
    assert.equal(res.headers.get('Referrer-Policy'), 'no-referrer');
    assert.equal(res.headers.get('Cache-Control'), 'no-store');
  };

  // ── probes, headers, anonymous access ───────────────────────────────────────────
  it('answers the health and readiness probes', async () => {
    const health = await n.app.app.request('/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(await jsonOf(health), { status: 'ok' });
    const ready = await n.app.app.request('/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(await jsonOf(ready), { status: 'ready', database: name });
  });

  it('sends the security headers on pages and API responses', async () => {
    const anon = client();
    const page = await anon.get('/sign-in');
    assert.equal(page.status, 200);
    assertSecurityHeaders(page);
    await htmlOf(page);
    const csrfCookie = setCookieFor(page, n.app.cookies.csrf);
    assert.ok(csrfCookie, 'the sign-in page sets the anonymous CSRF cookie');
    assert.match(csrfCookie, /;\s*HttpOnly/i);
    assert.match(csrfCookie, /;\s*SameSite=Strict/i);

    const api = await n.app.app.request('/api/v1/me');
    assert.equal(api.status, 401);
    assertSecurityHeaders(api);
    assertSecurityHeaders(await n.app.app.request('/healthz'));
  });

  it('redirects pages to sign-in and refuses the API without a session', async () => {
    const anon = client();
    redirectsTo(await anon.get('/'), '/sign-in?next=%2F');
    redirectsTo(await anon.get('/users'), '/sign-in?next=%2Fusers');
    redirectsTo(await anon.get('/profile/password'), '/sign-in?next=%2Fprofile%2Fpassword');
    const res = await anon.get('/api/v1/me');
    const error = await errorOf(res, 401, 'unauthenticated');
    assert.match(error.message, /sign in|token/);
    await errorOf(await anon.get('/api/v1/users'), 401, 'unauthenticated');
    // The sign-in form keeps a same-site next, and drops anything that could leave the site.
    const kept = await htmlOf(await anon.get('/sign-in?next=%2Fusers'));
    assert.match(kept, /<form method="post" action="\/sign-in\?next=%2Fusers">/);
    for (const next of ['%2F%2Fevil.example', 'https%3A%2F%2Fevil.example', '%2F%5Cevil.example']) {
      const page = await htmlOf(await anon.get(`/sign-in?next=${next}`));
      assert.match(page, /<form method="post" action="\/sign-in">/, next);
    }
  });

  it('answers unknown routes with 404 in the right format', async () => {
    const api = await n.app.app.request('/api/v1/nope');
    const error = await errorOf(api, 404, 'not_found');
    assert.equal(error.message, 'no route GET /api/v1/nope');
    const page = await client().get('/nope');
    assert.equal(page.status, 404);
    const text = await htmlOf(page);
    assert.match(text, /This page does not exist\./);
  });

  it('speaks the language the browser asks for', async () => {
    const ar = await htmlOf(await client({ 'Accept-Language': 'ar' }).get('/sign-in'));
    assert.match(ar, /<html lang="ar" dir="rtl">/);
    const fr = await htmlOf(await client({ 'Accept-Language': 'fr-CA,fr;q=0.9' }).get('/sign-in'));
    assert.match(fr, /<html lang="fr" dir="ltr">/);
    const other = await htmlOf(await client({ 'Accept-Language': 'de-DE,de;q=0.9' }).get('/sign-in'));
    assert.match(other, /<html lang="en" dir="ltr">/);
    assert.match(other, /<h1>Sign in<\/h1>/);
  });

  it('refuses a sign-in form without the CSRF cookie or field', async () => {
    const fresh = client();
    const noToken = await fresh.postForm(
      '/sign-in',
      { username: 'demo-admin', password: DEMO_PASSWORD },
      null,
    );
    assert.equal(noToken.status, 403);
    assert.match(await htmlOf(noToken), /This form has expired\. Please try again\./);
    assert.equal(setCookieFor(noToken, n.app.cookies.session), undefined);

    // A field but no cookie to compare it with (the request is not from this node's page).
    const noCookie = client();
    const res = await noCookie.postForm(
      '/sign-in',
      { username: 'demo-admin', password: DEMO_PASSWORD },
      'A'.repeat(43),
    );
    assert.equal(res.status, 403);
    assert.equal(setCookieFor(res, n.app.cookies.session), undefined);

    // A cookie and a field that do not match.
    const mismatched = client();
    await mismatched.get('/sign-in');
    assert.ok(mismatched.cookies.has(n.app.cookies.csrf));
    const wrong = await mismatched.postForm(
      '/sign-in',
      { username: 'demo-admin', password: DEMO_PASSWORD },
      'B'.repeat(43),
    );
    assert.equal(wrong.status, 403);
    assert.equal(mismatched.cookies.has(n.app.cookies.session), false);

    const audit = await n.node.accounts.listAudit(operator, { limit: 500 });
    assert.equal(audit.filter((e) => e.type.startsWith('login.')).length, 0, 'no sign-in was attempted');
  });

  // ── sign-in ───────────────────────────────────────────────────────────────────
  it('answers a wrong password and an unknown user with the same message', async () => {
    const c = client();
    secrets.add('not-the-right-password');
    const wrong = await c.postForm('/sign-in', {
      username: 'demo-analyst',
      password: 'not-the-right-password',
    });
    assert.equal(wrong.status, 401);
    const wrongPage = await htmlOf(wrong);
    assert.match(wrongPage, /The username or password is not correct\./);
    assert.match(wrongPage, /value="demo-analyst"/, 'the username is kept in the form');
    assert.equal(c.cookies.has(n.app.cookies.session), false);

    const unknown = await c.postForm('/sign-in', {
      username: 'nobody-here',
      password: 'not-the-right-password',
    });
    assert.equal(unknown.status, 401);
    assert.match(await htmlOf(unknown), /The username or password is not correct\./);
    assert.equal(c.cookies.has(n.app.cookies.session), false);
  });

  it('locks an account after five wrong passwords and unlocks it after the lockout', async () => {
    for (let i = 1; i <= 5; i++) {
      const password = `wrong-password-${i}`;
      secrets.add(password);
      const res = await legal.postForm('/sign-in', { username: 'demo-legal', password });
      assert.equal(res.status, 401, `attempt ${i}`);
      assert.match(await htmlOf(res), /The username or password is not correct\./);
    }
    const locked = await legal.postForm('/sign-in', { username: 'demo-legal', password: DEMO_PASSWORD });
    assert.equal(locked.status, 423);
    assert.match(
      await htmlOf(locked),
      /Too many failed attempts\. This account is locked for a while; try again later or ask an administrator\./,
    );
    assert.equal(legal.cookies.has(n.app.cookies.session), false);

    n.clock.advance(14 * 60_000);
    const stillLocked = await legal.postForm('/sign-in', { username: 'demo-legal', password: DEMO_PASSWORD });
    assert.equal(stillLocked.status, 423);

    n.clock.advance(2 * 60_000); // 16 minutes after the lock
    const unlocked = await legal.postForm('/sign-in', { username: 'demo-legal', password: DEMO_PASSWORD });
    redirectsTo(unlocked, '/enrol');
    // The session cookie: HttpOnly, SameSite=Strict, for the whole site, gone with the browser.
    const cookie = setCookieFor(unlocked, n.app.cookies.session);
    assert.ok(cookie);
    assert.match(cookie, /;\s*HttpOnly/i);
    assert.match(cookie, /;\s*SameSite=Strict/i);
    assert.match(cookie, /;\s*Path=\//i);
    assert.doesNotMatch(cookie, /Max-Age|Expires/i);
    legalSecret = await enrol(legal);
    assert.match(await htmlOf(await legal.get('/')), new RegExp(welcome('Camille Laurent')));

    const audit = await n.node.accounts.listAudit(operator, { limit: 500 });
    const legalUser = await userNamed('demo-legal');
    assert.equal(
      audit.filter((e) => e.type === 'login.locked' && e.subjectUserId === legalUser.id).length,
      1,
    );
  });

  it('enrols a new user in TOTP and shows their home page', async () => {
    redirectsTo(await admin.get('/'), '/sign-in?next=%2F');
    adminSecret = await signIn(admin, 'demo-admin', DEMO_PASSWORD);
    assert.match(adminSecret, /^[A-Z2-7]{32}$/);
    const home = await admin.get('/');
    assert.equal(home.status, 200);
    const page = await htmlOf(home);
    assert.match(page, new RegExp(welcome('Amara Okafor')));
    assert.match(page, /You are signed in as Administrator at Office of the Prosecutor \(demo\)\./);
    assert.match(page, /href="\/users"/, 'admins see the users page in the navigation');
    assert.equal((await userNamed('demo-admin')).totpEnrolled, true);
  });

  it('asks an enrolled user for a code, refuses a wrong one and signs out', async () => {
    n.clock.advance(30_000); // a TOTP step can be used once per user
    const second = client();
    const first = await second.postForm('/sign-in?next=%2Fusers', {
      username: 'demo-admin',
      password: DEMO_PASSWORD,
    });
    redirectsTo(first, '/sign-in/totp?next=%2Fusers');
    const halfway = second.cookies.get(n.app.cookies.session)!;
    redirectsTo(await second.get('/'), '/sign-in/totp');
    await errorOf(await second.get('/api/v1/me'), 401, 'unauthenticated');
    const form = await htmlOf(await second.get('/sign-in/totp?next=%2Fusers'));
    assert.match(form, /Authenticator code/);
    assert.match(form, /action="\/sign-in\/totp\?next=%2Fusers"/);

    const wrong = await second.postForm('/sign-in/totp', { code: wrongCode(adminSecret) }, csrfIn(form));
    assert.equal(wrong.status, 401);
    assert.match(
      await htmlOf(wrong),
      /The code is not correct or was already used\. Wait for the next code and try again\./,
    );
    redirectsTo(await second.get('/'), '/sign-in/totp');

    const code = codeFor(adminSecret, now());
    codes.add(code);
    redirectsTo(await second.postForm('/sign-in/totp?next=%2Fusers', { code }, csrfIn(form)), '/users');
    assert.match(await htmlOf(await second.get('/')), new RegExp(welcome('Amara Okafor')));
    // The session is replaced at each step: the half-signed-in cookie is worthless now.
    assert.notEqual(second.cookies.get(n.app.cookies.session), halfway);
    const fixed = await n.app.app.request('/', {
      headers: { Cookie: `${n.app.cookies.session}=${halfway}` },
    });
    redirectsTo(fixed, '/sign-in?expired&next=%2F');

    // Sign out: the cookie is cleared and the session is gone on the server too.
    const token = second.cookies.get(n.app.cookies.session)!;
    const out = await second.postForm('/sign-out', {});
    redirectsTo(out, '/sign-in?signed-out');
    const cleared = setCookieFor(out, n.app.cookies.session);
    assert.ok(cleared);
    assert.match(cleared, new RegExp(`^${n.app.cookies.session}=;`));
    assert.match(cleared, /Max-Age=0/i);
    assert.equal(second.cookies.has(n.app.cookies.session), false);
    assert.match(await htmlOf(await second.get('/sign-in?signed-out')), /You are signed out\./);
    redirectsTo(await second.get('/'), '/sign-in?next=%2F');
    const replayed = await n.app.app.request('/', {
      headers: { Cookie: `${n.app.cookies.session}=${token}` },
    });
    redirectsTo(replayed, '/sign-in?expired&next=%2F');

    // The first browser is still signed in.
    assert.equal((await admin.get('/')).status, 200);
  });

  it('signs a user out of every session with "sign out everywhere"', async () => {
    const a = client();
    const b = client();
    const secret = await signIn(a, 'demo-investigator', DEMO_PASSWORD);
    n.clock.advance(30_000);
    await signIn(b, 'demo-investigator', DEMO_PASSWORD, secret);
    assert.equal((await a.get('/')).status, 200);
    assert.equal((await b.get('/')).status, 200);

    const out = await a.postForm('/profile/sign-out-everywhere', {});
    redirectsTo(out, '/sign-in?signed-out');
    assert.equal(a.cookies.has(n.app.cookies.session), false);
    redirectsTo(await b.get('/'), '/sign-in?expired&next=%2F');
    assert.equal(b.cookies.has(n.app.cookies.session), false, 'the worthless cookie of B is cleared');
    // The admin's sessions are untouched.
    assert.equal((await admin.get('/')).status, 200);
  });

  // ── policy, CSRF and language for a signed-in user ─────────────────────────────
  it('refuses an observer the users page and records the refusal', async () => {
    n.clock.advance(30_000);
    await signIn(observer, 'demo-observer', DEMO_PASSWORD);
    const observerUser = await userNamed('demo-observer');
    const denied = (events: AuditEvent[]) =>
      events.filter(
        (e) =>
          e.type === 'access.denied' &&
          e.outcome === 'failure' &&
          e.actorUserId === observerUser.id &&
          e.details.action === 'user.read',
      );
    assert.equal(denied(await n.node.accounts.listAudit(operator, { limit: 500 })).length, 0);

    const res = await observer.get('/users');
    assert.equal(res.status, 403);
    const page = await htmlOf(res);
    assert.match(page, /You do not have access to this page\./);
    assert.doesNotMatch(page, /demo-auditor/, 'no user list leaks into the refusal');
    assert.doesNotMatch(page, /href="\/users"/, 'observers are not offered the users page');

    const events = denied(await n.node.accounts.listAudit(operator, { limit: 500 }));
    assert.equal(events.length, 1);
    assert.equal(events[0]!.actorOrgId, observerUser.orgId);
  });

  it('refuses state changes from forms without the session CSRF token', async () => {
    const observerUser = await userNamed('demo-observer');
    const missing = await observer.postForm('/profile/language', { locale: 'uk' }, null);
    assert.equal(missing.status, 403);
    assert.match(await htmlOf(missing), /This form has expired\. Please try again\./);
    const wrong = await observer.postForm('/profile/language', { locale: 'uk' }, 'C'.repeat(43));
    assert.equal(wrong.status, 403);
    // The anonymous cookie's token is not the session's token.
    const anon = await observer.postForm(
      '/profile/language',
      { locale: 'uk' },
      observer.cookies.get(n.app.cookies.csrf)!,
    );
    assert.equal(anon.status, 403);
    // The right token from a cross-site request (the browser says so) is refused as well.
    const crossSite = await observer.request('/profile/language', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Sec-Fetch-Site': 'cross-site' },
      body: new URLSearchParams({ _csrf: await observer.csrf(), locale: 'uk' }).toString(),
    });
    assert.equal(crossSite.status, 403);
    assert.equal((await userNamed('demo-observer')).locale, null, 'nothing changed');
    assert.equal(observer.cookies.has(n.app.cookies.lang), false);
    assert.equal((await n.node.accounts.getUser(operator, observerUser.id)).locale, null);
  });

  it("uses the user's saved language over the browser's", async () => {
    const saved = await observer.postForm('/profile/language', { locale: 'uk' });
    redirectsTo(saved, '/profile?saved=language');
    assert.equal((await userNamed('demo-observer')).locale, 'uk');
    // Without the language cookie, only the saved choice can win over the header.
    observer.cookies.delete(n.app.cookies.lang);
    const page = await htmlOf(await observer.get('/profile', { 'Accept-Language': 'ar' }));
    assert.match(page, /<html lang="uk" dir="ltr">/);

    redirectsTo(await observer.postForm('/profile/language', { locale: '' }), '/profile?saved=language');
    assert.equal((await userNamed('demo-observer')).locale, null);
    const auto = await htmlOf(await observer.get('/profile', { 'Accept-Language': 'ar' }));
    assert.match(auto, /<html lang="ar" dir="rtl">/);
  });

  // ── API tokens ────────────────────────────────────────────────────────────────
  const tokenId = async (tokenName: string): Promise<string> => {
    const list = await jsonOf<{ id: string; name: string }[]>(await bearer(adminToken, '/api/v1/tokens'));
    const found = list.find((t) => t.name === tokenName);
    assert.ok(found, `token ${tokenName} is listed`);
    return found.id;
  };

  const createTokenOnPage = async (tokenName: string, scopes: string[]): Promise<string> => {
    const res = await admin.postForm('/profile/tokens', { name: tokenName, scopes, days: '30' });
    assert.equal(res.status, 200);
    const page = await htmlOf(res);
    assert.match(page, /Your new token \(shown only once; copy it now\):/);
    const shown = page.match(/acc_[A-Za-z0-9_-]+/g) ?? [];
    assert.equal(shown.length, 1, 'the secret appears exactly once');
    secrets.add(shown[0]!);
    secrets.add(shown[0]!.slice('acc_'.length));
    return shown[0]!;
  };

  it('creates API tokens on the profile page and shows each secret only once', async () => {
    readToken = await createTokenOnPage('reader', ['read']);
    const createdAt = now();
    adminToken = await createTokenOnPage('admin-script', ['read', 'write', 'admin']);
    assert.notEqual(readToken, adminToken);
    const profile = await htmlOf(await admin.get('/profile'));
    assert.ok(!profile.includes(readToken) && !profile.includes(adminToken), 'secrets are not shown again');
    assert.match(profile, /<td>reader<\/td>/);

    const me = await bearer(readToken, '/api/v1/me');
    assert.equal(me.status, 200);
    assertSecurityHeaders(me);
    const body = await jsonOf(me);
    assert.equal(body.username, 'demo-admin');
    assert.equal(body.role, 'admin');
    assert.equal(body.displayName, 'Amara Okafor');
    assert.deepEqual(
      Object.keys(body).filter((k) => /hash|secret|sealed|^password$/i.test(k)),
      [],
      'no credential material in the user',
    );

    const tokens = await jsonOf<Record<string, unknown>[]>(await bearer(readToken, '/api/v1/tokens'));
    assert.deepEqual(tokens.map((t) => t.name).sort(), ['admin-script', 'reader']);
    const reader = tokens.find((t) => t.name === 'reader')!;
    assert.deepEqual(reader.scopes, ['read']);
    assert.equal(reader.expiresAt, new Date(createdAt.getTime() + 30 * 86_400_000).toISOString());
    assert.equal(reader.revokedAt, null);
    assert.equal(typeof reader.lastUsedAt, 'string', 'use is recorded');
    const text = JSON.stringify(tokens);
    assert.ok(!text.includes(readToken) && !text.includes(adminToken), 'the list holds no secrets');
    assert.equal('userId' in reader, false);
  });

  it('limits a token to its scopes and lets an admin token manage accounts', async () => {
    const org = { name: 'Truth Commission (test)', country: 'CL', kind: 'other' };
    const refused = await bearer(readToken, '/api/v1/organisations', { method: 'POST', json: org });
    const error = await errorOf(refused, 403, 'forbidden');
    assert.equal(error.message, 'not allowed: this API token lacks the "admin" scope');
    assert.equal(
      (await n.node.accounts.listOrganisations(operator)).some((o) => o.name === org.name),
      false,
    );
    // Read access with the read-only token still works.
    const list = await jsonOf<{ name: string }[]>(await bearer(readToken, '/api/v1/organisations'));
    assert.equal(list.length, 3);

    const created = await bearer(adminToken, '/api/v1/organisations', { method: 'POST', json: org });
    assert.equal(created.status, 201);
    const orgBody = await jsonOf(created);
    assert.equal(orgBody.name, org.name);
    assert.equal(orgBody.country, 'CL');
    assert.equal(orgBody.kind, 'other');
    assert.equal(orgBody.createdAt, now().toISOString());
    assert.match(String(orgBody.id), /^[0-9a-f-]{36}$/);
    const fetched = await bearer(readToken, `/api/v1/organisations/${orgBody.id}`);
    assert.equal(fetched.status, 200);
    assert.deepEqual(await jsonOf(fetched), orgBody);

    const userRes = await bearer(adminToken, '/api/v1/users', {
      method: 'POST',
      json: { orgId: orgBody.id, username: 'api-made', displayName: 'Made By Script', role: 'analyst' },
    });
    assert.equal(userRes.status, 201);
    const made = await jsonOf<{ user: Record<string, unknown>; initialPassword: string }>(userRes);
    assert.match(made.initialPassword, /^[a-zA-Z2-9]{5}(-[a-zA-Z2-9]{5}){3}$/);
    secrets.add(made.initialPassword);
    assert.equal(made.user.username, 'api-made');
    assert.equal(made.user.orgId, orgBody.id);
    assert.equal(made.user.role, 'analyst');
    assert.equal(made.user.mustChangePassword, true);
    assert.equal(made.user.totpEnrolled, false);

    // The audit trail is readable with a token, and shows the observer's refused visit.
    const audit = await jsonOf<AuditEvent[]>(await bearer(readToken, '/api/v1/audit?limit=500'));
    assert.ok(audit.some((e) => e.type === 'access.denied' && e.details.action === 'user.read'));
    assert.ok(audit.some((e) => e.type === 'user.created' && e.subjectUserId === made.user.id));
    assert.ok(audit[0]!.seq > audit.at(-1)!.seq, 'newest first');
  });

  it('rejects revoked, unknown and malformed credentials', async () => {
    const readerId = await tokenId('reader');
    const revoked = await bearer(adminToken, `/api/v1/tokens/${readerId}`, { method: 'DELETE' });
    assert.equal(revoked.status, 204);
    assert.equal(await revoked.text(), '');
    await errorOf(await bearer(readToken, '/api/v1/me'), 401, 'unauthenticated');
    await errorOf(
      await bearer(adminToken, `/api/v1/tokens/${readerId}`, { method: 'DELETE' }),
      404,
      'not_found',
    );

    // Revoked on the profile page.
    const shortLived = await createTokenOnPage('short-lived', ['read']);
    assert.equal((await bearer(shortLived, '/api/v1/me')).status, 200);
    const id = await tokenId('short-lived');
    const page = await admin.postForm(`/profile/tokens/${id}/revoke`, {});
    assert.equal(page.status, 200);
    assert.match(await htmlOf(page), /The token was revoked\./);
    await errorOf(await bearer(shortLived, '/api/v1/me'), 401, 'unauthenticated');

    await errorOf(await bearer(`acc_${'x'.repeat(43)}`, '/api/v1/me'), 401, 'unauthenticated');
    for (const header of ['Basic ZGVtbzpkZW1v', 'Bearer', `Bearer ${adminToken} extra`, adminToken]) {
      const res = await n.app.app.request('/api/v1/me', { headers: { Authorization: header } });
      const error = await errorOf(res, 401, 'unauthenticated');
      assert.match(error.message, /Authorization|token/, header);
    }
    // The admin token still works.
    assert.equal((await bearer(adminToken, '/api/v1/me')).status, 200);
  });

  // ── API input ─────────────────────────────────────────────────────────────────
  it('answers bad API input with precise errors', async () => {
    const post = (json?: unknown, body?: string) =>
      bearer(adminToken, '/api/v1/organisations', {
        method: 'POST',
        ...(body === undefined ? { json } : { body }),
      });

    await errorOf(await post(undefined, '{"name": "Broken",'), 400, 'invalid_json');

    const wrongType = await errorOf(
      await post({ name: 'Typed', country: 5, kind: 'ngo' }),
      400,
      'invalid_request',
    );
    assert.equal(wrongType.field, 'country');
    assert.match(wrongType.message, /^country: /);

    const badKind = await errorOf(
      await post({ name: 'Typed', country: 'UA', kind: 'militia' }),
      400,
      'invalid_request',
    );
    assert.equal(badKind.field, 'kind');

    const extra = await errorOf(
      await post({ name: 'Extra', country: 'UA', kind: 'ngo', admin: true }),
      400,
      'invalid_request',
    );
    assert.match(extra.message, /admin/);

    const missing = await errorOf(await post({ country: 'UA', kind: 'ngo' }), 400, 'invalid_request');
    assert.equal(missing.field, 'name');

    const duplicate = await errorOf(
      await post({ name: 'Truth Commission (test)', country: 'CL', kind: 'other' }),
      409,
      'conflict',
    );
    assert.equal(duplicate.field, 'name');
    assert.match(duplicate.message, /already exists/);

    const huge = await post({ name: 'x'.repeat(65 * 1024), country: 'UA', kind: 'ngo' });
    const tooLarge = await errorOf(huge, 413, 'payload_too_large');
    assert.match(tooLarge.message, /65536 bytes/);

    const badId = await errorOf(await bearer(adminToken, '/api/v1/users/not-a-uuid'), 400, 'invalid_request');
    assert.equal(badId.field, 'id');
    await errorOf(
      await bearer(adminToken, '/api/v1/users/00000000-0000-4000-8000-000000000000'),
      404,
      'not_found',
    );

    const names = (await n.node.accounts.listOrganisations(operator)).map((o) => o.name);
    assert.deepEqual(
      names.filter((o) => ['Broken', 'Typed', 'Extra'].includes(o)),
      [],
      'nothing was created by bad input',
    );
    assert.equal(names.filter((o) => o === 'Truth Commission (test)').length, 1);
  });

  it('requires the session CSRF token on cookie-authenticated API changes', async () => {
    const org = { name: 'Cookie Org (test)', country: 'FR', kind: 'ngo' };
    const send = (headers: Record<string, string>) =>
      admin.request('/api/v1/organisations', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify(org),
      });
    await errorOf(await send({}), 403, 'csrf');
    await errorOf(await send({ 'X-CSRF-Token': 'D'.repeat(43) }), 403, 'csrf');
    await errorOf(await send({ 'X-CSRF-Token': admin.cookies.get(n.app.cookies.csrf)! }), 403, 'csrf');
    assert.equal(
      (await n.node.accounts.listOrganisations(operator)).some((o) => o.name === org.name),
      false,
    );

    // Reads need no token; a change with the token of the session's pages goes through.
    assert.equal((await admin.get('/api/v1/me')).status, 200);
    const ok = await send({ 'X-CSRF-Token': await admin.csrf() });
    assert.equal(ok.status, 201);
    assert.equal((await jsonOf(ok)).name, org.name);
  });

  // ── admin pages ───────────────────────────────────────────────────────────────
  let worker: User;
  let workerPassword = '';

  it('lets an admin create organisations and users through the forms', async () => {
    const orgsPage = await htmlOf(await admin.get('/organisations'));
    assert.match(orgsPage, /action="\/organisations"/);
    const createdOrg = await admin.postForm('/organisations', {
      name: 'Syria Justice Archive (test)',
      country: 'sy',
      kind: 'ngo',
    });
    assert.equal(createdOrg.status, 200);
    const orgPage = await htmlOf(createdOrg);
    assert.match(orgPage, /The organisation was created\./);
    assert.match(orgPage, /Syria Justice Archive \(test\)/);
    const org = (await n.node.accounts.listOrganisations(operator)).find(
      (o) => o.name === 'Syria Justice Archive (test)',
    );
    assert.ok(org);
    assert.equal(org.country, 'SY');

    const duplicate = await admin.postForm('/organisations', {
      name: 'Syria Justice Archive (test)',
      country: 'SY',
      kind: 'ngo',
    });
    assert.equal(duplicate.status, 409);
    assert.match(await htmlOf(duplicate), /already exists/);

    const createdUser = await admin.postForm('/users', {
      username: 'field-worker',
      displayName: 'Field Worker',
      orgId: org.id,
      role: 'investigator',
    });
    assert.equal(createdUser.status, 200);
    const usersPage = await htmlOf(createdUser);
    const shown =
      /The user field-worker was created\. Give them this one-time password through a safe channel; it is shown only once: <span class="secret" data-secret>([A-Za-z0-9-]+)</.exec(
        usersPage,
      );
    assert.ok(shown, 'the one-time password is shown');
    workerPassword = shown[1]!;
    assert.match(workerPassword, /^[a-zA-Z2-9]{5}(-[a-zA-Z2-9]{5}){3}$/);
    secrets.add(workerPassword);
    worker = await userNamed('field-worker');
    assert.equal(worker.orgId, org.id);
    assert.equal(worker.role, 'investigator');
    assert.equal(worker.mustChangePassword, true);
    assert.ok(!(await htmlOf(await admin.get('/users'))).includes(workerPassword), 'shown only once');
  });

  it('changes roles but never demotes the last admin', async () => {
    const changed = await admin.postForm(`/users/${worker.id}/role`, { role: 'analyst' });
    assert.equal(changed.status, 200);
    assert.match(await htmlOf(changed), /The user was updated\./);
    assert.equal((await userNamed('field-worker')).role, 'analyst');

    const adminUser = await userNamed('demo-admin');
    const demote = await admin.postForm(`/users/${adminUser.id}/role`, { role: 'observer' });
    assert.equal(demote.status, 409);
    assert.match(
      await htmlOf(demote),
      /This is the last active administrator\. Make someone else administrator first\./,
    );
    assert.equal((await userNamed('demo-admin')).role, 'admin');

    const self = await admin.postForm(`/users/${adminUser.id}/disable`, {});
    assert.equal(self.status, 409);
    assert.match(await htmlOf(self), /You cannot disable your own account\./);
    assert.equal((await userNamed('demo-admin')).disabled, false);

    const badRole = await admin.postForm(`/users/${worker.id}/role`, { role: 'emperor' });
    assert.equal(badRole.status, 400);
    assert.equal((await userNamed('field-worker')).role, 'analyst');
  });

  it('makes a user with a generated password choose a new one first', async () => {
    const c = client();
    n.clock.advance(30_000);
    await signIn(c, 'field-worker', workerPassword);
    redirectsTo(await c.get('/'), '/profile/password');
    redirectsTo(await c.get('/users'), '/profile/password');
    const form = await c.get('/profile/password');
    assert.equal(form.status, 200);
    const formPage = await htmlOf(form);
    assert.match(formPage, /You must choose a new password before you continue\./);
    const api = await errorOf(await c.get('/api/v1/me'), 403, 'forbidden');
    assert.match(api.message, /change your password/);

    const newPassword = 'a much longer pass phrase 42';
    secrets.add(newPassword);
    const changed = await c.postForm(
      '/profile/password',
      { current: workerPassword, password: newPassword },
      csrfIn(formPage),
    );
    redirectsTo(changed, '/profile?saved=password');
    assert.equal((await userNamed('field-worker')).mustChangePassword, false);
    const home = await c.get('/');
    assert.equal(home.status, 200);
    assert.match(await htmlOf(home), new RegExp(welcome('Field Worker')));

    // Disabling the user ends their session at once, and they cannot sign in again.
    const disabled = await admin.postForm(`/users/${worker.id}/disable`, {});
    assert.equal(disabled.status, 200);
    assert.equal((await userNamed('field-worker')).disabled, true);
    redirectsTo(await c.get('/'), '/sign-in?expired&next=%2F');
    const again = await client().postForm('/sign-in', { username: 'field-worker', password: newPassword });
    assert.equal(again.status, 403);
    assert.match(await htmlOf(again), /This account is disabled\. Ask an administrator\./);
  });

  // ── the API description ───────────────────────────────────────────────────────
  it('describes every API route in OpenAPI 3.1', async () => {
    const res = await n.app.app.request('/api/v1/openapi.json');
    assert.equal(res.status, 200);
    const doc = await jsonOf<{
      openapi: string;
      info: { title: string; version: string };
      servers: { url: string }[];
      paths: Record<string, Record<string, { responses?: Record<string, unknown>; security?: unknown[] }>>;
      components: { securitySchemes: Record<string, { type: string }> };
    }>(res);
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.title, 'Accord node API');
    assert.equal(doc.info.version, '1');
    assert.deepEqual(doc.servers, [{ url: '/api/v1' }]);
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['bearer', 'session']);

    const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
    const documented: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!methods.includes(method)) continue;
        documented.push(`${method.toUpperCase()} ${path}`);
        assert.ok(operation.responses && Object.keys(operation.responses).length > 0, `${method} ${path}`);
        assert.ok(operation.security && operation.security.length > 0, `${method} ${path} needs credentials`);
      }
    }
    const spec = '/api/v1/openapi.json';
    const rules = n.app.registry.all().filter((r) => r.kind === 'api');
    assert.ok(
      rules.some((r) => r.path === spec),
      'the description itself is a declared route',
    );
    const declared = rules
      .filter((r) => r.path !== spec) // the description does not describe itself
      .map((r) => `${r.method} ${r.path.slice('/api/v1'.length).replace(/:(\w+)/g, '{$1}')}`);
    assert.deepEqual(documented.sort(), declared.sort());
    assert.ok(declared.length >= 10);
  });

  // ── session lifetimes (these advance the clock past every other session) ────────
  it('ends a session after 30 idle minutes', async () => {
    assert.equal((await legal.get('/')).status, 200);
    n.clock.advance(29 * 60_000);
    assert.equal((await legal.get('/')).status, 200, 'activity keeps the session alive');
    n.clock.advance(31 * 60_000);
    redirectsTo(await legal.get('/'), '/sign-in?expired&next=%2F');
    await errorOf(await legal.get('/api/v1/me'), 401, 'unauthenticated');
  });

  it('ends an active session after 12 hours', async () => {
    await signIn(legal, 'demo-legal', DEMO_PASSWORD, legalSecret);
    for (let minutes = 25; minutes <= 700; minutes += 25) {
      n.clock.advance(25 * 60_000);
      assert.equal((await legal.get('/')).status, 200, `after ${minutes} minutes`);
    }
    n.clock.advance(25 * 60_000); // 725 minutes: past 12 hours
    redirectsTo(await legal.get('/'), '/sign-in?expired&next=%2F');
  });

  // ── privacy of the audit trail ────────────────────────────────────────────────
  it('keeps every password, TOTP secret, token secret and code out of the audit trail', async () => {
    const rows = await n.node.database.db.selectFrom('audit_events').selectAll().execute();
    assert.ok(rows.length > 50, `expected a busy trail, found ${rows.length} rows`);
    const types = new Set(rows.map((r) => r.type));
    for (const type of [
      'login.password',
      'login.totp',
      'login.locked',
      'totp.enrolled',
      'token.created',
      'token.used',
    ]) {
      assert.ok(types.has(type), `the trail records ${type}`);
    }
    assert.ok(secrets.size >= 12, `secrets checked: ${secrets.size}`);
    assert.ok(codes.size >= 6, `codes checked: ${codes.size}`);
    const text = rows.map((r) => JSON.stringify(r)).join('\n');
    const lower = text.toLowerCase();
    for (const secret of secrets) {
      assert.ok(!text.includes(secret), 'a secret appears in the audit trail');
      assert.ok(!lower.includes(secret.toLowerCase()), 'a secret appears in the audit trail (any case)');
    }
    for (const code of codes) {
      assert.doesNotMatch(
        text,
        new RegExp(`(?<![0-9A-Za-z])${code}(?![0-9A-Za-z])`),
        'a code appears in the audit trail',
      );
    }
  });
});
