import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AccordError } from '@accord/core';
import { Keyring } from '@accord/store';

/**
 * A data folder holds one node: its database (unless PostgreSQL is used), its blobs, its keys and
 * a marker file that says "this folder is Accord's". Layout:
 *
 *   accord.json          marker + node identity (no secrets)
 *   accord.db            SQLite database (embedded default)
 *   blobs/               evidence vault: content-addressed blobs, encrypted at rest
 *   keys/node.ed25519.pem   node signing key for log checkpoints (PKCS#8, mode 0600)
 *   keys/kek/            key-encryption keys of the vault (unless ACCORD_KEK supplies them)
 *   keys/secret.key         32 random bytes, base64 (seals TOTP secrets; mode 0600)
 */
export const MARKER = 'accord.json';
const FORMAT = 'accord-data-folder';
const VERSION = 1;

export interface NodeIdentity {
  readonly format: typeof FORMAT;
  readonly version: number;
  readonly nodeId: string;
  readonly createdAt: string;
}

export interface DataFolder {
  readonly dir: string;
  readonly identity: NodeIdentity;
  readonly databasePath: string;
  readonly blobDir: string;
  readonly kekDir: string;
  readonly secretKey: Uint8Array;
  readonly signingKeyPem: string;
}

export const paths = (dir: string) => ({
  marker: join(dir, MARKER),
  database: join(dir, 'accord.db'),
  blobs: join(dir, 'blobs'),
  keys: join(dir, 'keys'),
  signingKey: join(dir, 'keys', 'node.ed25519.pem'),
  kek: join(dir, 'keys', 'kek'),
  secretKey: join(dir, 'keys', 'secret.key'),
});

const exists = async (p: string): Promise<boolean> => {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
};

/**
 * Creates a new data folder. It is built in a sibling temporary folder and renamed into place,
 * so an interrupted init leaves nothing behind and an existing folder is never touched.
 */
export const initDataFolder = async (
  target: string,
  options: { readonly kekFromEnvironment?: boolean } = {},
): Promise<DataFolder> => {
  const dir = resolve(target);
  if (await exists(join(dir, MARKER))) {
    throw new AccordError('conflict', `${dir} is already an Accord data folder; nothing was changed`);
  }
  if (await exists(dir)) {
    const entries = await readdir(dir).catch(() => {
      throw new AccordError('config', `${dir} exists and is not a readable folder; nothing was changed`);
    });
    if (entries.length > 0) {
      throw new AccordError(
        'config',
        `${dir} exists, is not empty and is not an Accord data folder; choose an empty or new folder (nothing was changed)`,
      );
    }
  }
  await mkdir(dirname(dir), { recursive: true });
  const staging = await mkdtemp(join(dirname(dir), `.${basename(dir)}.init-`));
  try {
    const p = paths(staging);
    await mkdir(p.blobs, { mode: 0o700 });
    await mkdir(p.keys, { mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    await writeFile(p.signingKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await writeFile(p.secretKey, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    // With ACCORD_KEK set, the vault's key-encryption keys come from the environment instead.
    if (!options.kekFromEnvironment) await Keyring.create(p.kek);
    const identity: NodeIdentity = {
      format: FORMAT,
      version: VERSION,
      nodeId: randomUUID(),
      createdAt: new Date().toISOString(),
    };
    await writeFile(p.marker, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
    // rename(2) replaces an empty directory atomically; a non-empty one was refused above.
    await rename(staging, dir);
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
  return openDataFolder(dir);
};

/** Opens an existing data folder, refusing anything that is not one. */
export const openDataFolder = async (target: string): Promise<DataFolder> => {
  const dir = resolve(target);
  const p = paths(dir);
  if (!(await exists(dir))) {
    throw new AccordError(
      'config',
      `no data folder at ${dir}; create one with "accord init --data ${target}"`,
    );
  }
  let identity: NodeIdentity;
  try {
    identity = JSON.parse(await readFile(p.marker, 'utf8')) as NodeIdentity;
  } catch {
    throw new AccordError(
      'config',
      `${dir} is not an Accord data folder (no readable ${MARKER}); nothing was changed`,
    );
  }
  if (identity?.format !== FORMAT || typeof identity.nodeId !== 'string') {
    throw new AccordError('config', `${dir} is not an Accord data folder (${MARKER} has another format)`);
  }
  if (identity.version > VERSION) {
    throw new AccordError(
      'config',
      `${dir} was made by a newer Accord (data folder version ${identity.version}); upgrade Accord`,
    );
  }
  let secretKey: Buffer;
  let signingKeyPem: string;
  try {
    secretKey = Buffer.from((await readFile(p.secretKey, 'utf8')).trim(), 'base64');
    signingKeyPem = await readFile(p.signingKey, 'utf8');
  } catch {
    throw new AccordError('config', `the keys of the data folder ${dir} are missing or unreadable (keys/)`);
  }
  if (secretKey.length !== 32) throw new AccordError('config', `${p.secretKey} must hold 32 bytes in base64`);
  return {
    dir,
    identity,
    databasePath: p.database,
    blobDir: p.blobs,
    kekDir: p.kek,
    secretKey,
    signingKeyPem,
  };
};

export const isDataFolder = async (dir: string): Promise<boolean> => exists(join(resolve(dir), MARKER));

const SERVE_PID = 'serve.pid';

/**
 * Records that `accord serve` runs on this folder, so that commands that must not run alongside it
 * (retiring vault keys the server still wraps new data keys with) can refuse. Returns the release.
 */
export const markServing = async (folder: DataFolder): Promise<() => Promise<void>> => {
  const path = join(folder.dir, SERVE_PID);
  await writeFile(path, `${process.pid}\n`, { mode: 0o600 });
  return async () => {
    const current = await readFile(path, 'utf8').catch(() => '');
    if (current.trim() === String(process.pid)) await rm(path, { force: true });
  };
};

/** The pid of a live `accord serve` on this folder, if there is one. */
export const servingPid = async (folder: DataFolder): Promise<number | undefined> => {
  const text = await readFile(join(folder.dir, SERVE_PID), 'utf8').catch(() => '');
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else; it still counts.
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
};
