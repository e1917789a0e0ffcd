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
export { knownMigrations, type MigrationReport, migrateToLatest } from './migrations/index.ts';
export { KyselyAccountsRepo } from './repos/accounts-repo.ts';
export { bindSecretKey } from './repos/node-meta.ts';
