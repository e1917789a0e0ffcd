import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { aptInstall } from './ensure-chromium.ts';

const execFileAsync = promisify(execFile);

const PG_ROOT = '/usr/lib/postgresql';
const DATABASE = 'accord_test';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

export type ThrowawayPostgres = { url: string; stop(): Promise<void> };

// A private PostgreSQL cluster in a temp dir, on a free loopback port, with durability turned off for speed.
// Nothing of it outlives stop(): the data dir, socket and log all live in the temp dir that stop() removes.
export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = await findOrInstallBinDir();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'accord-pg-'));
  let server: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  try {
    if (asRoot) {
      // initdb and postgres refuse to run as root, so the cluster belongs to the postgres user.
      const { uid, gid } = await postgresUser();
      chownSync(dir, uid, gid);
    }
    const locale = (await hasCUtf8Locale()) ? 'C.UTF-8' : 'C';
    const data = join(dir, 'data');
    await runAsPostgres(
      asRoot,
      join(bin, 'initdb'),
      ['-D', data, '-A', 'trust', '-U', 'postgres', '--encoding=UTF8', `--locale=${locale}`],
      dir,
    );

    const port = await freePort();
    const logPath = join(dir, 'postgres.log');
    const logFd = openSync(logPath, 'a');
    const [command, args] = postgresCommand(asRoot, join(bin, 'postgres'), [
      ...['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
      ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    ]);
    // Detached: a Ctrl-C in the terminal must not reach the server before the tests it serves have stopped;
    // the caller shuts it down with stop().
    server = spawn(command, args, { cwd: dir, stdio: ['ignore', logFd, logFd], detached: true });
    closeSync(logFd);
    const child = server;
    let exitedEarly = false;
    exited = new Promise((resolve) => {
      child.once('exit', () => {
        exitedEarly = true;
        resolve();
      });
      child.once('error', () => {
        exitedEarly = true;
        resolve();
      });
    });
    await waitUntilReady(bin, port, () => exitedEarly, logPath);
    await execFileAsync(
      join(bin, 'createdb'),
      ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', DATABASE],
      {
        env: clientEnv(),
      },
    );

    const url = `postgres://postgres@127.0.0.1:${port}/${DATABASE}`;
    let stopping: Promise<void> | undefined;
    return {
      url,
      stop: () => {
        stopping ??= shutDown(child, exited, data, dir);
        return stopping;
      },
    };
  } catch (error) {
    if (server) {
      await shutDown(server, exited, join(dir, 'data'), dir).catch(() => {});
    } else {
      rmSync(dir, { recursive: true, force: true });
    }
    throw error;
  }
}

async function findOrInstallBinDir(): Promise<string> {
  let bin = findBinDir();
  if (!bin) {
    await aptInstall(['postgresql'], 'for the storage tests');
    bin = findBinDir();
  }
  if (!bin) {
    throw new Error(
      `No PostgreSQL server binaries under ${PG_ROOT} even after installing Debian's postgresql`,
    );
  }
  return bin;
}

// Debian installs each major version side by side; take the newest one that has a server.
function findBinDir(): string | undefined {
  if (!existsSync(PG_ROOT)) {
    return undefined;
  }
  const versions = readdirSync(PG_ROOT)
    .filter((name) => /^\d+(\.\d+)?$/.test(name) && existsSync(join(PG_ROOT, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(PG_ROOT, versions[0], 'bin');
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([
    execFileAsync('id', ['-u', 'postgres']),
    execFileAsync('id', ['-g', 'postgres']),
  ]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function hasCUtf8Locale(): Promise<boolean> {
  try {
    const { stdout } = await execFileAsync('locale', ['-a']);
    // glibc lists it as "C.utf8"; normalise spelling before comparing.
    return stdout.split('\n').some((line) => line.trim().toLowerCase().replace('-', '') === 'c.utf8');
  } catch {
    return false;
  }
}

function postgresCommand(asRoot: boolean, program: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
}

async function runAsPostgres(asRoot: boolean, program: string, args: string[], cwd: string): Promise<void> {
  const [command, fullArgs] = postgresCommand(asRoot, program, args);
  try {
    // cwd inside the temp dir: the postgres user may not be allowed into the caller's cwd (e.g. /root).
    await execFileAsync(command, fullArgs, { cwd, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${program} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`.trimEnd());
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('Could not find a free port'))));
    });
  });
}

async function waitUntilReady(
  bin: string,
  port: number,
  hasExited: () => boolean,
  logPath: string,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (hasExited()) {
      throw new Error(`PostgreSQL exited during startup. Log tail:\n${logTail(logPath)}`);
    }
    try {
      await execFileAsync(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port), '-t', '2'], {
        env: clientEnv(),
      });
      return;
    } catch {
      // Not accepting connections yet.
    }
    if (Date.now() > deadline) {
      throw new Error(
        `PostgreSQL did not accept connections within ${READY_TIMEOUT_MS / 1000}s. Log tail:\n${logTail(logPath)}`,
      );
    }
    await sleep(100);
  }
}

// The caller's PG* variables (a developer's PGHOST, PGSSLMODE...) must not redirect our client tools.
function clientEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('PG')));
}

function logTail(logPath: string): string {
  try {
    return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

async function shutDown(
  child: ChildProcess,
  exited: Promise<void>,
  data: string,
  dir: string,
): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    // Signal the postmaster itself, not the runuser wrapper: runuser would turn any signal into SIGTERM
    // ("smart" shutdown, which waits for clients) followed by SIGKILL two seconds later. SIGINT is "fast".
    const pid = postmasterPid(data) ?? child.pid;
    if (pid !== undefined) {
      signal(pid, 'SIGINT');
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      if (pid !== undefined) {
        signal(pid, 'SIGKILL');
      }
      child.kill('SIGKILL');
      await exited;
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

function postmasterPid(data: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}
