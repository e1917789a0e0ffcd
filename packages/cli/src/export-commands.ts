import { createWriteStream, existsSync } from 'node:fs';
import { link, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { AccordError } from '@accord/core';
import type { BundleReport } from '@accord/server/bundle';
import type { Command } from 'commander';
import type { EvidenceCommandContext } from './evidence-commands.ts';
import { readText } from './evidence-commands.ts';
import { formatBytes, Progress } from './progress.ts';

/** `accord export` and `accord verify-bundle`: court-ready bundles anyone can check offline. */
export const registerExportCommands = (program: Command, ctx: EvidenceCommandContext): void => {
  const { out, withCommon, withOpenNode } = ctx;

  withCommon(
    program
      .command('export')
      .description(
        'write an export bundle (one .tar file) that anyone can verify offline; the export is recorded as a custody event on every item',
      )
      .requiredOption('--case <id>', 'the case to export from')
      .option(
        '--items <ids>',
        'only these items of the case, comma-separated (default: every item that is not sealed)',
      )
      .option(
        '--derived-only',
        'only derivatives (redacted copies, transcripts…), for recipients not entitled to originals',
      )
      .requiredOption('--recipient <text>', 'to whom the bundle goes')
      .option(
        '--recipient-org <id or name>',
        'the recipient organisation on this node; needed when the export includes a witness statement, whose witness must have consented to sharing with it',
      )
      .requiredOption('--purpose <text>', 'why')
      .option('--legal-basis <text>', 'under which legal basis (treaty, request, order)')
      .requiredOption('--out <file>', 'the bundle file to write (conventionally *.accord.tar)'),
  ).action(
    async (opts: {
      data: string;
      case: string;
      items?: string;
      derivedOnly?: boolean;
      recipient: string;
      recipientOrg?: string;
      purpose: string;
      legalBasis?: string;
      out: string;
    }) => {
      const target = resolve(opts.out);
      const partial = `${target}.partial`;
      const summary = await withOpenNode(opts.data, async (node) => {
        // Never replace an existing file (an earlier bundle for someone else, say).
        if (existsSync(target)) {
          throw new AccordError(
            'invalid_input',
            `${target} already exists; choose another --out file (nothing was exported)`,
          );
        }
        const recipientOrgId = opts.recipientOrg
          ? (await node.accounts.resolveOrganisation(opts.recipientOrg)).id
          : undefined;
        const stream = createWriteStream(partial, { flags: 'wx', mode: 0o600 });
        const opened = new Promise<void>((ok, fail) => {
          stream.once('open', () => ok());
          stream.once('error', (e) =>
            fail(
              new AccordError(
                'invalid_input',
                `cannot write ${partial}: ${(e as NodeJS.ErrnoException).code ?? e.message}`,
              ),
            ),
          );
        });
        await opened;
        const progress = new Progress(ctx.stderr, 0, 1);
        try {
          const { writeBundle } = await import('@accord/server');
          const result = await writeBundle(
            node,
            { operator: true },
            {
              caseId: opts.case,
              ...(opts.items
                ? {
                    itemIds: opts.items
                      .split(',')
                      .map((s) => s.trim())
                      .filter(Boolean),
                  }
                : {}),
              derivedOnly: opts.derivedOnly === true,
              recipient: opts.recipient,
              ...(recipientOrgId ? { recipientOrgId } : {}),
              purpose: opts.purpose,
              ...(opts.legalBasis ? { legalBasis: opts.legalBasis } : {}),
              via: 'cli',
              onProgress: (done, total) => progress.set(done, total),
            },
            stream,
          );
          stream.end();
          await finished(stream);
          progress.clear();
          // link() refuses to replace a file that appeared meanwhile; then the partial name goes.
          await link(partial, target).catch((e: NodeJS.ErrnoException) => {
            throw new AccordError('invalid_input', `cannot create ${target}: ${e.code ?? e.message}`);
          });
          await rm(partial, { force: true });
          return result;
        } catch (e) {
          progress.clear();
          stream.destroy();
          await rm(partial, { force: true });
          throw e;
        }
      });
      for (const { item, reason } of summary.left) out(`left out ${item.id} (${item.title}): ${reason}`);
      out(
        `exported ${summary.items} item(s), ${formatBytes(summary.bytes)} of content, to ${target}; every custody event is proved against checkpoint ${summary.checkpointSize}`,
      );
      out(`check it with: accord verify-bundle ${opts.out} --vkey "$(accord log vkey)"`);
    },
  );

  program
    .command('verify-bundle')
    .description(
      'verify an export bundle offline: every file hash, every event, chain and proof, and the checkpoint signature',
    )
    .argument('<file>', 'the bundle')
    .option(
      '--vkey <vkey or file>',
      "the log's verifier key from a trusted channel (default: the key inside the bundle, which proves less)",
    )
    .option('--json', 'print the report as JSON')
    .exitOverride()
    .action(async (file: string, opts: { vkey?: string; json?: boolean }) => {
      const vkey =
        opts.vkey === undefined
          ? undefined
          : opts.vkey.includes('+')
            ? opts.vkey
            : (await readText(opts.vkey, 'verifier key')).trim();
      const { verifyBundle } = await import('@accord/server/bundle');
      const report = await verifyBundle(file, vkey === undefined ? {} : { vkey });
      if (opts.json) out(JSON.stringify(report));
      else printReport(report, out);
      if (!report.ok) {
        const failed = report.items.filter((i) => !i.ok).length;
        throw new AccordError(
          'integrity',
          `the bundle does NOT verify: ${failed} item(s) failed${report.problems.length > 0 ? `, ${report.problems.length} problem(s) with the bundle itself` : ''}`,
        );
      }
    });
};

const printReport = (report: BundleReport, out: (text: string) => void): void => {
  if (report.checkpoint) {
    out(
      `checkpoint: log "${report.checkpoint.origin}", ${report.checkpoint.size} entries, signed by ${report.checkpoint.key} (${report.checkpoint.keySource === 'given' ? 'the key you gave' : 'the key inside the bundle: check it against one from a trusted channel'})`,
    );
  }
  if (report.export) {
    out(
      `exported ${report.export.createdAt} for ${report.export.recipient}; purpose: ${report.export.purpose}${report.export.legalBasis ? `; legal basis: ${report.export.legalBasis}` : ''}`,
    );
  }
  for (const p of report.problems) out(`FAILED bundle: ${p}`);
  for (const item of report.items) {
    const head = `${item.title} (${item.kind}, ${item.size} bytes, sha256 ${item.sha256}, ${item.events} custody events)`;
    if (item.ok) out(`verified  ${head}`);
    else {
      out(`FAILED    ${head}`);
      for (const p of item.problems) out(`          - ${p}`);
    }
  }
  const good = report.items.filter((i) => i.ok).length;
  out(
    report.ok
      ? `OK: all ${report.items.length} item(s) verified`
      : `${good} of ${report.items.length} item(s) verified`,
  );
};
