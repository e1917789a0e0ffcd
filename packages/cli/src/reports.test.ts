import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expectCode, run } from './testing.ts';

let root: string;
let data: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'accord-reports-cli-'));
  data = join(root, 'data');
  expectCode(await run(['init', '--data', data]), 0);
  expectCode(
    await run([
      'org',
      'add',
      '--data',
      data,
      '--name',
      'Documentation NGO',
      '--country',
      'UA',
      '--kind',
      'ngo',
    ]),
    0,
  );
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('accord reports organisation', () => {
  it('says the portal is closed until an organisation is named', async () => {
    const shown = expectCode(await run(['reports', 'organisation', '--data', data]), 0);
    assert.match(shown.out, /no reporting organisation yet: the portal at \/report takes no reports/);
  });

  it('names the organisation by name, and says the portal waits for one of its advocates', async () => {
    const set = expectCode(await run(['reports', 'organisation', 'documentation ngo', '--data', data]), 0);
    assert.match(set.out, /reports go to the survivor advocates of "Documentation NGO"/);
    assert.match(set.out, /the portal takes reports once one of its survivor advocates has signed in/);
    const shown = expectCode(await run(['reports', 'organisation', '--data', data]), 0);
    assert.match(shown.out, /"Documentation NGO"/);
  });

  it('refuses an organisation that does not exist, naming the known ones', async () => {
    const refused = expectCode(await run(['reports', 'organisation', 'Nobody', '--data', data]), 1);
    assert.match(refused.err, /no organisation "Nobody" \(known: "Documentation NGO"\)/);
  });

  it('has --help', async () => {
    const help = expectCode(await run(['reports', 'organisation', '--help']), 0);
    assert.match(help.out, /the organisation whose survivor advocates receive\s+reports/);
  });
});
