import type { Writable } from 'node:stream';

/** A one-line progress bar on a terminal; silent when stderr is not one. */
export class Progress {
  readonly #stream: Writable & { isTTY?: boolean; columns?: number };
  #total: number;
  readonly #files: number;
  #done = 0;
  #filesDone = 0;
  #last = 0;
  readonly #started = performance.now();

  constructor(stream: Writable, total: number, files: number) {
    this.#stream = stream as Writable & { isTTY?: boolean };
    this.#total = total;
    this.#files = files;
  }

  /** Sets progress to an absolute position (when the total is only known once work started). */
  set(done: number, total: number): void {
    this.#total = total;
    this.#done = 0;
    this.advance(done);
  }

  advance(bytes: number): void {
    this.#done += bytes;
    const now = performance.now();
    if (now - this.#last > 100) {
      this.#last = now;
      this.draw();
    }
  }

  fileDone(): void {
    this.#filesDone += 1;
  }

  draw(): void {
    if (!this.#stream.isTTY) return;
    const fraction = this.#total === 0 ? this.#filesDone / this.#files : this.#done / this.#total;
    const width = 24;
    const filled = Math.round(Math.min(1, fraction) * width);
    const seconds = (performance.now() - this.#started) / 1000;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${this.#filesDone}/${this.#files} files  ${formatBytes(this.#done)}/${formatBytes(this.#total)}  ${formatBytes(this.#done / Math.max(seconds, 0.001))}/s`;
    this.#stream.write(`\r${line.slice(0, (this.#stream.columns ?? 100) - 1)}`);
  }

  clear(): void {
    if (this.#stream.isTTY) this.#stream.write('\r\x1b[2K');
  }
}

export const formatBytes = (n: number): string => {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
};
