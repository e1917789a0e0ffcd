// Benchmarks for issue 3 (evidence vault and custody log). Run by `npm run bench` after start-up;
// `npm run bench -- custody` runs only these. Prints one line per target with PASS or FAIL.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  auditNode,
  CustodyLog,
  hashLeafSync,
  type ItemId,
  type NewItem,
  newId,
  registration,
  type Sha256Hex,
  TileTree,
} from '@accord/core';
import * as custody from '@accord/custody';
import { appendLeafHashes, KyselyEvidenceRepo, migrateToLatest, openDatabase } from '@accord/store';

const ROOT = resolve(import.meta.dirname, '..');
const ACCORD = join(ROOT, 'packages', 'cli', 'bin', 'accord.js');
const MB = 1_000_000;

const report = (line: string, pass: boolean): void => {
  console.log(`${line} (${pass ? 'PASS' : 'FAIL'})`);
  if (!pass) process.exitCode = 1;
};

const exec = (command: string, args: string[], onPid?: (pid: number) => void): Promise<string> =>
  new Promise((ok, fail) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ACCORD_LOG_LEVEL: 'silent' },
    });
    if (child.pid) onPid?.(child.pid);
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.once('exit', (code) =>
      code === 0 ? ok(out) : fail(new Error(`${command} ${args[0]} exited ${code}: ${err}`)),
    );
  });

/** Writes `count` files of `size` bytes of random-looking content, each different. */
const writeFiles = async (dir: string, count: number, size: number, tag: string): Promise<void> => {
  await mkdir(dir, { recursive: true });
  const block = randomBytes(Math.min(size, 4 * 2 ** 20));
  for (let i = 0; i < count; i += 1) {
    const handle = await open(join(dir, `${tag}-${i}.bin`), 'w');
    let written = 0;
    while (written < size) {
      const n = Math.min(block.byteLength, size - written);
      block.writeUInt32BE(i, 0);
      block.writeUInt32BE(written >>> 0, 4);
      await handle.write(block, 0, n);
      written += n;
    }
    await handle.close();
  }
};

const newNode = async (root: string): Promise<{ data: string; caseId: string }> => {
  const data = join(root, 'node');
  await exec(process.execPath, [ACCORD, 'init', '--data', data]);
  await exec(process.execPath, [
    ACCORD,
    'org',
    'add',
    '--data',
    data,
    '--name',
    'Bench',
    '--country',
    'UA',
    '--kind',
    'ngo',
  ]);
  const out = await exec(process.execPath, [ACCORD, 'case', 'create', '--data', data, '--title', 'Bench']);
  return { data, caseId: out.trim().split('\n').at(-1) ?? '' };
};

/** ≥ 1 GB of mixed sizes: accord evidence add vs openssl dgst -sha256 on the same files. */
const ingestThroughput = async (root: string): Promise<void> => {
  const files = join(root, 'mixed');
  const mix: [number, number][] = [
    [1, 400 * MB],
    [4, 100 * MB],
    [40, 5 * MB],
    [400, 250_000],
    [2000, 10_000],
  ];
  for (const [count, size] of mix) await writeFiles(files, count, size, `s${size}`);
  const total = mix.reduce((n, [c, s]) => n + c * s, 0);
  const names = mix.flatMap(([count, size]) =>
    Array.from({ length: count }, (_, i) => join(files, `s${size}-${i}.bin`)),
  );
  await exec('openssl', ['dgst', '-sha256', ...names]); // warm the page cache for both
  let t = performance.now();
  await exec('openssl', ['dgst', '-sha256', ...names]);
  const opensslS = (performance.now() - t) / 1000;
  const { data, caseId } = await newNode(root);
  t = performance.now();
  await exec(process.execPath, [ACCORD, 'evidence', 'add', files, '--data', data, '--case', caseId]);
  const accordS = (performance.now() - t) / 1000;
  // The ceiling for any store that makes bytes durable: copying the same files with an fsync each.
  t = performance.now();
  const copies = join(root, 'copies');
  await mkdir(copies);
  for (const [i, name] of names.entries()) {
    const target = join(copies, String(i));
    await copyFile(name, target);
    const handle = await open(target, 'r');
    await handle.sync();
    await handle.close();
  }
  const copyS = (performance.now() - t) / 1000;
  await rm(copies, { recursive: true, force: true });
  const ratio = opensslS / accordS;
  report(
    `ingest ${(total / MB).toFixed(0)} MB in ${names.length} files (hash + encrypt + store + events, whole CLI run): ` +
      `${(total / MB / accordS).toFixed(0)} MB/s; openssl dgst -sha256 on the same files: ${(total / MB / opensslS).toFixed(0)} MB/s; ratio ${ratio.toFixed(2)} (target ≥ 0.5); ` +
      `for scale, copying the same files with an fsync each: ${(total / MB / copyS).toFixed(0)} MB/s`,
    ratio >= 0.5,
  );
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
};

