export { FsBlobStore, removeStaleTemp } from './blobs/fs-blob-store.ts';
export {
  type DatabaseTarget,
  type Dialect,
  type OpenDatabase,
  openDatabase,
  parseDatabaseUrl,
  redactUrl,
} from './db/open.ts';
export type { Database } from './db/schema.ts';
export { FsIntakeStore } from './intake/intake-store.ts';
export { knownMigrations, type MigrationReport, migrateToLatest } from './migrations/index.ts';
export { KyselyAccountsRepo } from './repos/accounts-repo.ts';
export { KyselyCaseRepo } from './repos/case-repo.ts';
export { appendLeafHashes, KyselyEvidenceRepo } from './repos/evidence-repo.ts';
export { bindLogOrigin, bindSecretKey } from './repos/node-meta.ts';
export { KyselyReportRepo } from './repos/report-repo.ts';
export { KyselyWitnessRepo } from './repos/witness-repo.ts';
export {
  EncryptedBlobStore,
  type EncryptedBlobStoreOptions,
  type RetireReport,
  type RewrapProgress,
  type RewrapReport,
  type VerifyResult,
} from './vault/encrypted-blob-store.ts';
export { Keyring, type WrappedKey } from './vault/keyring.ts';
