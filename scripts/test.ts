// The whole suite, as `npm test` and CI run it: typecheck, lint, then every test file against a throwaway
// PostgreSQL and Debian's Chromium. Arguments are forwarded: plain ones filter test files by path
// (`npm test -- packages/core`), ones starting with '-' go to `node --test` (`--test-name-pattern=custody`).
import { type ChildProcess, spawn } from 'node:child_process';
import { globSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { ensureChromium } from './ensure-chromium.ts';
import { startThrowawayPostgres, type ThrowawayPostgres } from './postgres.ts';

const ROOT = resolve(import.meta.dirname, '..');
const TEST_GLOBS = ['packages/*/src/**/*.test.ts', 'bench/**/*.test.ts'];

// Bins like tsc start with `#!/usr/bin/env node`; put this Node (the pinned 24) first on PATH so they don't
// pick up the system's older one.
const BASE_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: [dirname(process.execPath), join(ROOT, 'node_modules', '.bin'), process.env.PATH ?? ''].join(
    delimiter,
  ),
};

class StepFailed extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

let current: ChildProcess | undefined;
let interrupted: NodeJS.Signals | undefined;
let database: ThrowawayPostgres | undefined;

function onSignal(signal: NodeJS.Signals): void {
  if (interrupted) {
    console.error(`\nSecond ${signal}: exiting without waiting for cleanup.`);
    process.exit(exitCodeFor(signal));
  }
  interrupted = signal;
  console.error(`\n${signal}: stopping...`);
  // A terminal's Ctrl-C already reached the child (same process group); a SIGTERM sent to us alone did not.
  current?.kill(signal);
}

function exitCodeFor(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 1);
}

function throwIfInterrupted(): void {
  if (interrupted) {
    throw new StepFailed(`interrupted by ${interrupted}`, exitCodeFor(interrupted));
  }
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = BASE_ENV): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: 'inherit' });
    current = child;
    child.once('error', (error) => {
      current = undefined;
      reject(error);
    });
    child.once('exit', (code, signal) => {
      current = undefined;
      resolvePromise(code ?? (signal ? exitCodeFor(signal) : 1));
    });
  });
}

async function step<T>(title: string, action: () => Promise<T>): Promise<T> {
  console.log(`\n==> ${title}`);
  const started = performance.now();
  try {
    return await action();
  } finally {
    console.log(`<== ${title} (${((performance.now() - started) / 1000).toFixed(1)}s)`);
  }
}

async function mustPass(command: string, args: readonly string[]): Promise<void> {
  const code = await run(command, args);
  if (code !== 0) {
    throw new StepFailed(`${relative(ROOT, command) || command} exited with code ${code}`, code);
  }
}

function testFiles(filters: readonly string[]): string[] {
  const all = globSync(TEST_GLOBS, { cwd: ROOT, exclude: (name) => name === 'node_modules' }).sort();
  if (filters.length === 0) {
    return all;
  }
  // Accept filters written as ./packages/core or as absolute paths too.
  const wanted = filters.map((f) => relative(ROOT, resolve(ROOT, f)) || f);
  return all.filter((file) => wanted.some((w) => file.includes(w)));
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const nodeTestOptions = args.filter((a) => a.startsWith('-'));
  const filters = args.filter((a) => !a.startsWith('-'));

  // Resolve the file list first: a filter that matches nothing should fail before minutes of setup.
  const files = testFiles(filters);
  if (files.length === 0) {
    const what = filters.length > 0 ? `matching ${filters.join(', ')}` : `for ${TEST_GLOBS.join(', ')}`;
    throw new StepFailed(`no test files ${what}`, 1);
  }

  await step('typecheck (tsc --noEmit -p tsconfig.json)', () =>
    mustPass(join(ROOT, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', 'tsconfig.json']),
  );
  throwIfInterrupted();
  await step('lint (biome check .)', () =>
    mustPass(join(ROOT, 'node_modules', '.bin', 'biome'), ['check', '.']),
  );
  throwIfInterrupted();
  const chromium = await step('ensure Chromium', async () => {
    const path = await ensureChromium();
    console.log(`Chromium: ${path}`);
    return path;
  });
  throwIfInterrupted();
  try {
    await step('start throwaway PostgreSQL', async () => {
      database = await startThrowawayPostgres();
      console.log(`PostgreSQL: ${database.url}`);
    });
    throwIfInterrupted();
    return await step(`run ${files.length} test file(s)`, () =>
      run(
        process.execPath,
        ['--test', '--test-concurrency=1', '--test-reporter=spec', ...nodeTestOptions, ...files],
        { ...BASE_ENV, ACCORD_TEST_DATABASE_URL: database!.url, ACCORD_CHROMIUM: chromium },
      ),
    );
  } finally {
    // The signal may arrive while PostgreSQL is still starting; by now start() has returned or thrown.
    if (database) {
      const db = database;
      await step('stop PostgreSQL', () => db.stop()).catch((error: unknown) => {
        console.error(`could not stop PostgreSQL cleanly: ${String(error)}`);
      });
    }
  }
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const started = performance.now();
let exitCode: number;
try {
  exitCode = await main();
} catch (error) {
  if (error instanceof StepFailed) {
    console.error(`\nFAILED: ${error.message}`);
    exitCode = error.exitCode;
  } else {
    console.error('\nFAILED:', error);
    exitCode = 1;
  }
}
if (interrupted) {
  exitCode = exitCodeFor(interrupted);
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`\nnpm test: ${exitCode === 0 ? 'passed' : `failed (exit ${exitCode})`} in ${seconds}s`);
process.exit(exitCode);