/** Runs an accord command and samples its peak resident set (VmHWM) while it runs. */
const peakOf = async (args: string[]): Promise<{ seconds: number; peakMiB: number }> => {
  let peakKb = 0;
  let pid = 0;
  const timer = setInterval(async () => {
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const m = /VmHWM:\s+(\d+) kB/.exec(status);
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // the process has exited
    }
  }, 20);
  const t = performance.now();
  await exec(process.execPath, [ACCORD, ...args], (p) => {
    pid = p;
  });
  clearInterval(timer);
  return { seconds: (performance.now() - t) / 1000, peakMiB: peakKb / 1024 };
};

/** Peak RSS of `accord evidence add` on one 4 GB file, then of exporting and verifying it. */
const peakRss = async (root: string): Promise<void> => {
  const size = 4 * 2 ** 30;
  await writeFiles(join(root, 'big'), 1, size, 'big');
  const { data, caseId } = await newNode(root);
  const ingest = await peakOf(['evidence', 'add', join(root, 'big'), '--data', data, '--case', caseId]);
  report(
    `ingest of one 4 GiB file: ${ingest.seconds.toFixed(1)} s (${(size / MB / ingest.seconds).toFixed(0)} MB/s), peak RSS ${ingest.peakMiB.toFixed(0)} MiB (target < 300 MB)`,
    ingest.peakMiB * 1.048576 < 300,
  );
  await rm(join(root, 'big'), { recursive: true, force: true });
  const bundle = join(root, 'big.accord.tar');
  const exported = await peakOf([
    'export',
    '--data',
    data,
    '--case',
    caseId,
    '--recipient',
    'Benchmark',
    '--purpose',
    'memory',
    '--out',
    bundle,
  ]);
  const verified = await peakOf(['verify-bundle', bundle]);
  report(
    `export of the 4 GiB item: ${exported.seconds.toFixed(1)} s, peak RSS ${exported.peakMiB.toFixed(0)} MiB; verify-bundle of it: ${verified.seconds.toFixed(1)} s, peak RSS ${verified.peakMiB.toFixed(0)} MiB (memory stays bounded: < 300 MB)`,
    exported.peakMiB * 1.048576 < 300 && verified.peakMiB * 1.048576 < 300,
  );
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
};

const openBenchLog = async (root: string) => {
  const dir = await mkdtemp(join(root, 'log-'));
  const database = await openDatabase({ kind: 'sqlite', path: join(dir, 'log.db') });
  await migrateToLatest(database.db, 'sqlite');
  const orgId = newId();
  const caseId = newId();
  const now = new Date().toISOString();
  await database.db
    .insertInto('organisations')
    .values({ id: orgId, name: 'o', country: 'UA', kind: 'ngo', created_at: now })
    .execute();
  await database.db
    .insertInto('cases')
    .values({ id: caseId, title: 'c', lead_org_id: orgId, created_by: null, created_at: now })
    .execute();
  const { skey, vkey } = await custody.generateKeyPair('bench.example/log');
  const repo = new KyselyEvidenceRepo(database.db);
  const log = new CustodyLog({
    repo,
    signer: await custody.parseSignerKey(skey),
    verifier: await custody.parseVerifierKey(vkey),
    origin: 'bench.example/log',
    clock: { now: () => new Date() },
  });
  return { database, repo, log, caseId, vkey, orgId };
};

