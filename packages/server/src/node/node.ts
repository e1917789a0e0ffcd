import { Accounts, type Clock, SecretBox, systemClock } from '@accord/core';
import {
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
    const blobs = await FsBlobStore.open(folder.blobDir);
    // Temp files older than a day can only be leftovers of a crash.
    await removeStaleTemp(folder.blobDir, 86_400_000);
    const accounts = new Accounts({
      repo: new KyselyAccountsRepo(database.db),
      secretBox: new SecretBox(folder.secretKey),
      clock: options.clock ?? systemClock,
    });
    return { folder, database, blobs, accounts, migrations, close: () => database.close() };
  } catch (e) {
    await database.close().catch(() => {});
    throw e;
  }
};
