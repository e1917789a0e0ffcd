import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { isAccordError } from '@accord/core';
import { Keyring } from './keyring.ts';

const posixOnly = { skip: process.platform === 'win32' && 'POSIX modes only' };

/** A config error whose message does not contain any of `secrets`. */
const configError =
  (pattern: RegExp, ...secrets: string[]) =>
  (e: unknown): boolean => {
    assert.ok(isAccordError(e), `expected an AccordError, got ${String(e)}`);
    assert.equal(e.code, 'config');
    assert.match(e.message, pattern);
    for (const secret of secrets) assert.ok(!e.message.includes(secret), 'the message reveals key material');
    return true;
  };

const withDir = (fn: (dir: string) => Promise<void>) => async () => {
  const dir = await mkdtemp(join(tmpdir(), 'accord-keyring-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

const newKey = (): string => randomBytes(32).toString('base64');

describe('Keyring', () => {
  describe('folder', () => {
    it(
      'create writes one key (mode 0600) and the current pointer, and loads back',
      withDir(async (root) => {
        const dir = join(root, 'kek');
        const keyring = await Keyring.create(dir);
        assert.match(keyring.currentId, /^[0-9a-f]{8}$/);
        assert.deepEqual(keyring.ids, [keyring.currentId]);
        assert.equal(keyring.dir, dir);
        assert.deepEqual((await readdir(dir)).sort(), [`${keyring.currentId}.kek`, 'current'].sort());
        const text = (await readFile(join(dir, `${keyring.currentId}.kek`), 'utf8')).trim();
        assert.equal(Buffer.from(text, 'base64').byteLength, 32);
        assert.equal(Keyring.idOf(Buffer.from(text, 'base64')), keyring.currentId);
        assert.equal((await readFile(join(dir, 'current'), 'utf8')).trim(), keyring.currentId);
        if (process.platform !== 'win32') {
          assert.equal((await stat(join(dir, `${keyring.currentId}.kek`))).mode & 0o777, 0o600);
        }
        const loaded = await Keyring.fromFolder(dir);
        assert.deepEqual(loaded.toJSON(), keyring.toJSON());
      }),
    );

    it(
      'create refuses a folder that already has keys',
      withDir(async (dir) => {
        await Keyring.create(dir);
        await assert.rejects(Keyring.create(dir), (e: unknown) => isAccordError(e) && e.code === 'conflict');
      }),
    );

    it(
      'addKey adds a new current key and keeps the old ones',
      withDir(async (dir) => {
        const first = await Keyring.create(dir);
        const second = await Keyring.addKey(dir);
        assert.notEqual(second.currentId, first.currentId);
        assert.deepEqual(second.ids, [second.currentId, first.currentId]);
        assert.ok(second.has(first.currentId));
        const loaded = await Keyring.fromFolder(dir);
        assert.equal(loaded.currentId, second.currentId);
        // Nothing else (temp files) is left in the folder.
        assert.equal((await readdir(dir)).length, 3);
      }),
    );

    it(
      'deleteKeyFiles removes old keys but never the current one',
      withDir(async (dir) => {
        const first = await Keyring.create(dir);
        const second = await Keyring.addKey(dir);
        await assert.rejects(second.deleteKeyFiles([second.currentId]), (e: unknown) => isAccordError(e));
        const trimmed = await second.deleteKeyFiles([first.currentId]);
        assert.deepEqual(trimmed.ids, [second.currentId]);
        assert.deepEqual((await Keyring.fromFolder(dir)).ids, [second.currentId]);
      }),
    );

    it(
      'reports a missing folder or a folder without keys',
      withDir(async (dir) => {
        await assert.rejects(Keyring.fromFolder(join(dir, 'nope')), configError(/does not exist/));
        await assert.rejects(Keyring.fromFolder(dir), configError(/no key-encryption keys/));
      }),
    );

    it(
      'reports bad key files without printing them',
      withDir(async (dir) => {
        const good = await Keyring.create(dir);
        const file = join(dir, 'abcdef01.kek');
        const short = randomBytes(16).toString('base64');
        await writeFile(file, short, { mode: 0o600 });
        await assert.rejects(
          Keyring.fromFolder(dir),
          configError(/abcdef01\.kek .*decodes to 16 bytes/, short),
        );
        const garbage = 'not base64 at all!!';
        await writeFile(file, garbage, { mode: 0o600 });
        await assert.rejects(Keyring.fromFolder(dir), configError(/not base64/, garbage));
        // A valid key under the wrong name.
        const key = newKey();
        await writeFile(file, key, { mode: 0o600 });
        await assert.rejects(Keyring.fromFolder(dir), configError(/rename the file/, key));
        await rm(file);
        await writeFile(join(dir, 'mine.kek'), key, { mode: 0o600 });
        await assert.rejects(Keyring.fromFolder(dir), configError(/<id>\.kek/, key));
        await rm(join(dir, 'mine.kek'));
        assert.equal((await Keyring.fromFolder(dir)).currentId, good.currentId);
      }),
    );

    it(
      'refuses key files other users can read',
      posixOnly,
      withDir(async (dir) => {
        const keyring = await Keyring.create(dir);
        await chmod(join(dir, `${keyring.currentId}.kek`), 0o644);
        await assert.rejects(Keyring.fromFolder(dir), configError(/chmod 600/));
      }),
    );

    it(
      'reports a missing or dangling current pointer',
      withDir(async (dir) => {
        await Keyring.create(dir);
        await writeFile(join(dir, 'current'), 'deadbeef\n');
        await assert.rejects(
          Keyring.fromFolder(dir),
          configError(/names the key "deadbeef", which is not in/),
        );
        await rm(join(dir, 'current'));
        await assert.rejects(Keyring.fromFolder(dir), configError(/current is missing/));
      }),
    );

    it(
      'ignores unrelated files',
      withDir(async (dir) => {
        const keyring = await Keyring.create(dir);
        await writeFile(join(dir, 'README'), 'notes');
        await mkdir(join(dir, 'old'));
        assert.equal((await Keyring.fromFolder(dir)).currentId, keyring.currentId);
      }),
    );
  });

  describe('environment (ACCORD_KEK)', () => {
    it('takes one or more base64 keys, the first current', () => {
      const [a, b, c] = [newKey(), newKey(), Buffer.from(randomBytes(32)).toString('base64url')];
      const one = Keyring.fromEnv(a);
      assert.equal(one.currentId, Keyring.idOf(Buffer.from(a, 'base64')));
      assert.equal(one.dir, undefined);
      const many = Keyring.fromEnv(` ${b}, ${a}\n${c} `);
      assert.equal(many.currentId, Keyring.idOf(Buffer.from(b, 'base64')));
      assert.deepEqual(
        many.ids,
        [b, a]
          .map((k) => Keyring.idOf(Buffer.from(k, 'base64')))
          .concat(Keyring.idOf(Buffer.from(c, 'base64url'))),
      );
    });

    it('reports empty values and bad entries by position, never by value', () => {
      assert.throws(() => Keyring.fromEnv(undefined), configError(/ACCORD_KEK is empty/));
      assert.throws(() => Keyring.fromEnv(' , \n'), configError(/ACCORD_KEK is empty/));
      const good = newKey();
      const short = randomBytes(31).toString('base64');
      assert.throws(
        () => Keyring.fromEnv(`${good},${short}`),
        configError(/ACCORD_KEK entry 2 of 2 .*decodes to 31 bytes/, short, good),
      );
      const bad = `${good.slice(0, 40)}$$$$`;
      assert.throws(
        () => Keyring.fromEnv(bad),
        configError(/entry 1 of 1 .*not base64/, bad, good.slice(0, 40)),
      );
      assert.throws(
        () => Keyring.fromEnv(`${good} ${good}`),
        configError(/entry 2 repeats an earlier key/, good),
      );
      assert.throws(() => Keyring.fromEnv('', 'MY_KEYS'), configError(/MY_KEYS is empty/));
    });
  });

  describe('wrapping', () => {
    it('wraps under the current key and unwraps with any held key', () => {
      const [a, b] = [newKey(), newKey()];
      const old = Keyring.fromEnv(a);
      const dataKey = randomBytes(32);
      const aad = Buffer.from('context');
      const wrapped = old.wrap(dataKey, aad);
      assert.equal(wrapped.kek, old.currentId);
      const rotated = Keyring.fromEnv(`${b},${a}`);
      assert.ok(rotated.unwrap(wrapped, aad).equals(dataKey));
      assert.equal(rotated.wrap(dataKey, aad).kek, rotated.currentId);
    });

    it('fails with integrity for other associated data or altered bytes, config for an unknown key', () => {
      const keyring = Keyring.fromEnv(newKey());
      const wrapped = keyring.wrap(randomBytes(32), Buffer.from('a'));
      const isIntegrity = (e: unknown) => isAccordError(e) && e.code === 'integrity';
      assert.throws(() => keyring.unwrap(wrapped, Buffer.from('b')), isIntegrity);
      const altered = Buffer.from(wrapped.wrapped);
      altered[0] = (altered[0] as number) ^ 1;
      assert.throws(() => keyring.unwrap({ ...wrapped, wrapped: altered }, Buffer.from('a')), isIntegrity);
      assert.throws(
        () => Keyring.fromEnv(newKey()).unwrap(wrapped, Buffer.from('a')),
        configError(new RegExp(`${wrapped.kek} is not in the keyring`)),
      );
    });

    it('never shows key bytes when inspected or serialized', () => {
      const key = newKey();
      const keyring = Keyring.fromEnv(key);
      const hex = Buffer.from(key, 'base64').toString('hex');
      for (const text of [
        inspect(keyring, { showHidden: true, depth: 5 }),
        JSON.stringify(keyring),
        String(keyring),
      ]) {
        assert.ok(!text.includes(key) && !text.includes(hex));
      }
      assert.match(inspect(keyring), new RegExp(keyring.currentId));
    });
  });
});
