import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { actorOf, base32Decode, type ItemId, totp } from '@accord/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../node/demo.ts';
import type { RunningServer } from '../../server.ts';
import { launchChromium, SHOTS, startDemoServer } from '../../testing/browser.ts';
import { testdataPath } from '../../testing/testdata.ts';

/**
 * The evidence pages in a real headless Chromium against a real server: upload through the page
 * (with the progress script, and without JavaScript), the item page with its preview, GPS
 * coordinates and custody timeline verified in the log, and sensitive content blurred until
 * selected. Every request that leaves the node is recorded and aborted: there must be none.
 */
const JPEG = testdataPath('media', 'exif-samples', 'jpg', 'gps', 'DSCN0010.jpg');

describe('evidence pages in Chromium', () => {
  let root: string;
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let itemUrl = '';
  const external: string[] = [];

  before(async () => {
    ({ root, server } = await startDemoServer('evidence'));
    browser = await launchChromium();
    context = await newContext();
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  async function newContext(options: { javaScriptEnabled?: boolean } = {}): Promise<BrowserContext> {
    const ctx = await browser.newContext({
      locale: 'en-GB',
      viewport: { width: 1200, height: 900 },
      ...options,
    });
    await ctx.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(server.url) || url.startsWith('data:')) return route.continue();
      external.push(url);
      return route.abort();
    });
    return ctx;
  }

  it('signs in and uploads a JPEG through the upload page, with progress', async () => {
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#username', 'demo-investigator');
    await page.fill('#password', DEMO_PASSWORD);
    await page.click('button[type=submit]');
    const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, '');
    await page.fill('#code', totp(base32Decode(secret), Date.now()));
    await page.click('form[action="/enrol"] button[type=submit]');
    assert.equal(new URL(page.url()).pathname, '/');

    await page.click('nav a[href="/evidence/upload"]');
    await page.fill('#u-collectedBy', 'Olena Kovalenko');
    await page.fill('#u-method', 'original file from the photographer');
    await page.setInputFiles('#u-files', JPEG);
    await page.click('#upload-form button[type=submit]');
    // The script sends the file to the streaming API endpoint and reports the outcome.
    await page.waitForSelector('#upload-results[data-done="true"]');
    assert.equal(new URL(page.url()).pathname, '/evidence/upload', 'no page load: the script did the upload');
    const row = page.locator('#upload-results li[data-outcome="created"]');
    assert.equal(await row.count(), 1);
    assert.equal(await row.locator('.file-name').textContent(), 'DSCN0010.jpg');
    const bar = row.locator('progress');
    assert.equal(await bar.evaluate((p: HTMLProgressElement) => p.value === p.max && p.max > 0), true);
    await page.screenshot({ path: join(SHOTS, 'evidence-upload.png'), fullPage: true });
    await row.locator('a').click();
    itemUrl = page.url();
    assert.match(new URL(itemUrl).pathname, /^\/evidence\/[0-9a-f-]{36}$/);
  });

  it('shows the item page: GPS coordinates, image preview, and the timeline verified in the log', async () => {
    const coordinates = (await page.locator('#h-location ~ .location .coordinates').textContent()) ?? '';
    assert.equal(coordinates.trim(), '43.4674483° N, 11.8851267° E');
    assert.equal(await page.locator('[data-gps]').textContent(), '43.4674483° N, 11.8851267° E');
    const img = page.locator('.preview img');
    await img.waitFor();
    assert.equal(
      await img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth),
      640,
      'the preview loaded',
    );
    // The checkpoint follows within a second: reload until the collection shows as verified.
    for (let i = 0; ; i += 1) {
      if ((await page.locator('tr[data-action="collected"] [data-log="verified"]').count()) === 1) break;
      assert.ok(i < 20, 'the collection event was never verified in the log');
      await page.waitForTimeout(250);
      await page.reload();
    }
    assert.equal(
      await page.locator('tr[data-action="collected"] [data-log="verified"]').textContent(),
      'verified in log',
    );
    assert.equal(await page.locator('tr[data-action="registered"] [data-log="verified"]').count(), 1);
    assert.ok((await page.locator('tr[data-action="viewed"]').count()) >= 1);
    await page.screenshot({ path: join(SHOTS, 'evidence-item.png'), fullPage: true });
  });

  it('the CSP stops inline script and third-party scripts in the page', async () => {
    await page.addScriptTag({ content: 'window.__inlineRan = true;' }).catch(() => {});
    await page.addScriptTag({ url: 'https://cdn.example.org/x.js' }).catch(() => {});
    assert.equal(
      await page.evaluate(() => (window as unknown as { __inlineRan?: boolean }).__inlineRan),
      undefined,
    );
  });

  it('uploads without JavaScript; sensitive content stays blurred until selected', async () => {
    const noScript = await newContext({ javaScriptEnabled: false });
    await noScript.addCookies(await context.cookies());
    const plain = await noScript.newPage();
    // Different bytes (one more at the end), so that this is a new item.
    const file = join(root, 'sensitive.jpg');
    await writeFile(file, Buffer.concat([await readFile(JPEG), Buffer.from([0])]));
    await plain.goto(`${server.url}/evidence/upload`);
    await plain.check('#u-sensitive');
    await plain.setInputFiles('#u-files', file);
    await plain.click('#upload-form button[type=submit]');
    assert.equal(new URL(plain.url()).pathname, '/evidence/upload');
    const link = plain.locator('li[data-outcome="created"] a');
    assert.equal(await link.count(), 1);
    const href = await link.getAttribute('href');
    await noScript.close();

    await page.goto(`${server.url}${href}`);
    const veiled = page.locator('.sensitive .veiled');
    assert.match(await veiled.evaluate((el) => getComputedStyle(el).filter), /blur/);
    assert.equal(await page.locator('.sensitive .cover').isVisible(), true);
    await page.locator('.sensitive img').evaluate((i: HTMLImageElement) => i.decode());
    await page.screenshot({ path: join(SHOTS, 'evidence-sensitive-blurred.png'), fullPage: false });
    await page.click('.sensitive .cover');
    assert.equal(await veiled.evaluate((el) => getComputedStyle(el).filter), 'none');
    assert.equal(await page.locator('.sensitive .cover').isVisible(), false);
    await page.screenshot({ path: join(SHOTS, 'evidence-sensitive-shown.png'), fullPage: false });
  });

  it('uploads into a compartment with the script: the item is filed there, and the next files go there too', async () => {
    const operator = { operator: true } as const;
    const node = server.node;
    const me = await node.accounts.findUserByUsername('demo-investigator');
    const demo = (await node.cases.list(operator)).find((k) => k.title.startsWith('Shelling'))!;
    const field = await node.cases.createCompartment(operator, demo.id, {
      name: 'Field team',
      members: [me.id],
    });
    const file = join(root, 'field-report.txt');
    await writeFile(file, 'Field report: the convoy passed the bridge at 14:30.\n');
    await page.goto(`${server.url}/evidence/upload`);
    assert.equal(await page.locator('script[src="/assets/upload.js"]').count(), 1, 'the script is on');
    await page.selectOption('#u-case', demo.id);
    await page.selectOption('#u-compartment', field.id);
    await page.setInputFiles('#u-files', file);
    await page.click('#upload-form button[type=submit]');
    await page.waitForSelector('#upload-results[data-done="true"]');
    assert.equal(new URL(page.url()).pathname, '/evidence/upload', 'no page load: the script did the upload');
    const link = page.locator('#upload-results li[data-outcome="created"] a');
    assert.equal(await link.count(), 1);
    const itemId = /^\/evidence\/([0-9a-f-]{36})$/.exec((await link.getAttribute('href')) ?? '')?.[1];
    assert.ok(itemId, 'a link to the new item');
    assert.equal(
      await node.cases.access.itemCompartment(itemId as ItemId),
      field.id,
      'filed in the compartment',
    );
    // Outside the compartment the item does not exist.
    const outsider = await node.accounts.findUserByUsername('demo-advocate');
    await assert.rejects(node.evidence.get(actorOf(outsider), itemId), { code: 'not_found' });
    assert.equal(
      await page.locator('#u-compartment').inputValue(),
      field.id,
      'still chosen for the next files',
    );
    assert.equal(await page.locator('#u-case').inputValue(), demo.id);
  });

  it('lists the evidence with its filters', async () => {
    await page.goto(`${server.url}/evidence?type=image`);
    assert.equal(await page.locator('tbody tr').count(), 2);
    assert.equal(await page.locator('#f-type').inputValue(), 'image');
    await page.screenshot({ path: join(SHOTS, 'evidence-list.png'), fullPage: true });
  });

  it('the item page in Arabic is right-to-left, coordinates included', async () => {
    await page.goto(`${server.url}/profile`);
    await page.selectOption('#locale', 'ar');
    await page.click('form[action="/profile/language"] button[type=submit]');
    await page.goto(itemUrl);
    assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
    assert.equal(
      (await page.locator('.coordinates').textContent())?.trim(),
      '\u206843.4674483°\u2069 شمالاً، \u206811.8851267°\u2069 شرقاً',
    );
    await page.screenshot({ path: join(SHOTS, 'evidence-item-ar.png'), fullPage: true });
  });

  it("loaded nothing from outside the node (the test's own script URL excepted)", () => {
    assert.deepEqual(
      external.filter((u) => u !== 'https://cdn.example.org/x.js'),
      [],
    );
  });
});
