import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { LOCALES } from '@accord/core';
import { dumpDatabase } from '@accord/store/testing';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { TestClient } from '../../testing/client.ts';
import { createTestNode, describeEachDatabase, type TestNode } from '../../testing/harness.ts';
import { testdataPath } from '../../testing/testdata.ts';

const JPEG = testdataPath('media', 'exif-samples', 'jpg', 'gps', 'DSCN0010.jpg');
const PASSWORD = 'correct horse battery staple';
const ADDRESS = '203.0.113.77';
const SOCKET_ADDRESS = '127.7.3.9';
const AGENT = 'Mozilla/5.0 (AccordScanProbe; rv:7.7) ScanTest/7.7';

const files = async (dir: string): Promise<string[]> => {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await files(path)));
    else out.push(path);
  }
  return out;
};

/**
 * The portal over HTTP: no script, no cookie, nothing from elsewhere, small pages; and after a
 * reporter submitted, came back, replied and changed consent, neither their address nor their
 * browser nor the time of day is anywhere: in any table, any file of the data folder, or the log.
 */
describeEachDatabase('report portal: anonymity over HTTP', (create, name) => {
  let n: TestNode;
  let logFile: string;
  let reporter: TestClient;
  const reporterHeaders = { 'User-Agent': AGENT, 'X-Forwarded-For': ADDRESS, Forwarded: `for=${ADDRESS}` };

  before(async () => {
    logFile = join(tmpdir(), `accord-portal-log-${process.pid}-${name}.ndjson`);
    n = await createTestNode(create, name, {
      trustProxy: true,
      log: pino({ level: 'info' }, pino.destination({ dest: logFile, sync: true })),
    });
    const operator = { operator: true } as const;
    const org = await n.node.accounts.createOrganisation(operator, {
      name: 'Org one',
      country: 'NL',
      kind: 'ngo',
    });
    await n.node.reports.setReportingOrganisation(operator, org.id);
    await n.node.accounts.createUser(operator, {
      orgId: org.id,
      username: 'advocate',
      displayName: 'Advocate',
      role: 'survivor_advocate',
      password: PASSWORD,
    });
    // The advocate signs in through the pages: that unlocks (and first makes) the report key.
    const advocate = new TestClient(n.app.app);
    await advocate.signIn('advocate', PASSWORD, () => n.clock.now());
    reporter = new TestClient(n.app.app, reporterHeaders);
    // The reporter comes at a distinctive time of day; only the day may be stored.
    n.clock.advance((7 * 3600 + 13 * 60 + 17) * 1000);
  });
  after(async () => {
    await n?.close();
    await rm(logFile, { force: true });
  });

  let code = '';
  let windowStart = 0;
  it('every portal page works without script, sets no cookie, loads nothing from elsewhere, and stays under 100 KB', async () => {
    // The advocate's sign-in before this is logged; a pause keeps its lines out of the window.
    await new Promise((resolve) => setTimeout(resolve, 20));
    windowStart = Date.now();
    const cssResponse = await reporter.get('/report/portal.css');
    assert.equal(cssResponse.status, 200);
    assert.deepEqual(cssResponse.headers.getSetCookie(), [], 'the stylesheet sets no cookie');
    const css = (await cssResponse.text()).length;
    for (const path of [
      '/report',
      ...LOCALES.flatMap((l) => [`/report/${l}`, `/report/${l}/new`, `/report/${l}/return`]),
    ]) {
      const res = await reporter.get(path);
      assert.equal(res.status, 200, path);
      assert.deepEqual(res.headers.getSetCookie(), [], `${path} sets a cookie`);
      assert.equal(res.headers.get('Cache-Control'), 'no-store');
      const html = await res.text();
      assert.ok(!/<script/i.test(html), `${path} has a script`);
      assert.ok(!/(src|href|action)="(https?:)?\/\//i.test(html), `${path} points elsewhere`);
      assert.ok(html.length + css < 100 * 1024, `${path}: ${html.length + css} bytes`);
    }
    assert.match(await (await reporter.get('/report/ar/new')).text(), /<html lang="ar" dir="rtl">/);
    assert.equal((await reporter.get('/report/xx')).status, 303);
  });

  it('a report sent as a form gets its receipt code once', async () => {
    const form = new FormData();
    form.append('account', 'أخذوا أخي من السوق');
    form.append('anonymous', 'yes');
    form.append('consent', 'investigation');
    form.append('files', new Blob([await readFile(JPEG)], { type: 'image/jpeg' }), 'photo.jpg');
    const res = await reporter.request('/report/ar/new', { method: 'POST', body: form });
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers.getSetCookie(), []);
    const html = await res.text();
    code = /<output id="receipt-code">([0-9A-Z-]+)<\/output>/.exec(html)?.[1] ?? '';
    assert.match(code, /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
    // Bad input: the form comes back with what was typed and the reason, in the reporter's language.
    const empty = new FormData();
    empty.append('account', '');
    empty.append('when', 'يوم الثلاثاء');
    const refused = await reporter.request('/report/ar/new', { method: 'POST', body: empty });
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /value="يوم الثلاثاء"/);
  });

  it('with the code the reporter comes back, replies and changes consent', async () => {
    const status = await reporter.postForm('/report/ar/status', { code }, null);
    assert.equal(status.status, 200);
    assert.match(await status.text(), /أخذوا أخي من السوق/);
    const reply = new FormData();
    reply.append('code', code);
    reply.append('message', 'كان هناك ستة آخرون');
    const replied = await reporter.request('/report/ar/reply', { method: 'POST', body: reply });
    assert.equal(replied.status, 200);
    assert.match(await replied.text(), /كان هناك ستة آخرون/);
    const consent = await reporter.postForm(
      '/report/ar/consent',
      { code, purpose: 'investigation', scope: '', state: 'withdrawn' },
      null,
    );
    assert.equal(consent.status, 200);
    // A reply with nothing in it: the status page again, with the reason; a wrong code: the code form.
    const nothing = new FormData();
    nothing.append('code', code);
    nothing.append('message', '  ');
    const refusedReply = await reporter.request('/report/en/reply', { method: 'POST', body: nothing });
    assert.equal(refusedReply.status, 400);
    const refusedText = await refusedReply.text();
    assert.match(refusedText, /Write a message or choose a file to send/);
    assert.match(refusedText, /data-status="under_review"|data-status="received"/);
    const stranger = new FormData();
    stranger.append('code', '00000-00000-00000-00001');
    stranger.append('files', new Blob(['x']), 'x.txt');
    const strangerReply = await reporter.request('/report/en/reply', { method: 'POST', body: stranger });
    assert.equal(strangerReply.status, 404);
    assert.match(await strangerReply.text(), /No report has this receipt code/);
    const codeLast = new FormData();
    codeLast.append('message', 'hello');
    codeLast.append('code', code);
    assert.equal(
      (await reporter.request('/report/en/reply', { method: 'POST', body: codeLast })).status,
      400,
    );
    const wrong = await reporter.postForm('/report/ar/status', { code: '00000-00000-00000-00000' }, null);
    assert.equal(wrong.status, 404);
    const bad = await reporter.postForm('/report/en/status', { code: 'hello' }, null);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /twenty letters and digits/);
  });

  it('errors stay on the portal: its own frame, the address’s language, no cookie, no stack', async () => {
    const missing = await reporter.get('/report/ar/nothing-here');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.headers.getSetCookie(), []);
    const missingText = await missing.text();
    assert.match(missingText, /<html lang="ar" dir="rtl">/);
    assert.ok(!missingText.includes('/language?'), 'no link that sets a language cookie');
    const broken = await reporter.request('/report/en/status', {
      method: 'POST',
      headers: { 'Content-Type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="code"\r\n\r\nABC',
    });
    assert.equal(broken.status, 400);
    assert.deepEqual(broken.headers.getSetCookie(), []);
    const brokenText = await broken.text();
    assert.match(brokenText, /The form could not be read completely/);
    assert.ok(!/at .*\.ts:\d+/.test(brokenText), 'no stack trace');
    // A refused choice with a good code shows the report again, with the reason.
    const badScope = await reporter.postForm(
      '/report/en/consent',
      { code, purpose: 'sharing', scope: 'not-an-org', state: 'given' },
      null,
    );
    assert.equal(badScope.status, 400);
    assert.match(await badScope.text(), /data-status=/);
  });

  it('over a real socket from a distinctive address, the reporter comes back and changes consent', async () => {
    // Without X-Forwarded-For the node sees the socket's address: 127.7.3.9 (any 127/8 address
    // reaches the loopback interface on Linux).
    const server = serve({ fetch: n.app.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const { port } = server.address() as AddressInfo;
    const send = (path: string, body: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path,
            method: 'POST',
            localAddress: SOCKET_ADDRESS,
            headers: {
              'Content-Type': 'application/x-www-form-urlencoded',
              'Content-Length': Buffer.byteLength(body),
              'User-Agent': AGENT,
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      assert.equal(await send('/report/en/status', new URLSearchParams({ code }).toString()), 200);
      assert.equal(
        await send(
          '/report/en/consent',
          new URLSearchParams({ code, purpose: 'investigation', scope: '', state: 'given' }).toString(),
        ),
        200,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('no table, file or log line holds the reporter’s address, browser or time of day', async () => {
    const needles = [ADDRESS, SOCKET_ADDRESS, AGENT, 'AccordScanProbe', 'T17:13', '17:13:17'];
    const dump = await dumpDatabase(n.node.database);
    for (const needle of needles) assert.ok(!dump.includes(needle), `the database holds ${needle}`);
    await n.node.custody.flush();
    for (const file of [...(await files(n.dataDir)), logFile]) {
      const bytes = await readFile(file);
      for (const needle of needles) {
        assert.equal(bytes.indexOf(Buffer.from(needle)), -1, `${file} holds ${needle}`);
        assert.equal(bytes.indexOf(Buffer.from(needle, 'utf16le')), -1, `${file} holds ${needle} (UTF-16)`);
      }
    }
    const windowEnd = Date.now();
    const log = await readFile(logFile, 'utf8');
    assert.ok(log.includes('"route":"/sign-in"'), 'the log works: team requests are there');
    assert.ok(!log.includes('/report'), 'no portal request is logged');
    // The logger stamps lines with the real time: no line may come from the reporter's visit.
    const during = log
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { time: number; route?: string })
      .filter((line) => line.time >= windowStart && line.time <= windowEnd);
    assert.deepEqual(
      during,
      [],
      `log lines written while the reporter was there (${windowStart}–${windowEnd})`,
    );
  });
});
