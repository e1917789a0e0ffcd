#!/usr/bin/env node
// The `accord` command. Accord needs Node.js 24 or newer (TypeScript type stripping, node:sqlite).
// When started by an older Node, it re-runs itself with the Node pinned in the project's
// node_modules, so `npx accord` works even where the system Node is older.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const major = Number(process.versions.node.split('.')[0]);

if (major < 24) {
  const candidates = [
    join(here, '..', '..', '..', 'node_modules', 'node', 'bin', 'node'),
    join(here, '..', 'node_modules', 'node', 'bin', 'node'),
  ];
  const pinned = candidates.find((p) => existsSync(p));
  if (!pinned) {
    process.stderr.write(
      `accord: Node.js 24 or newer is required (this is ${process.version}); run "npm ci" in the Accord folder first\n`,
    );
    process.exit(1);
  }
  const child = spawn(pinned, [join(here, 'accord.js'), ...process.argv.slice(2)], { stdio: 'inherit' });
  // Pass on the signals a service manager sends to this process alone, so that `accord serve` still
  // stops cleanly. SIGINT is only absorbed: Ctrl+C already reaches the child (same process group), and
  // a second one would make it stop without finishing requests.
  const forward = (signal) => child.kill(signal);
  const absorb = () => {};
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  process.on('SIGINT', absorb);
  child.once('error', (e) => {
    process.stderr.write(`accord: cannot start ${pinned}: ${e.message}\n`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => {
    if (signal) {
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
      process.off('SIGINT', absorb);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
} else {
  await import('../src/main.ts');
}
