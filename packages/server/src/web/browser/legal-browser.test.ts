import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { legalFixtureFiles } from '../../http/legal-fixture.ts';
import type { RunningServer } from '../../server.ts';
import {
  launchChromium,
  offlinePage,
  SHOTS,
  signInFirstTime,
  startDemoServer,
} from '../../testing/browser.ts';

/**
 * The legal catalogue pages in a real headless Chromium with JavaScript switched off, against a
 * real server whose data folder adds the fixture catalogue (under names of its own, next to the
 * built-in catalogue). Every request that leaves the node is recorded and aborted: there must be none.
 */
const PREFIX = 'zzfix';
const CODES = ['XA', 'XB', 'XC'] as const;

describe('legal pages in Chromium', () => {
  let root: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let external: string[] = [];
  let problems: string[] = [];

  before(async () => {
    ({ root, server } = await startDemoServer('legal', async (dataDir) => {
      for (const file of legalFixtureFiles(PREFIX, [...CODES])) {
        const path = join(dataDir, 'legal', file.name);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, file.text);
      }
    }));
    browser = await launchChromium();
    ({ page, external, problems } = await offlinePage(browser, server.url));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('signs in without JavaScript and opens the catalogue from the navigation', async () => {
    await signInFirstTime(page, server.url, 'demo-observer');
    assert.equal(new URL(page.url()).pathname, '/');
    await page.click('nav a[href="/legal"]');
    assert.equal(new URL(page.url()).pathname, '/legal');
    assert.equal(await page.locator('script').count(), 0);
  });

  it('a crime unfolds with a click on its summary, no script needed', async () => {
    const crime = page.locator(`#crime-${PREFIX}-6a`);
    const element = crime.locator('.element-text').first();
    assert.equal(await element.isVisible(), false, 'folded at first');
    await crime.locator('summary').click();
    assert.equal(await element.isVisible(), true);
    assert.equal(await element.textContent(), 'The perpetrator killed one or more persons.');
    await page.screenshot({ path: join(SHOTS, 'legal-catalogue.png'), fullPage: true });
    // On paper every crime is unfolded (print CSS), without the navigation.
    const folded = page.locator(`#crime-${PREFIX}-7-1-a .element-text`).first();
    assert.equal(await folded.isVisible(), false);
    await page.emulateMedia({ media: 'print' });
    assert.equal(await folded.isVisible(), true, 'folded crimes print unfolded');
    assert.equal(await page.locator('header.top').isVisible(), false);
    await page.emulateMedia({ media: 'screen' });
  });

  it('the comparison highlights gaps and partial coverage, and prints without the navigation', async () => {
    await page.goto(`${server.url}/legal/compare/${PREFIX}-6a`);
    const cell = (element: number, code: string) =>
      page.locator(`tr[id="element-${PREFIX}-6a.${element}"] td[data-jurisdiction="${code}"]`);
    const background = (l: ReturnType<typeof cell>) =>
      l.evaluate((td: HTMLElement) => getComputedStyle(td).backgroundColor);
    const covered = await background(cell(1, 'XB'));
    const partial = await background(cell(3, 'XB'));
    const gap = await background(cell(4, 'XB'));
    assert.equal(new Set([covered, partial, gap]).size, 3, `${covered} ${partial} ${gap}`);
    assert.equal((await cell(4, 'XB').textContent())?.trim(), 'GapNo national offence covers this element.');
    assert.match((await cell(3, 'XB').textContent()) ?? '', /a concerted plan is required/);
    await page.screenshot({ path: join(SHOTS, 'legal-compare.png'), fullPage: true });

    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('header.top').isVisible(), false, 'no navigation on paper');
    assert.equal(await page.locator('table.compare').isVisible(), true);
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    assert.ok(pdf.length > 1000 && Buffer.from(pdf.subarray(0, 5)).toString() === '%PDF-');
    await page.emulateMedia({ media: 'screen' });
  });

  it('a national profile in Arabic: right-to-left frame, legal texts as written', async () => {
    await page.goto(`${server.url}/profile`);
    await page.selectOption('#locale', 'ar');
    await page.click('form[action="/profile/language"] button[type=submit]');
    await page.goto(`${server.url}/legal/jurisdictions/${CODES[1]}`);
    assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
    assert.match((await page.locator('main h2').first().textContent()) ?? '', /\p{Script=Arabic}/u);
    const requirement = page.locator('#rule-sworn-translation span[dir=auto]');
    assert.equal(
      await requirement.textContent(),
      'Documents in another language come with a sworn translation.',
    );
    assert.equal(
      await requirement.evaluate((s: HTMLElement) => getComputedStyle(s).direction),
      'ltr',
      'English text keeps its own direction inside the Arabic page',
    );
    await page.screenshot({ path: join(SHOTS, 'legal-profile-ar.png'), fullPage: true });
  });

  it('loaded nothing from outside the node, and nothing failed in the page', () => {
    assert.deepEqual(external, []);
    assert.deepEqual(problems, []);
  });
});
