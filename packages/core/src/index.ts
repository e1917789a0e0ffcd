export * from './accounts/passwords.ts';
export type * from './accounts/ports.ts';
export { systemClock } from './accounts/ports.ts';
export * from './accounts/service.ts';
export * from './accounts/types.ts';
export * from './accounts/validate.ts';
export * from './audit/types.ts';
export * from './blobs/port.ts';
export * from './cases/access.ts';
export * from './cases/gaps.ts';
export type * from './cases/ports.ts';
export * from './cases/service.ts';
export * from './cases/types.ts';
export * from './cases/validate.ts';
export * from './crypto/base32.ts';
export * from './crypto/secretbox.ts';
export * from './crypto/tokens.ts';
export * from './crypto/totp.ts';
export * from './custody/audit.ts';
export * from './custody/events.ts';
export * from './custody/log.ts';
export {
  HASH_SIZE,
  hashChildren as hashChildrenSync,
  hashLeaf as hashLeafSync,
  sha256 as sha256Sync,
  subtreeRoot,
} from './custody/merkle.ts';
export * from './custody/tiles.ts';
export type * from './evidence/ports.ts';
export * from './evidence/replay.ts';
export * from './evidence/service.ts';
export * from './evidence/types.ts';
export * from './evidence/validate.ts';
export * from './legal/catalogue.ts';
export * from './policy/policy.ts';
export * from './reports/crypto.ts';
export type * from './reports/ports.ts';
export * from './reports/service.ts';
export * from './reports/types.ts';
export * from './shared/errors.ts';
export * from './shared/ids.ts';
export * from './shared/text.ts';
export type * from './witnesses/ports.ts';
export * from './witnesses/service.ts';
export * from './witnesses/types.ts';
