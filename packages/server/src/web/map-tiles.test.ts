import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_PASSWORD, seedDemo } from '../node/demo.ts';
import { TestClient } from '../testing/client.ts';
import { createTestNode, describeEachDatabase, type TestNode } from '../testing/harness.ts';
import { testdataPath } from '../testing/testdata.ts';
import { FolderMapTiles, project } from './map-tiles.ts';

// A 1 × 1 PNG: enough to prove the bytes are served as they are in the folder.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const LAT = 43.4674483;
const LON = 11.8851267;

const tileFolder = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'accord-tiles-'));
  const { x, y } = project(LAT, LON, 15);
  for (let dx = -1; dx <= 1; dx += 1) {
    for (let dy = -1; dy <= 1; dy += 1) {
      await mkdir(join(dir, '15', String(Math.floor(x) + dx)), { recursive: true });
      await writeFile(join(dir, '15', String(Math.floor(x) + dx), `${Math.floor(y) + dy}.png`), PNG);
    }
  }
  return dir;
};

describe('map tiles from a folder on the node', () => {
  it('projects to Web Mercator tile coordinates', () => {
    assert.deepEqual(project(0, 0, 1), { x: 1, y: 1 });
    const { x, y } = project(LAT, LON, 15);
    // Checked by hand: x = (lon + 180) / 360 · 2^15; y from the Mercator formula.
    assert.equal(Math.floor(x), 17465);
    assert.equal(Math.floor(y), 11982);
  });

  it('renders a 3 × 3 map of same-origin tiles with a marker, and serves only tiles it has', async () => {
    const dir = await tileFolder();
    try {
      const tiles = await FolderMapTiles.open(dir);
      assert.equal(tiles.zoom, 15);
      const svg = String(tiles.render(LAT, LON));
      assert.equal(svg.match(/<image href="\/map\/tiles\/15\/\d+\/\d+\.png"/g)?.length, 9);
      assert.match(svg, /<circle /);
      assert.doesNotMatch(svg, /style=|href="https?:/);
      assert.ok(Buffer.from((await tiles.tile(15, 17465, 11982)) ?? []).equals(PNG));
      assert.equal(await tiles.tile(15, 0, 0), undefined);
      assert.equal(await tiles.tile(15, -1, 0), undefined);
      assert.equal(await tiles.tile(40, 1, 1), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a folder without zoom levels with a clear message', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'accord-tiles-'));
    try {
      await assert.rejects(FolderMapTiles.open(dir), /has no zoom folders \(expected <zoom>\/<x>\/<y>\.png/);
      await assert.rejects(FolderMapTiles.open(join(dir, 'absent')), /cannot read the tile folder/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describeEachDatabase('the item page with map tiles configured', (create, name) => {
  let n: TestNode;
  let dir: string;
  let client: TestClient;
  before(async () => {
    dir = await tileFolder();
    n = await createTestNode(create, name, { mapTilesDir: dir });
    await seedDemo(n.node);
    client = new TestClient(n.app.app);
    await client.signIn('demo-investigator', DEMO_PASSWORD, () => n.clock.now());
  });
  after(async () => {
    await n?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the location on a map drawn from the node’s own tiles', async () => {
    const [c] = await n.node.cases.list({ operator: true });
    const { item } = await n.node.evidence.ingest(
      { operator: true },
      {
        caseId: c?.id,
        source: createReadStream(testdataPath('media', 'exif-samples', 'jpg', 'gps', 'DSCN0010.jpg')),
      },
      'cli',
    );
    const page = await (await client.get(`/evidence/${item.id}`)).text();
    assert.match(page, /<svg class="map"/);
    const href = /<image href="(\/map\/tiles\/15\/17465\/11982\.png)"/.exec(page)?.[1];
    assert.ok(href, 'the centre tile is on the page');
    const tile = await client.get(href);
    assert.equal(tile.status, 200);
    assert.equal(tile.headers.get('Content-Type'), 'image/png');
    assert.deepEqual(new Uint8Array(await tile.arrayBuffer()), new Uint8Array(PNG));
    assert.equal((await client.get('/map/tiles/15/1/1.png')).status, 404);
    assert.equal((await client.get('/map/tiles/15/17465/..%2F..%2Fx.png')).status, 404);
    const anonymous = new TestClient(n.app.app);
    assert.equal((await anonymous.get(href)).status, 303, 'tiles are for signed-in users only');
  });
});
