import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { BundleBody } from './bundle-download.ts';

describe('bundle download body', () => {
  it('abandons a download whose reader stopped reading, so the writer and its files are freed', async () => {
    const body = new BundleBody(50);
    const reader = body.stream.getReader();
    // More than the response buffer holds: the writer now waits for the reader.
    const full = body.write(Buffer.alloc(512 * 1024));
    assert.equal(full, false);
    await assert.rejects(once(body, 'drain'), /the client stopped reading the download/);
    assert.ok(body.destroyed);
    assert.ok(body.clientGone);
    // The response stream fails too (the connection is closed rather than left hanging).
    await assert.rejects(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
      /stopped reading/,
    );
    assert.throws(() => body.write(Buffer.from('more')), /stopped reading/);
  });

  it('keeps going while the reader reads', async () => {
    const body = new BundleBody(50);
    const reader = body.stream.getReader();
    const chunks: number[] = [];
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        chunks.push(value.byteLength);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    for (let i = 0; i < 20; i += 1) {
      if (!body.write(Buffer.alloc(64 * 1024))) await once(body, 'drain');
    }
    body.end();
    await reading;
    assert.equal(
      chunks.reduce((a, b) => a + b, 0),
      20 * 64 * 1024,
    );
  });
});
