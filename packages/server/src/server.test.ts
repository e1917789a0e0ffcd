import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULTS } from './node/config.ts';
import { initDataFolder } from './node/data-folder.ts';
import { startServer } from './server.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const ACCORD_BIN = join(ROOT, 'node_modules', '.bin', 'accord');
/** A product bar: `accord serve` answers /healthz this soon after it is started, on a 2-core machine. */
const START_UP_BUDGET_MS = 2000;

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'accord-server-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A new, initialised data folder under this file's temp root. */
const freshFolder = async (name: string): Promise<string> => {
  const dir = join(root, name);
  await initDataFolder(dir);
  return dir;
};

/** Resolves with the connect error's code, or 'connected' when the port still accepts connections. */
const tryConnect = (port: number): Promise<string> =>
  new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done('connected');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });

/** Collects what a raw socket receives until the peer closes it or `timeoutMs` passes. */
const collect = (socket: Socket) => {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  const closed = once(socket, 'close');
  return {
    text: () => text,
    /** Waits until `pattern` has arrived; fails after `timeoutMs`. */
    until: async (pattern: RegExp, timeoutMs = 5000): Promise<string> => {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms; got ${text}`);
        if (socket.destroyed && !pattern.test(text)) throw new Error(`socket closed; got ${text}`);
        await sleep(10);
      }
      return text;
    },
    closed,
  };
};

const write = (socket: Socket, data: string): Promise<void> =>
  new Promise((done, fail) => socket.write(data, (e) => (e ? fail(e) : done())));

describe('graceful shutdown over TCP', () => {
  it('finishes an in-flight request, refuses new connections, then closes the database', async () => {
    const server = await startServer({
      dataDir: await freshFolder('graceful'),
      databaseUrl: undefined,
      host: '127.0.0.1',
      port: 0,
      secureCookies: false,
      logLevel: 'silent',
      bodyLimitBytes: DEFAULTS.bodyLimitBytes,
    });
    let stopping: Promise<void> | undefined;
    const socket = connect({ host: '127.0.0.1', port: server.port });
    try {
      await once(socket, 'connect');
      const received = collect(socket);
      // The request line and some headers, but not the blank line that ends them: in flight.
      await write(
        socket,
        `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAccept: application/json\r\n`,
      );
      // The server runs in this process: give it a few turns of the event loop to read those bytes.
      await sleep(100);

      stopping = server.stop();
      let settled = false;
      void stopping.then(
        () => {
          settled = true;
        },
        () => {
          settled = true;
        },
      );

      assert.equal(await tryConnect(server.port), 'ECONNREFUSED', 'a new connection must be refused');
      assert.equal(settled, false, 'stop() must wait for the request in flight');
      assert.equal(socket.destroyed, false, 'the connection with a request in flight must stay open');

      await write(socket, 'User-Agent: accord-test\r\n\r\n');
      const response = await received.until(/\r\n\r\n[\s\S]*"status"\s*:\s*"ok"/);
      assert.match(response, /^HTTP\/1\.1 200 /);

      // Nothing else will come on this connection: stop() must not wait for the client to hang up.
      const started = Date.now();
      await stopping;
      assert.ok(Date.now() - started < 2000, `stop() took ${Date.now() - started} ms after the response`);
      await received.closed;

      await assert.rejects(server.node.database.db.selectFrom('users').select('id').execute());
    } finally {
      socket.destroy();
      await (stopping ?? server.stop());
    }
  });

  it('stop() is idempotent and resolves at once when nothing is in flight', async () => {
    const server = await startServer({
      dataDir: await freshFolder('idle'),
      databaseUrl: undefined,
      host: '127.0.0.1',
      port: 0,
      secureCookies: false,
      logLevel: 'silent',
      bodyLimitBytes: DEFAULTS.bodyLimitBytes,
    });
    // A keep-alive connection that sits idle after its response must not hold the shutdown up.
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
    await res.text();
    const started = Date.now();
    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
    assert.ok(Date.now() - started < 2000, `stop() took ${Date.now() - started} ms`);
    assert.equal(await tryConnect(server.port), 'ECONNREFUSED');
  });
});

/** `promise`, or a failure with `message()` after `ms`; the timer does not outlive the wait. */
const within = async <T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new Error(message())), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
};

/** Reads a child's stream into a string that grows as output arrives. */
const capture = (child: ChildProcess) => {
  const out = { stdout: '', stderr: '' };
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out.stdout += s;
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    out.stderr += s;
  });
  return out;
};

describe('accord serve as a process', () => {
  it('starts quickly, serves /healthz and stops cleanly with exit code 0 on SIGTERM', async (t) => {
    const dataDir = await freshFolder('process');
    const env: NodeJS.ProcessEnv = { ...process.env, ACCORD_LOG_LEVEL: 'warn' };
    delete env.ACCORD_DATABASE_URL;
    delete env.ACCORD_DATA;

    const started = performance.now();
    const child = spawn(ACCORD_BIN, ['serve', '--data', dataDir, '--port', '0'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const output = capture(child);
    try {
      let url: string | undefined;
      while (!url) {
        url = /open (http:\/\/\S+?)\/?\n/.exec(output.stdout)?.[1];
        if (child.exitCode !== null) {
          assert.fail(`accord serve exited with ${child.exitCode}: ${output.stdout}${output.stderr}`);
        }
        if (performance.now() - started > 15_000) assert.fail(`no URL printed; got ${output.stdout}`);
        if (!url) await sleep(5);
      }
      const res = await fetch(`${url}/healthz`);
      const startUpMs = performance.now() - started;
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: 'ok' });
      t.diagnostic(`start-up: spawn to first successful /healthz in ${startUpMs.toFixed(0)} ms`);
      assert.ok(
        startUpMs < START_UP_BUDGET_MS,
        `start-up took ${startUpMs.toFixed(0)} ms; the bar is ${START_UP_BUDGET_MS} ms`,
      );

      const port = Number(new URL(url).port);
      const signalled = performance.now();
      child.kill('SIGTERM');
      const [code, signal] = await within(
        exited,
        5000,
        () => `no exit within 5 s of SIGTERM: ${output.stderr}`,
      );
      t.diagnostic(`stopped ${(performance.now() - signalled).toFixed(0)} ms after SIGTERM`);
      assert.equal(signal, null, `killed by ${signal}; stderr: ${output.stderr}`);
      assert.equal(code, 0, `exit code ${code}; stderr: ${output.stderr}`);
      assert.match(output.stderr, /SIGTERM/);
      assert.equal(await tryConnect(port), 'ECONNREFUSED');
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  });
});
