import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { indexTar, openNode, padding, tarHeader, trailer, verifyBundle } from '@accord/server';
import { testDatabases } from '@accord/store/testing';
import { expectCode, lastLine, run } from './testing.ts';

const TESTDATA = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'testdata');

interface Fixture {
  readonly data: string;
  readonly caseId: string;
  readonly env: Record<string, string>;
  readonly vkey: string;
  readonly ids: Record<'photo' | 'warc' | 'text' | 'redacted' | 'sealed', string>;
}

/** A node with a case of five items: a photo, a WARC, a text, a redacted copy of the text, a sealed one. */
const buildCase = async (root: string, env: Record<string, string>): Promise<Fixture> => {
  const data = join(root, `node-${Math.random().toString(16).slice(2)}`);
  expectCode(await run(['init', '--data', data], { env }), 0);
  expectCode(
    await run(['org', 'add', '--data', data, '--name', 'Org', '--country', 'UA', '--kind', 'ngo'], { env }),
    0,
  );
  const caseId = lastLine(
    expectCode(await run(['case', 'create', '--data', data, '--title', 'Case'], { env }), 0).out,
  );
  await writeFile(join(root, 'statement.txt'), 'Witness W-0421 saw the convoy at 14:30 near the bridge.\n');
  await writeFile(join(root, 'other.txt'), 'An item that is sealed later.\n');
  const add = async (path: string, extra: string[] = []) =>
    JSON.parse(
      expectCode(
        await run(
          [
            'evidence',
            'add',
            path,
            '--data',
            data,
            '--case',
            caseId,
            '--json',
            '--collected-by',
            'Analyst 7',
            ...extra,
          ],
          { env },
        ),
        0,
      ).out.trim(),
    ).itemId as string;
  const photo = await add(join(TESTDATA, 'media', 'exif-samples', 'jpg', 'gps', 'DSCN0010.jpg'));
  const warc = await add(join(TESTDATA, 'warc', 'example.warc'), ['--source-url', 'https://example.org/']);
  const text = await add(join(root, 'statement.txt'), ['--note', 'first line\nsecond line']);
  const sealed = await add(join(root, 'other.txt'));
  const node = await openNode({ dataDir: data, databaseUrl: env.ACCORD_DATABASE_URL });
  let redacted: string;
  try {
    const operator = { operator: true } as const;
    redacted = (
      await node.evidence.derive(
        operator,
        text,
        {
          source: Readable.from([Buffer.from('Witness ██████ saw the convoy at 14:30 near the bridge.\n')]),
          kind: 'redacted',
          note: 'name removed',
        },
        'cli',
      )
    ).item.id;
    await node.evidence.seal(operator, sealed, 'duplicate of another item', 'cli');
  } finally {
    await node.close();
  }
  const vkey = expectCode(await run(['log', 'vkey', '--data', data], { env }), 0).out.trim();
  return { data, caseId, env, vkey, ids: { photo, warc, text, redacted, sealed } };
};

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'accord-export-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`ingest → export → verify-bundle (${database})`, () => {
    let f: Fixture;
    let cleanup: (() => Promise<void>) | undefined;
    before(async () => {
      let env: Record<string, string> = {};
      if (database === 'postgres') {
        const handle = await testDatabases()
          .find((d) => d.name === 'postgres')
          ?.create();
        assert.ok(handle?.url, 'a PostgreSQL test database');
        env = { ACCORD_DATABASE_URL: handle.url };
        cleanup = handle.cleanup;
      }
      f = await buildCase(root, env);
    });
    after(async () => cleanup?.());

    it('exports the case (sealed items left out, named) and the bundle verifies with the node key', async () => {
      const out = join(root, `${database}-case.accord.tar`);
      const exported = expectCode(
        await run(
          [
            'export',
            '--data',
            f.data,
            '--case',
            f.caseId,
            '--recipient',
            'Registry of the Court',
            '--purpose',
            'trial 2027/14',
            '--legal-basis',
            'MLA request 44/2026',
            '--out',
            out,
          ],
          { env: f.env },
        ),
        0,
      );
      assert.match(exported.out, new RegExp(`left out ${f.ids.sealed} .*: sealed since`));
      assert.match(exported.out, /exported 4 item\(s\)/);
      // On a terminal the export shows a progress bar.
      const again = join(root, `${database}-case-tty.accord.tar`);
      const shown = expectCode(
        await run(
          [
            'export',
            '--data',
            f.data,
            '--case',
            f.caseId,
            '--recipient',
            'R',
            '--purpose',
            'P',
            '--out',
            again,
          ],
          { env: f.env, tty: true },
        ),
        0,
      );
      assert.match(shown.err, /\r\[#+\.*\] +\d+%/);
      const verified = expectCode(await run(['verify-bundle', out, '--vkey', f.vkey]), 0);
      assert.match(verified.out, /checkpoint: log ".*", \d+ entries, signed by .* \(the key you gave\)/);
      assert.match(verified.out, /OK: all 4 item\(s\) verified/);
      assert.equal(verified.out.match(/^verified {2}/gm)?.length, 4);
      // Without a key the bundle's own is used, and the report says so.
      const selfKeyed = expectCode(await run(['verify-bundle', out]), 0);
      assert.match(selfKeyed.out, /the key inside the bundle/);
      // The export is a custody event on every exported item, with its recipient in the private record.
      const report = await verifyBundle(out, { vkey: f.vkey });
      assert.ok(report.ok);
      assert.equal(report.export?.recipient, 'Registry of the Court');
      const timeline = expectCode(await run(['verify', '--data', f.data], { env: f.env }), 0);
      assert.match(timeline.out, /^OK: /m);
    });

    it('a derivatives-only export carries the redacted copy and proves which original it came from', async () => {
      const out = join(root, `${database}-derived.accord.tar`);
      expectCode(
        await run(
          [
            'export',
            '--data',
            f.data,
            '--case',
            f.caseId,
            '--derived-only',
            '--recipient',
            'Partner NGO',
            '--purpose',
            'joint report',
            '--out',
            out,
          ],
          { env: f.env },
        ),
        0,
      );
      const report = await verifyBundle(out, { vkey: f.vkey });
      assert.ok(report.ok, JSON.stringify(report.problems));
      assert.deepEqual(
        report.items.map((i) => i.itemId),
        [f.ids.redacted],
      );
      const handle = await open(out, 'r');
      try {
        const members = await indexTar(handle, (await handle.stat()).size);
        assert.ok(!members.some((m) => m.name.includes(f.ids.text)), 'the original is not in the bundle');
        const manifestMember = members.find((m) => m.name === 'bundle/manifest.json');
        const manifest = JSON.parse(
          (
            await handle.read(
              Buffer.alloc(manifestMember?.size ?? 0),
              0,
              manifestMember?.size ?? 0,
              manifestMember?.offset ?? 0,
            )
          ).buffer.toString(),
        );
        assert.equal(manifest.items[0].derivedFrom.itemId, f.ids.text);
      } finally {
        await handle.close();
      }
    });

    it('refuses bad export requests with a clear message and writes no file', async () => {
      const out = join(root, `${database}-bad.accord.tar`);
      const cases: [string[], RegExp][] = [
        [['--case', '00000000-0000-4000-8000-000000000000'], /there is no case/],
        [['--case', f.caseId, '--items', f.ids.sealed], /is sealed .* cannot be exported/],
        [
          ['--case', f.caseId, '--items', f.ids.photo, '--derived-only'],
          /is an original; a derivatives-only export cannot include it/,
        ],
        [['--case', f.caseId, '--items', 'not-an-id'], /an item id is a lowercase UUID/],
      ];
      for (const [args, message] of cases) {
        const result = expectCode(
          await run(
            ['export', '--data', f.data, ...args, '--recipient', 'R', '--purpose', 'P', '--out', out],
            { env: f.env },
          ),
          1,
        );
        assert.match(result.err, message);
        await assert.rejects(readFile(out), /ENOENT/);
        await assert.rejects(readFile(`${out}.partial`), /ENOENT/);
      }
    });
  });
}

