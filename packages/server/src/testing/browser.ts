// Test helpers for the browser tests: Debian's Chromium through playwright-core (never a
// downloaded browser), and a real server on a fresh data folder with the demo accounts.
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base32Decode, totp } from '@accord/core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { initDataFolder } from '../node/data-folder.ts';
import { DEMO_PASSWORD, seedDemo } from '../node/demo.ts';
import { type RunningServer, startServer } from '../server.ts';

export const CHROMIUM = process.env.ACCORD_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots go here (created on demand). */
export const SHOTS = join(process.cwd(), 'test-results');

/** Headless Chromium with nothing of its own talking to the network. */
export const launchChromium = async (): Promise<Browser> => {
  await mkdir(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
};

/**
 * A server on a new data folder in a temporary `root`, with the demo accounts. `prepare` runs on
 * the initialised folder before the server starts (e.g. to add catalogue files).
 */
export const startDemoServer = async (
  name: string,
  prepare?: (dataDir: string) => Promise<void>,
): Promise<{ root: string; server: RunningServer }> => {
  const root = await mkdtemp(join(tmpdir(), `accord-browser-${name}-`));
  const dataDir = join(root, 'data');
  await initDataFolder(dataDir);
  await prepare?.(dataDir);
  const server = await startServer({
    dataDir,
    databaseUrl: undefined,
    host: '127.0.0.1',
    port: 0,
    secureCookies: false,
    logLevel: 'silent',
    bodyLimitBytes: 65536,
  });
  await seedDemo(server.node);
  return { root, server };
};

/**
 * A page with JavaScript off (unless asked) that may only reach the node: every other request is
 * aborted and recorded in `external`; console errors and page errors go to `problems`.
 */
export const offlinePage = async (
  browser: Browser,
  serverUrl: string,
  options: { width?: number; javaScript?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page; external: string[]; problems: string[] }> => {
  const external: string[] = [];
  const problems: string[] = [];
  const context = await browser.newContext({
    locale: 'en-GB',
    viewport: { width: options.width ?? 1200, height: 900 },
    javaScriptEnabled: options.javaScript ?? false,
  });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(serverUrl) || url.startsWith('data:')) return route.continue();
    external.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { context, page, external, problems };
};

/** Signs a demo user in for the first time: password, then TOTP enrolment with the shown secret. */
export const signInFirstTime = async (page: Page, serverUrl: string, username: string): Promise<void> => {
  await page.goto(`${serverUrl}/sign-in`);
  await page.fill('#username', username);
  await page.fill('#password', DEMO_PASSWORD);
  await page.click('button[type=submit]');
  const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, '');
  await page.fill('#code', totp(base32Decode(secret), Date.now()));
  await page.click('form[action="/enrol"] button[type=submit]');
};
