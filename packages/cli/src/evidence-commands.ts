import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { basename, resolve, sep } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { AccordError, auditNode, type IngestResult, parseCapture } from '@accord/core';
import { CustodyError, parseVerifierKey, toBase64, verifyCheckpoint } from '@accord/custody';
import type { AccordNode } from '@accord/server';
import { Keyring } from '@accord/store';
import type { Command } from 'commander';
import { formatBytes, Progress } from './progress.ts';

export interface EvidenceCommandContext {
  readonly out: (text: string) => void;
  readonly stderr: Writable;
  readonly stdin: Readable;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly withCommon: (cmd: Command) => Command;
  /** Opens the node of `data`, runs `fn`, always closes it (which publishes a last checkpoint). */
  readonly withOpenNode: <T>(data: string, fn: (node: AccordNode) => Promise<T>) => Promise<T>;
}

const OPERATOR = { operator: true } as const;

/** `case`, `evidence`, `log`, `verify` and `keys`: the evidence vault and custody log from the shell. */
export const registerEvidenceCommands = (program: Command, ctx: EvidenceCommandContext): void => {
  const { out, withCommon, withOpenNode } = ctx;

  // ── evidence add ─────────────────────────────────────────────────────────────
  const evidence = program.command('evidence').description('the evidence vault').exitOverride();
  withCommon(
    evidence
      .command('add')
      .description(
        'add files (folders recursively) to a case: hashed, encrypted, metadata extracted, custody logged',
      )
      .argument('<path...>', 'files or folders')
      .requiredOption('--case <id>', 'the case the items belong to')
      .option('--compartment <id>', 'file the items in this compartment of the case')
      .option('--source-url <url>', 'where the material was found (Berkeley Protocol: source)')
      .option('--collected-by <name>', 'who collected it')
      .option('--collected-at <time>', 'when it was collected (ISO 8601, e.g. 2024-03-01T14:30:00Z)')
      .option('--location <lat,lon>', 'where it was collected, decimal degrees')
      .option('--method <text>', 'how it was collected (tool, procedure)')
      .option('--note <text>', 'a note for the record')
      .option('--sensitive', 'mark the items as sensitive (blurred until clicked)')
      .option('--json', 'print one JSON object per file instead of text'),
  ).action(async (paths: string[], opts: EvidenceAddOptions) => {
    // Every option is checked before any file is read: a typo stores nothing.
    const capture = parseCapture({
      collectedBy: opts.collectedBy,
      collectedAt: opts.collectedAt,
      sourceUrl: opts.sourceUrl,
      method: opts.method,
      location: opts.location,
      note: opts.note,
    });
    const files = await collectFiles(paths, (warning) => ctx.stderr.write(`accord: ${warning}\n`));
    if (files.length === 0) throw new AccordError('invalid_input', 'no files found in the given paths');
    const failures = await withOpenNode(opts.data, async (node) => {
      await node.evidence.requireCase(OPERATOR, opts.case, opts.compartment);
      return addFiles(node, files, opts, capture, ctx);
    });
    if (failures > 0)
      throw new AccordError(
        'invalid_input',
        `${failures} of ${files.length} files could not be added (see above)`,
      );
  });

  // ── log ──────────────────────────────────────────────────────────────────────
  const log = program
    .command('log')
    .description("the node's custody log (a C2SP transparency log)")
    .exitOverride();
  withCommon(log.command('checkpoint').description('print the latest signed checkpoint')).action(
    async (opts: { data: string }) => {
      const note = await withOpenNode(opts.data, async (node) => {
        await node.custody.checkpoint();
        return (await node.custody.latestCheckpoint()).note;
      });
      ctx.out(note.replace(/\n$/, ''));
    },
  );
  withCommon(
    log.command('vkey').description("print the node's verifier key (C2SP signed-note format)"),
  ).action(async (opts: { data: string }) => {
    out(await withOpenNode(opts.data, async (node) => node.logVerifierKey));
  });
  withCommon(
    log
      .command('prove')
      .description(
        'print an inclusion proof of a custody event against the latest checkpoint (C2SP tlog-proof)',
      )
      .requiredOption('--event <id>', 'the custody event')
      .option('--json', 'print JSON instead of the tlog-proof text'),
  ).action(async (opts: { data: string; event: string; json?: boolean }) => {
    const proof = await withOpenNode(opts.data, (node) => node.evidence.proveEvent(OPERATOR, opts.event));
    if (opts.json) {
      out(
        JSON.stringify({
          event: proof.event.id,
          leafIndex: proof.event.leafIndex,
          treeSize: proof.size,
          entry: Buffer.from(proof.event.bytes).toString('utf8'),
          proof: proof.proof.map(toBase64),
          checkpoint: proof.checkpoint,
        }),
      );
      return;
    }
    ctx.stderr.write(`accord: event ${proof.event.id} is leaf ${proof.event.leafIndex} of ${proof.size}\n`);
    out(
      [
        'c2sp.org/tlog-proof@v1',
        `index ${proof.event.leafIndex}`,
        ...proof.proof.map(toBase64),
        '',
        proof.checkpoint.replace(/\n$/, ''),
      ].join('\n'),
    );
  });
  withCommon(
    log
      .command('consistency')
      .description('print a consistency proof from an earlier tree size to the latest checkpoint')
      .requiredOption('--from <size>', 'the earlier tree size (≥ 1)')
      .option('--json', 'print JSON'),
  ).action(async (opts: { data: string; from: string; json?: boolean }) => {
    const from = Number(opts.from);
    if (!/^\d+$/.test(opts.from) || !Number.isSafeInteger(from) || from < 1) {
      throw new AccordError(
        'invalid_input',
        `--from must be a tree size of at least 1 (got ${JSON.stringify(opts.from)})`,
      );
    }
    const result = await withOpenNode(opts.data, async (node) => {
      await node.custody.flush();
      const checkpoint = await node.custody.latestCheckpoint();
      if (from > checkpoint.size) {
        throw new AccordError(
          'invalid_input',
          `the latest checkpoint has ${checkpoint.size} entries; --from must not exceed it`,
        );
      }
      const tree = await node.custody.tree(checkpoint.size);
      const oldRoot = await (await node.custody.tree(from)).root();
      return { checkpoint, proof: await tree.consistencyProof(from), oldRoot };
    });
    if (opts.json) {
      out(
        JSON.stringify({
          from,
          to: result.checkpoint.size,
          fromRoot: toBase64(result.oldRoot),
          proof: result.proof.map(toBase64),
          checkpoint: result.checkpoint.note,
        }),
      );
      return;
    }
    out(
      [
        'accord.consistency-proof/v1',
        `from ${from} ${toBase64(result.oldRoot)}`,
        `to ${result.checkpoint.size}`,
        ...result.proof.map(toBase64),
        '',
        result.checkpoint.note.replace(/\n$/, ''),
      ].join('\n'),
    );
  });
  log
    .command('verify-checkpoint')
    .description(
      'verify a C2SP Ed25519 signed-note checkpoint (of this or any other log); exit 0 only when valid',
    )
    .argument('<file>', 'the checkpoint file ("-" for standard input)')
    .requiredOption('--vkey <vkey or file>', 'the verifier key, or a file holding it')
    .option('--origin <origin>', 'the origin the checkpoint must have')
    .exitOverride()
    .action(async (file: string, opts: { vkey: string; origin?: string }) => {
      const text = file === '-' ? await readAll(ctx.stdin) : await readText(file, 'checkpoint');
      const vkeyText = opts.vkey.includes('+')
        ? opts.vkey
        : (await readText(opts.vkey, 'verifier key')).trim();
      try {
        const verifier = await parseVerifierKey(vkeyText);
        const checkpoint = await verifyCheckpoint(
          text,
          [verifier],
          opts.origin ? { origin: opts.origin } : {},
        );
        out(`valid checkpoint of "${checkpoint.origin}"`);
        out(`size ${checkpoint.size}`);
        out(`root ${toBase64(checkpoint.rootHash)}`);
        out(`signed by ${verifier.name} (key ${verifier.keyId})`);
      } catch (e) {
        if (e instanceof CustodyError)
          throw new AccordError('integrity', `checkpoint NOT valid: ${e.message}`);
        throw e;
      }
    });

  // ── verify ───────────────────────────────────────────────────────────────────
  withCommon(
    program
      .command('verify')
      .description(
        'audit the whole node: every blob decrypts and matches its hash, every event its leaf, every chain, the tree and every published checkpoint',
      )
      .option('--skip-blobs', 'check the log and events only, not the stored bytes')
      .option('--json', 'print the report as JSON'),
  ).action(async (opts: { data: string; skipBlobs?: boolean; json?: boolean }) => {
    const report = await withOpenNode(opts.data, async (node) =>
      auditNode({
        repo: node.evidenceRepo,
        blobs: node.blobs,
        verifier: await parseVerifierKey(node.logVerifierKey),
        origin: node.custody.origin,
        skipBlobs: opts.skipBlobs === true,
      }),
    );
    if (opts.json) out(JSON.stringify(report));
    else {
      for (const p of report.problems) out(`FAILED ${p.where}: ${p.problem}`);
      const rate = report.timings.treeMs > 0 ? Math.round(report.leaves / (report.timings.treeMs / 1000)) : 0;
      out(
        `${report.ok ? 'OK' : 'FAILED'}: ${report.leaves} log entries (tree rebuilt at ${rate.toLocaleString('en')} leaves/s), ${report.checkpoints} checkpoints, ${report.items} items, ${report.blobs} blobs checked; ${report.problems.length} problem(s)`,
      );
      if (report.unreferencedBlobs.length > 0) {
        out(
          `note: ${report.unreferencedBlobs.length} stored blob(s) belong to no item (an ingest was interrupted before it was recorded); they are not evidence`,
        );
      }
    }
    if (!report.ok)
      throw new AccordError('integrity', `the audit found ${report.problems.length} problem(s)`);
  });

  // ── keys ─────────────────────────────────────────────────────────────────────
  const keys = program.command('keys').description("the vault's key-encryption keys").exitOverride();
  withCommon(
    keys
      .command('rotate')
      .description(
        'create a new key-encryption key and re-wrap every data key with it (the blobs are not rewritten)',
      )
      .option('--retire', 'afterwards, delete old keys no data key uses any more'),
  ).action(async (opts: { data: string; retire?: boolean }) => {
    await withOpenNode(opts.data, async (node) => {
      if (ctx.env.ACCORD_KEK) {
        out('ACCORD_KEK is set: its first key is current; re-wrapping every data key with it');
      } else {
        const keyring = await Keyring.addKey(node.folder.kekDir);
        node.blobs.rotate(keyring);
        out(`new key-encryption key ${keyring.currentId} is current`);
      }
      const report = await node.blobs.rewrapAll();
      out(`re-wrapped ${report.rewrapped} data keys (${report.alreadyCurrent} were already current)`);
      for (const f of report.failed) out(`FAILED ${f.sha256}: ${f.problem}`);
      if (report.failed.length > 0) {
        throw new AccordError(
          'integrity',
          `${report.failed.length} data key(s) could not be re-wrapped; old keys kept`,
        );
      }
      if (opts.retire && !ctx.env.ACCORD_KEK) {
        const { servingPid } = await import('@accord/server');
        const pid = await servingPid(node.folder);
        if (pid !== undefined) {
          throw new AccordError(
            'conflict',
            `accord serve is running on this data folder (pid ${pid}) and still wraps new data keys with the old key; the data keys were re-wrapped, but no key was retired: stop the node and run "accord keys rotate --retire" again`,
          );
        }
        const retired = await node.blobs.retireUnusedKeys();
        out(
          retired.retired.length > 0
            ? `retired keys ${retired.retired.join(', ')}`
            : 'no key could be retired yet',
        );
      }
    });
  });
};

