// HTTP/1.1 chunked transfer coding (RFC 9112 §7.1), decoded incrementally: size line, data, CRLF, ...,
// a zero-size chunk, optional trailer fields, and an empty line.

type Phase = 'size' | 'data' | 'data-end' | 'trailer' | 'done' | 'invalid';

const MAX_LINE = 4096;

export class Dechunker {
  private phase: Phase = 'size';
  private line = '';
  private left = 0;
  private readonly onData: (bytes: Uint8Array) => void;

  constructor(onData: (bytes: Uint8Array) => void) {
    this.onData = onData;
  }

  /** The body ended exactly after the last chunk and its trailer. */
  get complete(): boolean {
    return this.phase === 'done';
  }

  write(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      switch (this.phase) {
        case 'size':
        case 'trailer':
        case 'data-end': {
          const c = bytes[i++] ?? 0;
          if (c !== 0x0a) {
            if (this.line.length >= MAX_LINE) this.phase = 'invalid';
            else this.line += String.fromCharCode(c);
            break;
          }
          const line = this.line.replace(/\r$/, '');
          this.line = '';
          this.endLine(line);
          break;
        }
        case 'data': {
          const n = Math.min(this.left, bytes.length - i);
          this.onData(bytes.subarray(i, i + n));
          this.left -= n;
          i += n;
          if (this.left === 0) this.phase = 'data-end';
          break;
        }
        case 'done':
        case 'invalid':
          // Bytes after the end of the chunked body (or after an error) are not part of it.
          if (this.phase === 'done') this.phase = 'invalid';
          return;
      }
    }
  }

  private endLine(line: string): void {
    if (this.phase === 'data-end') {
      this.phase = line === '' ? 'size' : 'invalid';
      return;
    }
    if (this.phase === 'trailer') {
      if (line === '') this.phase = 'done';
      return;
    }
    const size = line.split(';', 1)[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]{1,12}$/.test(size)) {
      this.phase = 'invalid';
      return;
    }
    this.left = Number.parseInt(size, 16);
    this.phase = this.left === 0 ? 'trailer' : 'data';
  }
}
