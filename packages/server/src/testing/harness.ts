import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  base32Decode,
  type CaseRole,
  DATA_CATEGORIES,
  type DataCategory,
  isAccordError,
  type LegalCatalogue,
  type OrgId,
  type ReportsSettings,
  totp,
  type UserId,
} from '@accord/core';
import { type CreateTestDatabase, describeEachDatabase, type TestDatabaseName } from '@accord/store/testing';
import pino, { type Logger } from 'pino';
import { type AccordApp, createApp } from '../http/app.ts';
import { initDataFolder } from '../node/data-folder.ts';
import { type AccordNode, openNode } from '../node/node.ts';

export { describeEachDatabase };

/** Argon2id parameters for tests only: the node's defaults cost 64 MiB and three passes each. */
export const TEST_ARGON2 = { memoryCost: 1024, timeCost: 1, parallelism: 1 } as const;

export interface TestNode {
  readonly node: AccordNode;
  readonly app: AccordApp;
  readonly dataDir: string;
  /** The PostgreSQL database's URL, when the node runs on PostgreSQL. */
  readonly databaseUrl: string | undefined;
  /** A clock the test moves: `clock.advance(ms)`. */
  readonly clock: { now(): Date; advance(ms: number): void };
  close(): Promise<void>;
}

/**
 * A whole node (data folder, database, domain, HTTP app) on the given test database. On
 * PostgreSQL the node opens a fresh database of its own; on SQLite it uses its data folder's file.
 */
export const createTestNode = async (
  create: CreateTestDatabase,
  name: TestDatabaseName,
  options: {
    signInPerMinute?: number;
    bodyLimitBytes?: number;
    log?: Logger;
    checkpointIntervalMs?: number;
    mapTilesDir?: string;
    /** Serve this legal catalogue instead of the one the node loaded (tests need known content). */
    legal?: LegalCatalogue;
    /** Receipt-code settings; by default cheap Argon2 parameters, so tests stay fast. */
    reportSettings?: Partial<ReportsSettings>;
    /** Take the client address from X-Forwarded-For (as behind a reverse proxy). */
    trustProxy?: boolean;
  } = {},
): Promise<TestNode> => {
  const root = await mkdtemp(join(tmpdir(), 'accord-node-'));
  const dataDir = join(root, 'data');
  await initDataFolder(dataDir);
  const pgHandle = name === 'postgres' ? await create() : undefined;
  let t = Date.parse('2026-03-01T10:00:00Z');
  const clock = {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
  };
  const opened = await openNode({
    dataDir,
    databaseUrl: pgHandle?.url,
    clock,
    ...(options.checkpointIntervalMs === undefined
      ? {}
      : { checkpointIntervalMs: options.checkpointIntervalMs }),
    mapTilesDir: options.mapTilesDir,
    ...(options.legal ? { legal: options.legal } : {}),
    reportSettings: { argon2: TEST_ARGON2, ...options.reportSettings },
  });
  const node: AccordNode = opened;
  const app = createApp({
    node,
    log: options.log ?? pino({ level: 'silent' }),
    secureCookies: false,
    bodyLimitBytes: options.bodyLimitBytes ?? 64 * 1024,
    signInPerMinute: options.signInPerMinute ?? 1000,
    ...(options.trustProxy ? { trustProxy: true } : {}),
  });
  return {
    node,
    app,
    dataDir,
    databaseUrl: pgHandle?.url,
    clock,
    close: async () => {
      // The test may have closed the node itself already.
      await node.close().catch(() => {});
      await pgHandle?.cleanup();
      await rm(root, { recursive: true, force: true });
    },
  };
};

/** The current code for a base32 TOTP secret as shown on the enrolment page. */
export const codeFor = (secretBase32: string, at: Date): string =>
  totp(base32Decode(secretBase32), at.getTime());

/**
 * Makes a user a member of a case with a role, as the node operator. A user from another
 * organisation than the case's lead also gets what they need to see: an agreement in force that
 * lets their organisation receive every category (or only `receives`).
 */
export const addMember = async (
  node: AccordNode,
  caseId: string,
  user: { id: UserId; orgId: OrgId },
  role: CaseRole,
  receives: readonly DataCategory[] = DATA_CATEGORIES,
): Promise<void> => {
  const operator = { operator: true } as const;
  await node.cases.putMember(operator, caseId, { userId: user.id, role });
  const kase = (await node.cases.view(operator, caseId)).record;
  if (kase.leadOrgId === user.orgId) return;
  await node.cases.saveAgreement(operator, caseId, {
    title: `Test agreement for ${user.id}`,
    basisKind: 'ad_hoc',
    startsOn: '2000-01-01',
    participants: [{ orgId: user.orgId, country: 'DE', receives }],
  });
};

/**
 * How a domain call ended, as one comparable line: "allowed", or the error's code and message
 * (with `id`, when given, written as <id>, so that answers about different ids can be compared).
 */
export const refusal = async (p: Promise<unknown>, id?: string): Promise<string> => {
  try {
    await p;
  } catch (e) {
    if (!isAccordError(e)) throw e;
    return `${e.code}: ${id ? e.message.replaceAll(id, '<id>') : e.message}`;
  }
  return 'allowed';
};
