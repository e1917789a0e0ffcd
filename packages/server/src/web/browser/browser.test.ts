import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { base32Decode, totp } from '@accord/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../node/demo.ts';
import type { RunningServer } from '../../server.ts';
import { launchChromium, SHOTS, startDemoServer } from '../../testing/browser.ts';

/**
 * Real pages in a real headless Chromium (Debian's), against a real server on loopback.
 * Every request that leaves the node is recorded and aborted: there must be none.
 */

describe('web pages in Chromium', () => {
  let root: string;
  let server: RunningServer;
  let browser: Browser;
  const external: string[] = [];

  before(async () => {
    ({ root, server } = await startDemoServer('pages'));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const newContext = async (locale = 'en-GB'): Promise<BrowserContext> => {
    const context = await browser.newContext({ locale, viewport: { width: 1200, height: 800 } });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(server.url) || url.startsWith('data:')) return route.continue();
      external.push(url);
      return route.abort();
    });
    return context;
  };

  const codeNow = (secret: string, offsetMs = 0) => totp(base32Decode(secret), Date.now() + offsetMs);

  const signInWithPassword = async (page: Page, username: string, password: string) => {
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('button[type=submit]');
  };

  it('a page without a session redirects to sign-in', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/profile`);
    assert.equal(new URL(page.url()).pathname, '/sign-in');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/profile');
    assert.equal(await page.locator('h1').textContent(), 'Sign in');
    await context.close();
  });

  it('a wrong password shows a clear message', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await signInWithPassword(page, 'demo-observer', 'not-the-password');
    const alert = page.locator('[role=alert]');
    assert.equal((await alert.textContent())?.trim(), 'The username or password is not correct.');
    assert.equal(new URL(page.url()).pathname, '/sign-in');
    await context.close();
  });

  it('first sign-in enrols TOTP from the QR page, then reaches home; Arabic is right-to-left', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await signInWithPassword(page, 'demo-investigator', DEMO_PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/enrol');
    assert.equal(
      await page.locator('.qr svg').count(),
      1,
      'the QR code is rendered by the node as inline SVG',
    );
    const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await page.fill('#code', codeNow(secret));
    await page.click('form[action="/enrol"] button[type=submit]');
    assert.equal(new URL(page.url()).pathname, '/');
    assert.match((await page.locator('main').textContent()) ?? '', /Welcome, Olena Kovalenko\./);
    assert.equal(await page.locator('html').getAttribute('dir'), 'ltr');
    await page.screenshot({ path: join(SHOTS, 'home-en.png'), fullPage: true });

    await page.goto(`${server.url}/profile`);
    await page.selectOption('#locale', 'ar');
    await page.click('form[action="/profile/language"] button[type=submit]');
    await page.goto(`${server.url}/`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'ar');
    assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
    assert.match((await page.locator('main h1').textContent()) ?? '', /\p{Script=Arabic}/u);
    // Mirrored layout: the brand sits at the right edge, the navigation flows right to left.
    const brand = await page.locator('.brand').boundingBox();
    assert.ok(brand && brand.x > 600, `brand should be on the right in RTL, x=${brand?.x}`);
    await page.screenshot({ path: join(SHOTS, 'home-ar.png'), fullPage: true });
    await context.close();
  });

  it('an enrolled user signs in with password and a TOTP code', async () => {
    // Enrol demo-analyst through the service with the previous step's code, so that the current
    // step's code is still unused for the browser (a code works once).
    const accounts = server.node.accounts;
    const grant = await accounts.signIn('demo-analyst', DEMO_PASSWORD);
    const { secret } = await accounts.beginEnrolment(grant.token);
    await accounts.confirmEnrolment(grant.token, codeNow(secret, -30_000));

    const context = await newContext('fr-FR');
    const page = await context.newPage();
    await signInWithPassword(page, 'demo-analyst', DEMO_PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/sign-in/totp');
    assert.equal(await page.locator('html').getAttribute('lang'), 'fr', 'Accept-Language picks French');
    await page.fill('#code', codeNow(secret));
    await page.click('form[action="/sign-in/totp"] button[type=submit]');
    assert.equal(new URL(page.url()).pathname, '/');
    assert.match((await page.locator('main').textContent()) ?? '', /Jonas Weber/);
    await context.close();
  });

  it('loaded nothing from outside the node', () => {
    assert.deepEqual(external, []);
  });
});