/** Sustained appends on the embedded database, checkpoints signed every second. */
const appendRate = async (root: string): Promise<void> => {
  const { database, repo, log, caseId, vkey, orgId } = await openBenchLog(root);
  const items: ItemId[] = [];
  for (let i = 0; i < 1000; i += 1) {
    const item: NewItem = {
      id: newId<ItemId>(),
      caseId: caseId as never,
      sha256: randomBytes(32).toString('hex') as Sha256Hex,
      size: 1,
      mediaType: 'application/octet-stream',
      title: `item ${i}`,
      description: '',
      kind: 'original',
      derivedFrom: null,
      metadata: {},
      problems: [],
      capturedAt: null,
      latitude: null,
      longitude: null,
      sensitive: false,
      holderOrgId: null,
      holderUserId: null,
      createdAt: new Date().toISOString(),
      createdBy: null,
    };
    items.push(item.id);
    await log.submit([
      {
        item: { ensure: item },
        events: [
          {
            id: newId(),
            action: 'registered',
            at: item.createdAt,
            actor: { user: null, org: null, via: 'cli' },
            ...registration(item),
          },
        ],
      },
    ]);
  }
  const total = 200_000;
  const t = performance.now();
  let done = 0;
  // Requests arrive concurrently (a window of 4,096 in flight), each one event, as from many users.
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; i < total; i += 1) {
    const p = log
      .submit([
        {
          item: { id: items[i % items.length] as ItemId },
          events: [
            {
              id: newId(),
              action: 'viewed',
              at: new Date().toISOString(),
              actor: { user: orgId, org: orgId, via: 'web' },
            },
          ],
        },
      ])
      .then(() => {
        done += 1;
        inFlight.delete(p);
      });
    inFlight.add(p);
    if (inFlight.size >= 4096) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await log.flush();
  const seconds = (performance.now() - t) / 1000;
  const checkpoints = (await repo.listCheckpoints()).length;
  report(
    `log append, embedded SQLite: ${done.toLocaleString('en')} events in ${seconds.toFixed(1)} s = ${Math.round(done / seconds).toLocaleString('en')} events/s, ${checkpoints} checkpoints signed (target ≥ 10,000/s)`,
    done / seconds >= 10_000,
  );
  const audit = await auditNode({
    repo,
    blobs: { verifyBlob: async () => ({ ok: true }), list: async function* () {} } as never,
    verifier: await custody.parseVerifierKey(vkey),
    origin: 'bench.example/log',
    skipBlobs: true,
  });
  const treeRate = audit.leaves / (audit.timings.treeMs / 1000);
  report(
    `accord verify, tree rebuilt from ${audit.leaves.toLocaleString('en')} stored events (read, leaf-hash, compare every tile and checkpoint): ${Math.round(treeRate).toLocaleString('en')} leaves/s; event checks (canonical JSON, chains) ${Math.round(audit.leaves / (audit.timings.eventsMs / 1000)).toLocaleString('en')} events/s; audit ${audit.ok ? 'clean' : 'FOUND PROBLEMS'} (target ≥ 500,000 leaves/s)`,
    treeRate >= 500_000 && audit.ok,
  );
  await log.close();
  await database.close();
};

