import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_PASSWORD, openNode, type RunningServer } from '@accord/server';
import { type TestDatabaseHandle, testDatabases } from '@accord/store/testing';
import { expectCode, lastLine, run } from './testing.ts';

/** Every file and folder under `dir` with its mode, size, mtime and (for files) content hash. */
const snapshot = async (dir: string): Promise<string[]> => {
  const lines: string[] = [];
  const walk = async (at: string) => {
    const entries = await readdir(at, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(at, entry.name);
      const info = await stat(path);
      const hash = entry.isFile()
        ? createHash('sha256')
            .update(await readFile(path))
            .digest('hex')
        : 'dir';
      lines.push(
        `${relative(dir, path)} ${info.mode.toString(8)} ${info.size} ${info.mtimeMs} ${info.ctimeMs} ${hash}`,
      );
      if (entry.isDirectory()) await walk(path);
    }
  };
  await walk(dir);
  return lines;
};

const exists = async (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

let root: string;
let counter = 0;
/** A path under this file's temp root that does not exist yet. */
const newPath = (name: string): string => join(root, `${++counter}-${name}`);

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'accord-cli-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Creates a data folder with `accord init`; `env` may point it at PostgreSQL. */
const initFolder = async (env: Record<string, string> = {}): Promise<string> => {
  const dir = newPath('data');
  expectCode(await run(['init', '--data', dir], { env }), 0);
  return dir;
};

/** The names listed under "Commands:" in a help text, without commander's own `help`. */
const commandsIn = (help: string): string[] => {
  const section = help.split(/^Commands:\n/m)[1]?.split(/\n\n/)[0] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)]
    .map((m) => m[1] ?? '')
    .filter((name) => name !== 'help');
};

describe('accord: help and command-line errors', () => {
  it('--help lists every command, and every command and subcommand has its own help', async () => {
    const top = expectCode(await run(['--help']), 0);
    assert.match(top.out, /^Usage: accord/m);
    assert.match(top.out, /ACCORD_DATABASE_URL/);
    const topLevel = commandsIn(top.out);
    for (const name of ['init', 'serve', 'demo', 'migrate', 'org', 'user']) {
      assert.ok(topLevel.includes(name), `${name} missing from --help: ${topLevel.join(', ')}`);
    }

    // Walk the tree the help texts describe, so that a command added later is covered too.
    const seen: string[] = [];
    const visit = async (path: readonly string[]) => {
      const help = expectCode(await run([...path, '--help']), 0);
      assert.equal(help.err, '', `${path.join(' ')} --help wrote to stderr`);
      assert.match(help.out, new RegExp(`^Usage: accord ${path.join(' ')}`, 'm'));
      seen.push(path.join(' '));
      for (const sub of commandsIn(help.out)) await visit([...path, sub]);
    };
    for (const name of topLevel) await visit([name]);

    for (const expected of ['user add', 'user reset-password', 'user list', 'org add', 'org list']) {
      assert.ok(seen.includes(expected), `no help reached for "${expected}": ${seen.join(', ')}`);
    }
    const userAdd = expectCode(await run(['user', 'add', '--help']), 0);
    for (const option of ['--username', '--name', '--org', '--role', '--data']) {
      assert.ok(userAdd.out.includes(option), `user add --help does not mention ${option}`);
    }
  });

  it('exits with 2 and says why on an unknown command, subcommand or option', async () => {
    for (const argv of [['frobnicate'], ['user', 'frobnicate'], ['init', '--frobnicate'], ['--frobnicate']]) {
      const result = expectCode(await run(argv), 2);
      assert.match(result.err, /unknown (command|option)/, `${argv.join(' ')}: ${result.err}`);
      assert.match(result.err, /--help/);
    }
    const missing = expectCode(await run(['org', 'add', '--name', 'X', '--data', newPath('none')]), 2);
    assert.match(missing.err, /required option/);
  });
});

