import { Accounts, type Clock, SecretBox, sha256Hex, systemClock } from '@accord/core';
import {
  bindSecretKey,
  FsBlobStore,
  KyselyAccountsRepo,
  type MigrationReport,
  migrateToLatest,
  type OpenDatabase,
  openDatabase,
  removeStaleTemp,
} from '@accord/store';
import { type DataFolder, openDataFolder } from './data-folder.ts';

/** The composition root: one place that wires storage, domain and keys together. */
export interface AccordNode {
  readonly folder: DataFolder;
  readonly database: OpenDatabase;
  readonly blobs: FsBlobStore;
  readonly accounts: Accounts;
  readonly migrations: MigrationReport;
  /** The node's clock (a test moves it); pages that compare times use it too. */
  readonly clock: Clock;
  close(): Promise<void>;
}

export interface OpenNodeOptions {
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly clock?: Clock;
}

export const openNode = async (options: OpenNodeOptions): Promise<AccordNode> => {
  const folder = await openDataFolder(options.dataDir);
  const database = await openDatabase(
    options.databaseUrl
      ? { kind: 'postgres', url: options.databaseUrl }
      : { kind: 'sqlite', path: folder.databasePath },
  );
  try {
    const migrations = await migrateToLatest(database.db, database.dialect);
    await bindSecretKey(database.db, sha256Hex(folder.secretKey));
    const blobs = await FsBlobStore.open(folder.blobDir);
    // Temp files older than a day can only be leftovers of a crash.
    await removeStaleTemp(folder.blobDir, 86_400_000);
    const clock = options.clock ?? systemClock;
    const accounts = new Accounts({
      repo: new KyselyAccountsRepo(database.db),
      secretBox: new SecretBox(folder.secretKey),
      clock,
    });
    return { folder, database, blobs, accounts, migrations, clock, close: () => database.close() };
  } catch (e) {
    await database.close().catch(() => {});
    throw e;
  }
};
