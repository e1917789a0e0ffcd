import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningServer } from '../../server.ts';
import {
  launchChromium,
  offlinePage,
  SHOTS,
  signInFirstTime,
  startDemoServer,
} from '../../testing/browser.ts';
import { testdataPath } from '../../testing/testdata.ts';

const JPEG = testdataPath('media', 'exif-samples', 'jpg', 'gps', 'DSCN0010.jpg');
const POLICE = 'Federal War Crimes Unit (demo)';

/**
 * The survivor's whole journey in Chromium with JavaScript disabled (as in Tor Browser's "safest"
 * mode), in Arabic: report with a photo, keep the code, come back, read the advocate's message,
 * answer, withdraw consent for a partner — after which an export to that partner is refused with
 * the reason. Screenshots in English and Arabic go to test-results/.
 */
describe('safe reporting in a browser without JavaScript', () => {
  let browser: Browser;
  let server: RunningServer;
  let root: string;
  let code = '';

  before(async () => {
    ({ root, server } = await startDemoServer('report'));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const reporterPage = async () => offlinePage(browser, server.url, { width: 420 });

  it('a survivor reports in Arabic with a photo and gets a receipt code', async () => {
    const { context, page, external, problems } = await reporterPage();
    await page.goto(`${server.url}/report`);
    await page.click('a[hreflang="ar"]');
    assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
    await page.click('a[href="/report/ar/new"]');
    await page.fill('#account', 'قصفوا السوق في الصباح. أخذوا أخي.');
    await page.fill('#where', 'زيلينيفكا');
    await page.check('input[name="consent"][value="investigation"]');
    const police = page.locator('label', { hasText: POLICE }).locator('input[name="consent"]');
    await police.check();
    await page.setInputFiles('#files', JPEG);
    await page.screenshot({ path: join(SHOTS, 'report-form-ar.png'), fullPage: true });
    await page.click('button[type=submit]');
    code = ((await page.locator('#receipt-code').textContent()) ?? '').trim();
    assert.match(code, /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
    await page.screenshot({ path: join(SHOTS, 'report-receipt-ar.png'), fullPage: true });
    assert.deepEqual(await context.cookies(), [], 'the portal leaves no cookie');
    assert.deepEqual(external, []);
    assert.deepEqual(problems, []);
    await context.close();
  });

  let advocate: Page;
  it('the advocate reads it, answers, and makes the reporter a witness of the case', async () => {
    ({ page: advocate } = await offlinePage(browser, server.url));
    await signInFirstTime(advocate, server.url, 'demo-advocate');
    await advocate.goto(`${server.url}/reports`);
    await advocate.click('table a');
    assert.match((await advocate.textContent('main')) ?? '', /قصفوا السوق/);
    assert.match((await advocate.textContent('main')) ?? '', /GPS/);
    await advocate.selectOption('#kind', 'advocate');
    await advocate.fill('#text', 'شكراً لك. قرأنا تقريرك وسنتواصل معك هنا.');
    await advocate.click('form[action$="/post"] button');
    await advocate.click('form[action$="/link"] button');
    await advocate.click('form[action$="/witness"] button');
    assert.match(
      (await advocate.textContent('main')) ?? '',
      /The reporter is now a witness; 2 items were filed in the case/,
    );
    await advocate.screenshot({ path: join(SHOTS, 'report-triage-en.png'), fullPage: true });
  });

  it('the survivor comes back with the code, reads the message, replies and withdraws consent for the partner', async () => {
    const { context, page, external } = await reporterPage();
    await page.goto(`${server.url}/report/ar/return`);
    await page.fill('#code', code.toLowerCase());
    await page.click('button[type=submit]');
    const text = (await page.textContent('main')) ?? '';
    assert.match(text, /شكراً لك. قرأنا تقريرك/);
    await page.fill('#message', 'كان هناك ستة آخرون.');
    await page.click('form[action="/report/ar/reply"] button');
    assert.match((await page.textContent('main')) ?? '', /كان هناك ستة آخرون/);
    const row = page.locator('tr', { hasText: POLICE });
    await row.locator('button').click();
    assert.match((await page.textContent('.notice')) ?? '', /.+/);
    assert.match((await page.locator('tr', { hasText: POLICE }).textContent()) ?? '', /غير مسموح/);
    await page.screenshot({ path: join(SHOTS, 'report-status-ar.png'), fullPage: true });
    // The same report in English: the language is the reader's choice.
    await page.goto(`${server.url}/report/en/return`);
    await page.fill('#code', code);
    await page.click('button[type=submit]');
    assert.match((await page.textContent('main')) ?? '', /Your advocate/);
    await page.screenshot({ path: join(SHOTS, 'report-status-en.png'), fullPage: true });
    await page.goto(`${server.url}/report/en/new`);
    await page.screenshot({ path: join(SHOTS, 'report-form-en.png'), fullPage: true });
    assert.deepEqual(await context.cookies(), []);
    assert.deepEqual(external, []);
    await context.close();
  });

  it('an export to that partner is then refused, saying which consent is missing', async () => {
    const { page } = await offlinePage(browser, server.url);
    await signInFirstTime(page, server.url, 'demo-legal');
    const [demoCase] = await server.node.cases.list({ operator: true });
    await page.goto(`${server.url}/cases/${demoCase!.id}/export`);
    await page.fill('#e-recipient', 'Federal prosecutor');
    await page.selectOption('#e-recipient-org', { label: POLICE });
    await page.fill('#e-purpose', 'Trial');
    await page.click('#export-form button[type=submit]');
    const refusal = (await page.textContent('main')) ?? '';
    assert.match(refusal, /W-0002/);
    assert.match(refusal, /consent|sharing/i);
    await page.screenshot({ path: join(SHOTS, 'report-export-refused-en.png'), fullPage: true });
  });
});