/** Inclusion proofs in a 10,000,000-entry tree stored as tiles in the embedded database. */
const proofTime = async (root: string): Promise<void> => {
  const { database, repo, log } = await openBenchLog(root);
  const n = 10_000_000;
  const batch = 1 << 16;
  let size = 0;
  const t = performance.now();
  const leaf = Buffer.alloc(40);
  while (size < n) {
    const hashes: Uint8Array[] = [];
    for (let i = 0; i < Math.min(batch, n - size); i += 1) {
      leaf.writeUInt32BE(size + i, 0);
      hashes.push(hashLeafSync(leaf));
    }
    const grown = await database.db.transaction().execute((trx) => appendLeafHashes(trx, size, hashes));
    size = grown.size;
  }
  const buildS = (performance.now() - t) / 1000;
  const tree = new TileTree(repo, n);
  const treeRoot = await tree.root();
  const times: number[] = [];
  for (let k = 0; k < 2000; k += 1) {
    const index = Math.floor(Math.random() * n);
    const started = performance.now();
    const proof = await tree.inclusionProof(index);
    times.push(performance.now() - started);
    if (k < 50) {
      leaf.writeUInt32BE(index, 0);
      await custody.verifyInclusion(index, n, hashLeafSync(leaf), proof, treeRoot);
    }
  }
  // The very first proof also pays for compiling the code paths; it is reported on its own.
  const first = times[0] ?? 0;
  const warm = times.slice(1).sort((a, b) => a - b);
  const p50 = warm[Math.floor(warm.length / 2)] ?? 0;
  const p99 = warm[Math.floor(warm.length * 0.99)] ?? 0;
  const max = warm.at(-1) ?? 0;
  report(
    `inclusion proof in a 10,000,000-entry log (tiles in SQLite, built in ${buildS.toFixed(0)} s; 2,000 random leaves, tiles read from the database, not preloaded): ` +
      `first proof ${first.toFixed(1)} ms, then median ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms (target < 5 ms)`,
    p99 < 5,
  );
  await log.close();
  await database.close();
};

/** verify-bundle vs openssl dgst -sha256 over the same bundle file (issue 4). */
const verifyBundleThroughput = async (root: string): Promise<void> => {
  const files = join(root, 'bundle-files');
  await writeFiles(files, 4, 250 * MB, 'big');
  await writeFiles(files, 200, 500_000, 'mid');
  const { data, caseId } = await newNode(root);
  await exec(process.execPath, [ACCORD, 'evidence', 'add', files, '--data', data, '--case', caseId]);
  const bundle = join(root, 'bench.accord.tar');
  await exec(process.execPath, [
    ACCORD,
    'export',
    '--data',
    data,
    '--case',
    caseId,
    '--recipient',
    'Benchmark',
    '--purpose',
    'throughput',
    '--out',
    bundle,
  ]);
  const vkey = (await exec(process.execPath, [ACCORD, 'log', 'vkey', '--data', data])).trim();
  const { size } = await import('node:fs/promises').then((fs) => fs.stat(bundle));
  await exec('openssl', ['dgst', '-sha256', bundle]); // warm the page cache for both
  let t = performance.now();
  await exec('openssl', ['dgst', '-sha256', bundle]);
  const opensslS = (performance.now() - t) / 1000;
  t = performance.now();
  await exec(process.execPath, [ACCORD, 'verify-bundle', bundle, '--vkey', vkey]);
  const verifyS = (performance.now() - t) / 1000;
  const ratio = opensslS / verifyS;
  report(
    `verify-bundle on a ${(size / MB).toFixed(0)} MB bundle (204 items, whole CLI run): ${(size / MB / verifyS).toFixed(0)} MB/s; ` +
      `openssl dgst -sha256 on the same file: ${(size / MB / opensslS).toFixed(0)} MB/s; ratio ${ratio.toFixed(2)} (target ≥ 0.5)`,
    ratio >= 0.5,
  );
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
};

export const runCustodyBenchmarks = async (): Promise<void> => {
  const root = await mkdtemp(join(tmpdir(), 'accord-bench-custody-'));
  try {
    const only = process.env.BENCH_ONLY;
    if (!only || only === 'ingest') await ingestThroughput(root);
    if (!only || only === 'rss') await peakRss(root);
    if (!only || only === 'append') await appendRate(root);
    if (!only || only === 'proof') await proofTime(root);
    if (!only || only === 'bundle') await verifyBundleThroughput(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
};
