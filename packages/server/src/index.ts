export { type BundleReport, type ItemReport, verifyBundle } from './export/bundle-verifier.ts';
export { type BundleOptions, type BundleSummary, writeBundle } from './export/bundle-writer.ts';
export { indexTar, padding, type TarMember, tarHeader, trailer } from './export/tar.ts';
export { createApp } from './http/app.ts';
export { DEFAULTS, LOG_LEVELS, type NodeConfig, parseHost, parseLogLevel, parsePort } from './node/config.ts';
export {
  type DataFolder,
  initDataFolder,
  isDataFolder,
  openDataFolder,
  servingPid,
} from './node/data-folder.ts';
export { DEMO_PASSWORD, seedDemo } from './node/demo.ts';
export { BUILT_IN_LEGAL, loadLegalCatalogue } from './node/legal-folder.ts';
export { type AccordNode, openNode } from './node/node.ts';
export { createLogger, type RunningServer, startServer } from './server.ts';
