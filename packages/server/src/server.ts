import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { serve } from '@hono/node-server';
import pino, { type DestinationStream, type Logger } from 'pino';
import { createApp } from './http/app.ts';
import type { NodeConfig } from './node/config.ts';
import { markServing } from './node/data-folder.ts';
import { type AccordNode, openNode } from './node/node.ts';

export interface RunningServer {
  readonly node: AccordNode;
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections, lets in-flight requests finish, then closes the database. */
  stop(): Promise<void>;
}

/** JSON lines on standard error; no pid or hostname (`base: undefined`): nothing about the machine or people. */
export const createLogger = (
  level: NodeConfig['logLevel'],
  destination: DestinationStream = pino.destination(2),
): Logger => pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, destination);

export const startServer = async (
  config: NodeConfig,
  log: Logger = createLogger(config.logLevel),
): Promise<RunningServer> => {
  const node = await openNode({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    kek: config.kek,
    logOrigin: config.logOrigin,
    mapTilesDir: config.mapTilesDir,
  });
  const { app } = createApp({
    node,
    log,
    secureCookies: config.secureCookies,
    trustProxy: config.trustProxy ?? false,
    bodyLimitBytes: config.bodyLimitBytes,
  });
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = serve({
        fetch: app.fetch,
        hostname: config.host,
        port: config.port,
        // A large upload over a slow field link may take hours; idle sockets still time out.
        serverOptions: { requestTimeout: 0 },
      }) as Server;
      s.once('listening', () => resolve(s));
      s.once('error', reject);
    });
  } catch (e) {
    await node.close();
    const code = (e as { code?: string }).code;
    const { AccordError } = await import('@accord/core');
    if (code === 'EADDRINUSE') {
      throw new AccordError(
        'config',
        `port ${config.port} on ${config.host} is already in use; choose another with --port`,
      );
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new AccordError('config', `cannot listen on ${config.host}: no such local address`);
    }
    throw e;
  }
  const release = await markServing(node.folder);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  let stopping: Promise<void> | undefined;
  // A request that is in flight when stop() is called would otherwise leave its keep-alive
  // connection idling until the keep-alive timeout, holding the shutdown up by seconds: once
  // stopping, responses say "Connection: close", and connections that fall idle are closed.
  const inFlight = new Set<ServerResponse>();
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (stopping) {
      res.setHeader('Connection', 'close');
      return;
    }
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    res.once('finish', () => {
      inFlight.delete(res);
      if (stopping) setImmediate(() => server.closeIdleConnections());
    });
  });
  const stop = () => {
    stopping ??= (async () => {
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      // close() stops new connections and resolves when in-flight requests have finished;
      // idle keep-alive connections are closed so that this does not wait for browsers.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await node.close();
      await release();
    })();
    return stopping;
  };
  return { node, url: `http://${shownHost}:${port}`, port, stop };
};