describe('tamper matrix: one changed byte anywhere that matters fails verify-bundle, naming the place', () => {
  let f: Fixture;
  let bundle: string;
  let members: { name: string; offset: number; size: number }[];
  before(async () => {
    f = await buildCase(root, {});
    bundle = join(root, 'matrix.accord.tar');
    expectCode(
      await run([
        'export',
        '--data',
        f.data,
        '--case',
        f.caseId,
        '--recipient',
        'Court',
        '--purpose',
        'trial',
        '--out',
        bundle,
      ]),
      0,
    );
    const handle = await open(bundle, 'r');
    try {
      members = await indexTar(handle, (await handle.stat()).size);
    } finally {
      await handle.close();
    }
    assert.ok((await verifyBundle(bundle, { vkey: f.vkey })).ok);
  });

  it('covers every member: content, metadata, events, private records, proofs, manifest, checkpoint, key, index and verify.html', async () => {
    const original = await readFile(bundle);
    let checked = 0;
    for (const m of members) {
      if (m.size === 0) continue;
      // A few positions per member: its start, its middle and its end (for a checkpoint: body and signature).
      for (const at of new Set([0, Math.floor(m.size / 2), m.size - 2].filter((p) => p >= 0 && p < m.size))) {
        const copy = Buffer.from(original);
        copy[m.offset + at] = (copy[m.offset + at] ?? 0) ^ 0x04;
        const path = join(root, 'tampered.accord.tar');
        await writeFile(path, copy);
        const report = await verifyBundle(path, { vkey: f.vkey });
        assert.equal(report.ok, false, `${m.name} byte ${at} changed, yet the bundle verified`);
        const itemId = /^bundle\/items\/([0-9a-f-]{36})\//.exec(m.name)?.[1];
        if (itemId) {
          const item = report.items.find((i) => i.itemId === itemId);
          assert.ok(item && !item.ok, `${m.name} byte ${at}: the failure is not reported on item ${itemId}`);
          const others = report.items.filter((i) => i.itemId !== itemId);
          assert.ok(
            others.every((i) => i.ok),
            `${m.name} byte ${at}: other items failed too`,
          );
        } else {
          assert.ok(
            report.problems.length > 0 || report.items.some((i) => !i.ok),
            `${m.name}: failure not named`,
          );
        }
        checked += 1;
      }
    }
    assert.ok(checked > 60, `only ${checked} tampered variants`);
  });

  const rebuild = async (
    keep: (name: string) => boolean,
    extra?: { name: string; body: Buffer },
    first?: { name: string; body: Buffer },
  ): Promise<string> => {
    const original = await readFile(bundle);
    const parts: Buffer[] = [];
    if (first)
      parts.push(tarHeader(first.name, first.body.byteLength, 0), first.body, padding(first.body.byteLength));
    for (const m of members) {
      if (!keep(m.name)) continue;
      parts.push(
        tarHeader(m.name, m.size, 0),
        original.subarray(m.offset, m.offset + m.size),
        padding(m.size),
      );
    }
    if (extra)
      parts.push(tarHeader(extra.name, extra.body.byteLength, 0), extra.body, padding(extra.body.byteLength));
    parts.push(trailer());
    const path = join(root, 'rebuilt.accord.tar');
    await writeFile(path, Buffer.concat(parts));
    return path;
  };

  it('a bundle rebuilt without changes still verifies (the rebuild itself is faithful)', async () => {
    assert.ok((await verifyBundle(await rebuild(() => true), { vkey: f.vkey })).ok);
  });

  it('fails when a file is removed, naming the item', async () => {
    for (const m of members
      .filter((x) => /\/events\/\d+\.json$|\/content$|tlog-proof$/.test(x.name))
      .slice(0, 6)) {
      const report = await verifyBundle(await rebuild((n) => n !== m.name), { vkey: f.vkey });
      assert.equal(report.ok, false, `${m.name} removed`);
      const itemId = /items\/([0-9a-f-]{36})\//.exec(m.name)?.[1];
      assert.ok(report.items.some((i) => i.itemId === itemId && !i.ok));
    }
    const noCheckpoint = await verifyBundle(await rebuild((n) => n !== 'bundle/checkpoint.txt'), {
      vkey: f.vkey,
    });
    assert.match(noCheckpoint.problems.join('\n'), /checkpoint\.txt is missing/);
  });

  it('fails when the manifest names another recipient (re-serialised canonically, so only the meaning changed)', async () => {
    const original = await readFile(bundle);
    const m = members.find((x) => x.name === 'bundle/manifest.json');
    assert.ok(m);
    const manifest = JSON.parse(original.subarray(m.offset, m.offset + m.size).toString());
    manifest.export.recipient = 'Someone else';
    const { canonicalize } = await import('@accord/custody');
    const body = Buffer.from(canonicalize(manifest));
    const path = await rebuild((n) => n !== 'bundle/manifest.json', undefined, { name: m.name, body });
    const report = await verifyBundle(path, { vkey: f.vkey });
    assert.equal(report.ok, false);
    assert.ok(
      report.items.every((i) =>
        i.problems.some((p) => /recipient differ from what its export event recorded/.test(p)),
      ),
      JSON.stringify(report.items.map((i) => i.problems)),
    );
  });

  it('fails when the manifest leaves the bytes out or adds claims of its own', async () => {
    const original = await readFile(bundle);
    const m = members.find((x) => x.name === 'bundle/manifest.json');
    assert.ok(m);
    const { canonicalize } = await import('@accord/custody');
    const variants: [
      string,
      (manifest: Record<string, unknown> & { items: Record<string, unknown>[] }) => void,
      RegExp,
    ][] = [
      [
        'content left out',
        (x) => {
          x.items[0] = { ...x.items[0], content: false };
        },
        /content must be true/,
      ],
      [
        'an added claim',
        (x) => {
          x.note = 'Authenticated by the registry';
        },
        /members the format does not define: note/,
      ],
      [
        'an added item claim',
        (x) => {
          x.items[0] = { ...x.items[0], collectedBy: 'forged' };
        },
        /members the format does not define: collectedBy/,
      ],
    ];
    for (const [what, change, message] of variants) {
      const manifest = JSON.parse(original.subarray(m.offset, m.offset + m.size).toString());
      change(manifest);
      const path = await rebuild((n) => n !== 'bundle/manifest.json', undefined, {
        name: m.name,
        body: Buffer.from(canonicalize(manifest)),
      });
      const report = await verifyBundle(path, { vkey: f.vkey });
      assert.equal(report.ok, false, what);
      assert.match(report.problems.join('\n'), message, what);
    }
  });

  it('fails when data follows the end of the archive', async () => {
    const original = await readFile(bundle);
    const extra = Buffer.from('hidden');
    const path = join(root, 'appended.accord.tar');
    await writeFile(
      path,
      Buffer.concat([
        original,
        tarHeader('bundle/hidden.txt', extra.length, 0),
        extra,
        padding(extra.length),
        trailer(),
      ]),
    );
    const report = await verifyBundle(path, { vkey: f.vkey });
    assert.equal(report.ok, false);
    assert.match(report.problems.join('\n'), /data after its end-of-archive blocks/);
  });

  it('never overwrites an existing file', async () => {
    const keep = join(root, 'keep.txt');
    await writeFile(keep, 'an earlier bundle for someone else');
    const result = expectCode(
      await run([
        'export',
        '--data',
        f.data,
        '--case',
        f.caseId,
        '--recipient',
        'R',
        '--purpose',
        'P',
        '--out',
        keep,
      ]),
      1,
    );
    assert.match(result.err, /keep\.txt already exists; choose another --out file/);
    assert.equal(await readFile(keep, 'utf8'), 'an earlier bundle for someone else');
  });

  it('fails when a file is added', async () => {
    const report = await verifyBundle(
      await rebuild(() => true, { name: 'bundle/items/extra.txt', body: Buffer.from('x') }),
      {
        vkey: f.vkey,
      },
    );
    assert.equal(report.ok, false);
    assert.match(report.problems.join('\n'), /bundle\/items\/extra\.txt is not part of the bundle/);
  });

  it('treats hostile archives as failures, never crashes: traversal, links, truncation, garbage, huge sizes', async () => {
    const original = await readFile(bundle);
    const variants: [string, Buffer][] = [
      [
        'path traversal',
        Buffer.concat([tarHeader('../evil', 1, 0), Buffer.from('x'), padding(1), trailer()]),
      ],
      ['truncated', original.subarray(0, Math.floor(original.length / 2))],
      ['garbage', Buffer.from('this is not a tar file at all, just text'.repeat(100))],
      ['empty', Buffer.alloc(0)],
    ];
    const link = tarHeader('bundle/manifest.json', 0, 0);
    link[156] = 0x32; // a symbolic link
    let sum = 0;
    link.write('        ', 148, 'ascii');
    for (const b of link) sum += b;
    link.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    variants.push(['symbolic link', Buffer.concat([link, trailer()])]);
    const deep = Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`);
    variants.push([
      'deeply nested manifest',
      Buffer.concat([
        tarHeader('bundle/manifest.json', deep.length, 0),
        deep,
        padding(deep.length),
        trailer(),
      ]),
    ]);
    variants.push(['gzip-compressed bundle', gzipSync(original)]);
    const huge = Buffer.from(original);
    huge.write('77777777777\0', 124, 'ascii'); // the first member claims 8 GiB
    variants.push(['huge size', huge]);
    for (const [what, bytes] of variants) {
      const path = join(root, `hostile-${what.replace(/\W/g, '-')}.tar`);
      await writeFile(path, bytes);
      const report = await verifyBundle(path, { vkey: f.vkey });
      assert.equal(report.ok, false, what);
      assert.ok(report.problems.length > 0, what);
      const cli = await run(['verify-bundle', path, '--vkey', f.vkey]);
      assert.equal(cli.code, 1, `${what}: ${cli.out}${cli.err}`);
      assert.match(cli.err, /the bundle does NOT verify/);
    }
  });
});
