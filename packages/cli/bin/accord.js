#!/usr/bin/env node
// The `accord` command. Accord needs Node.js 24 or newer (TypeScript type stripping, node:sqlite).
// When started by an older Node, it re-runs itself with the Node pinned in the project's
// node_modules, so `npx accord` works even where the system Node is older.
import { spawnSync } from 'node:child_process';
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
  const result = spawnSync(pinned, [join(here, 'accord.js'), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (result.signal) process.kill(process.pid, result.signal);
  process.exit(result.status ?? 1);
} else {
  await import('../src/main.ts');
}
