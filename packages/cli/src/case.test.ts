import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openNode } from '@accord/server';
import { expectCode, lastLine, run } from './testing.ts';

let root: string;
let data: string;
let caseId: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'accord-case-cli-'));
  data = join(root, 'data');
  expectCode(await run(['init', '--data', data]), 0);
  for (const [name, country] of [
    ['Prosecutor', 'NL'],
    ['Partner', 'UA'],
  ]) {
    expectCode(
      await run(['org', 'add', '--data', data, '--name', name!, '--country', country!, '--kind', 'other']),
      0,
    );
  }
  for (const [username, org, role] of [
    ['camille', 'prosecutor', 'legal_officer'],
    ['olena', 'partner', 'investigator'],
  ]) {
    expectCode(
      await run([
        ...['user', 'add', '--data', data, '--username', username!, '--name', username!],
        ...['--org', org!, '--role', role!],
      ]),
      0,
    );
  }
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('accord case', () => {
  it('create: opens a case with its lead and prints the id on the last line', async () => {
    const created = expectCode(
      await run([
        ...['case', 'create', '--data', data, '--title', 'Shelling of the market'],
        ...[
          '--lead',
          'camille',
          '--status',
          'investigation',
          '--jurisdiction',
          'ICC',
          '--jurisdiction',
          'de',
        ],
        ...['--opened-on', '2024-05-01', '--legal-basis', 'Art. 1 VStGB'],
      ]),
      0,
    );
    caseId = lastLine(created.out);
    assert.match(caseId, /^[0-9a-f-]{36}$/);
    assert.doesNotMatch(created.out, /no member yet/);
  });

  it('create without a lead says how to name one', async () => {
    const created = expectCode(
      await run(['case', 'create', '--data', data, '--title', 'No lead yet', '--org', 'Partner']),
      0,
    );
    assert.match(created.out, /no member yet: name a lead with "accord case member add/);
  });

  it('create refuses bad input with the reason and opens nothing', async () => {
    const before = expectCode(await run(['case', 'list', '--data', data, '--json']), 0).out;
    for (const [args, message] of [
      [['--status', 'finished'], /the status must be one of: preliminary, investigation/],
      [['--jurisdiction', 'XX'], /there is no national profile "XX"; use ICC for the Rome Statute/],
      [['--opened-on', '2024-02-30'], /the opening date must be a date such as 2024-03-01/],
      [['--lead', 'nobody'], /no user "nobody"/],
    ] as const) {
      const r = expectCode(
        await run(['case', 'create', '--data', data, '--title', 'X', '--lead', 'camille', ...args]),
        1,
      );
      assert.match(r.err, message);
      assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
    }
    const several = expectCode(await run(['case', 'create', '--data', data, '--title', 'X']), 1);
    assert.match(several.err, /several organisations: choose the lead one with --org or --lead/);
    assert.equal(expectCode(await run(['case', 'list', '--data', data, '--json']), 0).out, before);
  });

  it('member add/remove; show prints the record, members, agreements and compartments', async () => {
    expectCode(await run(['case', 'member', 'add', caseId, 'olena', '--role', 'analyst', '--data', data]), 0);
    const bad = expectCode(
      await run(['case', 'member', 'add', caseId, 'olena', '--role', 'boss', '--data', data]),
      1,
    );
    assert.match(bad.err, /the role on the case must be one of: lead, investigator/);
    const lastLead = expectCode(
      await run(['case', 'member', 'remove', caseId, 'camille', '--data', data]),
      1,
    );
    assert.match(lastLead.err, /a case must keep at least one lead/);
    const text = expectCode(await run(['case', 'show', caseId, '--data', data]), 0).out;
    assert.match(text, /^Shelling of the market$/m);
    assert.match(text, /^ {2}status {8}investigation$/m);
    assert.match(text, /^ {2}jurisdictions ICC, DE$/m);
    assert.match(text, /^ {2}camille\s+lead\s+Prosecutor$/m);
    assert.match(text, /^ {2}olena\s+analyst\s+Partner$/m);
    const json = JSON.parse(expectCode(await run(['case', 'show', caseId, '--json', '--data', data]), 0).out);
    assert.deepEqual(
      json.members.map((m: { username: string; role: string }) => `${m.username}:${m.role}`).sort(),
      ['camille:lead', 'olena:analyst'],
    );
    expectCode(await run(['case', 'member', 'remove', caseId, 'olena', '--data', data]), 0);
    const after = JSON.parse(
      expectCode(await run(['case', 'show', caseId, '--json', '--data', data]), 0).out,
    );
    assert.deepEqual(
      after.members.map((m: { username: string }) => m.username),
      ['camille'],
    );
    const unknown = expectCode(
      await run(['case', 'show', '00000000-0000-4000-8000-000000000000', '--data', data]),
      1,
    );
    assert.match(unknown.err, /there is no case 00000000-0000-4000-8000-000000000000/);
  });

  it('gaps: the state of proof of every element, as text, JSON and CSV', async () => {
    // Suspects, charges and links are made in the web pages or the API; here through the domain.
    const node = await openNode({ dataDir: data, databaseUrl: undefined });
    let chargeId: string;
    try {
      const operator = { operator: true } as const;
      const suspect = await node.cases.addSuspect(operator, caseId, { name: 'Commander X' });
      chargeId = (
        await node.cases.addCharge(operator, caseId, {
          suspectId: suspect.id,
          crimeId: 'rs-7-1-a',
          modeId: 'rs-25-3-a-1',
        })
      ).id;
    } finally {
      await node.close();
    }
    const text = expectCode(
      await run(['case', 'gaps', chargeId, '--jurisdiction', 'de', '--data', data]),
      0,
    ).out;
    assert.match(text, /^Commander X: .+ \(rs-7-1-a\), .+ — DE$/m);
    assert.match(text, /^GAP rs-7-1-a\.1\s+unproven — no evidence supports this element$/m);
    assert.match(text, /^\d+ gaps: \d+ unproven, 0 single-source, 0 inadmissible only, 0 contradicted$/m);
    const json = expectCode(await run(['case', 'gaps', chargeId, '--json', '--data', data]), 0)
      .out.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(json.every((r) => r.status === 'unproven' && r.gap === true));
    assert.ok(json.some((r) => r.of === 'mode'));
    const csv = expectCode(await run(['case', 'gaps', chargeId, '--csv', '--data', data]), 0).out;
    assert.match(csv, /^suspect,crime,mode_of_liability,jurisdiction,element,/);
    assert.match(csv, /\nCommander X,rs-7-1-a,rs-25-3-a-1,ICC,rs-7-1-a\.1,crime,true,unproven,false,true,/);
    const badJ = expectCode(await run(['case', 'gaps', chargeId, '--jurisdiction', 'XX', '--data', data]), 1);
    assert.match(badJ.err, /there is no national profile "XX"/);
    const both = expectCode(await run(['case', 'gaps', chargeId, '--csv', '--json', '--data', data]), 1);
    assert.match(both.err, /choose --csv or --json, not both/);
  });

  it('every case command has --help', async () => {
    for (const argv of [
      ['case', 'create'],
      ['case', 'list'],
      ['case', 'show'],
      ['case', 'member', 'add'],
      ['case', 'member', 'remove'],
      ['case', 'gaps'],
    ]) {
      const help = expectCode(await run([...argv, '--help']), 0);
      assert.match(help.out, /^Usage: accord case /m, argv.join(' '));
    }
  });
});
