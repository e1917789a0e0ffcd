// Constants the command line needs before anything else loads (help texts): no imports here, so
// that `accord --help` and `accord verify-bundle` start without loading the whole server.
export const DEFAULTS = {
  dataDir: './accord-data',
  host: '127.0.0.1',
  port: 8080,
  bodyLimitBytes: 64 * 1024,
} as const;

/** The published password of the demo accounts (`accord demo`). */
export const DEMO_PASSWORD = 'accord-demo-only';