describe('accord init', () => {
  it('creates the data folder with its database, blobs and private keys, and prints the node id', async () => {
    const dir = newPath('data');
    const result = expectCode(await run(['init', '--data', dir]), 0);
    const identity = JSON.parse(await readFile(join(dir, 'accord.json'), 'utf8')) as { nodeId: string };
    assert.match(identity.nodeId, /^[0-9a-f-]{36}$/);
    assert.ok(result.out.includes(`node id ${identity.nodeId}`), result.out);
    assert.ok(result.out.includes(dir), result.out);

    assert.ok((await stat(join(dir, 'accord.db'))).isFile());
    assert.ok((await stat(join(dir, 'blobs'))).isDirectory());
    assert.ok((await stat(join(dir, 'keys'))).isDirectory());
    const keys = await readdir(join(dir, 'keys'));
    assert.deepEqual(keys.sort(), ['kek', 'node.ed25519.pem', 'secret.key']);
    const keks = await readdir(join(dir, 'keys', 'kek'));
    assert.equal(keks.filter((k) => k.endsWith('.kek')).length, 1, 'one key-encryption key');
    for (const key of keys.filter((k) => k !== 'kek')) {
      const mode = (await stat(join(dir, 'keys', key))).mode & 0o777;
      assert.equal(mode, 0o600, `keys/${key} has mode ${mode.toString(8)}`);
    }
    // Nothing is left next to the folder by the staging that built it.
    assert.deepEqual(
      (await readdir(root)).filter((name) => name.includes('.init-')),
      [],
    );
  });

  it('refuses a folder that is already an Accord data folder and leaves it byte for byte as it was', async () => {
    const dir = await initFolder();
    const before = await snapshot(dir);
    const result = expectCode(await run(['init', '--data', dir]), 1);
    assert.match(result.err, /already an Accord data folder/);
    assert.equal(result.out, '');
    assert.deepEqual(await snapshot(dir), before);
  });

  it('refuses a non-empty folder that is not Accord’s and creates nothing in it', async () => {
    const dir = newPath('mine');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'my own notes\n');
    const before = await snapshot(dir);
    const result = expectCode(await run(['init', '--data', dir]), 1);
    assert.match(result.err, /not empty and is not an Accord data folder/);
    assert.deepEqual(await snapshot(dir), before);
  });

  it('accepts an empty folder', async () => {
    const dir = newPath('empty');
    await mkdir(dir);
    expectCode(await run(['init', '--data', dir]), 0);
    assert.ok(await exists(join(dir, 'accord.json')));
  });
});

describe('accord serve and migrate on a folder that is not Accord’s', () => {
  const neverServe = async () => {
    assert.fail('the server must not start');
  };

  for (const command of ['serve', 'migrate']) {
    it(`${command}: a folder of something else → exit 1, nothing created`, async () => {
      const dir = newPath('other');
      await mkdir(dir);
      await writeFile(join(dir, 'photo.jpg'), 'not really a photo');
      const before = await snapshot(dir);
      const extra = command === 'serve' ? ['--port', '0'] : [];
      const result = expectCode(await run([command, '--data', dir, ...extra], { onServing: neverServe }), 1);
      assert.match(result.err, /is not an Accord data folder/);
      assert.deepEqual(await snapshot(dir), before);
    });

    it(`${command}: a folder that does not exist → exit 1, says how to create one, nothing created`, async () => {
      const dir = newPath('missing');
      const extra = command === 'serve' ? ['--port', '0'] : [];
      const result = expectCode(await run([command, '--data', dir, ...extra], { onServing: neverServe }), 1);
      assert.match(result.err, /no data folder at .*accord init/);
      assert.equal(await exists(dir), false);
    });
  }
});

describe('accord migrate', () => {
  it('reports an up-to-date database and is idempotent', async () => {
    const dir = await initFolder();
    for (let i = 0; i < 2; i++) {
      const result = expectCode(await run(['migrate', '--data', dir]), 0);
      assert.match(result.out, /^database is up to date \(.+\)$/m);
    }
  });
});

