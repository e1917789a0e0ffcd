export {
  type CreateTestDatabase,
  describeEachDatabase,
  type TestDatabase,
  type TestDatabaseHandle,
  type TestDatabaseName,
  testDatabases,
  withDatabase,
} from './databases.ts';
export { dumpDatabase } from './dump.ts';
