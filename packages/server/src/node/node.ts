import { join } from 'node:path';
import {
  Accounts,
  Cases,
  type Clock,
  CustodyLog,
  Evidence,
  type LegalCatalogue,
  Reports,
  type ReportsSettings,
  ROME_STATUTE,
  SecretBox,
  sha256Hex,
  systemClock,
  Witnesses,
} from '@accord/core';
import { parseVerifierKey } from '@accord/custody';
import { createExtractor } from '@accord/extract';
import {
  bindLogOrigin,
  bindSecretKey,
  EncryptedBlobStore,
  FsIntakeStore,
  Keyring,
  KyselyAccountsRepo,
  KyselyCaseRepo,
  KyselyEvidenceRepo,
  KyselyReportRepo,
  KyselyWitnessRepo,
  type MigrationReport,
  migrateToLatest,
  type OpenDatabase,
  openDatabase,
} from '@accord/store';
import { FolderMapTiles } from '../web/map-tiles.ts';
import { type DataFolder, openDataFolder } from './data-folder.ts';
import { loadLegalCatalogue } from './legal-folder.ts';
import { loadLogKey } from './log-key.ts';

/** The composition root: one place that wires storage, domain and keys together. */
export interface AccordNode {
  readonly folder: DataFolder;
  readonly database: OpenDatabase;
  /** The evidence vault: blobs encrypted at rest. */
  readonly blobs: EncryptedBlobStore;
  readonly accounts: Accounts;
  readonly evidence: Evidence;
  readonly cases: Cases;
  readonly witnesses: Witnesses;
  /** Safe reporting: the portal's reports, sealed for survivor advocates (docs/reporting.md). */
  readonly reports: Reports;
  readonly evidenceRepo: KyselyEvidenceRepo;
  readonly custody: CustodyLog;
  /** Crimes, elements and national profiles: built in, plus the data folder's `legal/`. */
  readonly legal: LegalCatalogue;
  /** Map tiles served by the node (ACCORD_MAP_TILES), if configured. */
  readonly mapTiles: FolderMapTiles | undefined;
  /** The checkpoint signer's verifier key (C2SP signed-note vkey). */
  readonly logVerifierKey: string;
  readonly migrations: MigrationReport;
  /** The node's clock (a test moves it); pages that compare times use it too. */
  readonly clock: Clock;
  /** Finishes pending log appends, signs a last checkpoint and closes the database. */
  close(): Promise<void>;
}

export interface OpenNodeOptions {
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly clock?: Clock;
  /** A folder of XYZ map tiles to show item locations on (ACCORD_MAP_TILES). */
  readonly mapTilesDir?: string | undefined;
  /** Base64 key-encryption keys (ACCORD_KEK); otherwise keys/kek/ in the data folder. */
  readonly kek?: string | undefined;
  /** The log's origin (ACCORD_LOG_ORIGIN); fixed at first start. */
  readonly logOrigin?: string | undefined;
  /** Longest delay between growth of the log and a signed checkpoint (default 1 s). */
  readonly checkpointIntervalMs?: number;
  /** Use this legal catalogue instead of loading one (tests that need known content). */
  readonly legal?: LegalCatalogue;
  /** Receipt-code hashing and guess limits (tests use cheaper Argon2 parameters). */
  readonly reportSettings?: Partial<ReportsSettings>;
}

export const openNode = async (options: OpenNodeOptions): Promise<AccordNode> => {
  const folder = await openDataFolder(options.dataDir);
  const mapTiles = options.mapTilesDir ? await FolderMapTiles.open(options.mapTilesDir) : undefined;
  const legal = options.legal ?? (await loadLegalCatalogue(folder.dir));
  const kek = options.kek;
  const keyring = kek ? Keyring.fromEnv(kek) : await Keyring.fromFolder(folder.kekDir);
  const database = await openDatabase(
    options.databaseUrl
      ? { kind: 'postgres', url: options.databaseUrl }
      : { kind: 'sqlite', path: folder.databasePath },
  );
  try {
    const migrations = await migrateToLatest(database.db, database.dialect);
    await bindSecretKey(database.db, sha256Hex(folder.secretKey));
    const origin = await bindLogOrigin(
      database.db,
      options.logOrigin || undefined,
      `accord.invalid/node/${folder.identity.nodeId}`,
    );
    const { signer, vkey } = await loadLogKey(folder.signingKeyPem, origin);
    const blobs = await EncryptedBlobStore.open(folder.blobDir, keyring);
    // Temp files older than a day can only be leftovers of a crash.
    await blobs.removeStaleTemp(86_400_000);
    const clock = options.clock ?? systemClock;
    const accountsRepo = new KyselyAccountsRepo(database.db);
    const accounts = new Accounts({
      repo: accountsRepo,
      secretBox: new SecretBox(folder.secretKey),
      clock,
    });
    const evidenceRepo = new KyselyEvidenceRepo(database.db);
    const custody = new CustodyLog({
      repo: evidenceRepo,
      signer,
      verifier: await parseVerifierKey(vkey),
      origin,
      clock,
      ...(options.checkpointIntervalMs === undefined
        ? {}
        : { checkpointIntervalMs: options.checkpointIntervalMs }),
    });
    const cases = new Cases({
      repo: new KyselyCaseRepo(database.db),
      items: evidenceRepo,
      legal: () => legal,
      clock,
    });
    const witnesses = new Witnesses({
      repo: new KyselyWitnessRepo(database.db),
      access: cases.access,
      items: evidenceRepo,
      legal: () => legal,
      clock,
    });
    cases.access.useShareGate(witnesses);
    const evidence = new Evidence({
      access: cases.access,
      exportGate: witnesses,
      repo: evidenceRepo,
      log: custody,
      blobs,
      extractor: () => createExtractor(),
      clock,
    });
    const reports = new Reports({
      repo: new KyselyReportRepo(database.db),
      intake: await FsIntakeStore.open(join(folder.dir, 'intake')),
      extractor: () => createExtractor(),
      witnesses,
      evidence,
      cases,
      clock,
      organisations: async () => (await accountsRepo.listOrgs()).map((o) => ({ id: o.id, name: o.name })),
      jurisdictions: () => [ROME_STATUTE, ...legal.jurisdictions.map((j) => j.code)],
      ...(options.reportSettings ? { settings: options.reportSettings } : {}),
    });
    // Leftovers of uploads a crash cut off, or that were refused after their files were stored.
    await reports.sweepIntake();
    // A fresh log publishes its empty checkpoint at once, so /log/checkpoint always answers.
    await custody.latestCheckpoint();
    return {
      folder,
      database,
      blobs,
      accounts,
      evidence,
      cases,
      witnesses,
      reports,
      evidenceRepo,
      custody,
      logVerifierKey: vkey,
      mapTiles,
      legal,
      migrations,
      clock,
      close: async () => {
        try {
          await custody.close();
        } finally {
          await database.close();
        }
      },
    };
  } catch (e) {
    await database.close().catch(() => {});
    throw e;
  }
};