/** org add, user add, user list, reset-password: the same on SQLite and PostgreSQL. */
const accountsFlow = (env: () => Record<string, string>) => {
  let dir: string;
  let password: string;
  const databaseUrl = () => env().ACCORD_DATABASE_URL;

  const signIn = async (username: string, secret: string) => {
    const node = await openNode({ dataDir: dir, databaseUrl: databaseUrl() });
    try {
      return await node.accounts.signIn(username, secret);
    } finally {
      await node.close();
    }
  };

  it('init', async () => {
    dir = await initFolder(env());
    assert.ok(await exists(join(dir, 'accord.json')));
    // With PostgreSQL, the folder holds no database of its own.
    assert.equal(await exists(join(dir, 'accord.db')), databaseUrl() === undefined);
  });

  it('org add and org list', async () => {
    const added = expectCode(
      await run(
        ['org', 'add', '--data', dir, '--name', 'Kharkiv Group', '--country', 'UA', '--kind', 'ngo'],
        {
          env: env(),
        },
      ),
      0,
    );
    assert.match(added.out, /added organisation "Kharkiv Group"/);
    const id = lastLine(added.out);
    const listed = expectCode(await run(['org', 'list', '--data', dir], { env: env() }), 0);
    assert.match(listed.out, new RegExp(`^${id}\\s+UA\\s+ngo\\s+Kharkiv Group$`, 'm'));
  });

  it('user add prints a one-time password that signs in; user list shows the user', async () => {
    const added = expectCode(
      await run(
        [
          ...['user', 'add', '--data', dir, '--username', 'olena', '--name', 'Olena Kovalenko'],
          ...['--org', 'kharkiv group', '--role', 'investigator'],
        ],
        { env: env() },
      ),
      0,
    );
    assert.match(added.out, /added olena \(investigator\)/);
    password = lastLine(added.out);
    assert.ok(password.length >= 12 && !/\s/.test(password), `not a password: ${JSON.stringify(password)}`);

    const grant = await signIn('olena', password);
    assert.equal(grant.user.username, 'olena');
    assert.equal(grant.user.role, 'investigator');
    await assert.rejects(signIn('olena', `${password}x`), /username or password is not correct/);

    const listed = expectCode(await run(['user', 'list', '--data', dir], { env: env() }), 0);
    assert.match(listed.out, /^olena\s+investigator\s+no-totp active$/m);
  });

  it('user add: an invalid role → exit 2 naming the choices', async () => {
    const result = expectCode(
      await run(
        [
          ...['user', 'add', '--data', dir, '--username', 'mallory', '--name', 'M'],
          ...['--org', 'Kharkiv Group', '--role', 'overlord'],
        ],
        { env: env() },
      ),
      2,
    );
    assert.match(result.err, /overlord/);
    assert.match(result.err, /investigator/);
  });

  it('user add: an unknown organisation → exit 1 naming the known ones', async () => {
    const result = expectCode(
      await run(
        [
          ...['user', 'add', '--data', dir, '--username', 'jonas', '--name', 'Jonas'],
          ...['--org', 'Nowhere Unit', '--role', 'analyst'],
        ],
        { env: env() },
      ),
      1,
    );
    assert.match(result.err, /no organisation "Nowhere Unit"/);
    assert.match(result.err, /"Kharkiv Group"/);
  });

  it('user add: a username that is taken → exit 1', async () => {
    const result = expectCode(
      await run(
        [
          ...['user', 'add', '--data', dir, '--username', 'olena', '--name', 'Another Olena'],
          ...['--org', 'Kharkiv Group', '--role', 'analyst'],
        ],
        { env: env() },
      ),
      1,
    );
    assert.match(result.err, /username "olena" is taken/);
  });

  it('user reset-password: a new password works, the old one no longer does', async () => {
    const result = expectCode(
      await run(['user', 'reset-password', 'olena', '--data', dir], { env: env() }),
      0,
    );
    assert.match(result.out, /reset olena/);
    const fresh = lastLine(result.out);
    assert.notEqual(fresh, password);
    await assert.rejects(signIn('olena', password), /username or password is not correct/);
    assert.equal((await signIn('olena', fresh)).user.username, 'olena');
  });

  it('user reset-password: an unknown user → exit 1', async () => {
    const result = expectCode(
      await run(['user', 'reset-password', 'nobody', '--data', dir], { env: env() }),
      1,
    );
    assert.match(result.err, /no user "nobody"/);
  });
};

describe('accord org and user (embedded SQLite)', () => {
  accountsFlow(() => ({}));
});

describe('accord org and user (PostgreSQL)', () => {
  const postgres = testDatabases().find((d) => d.name === 'postgres');
  let handle: TestDatabaseHandle;
  before(async () => {
    assert.ok(postgres);
    handle = await postgres.create();
  });
  after(async () => {
    await handle?.cleanup();
  });
  accountsFlow(() => {
    assert.ok(handle.url);
    return { ACCORD_DATABASE_URL: handle.url };
  });
});

