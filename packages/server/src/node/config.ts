import { AccordError } from '@accord/core';

/** Everything the node needs to start, typed and validated. Built from env and flags by the CLI. */
export interface NodeConfig {
  readonly dataDir: string;
  /** postgres://… to use PostgreSQL; undefined for the embedded SQLite database in the data folder. */
  readonly databaseUrl: string | undefined;
  readonly host: string;
  readonly port: number;
  /** Set cookies with Secure and send HSTS: on when the node is reached over HTTPS. */
  readonly secureCookies: boolean;
  /** The node is behind one reverse proxy that appends the client address to X-Forwarded-For. */
  readonly trustProxy?: boolean;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
  /** Base64 key-encryption keys for the vault (ACCORD_KEK); otherwise keys/kek/ in the data folder. */
  readonly kek?: string | undefined;
  /** A folder of XYZ map tiles (ACCORD_MAP_TILES) to show item locations on. */
  readonly mapTilesDir?: string | undefined;
  /** The custody log's origin (ACCORD_LOG_ORIGIN), fixed at first start. */
  readonly logOrigin?: string | undefined;
  /** Largest accepted request body for forms and JSON. */
  readonly bodyLimitBytes: number;
}

export { DEFAULTS } from './defaults.ts';

export const parsePort = (value: string | number): number => {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535 || (typeof value === 'string' && !/^\d+$/.test(value))) {
    throw new AccordError(
      'config',
      `the port must be a whole number from 0 to 65535 (got ${JSON.stringify(value)})`,
    );
  }
  return n;
};

export const parseHost = (value: string): string => {
  const host = value.trim();
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host) || host.length > 255) {
    throw new AccordError(
      'config',
      `the host must be an IP address or host name (got ${JSON.stringify(value)})`,
    );
  }
  return host;
};

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'silent'] as const;

export const parseLogLevel = (value: string | undefined): NodeConfig['logLevel'] => {
  if (value === undefined || value === '') return 'info';
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as NodeConfig['logLevel'];
  throw new AccordError(
    'config',
    `ACCORD_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(value)})`,
  );
};
