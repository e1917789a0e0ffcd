import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import { DEMO_PASSWORD, seedDemo } from '../node/demo.ts';
import { createLogger } from '../server.ts';
import { TestClient } from '../testing/client.ts';
import { createTestNode, describeEachDatabase, type TestNode } from '../testing/harness.ts';
import { RateLimiter } from './rate-limit.ts';

it('RateLimiter allows `limit` hits per window per key, then refuses until the window ends', () => {
  const limiter = new RateLimiter(3, 60_000);
  const t0 = 1_000_000;
  assert.deepEqual(
    [1, 2, 3, 4].map(() => limiter.take('a', t0)),
    [true, true, true, false],
  );
  assert.equal(limiter.take('b', t0), true, 'keys are counted separately');
  assert.equal(limiter.take('a', t0 + 59_999), false);
  assert.equal(limiter.take('a', t0 + 60_000), true, 'a new window starts');
});

describeEachDatabase('edge cases', (create, name) => {
  let n: TestNode;
  const logLines: string[] = [];

  before(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    n = await createTestNode(create, name, {
      signInPerMinute: 3,
      bodyLimitBytes: 2048,
      log: createLogger('debug', sink),
    });
    await seedDemo(n.node);
  });
  after(() => n.close());

  it('too many sign-in attempts from one client get 429 with a message in the page language', async () => {
    const client = new TestClient(n.app.app, { 'Accept-Language': 'es' });
    const statuses: number[] = [];
    let last = '';
    for (let i = 0; i < 4; i++) {
      const res = await client.postForm('/sign-in', {
        username: 'demo-observer',
        password: 'wrong-password-here',
      });
      statuses.push(res.status);
      last = await res.text();
    }
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    assert.match(last, /Demasiados intentos/);
  });

  it('an expired session says so on the sign-in page; the API says so too', async () => {
    n.clock.advance(60_000); // a fresh rate-limit window
    const client = new TestClient(n.app.app);
    await client.signIn('demo-legal', DEMO_PASSWORD, n.clock.now);
    assert.equal((await client.get('/')).status, 200);
    n.clock.advance(31 * 60_000);
    const api = await client.get('/api/v1/me');
    assert.equal(api.status, 401);
    assert.match(((await api.json()) as { error: { message: string } }).error.message, /session has expired/);
    const res = await client.get('/profile');
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('Location'), '/sign-in?expired&next=%2Fprofile');
    const page = await (await client.get(res.headers.get('Location')!)).text();
    assert.match(page, /Your session has ended\. Sign in again\./);
  });

  it("an oversized form gets 413 and a page in the reader's language", async () => {
    const client = new TestClient(n.app.app, { 'Accept-Language': 'uk' });
    const res = await client.postForm('/sign-in', { username: 'x'.repeat(4000), password: 'y' });
    assert.equal(res.status, 413);
    const page = await res.text();
    assert.match(page, /<html lang="uk"/);
    assert.match(page, /\p{Script=Cyrillic}/u);
  });

  it('logs carry no personal data: no usernames, passwords, addresses, user agents or ids', () => {
    const log = logLines.join('');
    assert.ok(logLines.length > 5, 'requests were logged');
    for (const secret of [
      'demo-observer',
      'demo-legal',
      'wrong-password-here',
      DEMO_PASSWORD,
      '127.0.0.1',
      'Mozilla',
    ]) {
      assert.equal(log.includes(secret), false, `log contains ${secret}`);
    }
    for (const line of logLines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      assert.deepEqual(Object.keys(entry).sort(), [
        'level',
        'method',
        'ms',
        'msg',
        'route',
        'status',
        'time',
      ]);
    }
  });

  it('/readyz answers 503 when the database is gone, /healthz still 200', async () => {
    await n.node.database.close();
    const ready = await n.app.app.request('http://127.0.0.1/readyz');
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), {
      error: { code: 'unavailable', message: 'the database cannot be reached' },
    });
    assert.equal((await n.app.app.request('http://127.0.0.1/healthz')).status, 200);
  });
});