describe('accord with a database URL that does not work', () => {
  const url = 'postgres://u:s3cret@127.0.0.1:1/x';

  for (const argv of [['migrate'], ['user', 'list'], ['serve', '--port', '0']]) {
    it(`${argv.join(' ')}: unreachable PostgreSQL → exit 1 quickly, without the password`, async () => {
      const dir = await initFolder();
      const result = expectCode(
        await run([...argv, '--data', dir], {
          env: { ACCORD_DATABASE_URL: url },
          onServing: async () => assert.fail('the server must not start'),
        }),
        1,
      );
      assert.match(result.err, /cannot reach the database/);
      assert.match(result.err, /127\.0\.0\.1:1/);
      assert.ok(!result.err.includes('s3cret'), `the password was printed: ${result.err}`);
      assert.ok(result.ms < 5000, `took ${result.ms.toFixed(0)} ms`);
    });
  }

  it('init: unreachable PostgreSQL → exit 1, and init can simply be run again once it is reachable', async () => {
    const dir = newPath('data');
    const result = expectCode(await run(['init', '--data', dir], { env: { ACCORD_DATABASE_URL: url } }), 1);
    assert.match(result.err, /cannot reach the database/);
    assert.ok(!result.err.includes('s3cret'), result.err);
    assert.equal(await exists(dir), false, 'a half-made data folder was left behind');
    expectCode(await run(['init', '--data', dir]), 0);
  });

  it('a URL that is not postgres:// → exit 1 with a clear message', async () => {
    const dir = await initFolder();
    const result = expectCode(
      await run(['migrate', '--data', dir], { env: { ACCORD_DATABASE_URL: 'mysql://u:s3cret@127.0.0.1/x' } }),
      1,
    );
    assert.match(result.err, /the database URL must start with postgres:\/\//);
    assert.ok(!result.err.includes('s3cret'), result.err);
  });
});

describe('accord serve and demo', () => {
  it('serve: answers /healthz on the port it was given (0: any free one)', async () => {
    const dir = await initFolder();
    let url: string | undefined;
    const result = expectCode(
      await run(['serve', '--data', dir, '--port', '0'], {
        onServing: async (server: RunningServer) => {
          url = server.url;
          const res = await fetch(`${server.url}/healthz`);
          assert.equal(res.status, 200);
          assert.deepEqual(await res.json(), { status: 'ok' });
        },
      }),
      0,
    );
    assert.ok(url);
    assert.ok(result.out.includes(`open ${url}/`), result.out);
    assert.match(result.out, /embedded database/);
    // Stopped when onServing returned.
    await assert.rejects(fetch(`${url}/healthz`));
  });

  it('demo: creates the folder, seeds once, prints the URL and the demo logins', async () => {
    const dir = newPath('demo');
    const serving = async (server: RunningServer) => {
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      const grant = await server.node.accounts.signIn('demo-admin', DEMO_PASSWORD);
      assert.equal(grant.user.role, 'admin');
    };
    const first = expectCode(await run(['demo', '--data', dir, '--port', '0'], { onServing: serving }), 0);
    assert.match(first.out, /created Accord data folder/);
    assert.match(first.out, /Accord demo is running: http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(first.out, /demo data added\./);
    assert.match(first.out, /^ {2}demo-admin\s+admin$/m);
    assert.match(first.out, /^ {2}demo-investigator\s+investigator$/m);
    assert.ok(first.out.includes(DEMO_PASSWORD), first.out);

    const second = expectCode(await run(['demo', '--data', dir, '--port', '0'], { onServing: serving }), 0);
    assert.doesNotMatch(second.out, /created Accord data folder/);
    assert.match(second.out, /demo data was already there\./);
    assert.match(second.out, /demo-admin/);
  });

  it('--port abc → exit 1 with what a port must be', async () => {
    const dir = await initFolder();
    for (const command of ['serve', 'demo']) {
      const result = expectCode(
        await run([command, '--data', dir, '--port', 'abc'], {
          onServing: async () => assert.fail('the server must not start'),
        }),
        1,
      );
      assert.match(result.err, /the port must be a whole number from 0 to 65535 \(got "abc"\)/);
    }
  });

  it('a port that is already in use → exit 1 saying so', async () => {
    const dir = await initFolder();
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    try {
      const address = blocker.address();
      assert.ok(address && typeof address === 'object');
      const result = expectCode(
        await run(['serve', '--data', dir, '--port', String(address.port)], {
          onServing: async () => assert.fail('the server must not start'),
        }),
        1,
      );
      assert.match(result.err, new RegExp(`port ${address.port} on 127\\.0\\.0\\.1 is already in use`));
    } finally {
      blocker.close();
    }
    // The node it opened was closed again: the folder can be served at once.
    expectCode(await run(['serve', '--data', dir, '--port', '0'], { onServing: async () => {} }), 0);
  });
});