/** The organisation named by --org, or the only one there is. */
interface EvidenceAddOptions {
  readonly data: string;
  readonly case: string;
  readonly compartment?: string;
  readonly sourceUrl?: string;
  readonly collectedBy?: string;
  readonly collectedAt?: string;
  readonly location?: string;
  readonly method?: string;
  readonly note?: string;
  readonly sensitive?: boolean;
  readonly json?: boolean;
}

interface FileToAdd {
  /** Bytes, not text: a name that is not valid UTF-8 must still open. */
  readonly path: Buffer;
  readonly name: string;
  readonly size: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A file name as bytes → text; invalid UTF-8 bytes are written as \xNN so nothing is lost. */
const decodeName = (raw: Buffer): { name: string; valid: boolean } => {
  try {
    return { name: utf8.decode(raw), valid: true };
  } catch {
    let name = '';
    for (let i = 0; i < raw.length; ) {
      let decoded: string | undefined;
      for (let len = Math.min(4, raw.length - i); len >= 1 && decoded === undefined; len -= 1) {
        try {
          decoded = utf8.decode(raw.subarray(i, i + len));
          i += len;
        } catch {
          decoded = undefined;
        }
      }
      if (decoded === undefined) {
        name += `\\x${(raw[i] ?? 0).toString(16).padStart(2, '0')}`;
        i += 1;
      } else name += decoded;
    }
    return { name, valid: false };
  }
};

/** Files under the given paths, folders recursively in name order; symbolic links are skipped. */
const collectFiles = async (paths: readonly string[], warn: (text: string) => void): Promise<FileToAdd[]> => {
  const files: FileToAdd[] = [];
  const visit = async (path: Buffer, name: Buffer, display: string): Promise<void> => {
    let stats: Awaited<ReturnType<typeof lstat>>;
    try {
      stats = await lstat(path);
    } catch (e) {
      throw new AccordError(
        'invalid_input',
        `cannot read ${display}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    if (stats.isSymbolicLink()) {
      warn(`skipped ${display}: symbolic links are not followed`);
    } else if (stats.isDirectory()) {
      const entries = (await readdir(path, { encoding: 'buffer' })).sort(Buffer.compare);
      for (const entry of entries) {
        await visit(
          Buffer.concat([path, Buffer.from(sep), entry]),
          entry,
          `${display}${sep}${decodeName(entry).name}`,
        );
      }
    } else if (stats.isFile()) {
      const decoded = decodeName(name);
      if (!decoded.valid)
        warn(`the name of ${display} is not valid UTF-8; it is recorded as "${decoded.name}"`);
      files.push({ path, name: decoded.name, size: Number(stats.size) });
    } else {
      warn(`skipped ${display}: not a regular file`);
    }
  };
  for (const p of paths) {
    const full = resolve(p);
    await visit(Buffer.from(full), Buffer.from(basename(full)), p);
  }
  return files;
};

const addFiles = async (
  node: AccordNode,
  files: readonly FileToAdd[],
  opts: EvidenceAddOptions,
  capture: ReturnType<typeof parseCapture>,
  ctx: EvidenceCommandContext,
): Promise<number> => {
  const total = files.reduce((n, f) => n + f.size, 0);
  const progress = new Progress(ctx.stderr, total, files.length);
  const started = performance.now();
  let failures = 0;
  let created = 0;
  let known = 0;
  let newBlobs = 0;
  let flagged = 0;
  let next = 0;
  // A few files at a time: while one waits for its log commit, the next is hashed and encrypted.
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++] as FileToAdd;
      let result: IngestResult | undefined;
      let error: string | undefined;
      try {
        // Counting as the vault pulls (a 'data' listener would start the flow before anyone reads).
        const stream = counted(
          createReadStream(file.path, {
            // Large reads for large files; small ones do not each get a megabyte buffer.
            highWaterMark: Math.min(Math.max(file.size, 16_384), 1 << 20),
          }),
          (n) => progress.advance(n),
        );
        result = await node.evidence.ingest(
          OPERATOR,
          {
            caseId: opts.case,
            compartmentId: opts.compartment,
            source: stream,
            fileName: file.name.replace(/[/\\]/g, '_'),
            sensitive: opts.sensitive === true,
            capture: {
              collectedBy: capture.collectedBy,
              collectedAt: capture.collectedAt,
              sourceUrl: capture.sourceUrl,
              method: capture.method,
              location: opts.location,
              note: capture.note,
            },
          },
          'cli',
        );
      } catch (e) {
        failures += 1;
        error =
          e instanceof AccordError
            ? e.message
            : `${(e as NodeJS.ErrnoException).code ?? ''} ${(e as Error).message}`.trim();
      }
      progress.fileDone();
      progress.clear();
      if (result) {
        if (result.created) created += 1;
        else known += 1;
        if (result.blobCreated) newBlobs += 1;
        if (result.item.problems.length > 0) flagged += 1;
      }
      if (opts.json) {
        ctx.out(
          JSON.stringify(
            result
              ? {
                  path: displayPath(file.path),
                  itemId: result.item.id,
                  sha256: result.item.sha256,
                  size: result.item.size,
                  mediaType: result.item.mediaType,
                  created: result.created,
                  blobCreated: result.blobCreated,
                  problems: result.item.problems,
                  events: result.events,
                }
              : { path: displayPath(file.path), error },
          ),
        );
      } else if (result) {
        const state = result.created ? 'added' : 'already in case, collection recorded';
        ctx.out(`${result.item.id}  ${result.item.sha256}  ${state}  ${file.name}`);
        for (const p of result.item.problems) ctx.out(`  flagged: ${p}`);
      } else {
        ctx.stderr.write(`accord: ${file.name}: ${error}\n`);
      }
      progress.draw();
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, files.length) }, worker));
  await node.custody.flush();
  progress.clear();
  const seconds = (performance.now() - started) / 1000;
  const summary = `${files.length} file(s): ${created} added, ${known} already in the case, ${failures} failed, ${flagged} flagged; ${newBlobs} new blob(s); ${formatBytes(total)} in ${seconds.toFixed(1)} s (${formatBytes(total / Math.max(seconds, 0.001))}/s)`;
  if (opts.json) ctx.stderr.write(`accord: ${summary}\n`);
  else ctx.out(summary);
  return failures;
};

export const readText = async (path: string, what: string): Promise<string> => {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new AccordError(
      'invalid_input',
      `cannot read the ${what} file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
};

const readAll = async (stream: Readable): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
};

const displayPath = (path: Buffer): string => decodeName(path).name;

async function* counted(source: AsyncIterable<Buffer>, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    onBytes(chunk.byteLength);
    yield chunk;
  }
}
