import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { openNode, verifyBundle } from '@accord/server';
import { testDatabases } from '@accord/store/testing';
import { expectCode, lastLine, run } from './testing.ts';

/**
 * `accord export --recipient-org`: an export that includes a witness's statement needs the
 * recipient organisation, and the witness's consent to sharing with it; a refusal names what is
 * missing, exits with 1 and writes no file.
 */
let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'accord-export-consent-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`export of a witness statement needs consent to sharing (${database})`, () => {
    let env: Record<string, string> = {};
    let cleanup: (() => Promise<void>) | undefined;
    let data = '';
    let caseId = '';
    let witnessId = '';
    let statementItem = '';
    let partnerId = '';
    const operator = { operator: true } as const;
    const open = () => openNode({ dataDir: data, databaseUrl: env.ACCORD_DATABASE_URL });

    before(async () => {
      if (database === 'postgres') {
        const handle = await testDatabases()
          .find((d) => d.name === 'postgres')
          ?.create();
        assert.ok(handle?.url, 'a PostgreSQL test database');
        env = { ACCORD_DATABASE_URL: handle.url };
        cleanup = handle.cleanup;
      }
      data = join(root, `node-${database}`);
      expectCode(await run(['init', '--data', data], { env }), 0);
      for (const [name, country] of [
        ['Prosecutor', 'NL'],
        ['Partner NGO', 'UA'],
      ] as const) {
        expectCode(
          await run(['org', 'add', '--data', data, '--name', name, '--country', country, '--kind', 'other'], {
            env,
          }),
          0,
        );
      }
      caseId = lastLine(
        expectCode(
          await run(['case', 'create', '--data', data, '--title', 'Detention site', '--org', 'Prosecutor'], {
            env,
          }),
          0,
        ).out,
      );
      // Witnesses are recorded in the web pages or the API; here through the domain.
      const node = await open();
      try {
        partnerId = (await node.accounts.resolveOrganisation('Partner NGO')).id;
        const prosecutor = (await node.accounts.resolveOrganisation('Prosecutor')).id;
        const witness = await node.witnesses.create(operator, caseId, { kind: 'survivor' });
        witnessId = witness.id;
        assert.equal(witness.pseudonym, 'W-0001');
        statementItem = (
          await node.evidence.ingest(
            operator,
            {
              caseId,
              source: Readable.from([Buffer.from('Statement of W-0001: they took us at night.\n')]),
              fileName: 'statement.txt',
            },
            'cli',
          )
        ).item.id;
        await node.witnesses.addStatement(operator, witnessId, {
          itemId: statementItem,
          takenOn: '2024-05-02',
          takenBy: 'Investigator 7',
          orgId: prosecutor,
          language: 'uk',
        });
      } finally {
        await node.close();
      }
    });
    after(async () => cleanup?.());

    const exportTo = (out: string, extra: string[] = []) =>
      run(
        [
          ...['export', '--data', data, '--case', caseId, '--items', statementItem],
          ...['--recipient', 'Partner NGO', '--purpose', 'Joint analysis', '--out', out],
          ...extra,
        ],
        { env },
      );

    it('--help documents --recipient-org', async () => {
      const help = await run(['export', '--help'], { env });
      assert.match(help.out + help.err, /--recipient-org <id or name>/);
    });

    it('refuses without the recipient organisation, without consent, and for an unknown organisation; writes nothing', async () => {
      const out = join(root, `${database}-refused.accord.tar`);
      const refusals: [string[], RegExp][] = [
        [
          [],
          /^accord: name the recipient organisation: the export includes statements of W-0001, whose consent to sharing must be checked$/m,
        ],
        [
          ['--recipient-org', 'Partner NGO'],
          /^accord: consent missing: W-0001 has not consented to sharing with the recipient organisation; nothing was exported$/m,
        ],
        [['--recipient-org', 'Nobody'], /^accord: no organisation "Nobody" \(known: /m],
      ];
      for (const [extra, message] of refusals) {
        const result = expectCode(await exportTo(out, extra), 1);
        assert.match(result.err, message);
        assert.doesNotMatch(result.err, /\n\s+at /, 'no stack trace');
        await assert.rejects(readFile(out), /ENOENT/);
        await assert.rejects(readFile(`${out}.partial`), /ENOENT/);
      }
    });

    it('exports once the witness has consented to sharing with that organisation (by name or id)', async () => {
      const node = await open();
      try {
        await node.witnesses.recordConsent(operator, witnessId, {
          purpose: 'sharing',
          scope: partnerId,
          state: 'given',
        });
      } finally {
        await node.close();
      }
      for (const [file, org] of [
        ['by-name', 'partner ngo'],
        ['by-id', partnerId],
      ] as const) {
        const out = join(root, `${database}-${file}.accord.tar`);
        const done = expectCode(await exportTo(out, ['--recipient-org', org]), 0);
        assert.match(done.out, /exported 1 item\(s\)/);
        const report = await verifyBundle(out);
        assert.ok(report.ok, JSON.stringify(report.problems));
        assert.deepEqual(
          report.items.map((i) => i.itemId),
          [statementItem],
        );
      }
    });

    it('refuses again once the consent is withdrawn, saying when', async () => {
      const node = await open();
      try {
        await node.witnesses.recordConsent(operator, witnessId, {
          purpose: 'sharing',
          scope: partnerId,
          state: 'withdrawn',
        });
      } finally {
        await node.close();
      }
      const out = join(root, `${database}-withdrawn.accord.tar`);
      const result = expectCode(await exportTo(out, ['--recipient-org', partnerId]), 1);
      assert.match(
        result.err,
        /^accord: consent missing: W-0001 withdrew consent to sharing with the recipient organisation on \d{4}-\d{2}-\d{2}; nothing was exported$/m,
      );
      await assert.rejects(readFile(out), /ENOENT/);
    });
  });
}
