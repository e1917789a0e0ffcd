// Benchmarks for targets named in issues. Run with `npm run bench`; results go to BENCHMARKS.md by hand,
// with the machine facts this prints.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { runCustodyBenchmarks } from './custody.ts';

const ROOT = resolve(import.meta.dirname, '..');
const ACCORD = join(ROOT, 'packages', 'cli', 'bin', 'accord.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 10);

const run = (args: string[]): Promise<void> =>
  new Promise((ok, fail) => {
    const child = spawn(process.execPath, [ACCORD, ...args], { stdio: 'ignore' });
    child.once('exit', (code) =>
      code === 0 ? ok() : fail(new Error(`accord ${args.join(' ')} exited ${code}`)),
    );
  });

/** Spawns `accord serve` and polls /healthz until it answers: the time a user waits for a node. */
const startupOnce = async (dataDir: string, launcher: readonly string[]): Promise<number> => {
  const started = performance.now();
  const [command, ...prefix] = launcher;
  const child = spawn(command!, [...prefix, 'serve', '--data', dataDir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, ACCORD_LOG_LEVEL: 'silent' },
    // Its own process group, so that SIGTERM reaches the server behind any launcher (npx).
    detached: true,
  });
  let out = '';
  const url = await new Promise<string>((ok, fail) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /open (http:\/\/\S+?)\/\n/.exec(out);
      if (m) ok(m[1]!);
    });
    child.once('exit', (code) => fail(new Error(`serve exited ${code} before listening`)));
  });
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not yet listening on every path; try again
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = performance.now() - started;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
  return ms;
};

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { min: sorted[0]!, median: pick(0.5), p90: pick(0.9), max: sorted.at(-1)! };
};

const main = async () => {
  console.log(`date: ${new Date().toISOString()}`);
  console.log(`node: ${process.version}; cpus: ${cpus().length} × ${cpus()[0]?.model ?? '?'}`);
  console.log(
    `memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(freemem() / 2 ** 30).toFixed(1)} GiB free`,
  );
  // `npm run bench -- custody` runs only the evidence vault and custody log benchmarks.
  if (process.argv.includes('custody')) {
    await runCustodyBenchmarks();
    return;
  }
  const root = await mkdtemp(join(tmpdir(), 'accord-bench-'));
  try {
    const dataDir = join(root, 'data');
    await run(['init', '--data', dataDir]);
    const launchers: [string, string[]][] = [
      ['node accord.js serve', [process.execPath, ACCORD]],
      // What a user types: npm's launcher (which puts node_modules/.bin, and so the pinned Node, first on PATH).
      ['npx accord serve', ['npx', '--no-install', 'accord']],
    ];
    for (const [label, launcher] of launchers) {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) times.push(await startupOnce(dataDir, launcher));
      const s = stats(times);
      console.log(
        `startup, ${label} → first 200 from /healthz (embedded SQLite, ${RUNS} runs): ` +
          `min ${s.min.toFixed(0)} ms, median ${s.median.toFixed(0)} ms, p90 ${s.p90.toFixed(0)} ms, max ${s.max.toFixed(0)} ms ` +
          `(target < 2000 ms: ${s.max < 2000 ? 'PASS' : 'FAIL'})`,
      );
      if (s.max >= 2000) process.exitCode = 1;
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  // `npm run bench -- startup` stops here.
  if (!process.argv.includes('startup')) await runCustodyBenchmarks();
};

await main();
