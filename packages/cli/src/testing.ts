// Test helpers: run the CLI in this process with its output captured.
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { type CliIo, runCli } from './cli.ts';

export interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  readonly ms: number;
}

/** Runs the CLI in this process, with its output captured; the environment is only what is given. */
export const run = async (
  argv: readonly string[],
  options: { env?: Record<string, string>; onServing?: CliIo['onServing']; tty?: boolean } = {},
): Promise<Run> => {
  const chunks = { out: [] as string[], err: [] as string[] };
  const sink = (into: string[]) =>
    new Writable({
      write(chunk, _encoding, done) {
        into.push(String(chunk));
        done();
      },
    });
  const started = performance.now();
  const stderr = sink(chunks.err);
  // A terminal, as far as the progress bar can tell.
  if (options.tty) Object.assign(stderr, { isTTY: true, columns: 120 });
  const code = await runCli(argv, {
    env: { ACCORD_LOG_LEVEL: 'silent', ...options.env },
    stdout: sink(chunks.out),
    stderr,
    stdin: Readable.from([]),
    ...(options.onServing ? { onServing: options.onServing } : {}),
  });
  return { code, out: chunks.out.join(''), err: chunks.err.join(''), ms: performance.now() - started };
};

/** Fails with everything the command printed, which is what one needs to see when it goes wrong. */
export const expectCode = (result: Run, code: number): Run => {
  assert.equal(result.code, code, `exit code ${result.code}, expected ${code}\n${result.out}${result.err}`);
  return result;
};

export const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1) ?? '';
