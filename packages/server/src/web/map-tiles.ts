import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AccordError } from '@accord/core';
import { html } from 'hono/html';
import type { Html } from './layout.ts';
import type { MapTiles } from './location.ts';

/**
 * Map tiles from a folder on the node (`ACCORD_MAP_TILES`): the usual XYZ ("slippy map") layout
 * `<dir>/<z>/<x>/<y>.png`, e.g. an offline tile pack for the region of an investigation. They are
 * served by the node itself under /map/tiles/, so a map never tells any other server which places
 * an investigation looks at, and the page's CSP (`img-src 'self'`) still holds. The map is an
 * inline SVG of 3 × 3 tiles around the point with a marker: no script, no style attributes.
 */
export class FolderMapTiles implements MapTiles {
  readonly dir: string;
  /** The most detailed zoom level the folder has, capped at 17. */
  readonly zoom: number;

  private constructor(dir: string, zoom: number) {
    this.dir = dir;
    this.zoom = zoom;
  }

  static async open(dir: string): Promise<FolderMapTiles> {
    const root = resolve(dir);
    let levels: number[];
    try {
      levels = (await readdir(root)).filter((n) => /^\d{1,2}$/.test(n)).map(Number);
    } catch {
      throw new AccordError('config', `ACCORD_MAP_TILES: cannot read the tile folder ${root}`);
    }
    const usable = levels.filter((z) => z <= 17);
    if (usable.length === 0) {
      throw new AccordError(
        'config',
        `ACCORD_MAP_TILES: ${root} has no zoom folders (expected <zoom>/<x>/<y>.png, e.g. 15/19123/11842.png)`,
      );
    }
    return new FolderMapTiles(root, Math.max(...usable));
  }

  /** The PNG bytes of one tile, or undefined when the folder does not have it. */
  async tile(z: number, x: number, y: number): Promise<Uint8Array | undefined> {
    const n = 2 ** z;
    if (!Number.isInteger(z) || z < 0 || z > 17 || !Number.isInteger(x) || !Number.isInteger(y))
      return undefined;
    if (x < 0 || y < 0 || x >= n || y >= n) return undefined;
    try {
      return await readFile(join(this.dir, String(z), String(x), `${y}.png`));
    } catch {
      return undefined;
    }
  }

  render(latitude: number, longitude: number): Html {
    const { x, y } = project(latitude, longitude, this.zoom);
    const tx = Math.floor(x);
    const ty = Math.floor(y);
    const n = 2 ** this.zoom;
    const images: Html[] = [];
    for (let dy = -1; dy <= 1; dy += 1) {
      for (let dx = -1; dx <= 1; dx += 1) {
        const cx = (((tx + dx) % n) + n) % n;
        const cy = ty + dy;
        if (cy < 0 || cy >= n) continue;
        images.push(
          html`<image href="/map/tiles/${this.zoom}/${cx}/${cy}.png" x="${(dx + 1) * 256}" y="${(dy + 1) * 256}" width="256" height="256"/>`,
        );
      }
    }
    const px = (x - tx + 1) * 256;
    const py = (y - ty + 1) * 256;
    return html`<svg class="map" viewBox="128 128 512 512" role="img" aria-hidden="true" xmlns="http://www.w3.org/2000/svg">${images}<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="9" fill="#c0392b" stroke="#fff" stroke-width="3"/></svg>`;
  }
}

/** Web Mercator: fractional tile coordinates of a point at a zoom level. */
export const project = (latitude: number, longitude: number, zoom: number): { x: number; y: number } => {
  const n = 2 ** zoom;
  const lat = (Math.max(-85.05112878, Math.min(85.05112878, latitude)) * Math.PI) / 180;
  return {
    x: ((longitude + 180) / 360) * n,
    y: ((1 - Math.log(Math.tan(lat) + 1 / Math.cos(lat)) / Math.PI) / 2) * n,
  };
};
