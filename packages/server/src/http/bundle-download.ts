import { Writable } from 'node:stream';
import type { Principal } from '@accord/core';
import type { Context } from 'hono';
import { type BundleOptions, writeBundle } from '../export/bundle-writer.ts';
import { contentDisposition } from './content.ts';
import type { AppEnv } from './context.ts';

/** The response body of a bundle download: a web stream fed by a Node writable, with backpressure. */
export class BundleBody extends Writable {
  readonly stream: ReadableStream<Uint8Array>;
  /** Resolves when the first byte is written: from then on the answer is the bundle. */
  readonly started: Promise<void>;
  #start: () => void = () => {};
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** The callback of a write that waits until the reader wants more. */
  #waiting: (() => void) | undefined;
  #gone = false;
  #begun = false;
  #closed = false;
  readonly #idleMs: number;
  #idle: NodeJS.Timeout | undefined;

  /**
   * @param idleMs how long the reader may stop reading before the download is abandoned: a client
   * that keeps the connection open without reading must not hold a vault file and the bundle's
   * proofs in memory for ever.
   */
  constructor(idleMs = 5 * 60_000) {
    super({ highWaterMark: 64 * 1024 });
    this.#idleMs = idleMs;
    // Destroying a Writable emits 'error': never unhandled here. The writer learns of it from its
    // wait for 'drain' (which rejects) or from its next write (which throws).
    this.on('error', () => {});
    this.started = new Promise((resolve) => {
      this.#start = resolve;
    });
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => this.#resume(),
        // The client went away (or the server stopped reading): the writer must stop too.
        cancel: () => {
          this.#gone = true;
          this.destroy(new ClientGone());
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 256 * 1024 }),
    );
  }

  get clientGone(): boolean {
    return this.#gone;
  }

  /** True once a byte was written (and the response is, or is about to be, under way). */
  get begun(): boolean {
    return this.#begun;
  }

  /**
   * A write after the stream was destroyed must fail at once: a destroyed Writable never emits
   * 'drain' again, and a writer waiting for it would hold the vault's file open forever.
   */
  override write(
    chunk: unknown,
    encoding?: BufferEncoding | ((error: Error | null | undefined) => void),
    callback?: (error: Error | null | undefined) => void,
  ): boolean {
    if (this.destroyed) throw this.errored ?? new ClientGone();
    return typeof encoding === 'function'
      ? super.write(chunk, encoding)
      : super.write(chunk, encoding!, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#begun = true;
    this.#start();
    const controller = this.#controller!;
    controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if ((controller.desiredSize ?? 0) > 0) callback();
    else {
      this.#waiting = () => callback();
      clearTimeout(this.#idle);
      this.#idle = setTimeout(() => {
        const error = new ClientGone('the client stopped reading the download');
        // Abort the response too, so that the connection closes instead of hanging.
        try {
          this.#controller?.error(error);
        } catch {
          // already closed
        }
        this.#gone = true;
        this.destroy(error);
      }, this.#idleMs);
      this.#idle.unref();
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#closed = true;
    try {
      this.#controller?.close();
    } catch {
      // the reader went away
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#waiting = undefined;
    clearTimeout(this.#idle);
    // After _final the stream is complete: destroy(null) then only tidies up (autoDestroy).
    if (!this.#gone && !this.#closed) {
      // The writer failed midway: the reader (the HTTP response) fails too, so that the client
      // sees a cut-off download rather than a short bundle that looks complete.
      try {
        this.#controller?.error(error ?? new Error('the bundle was not finished'));
      } catch {
        // already closed
      }
    }
    callback(error);
  }

  #resume(): void {
    clearTimeout(this.#idle);
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }
}

class ClientGone extends Error {
  constructor(message = 'the client closed the connection during the download') {
    super(message);
    this.name = 'ClientGone';
  }
}

/** `<case id>-<YYYY-MM-DD>.accord.tar`: no case title in a file name that travels by mail. */
export const bundleFileName = (caseId: string, now: Date): string =>
  `${caseId.replace(/[^0-9A-Za-z-]/g, '') || 'case'}-${now.toISOString().slice(0, 10)}.accord.tar`;

/**
 * Answers with an export bundle, streamed. writeBundle records the export (and checks everything
 * the domain checks) before it writes its first byte, so the response is made only when that first
 * byte exists: until then, anything thrown is thrown here, and the caller answers with an error
 * (JSON for the API, the form again for the page) instead of a broken download. Afterwards a
 * failure cuts the download off; a client that goes away stops the writer, and the export events
 * stay recorded.
 */
export const sendBundle = async (
  c: Context<AppEnv>,
  by: Principal,
  options: BundleOptions,
): Promise<Response> => {
  const node = c.get('node');
  const log = c.get('log');
  const fileName = bundleFileName(options.caseId, node.clock.now());
  const body = new BundleBody();
  const written = writeBundle(node, by, options, body).then(
    (summary) => {
      body.end();
      return summary;
    },
    (e: unknown) => {
      body.destroy(e instanceof Error ? e : new Error(String(e)));
      throw e;
    },
  );
  // Once the download has begun nobody awaits `written`: what happens is logged here.
  written.then(
    (summary) => {
      if (body.begun)
        log.info(
          { bundle: summary.bundleId, items: summary.items, bytes: summary.bytes },
          'export bundle sent',
        );
    },
    (e: unknown) => {
      if (!body.begun) return;
      if (body.clientGone)
        log.info('export bundle download cut off by the client; the export stays recorded');
      else
        log.error(
          { err: { message: (e as Error).message, stack: (e as Error).stack } },
          'export bundle failed midway; the download was cut off',
        );
    },
  );
  await Promise.race([body.started, written]);
  c.header('Content-Type', 'application/x-tar');
  c.header('Content-Disposition', contentDisposition('attachment', fileName));
  c.header('Cache-Control', 'private, no-store');
  return c.body(body.stream, 200);
};
