import { parseTilePath, TILE_WIDTH, tileWidth } from '@accord/core';
import type { Context, Hono } from 'hono';
import type { AccordNode } from '../node/node.ts';
import type { AppEnv } from './context.ts';
import type { Guard, RouteRegistry } from './routes.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The custody log, read-only and without a session, as C2SP tlog-tiles lays it out: partners
 * and auditors mirror and verify it with standard tooling.
 *
 *   GET /log/checkpoint                      latest signed checkpoint (text)
 *   GET /log/tile/<L>/<N>[.p/<W>]            hash tiles
 *   GET /log/tile/entries/<N>[.p/<W>]        entry bundles: per entry a big-endian uint16 length
 *                                            and the event's canonical JSON bytes
 *   GET /log/vkey                            the verifier key of the checkpoint signer
 */
export const registerLogRoutes = (
  app: Hono<AppEnv>,
  registry: RouteRegistry,
  guard: Guard,
  node: AccordNode,
) => {
  const route = (path: string, handler: (c: Context<AppEnv>) => Promise<Response>) => {
    const rule = { method: 'GET', path, action: 'public', kind: 'probe' } as const;
    registry.add(rule);
    app.get(path, guard(rule), handler);
  };
  const text = (c: Context, body: string | Uint8Array, status: 200 | 404, cache: string, type: string) => {
    c.header('Cache-Control', cache);
    c.header('Content-Type', type);
    return c.body(typeof body === 'string' ? body : (body as Uint8Array<ArrayBuffer>), status);
  };
  const notFound = (c: Context, message: string) =>
    text(c, `${message}\n`, 404, 'no-store', 'text/plain; charset=utf-8');

  route('/log/checkpoint', async (c) => {
    const checkpoint = await node.custody.latestCheckpoint();
    return text(c, checkpoint.note, 200, 'no-cache', 'text/plain; charset=utf-8');
  });

  route('/log/vkey', async (c) =>
    text(c, `${node.logVerifierKey}\n`, 200, 'no-cache', 'text/plain; charset=utf-8'),
  );

  route('/log/tile/*', async (c) => {
    const rest = new URL(c.req.url).pathname.slice('/log/tile/'.length);
    const tile = parseTilePath(rest);
    if (!tile) return notFound(c, 'not a tile path (see C2SP tlog-tiles)');
    const { size } = await node.custody.state();
    const level = tile.kind === 'entries' ? 0 : tile.level;
    const available = tileWidth(size, level, tile.index);
    const full = tile.width === TILE_WIDTH;
    if (available < tile.width) return notFound(c, 'the log has no such tile yet');
    const cache = full ? IMMUTABLE : 'public, max-age=60';
    if (tile.kind === 'hashes') {
      const hashes = await node.evidenceRepo.readTile(tile.level, tile.index);
      if (!hashes || hashes.byteLength < tile.width * 32) return notFound(c, 'the log has no such tile yet');
      return text(c, hashes.subarray(0, tile.width * 32), 200, cache, 'application/octet-stream');
    }
    const entries = await node.evidenceRepo.readEntries(tile.index * TILE_WIDTH, tile.width);
    if (entries.length !== tile.width) return notFound(c, 'the log has no such entry bundle yet');
    const bundle = Buffer.alloc(entries.reduce((n, e) => n + 2 + e.byteLength, 0));
    let offset = 0;
    for (const entry of entries) {
      bundle.writeUInt16BE(entry.byteLength, offset);
      bundle.set(entry, offset + 2);
      offset += 2 + entry.byteLength;
    }
    return text(c, bundle, 200, cache, 'application/octet-stream');
  });
};
