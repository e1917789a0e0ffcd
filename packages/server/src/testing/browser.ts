// Test helpers for the browser tests: Debian's Chromium through playwright-core (never a
// downloaded browser), and a real server on a fresh data folder with the demo accounts.
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { initDataFolder } from '../node/data-folder.ts';
import { seedDemo } from '../node/demo.ts';
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
  await seedDemo(server.node.accounts);
  return { root, server };
};
