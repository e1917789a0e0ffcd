import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = '/usr/bin/chromium';

// A file from each package that proves it is installed. fonts-noto-core carries Noto Naskh/Sans Arabic,
// without which Arabic pages render as boxes in screenshots.
const CHROMIUM_PACKAGES: ReadonlyArray<{ name: string; marker: string }> = [
  { name: 'chromium', marker: CHROMIUM_PATH },
  { name: 'fonts-noto-core', marker: '/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf' },
];

// Debian's Chromium is the only browser we may use: a browser downloaded any other way (Playwright's own
// builds, Puppeteer's) cannot be fetched on our machines.
export async function ensureChromium(): Promise<string> {
  const missing = CHROMIUM_PACKAGES.filter((p) => !existsSync(p.marker)).map((p) => p.name);
  if (missing.length > 0) {
    await aptInstall(missing, 'for browser tests');
  }
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is still missing after installing Debian's chromium`);
  }
  return CHROMIUM_PATH;
}

// Installs Debian packages as root. Output is kept back unless apt fails, so that a normal run stays short.
export async function aptInstall(packages: readonly string[], why: string): Promise<void> {
  console.log(
    `Installing Debian package(s) ${packages.join(', ')} ${why} (apt-get; this can take a minute)...`,
  );
  if (process.getuid?.() !== 0) {
    throw new Error(`Cannot install ${packages.join(', ')}: not root. Install them with apt-get and retry.`);
  }
  // Another apt run (e.g. a second harness) may hold the dpkg lock; wait for it instead of failing.
  const common = ['-q', '-o', 'DPkg::Lock::Timeout=300'];
  await runCaptured('apt-get', [...common, 'update']);
  await runCaptured('apt-get', [...common, 'install', '-y', '--no-install-recommends', ...packages]);
}

function runCaptured(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      // Only the tail matters for a failure message; don't let a long install grow memory without bound.
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolve();
        return;
      }
      const tail = output.trimEnd().split('\n').slice(-30).join('\n');
      reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail}`));
    });
  });
}
