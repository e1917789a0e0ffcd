import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expectCode, run } from './testing.ts';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'accord-legal-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('accord legal list', () => {
  it('prints every crime with its elements and their citations', async () => {
    const result = expectCode(await run(['legal', 'list', '--data', join(root, 'none')]), 0);
    assert.match(result.out, /^rs-6a {2}art\. 6\(a\) {2}Genocide/m);
    assert.match(result.out, /^ {4}rs-6a\.1 \[material\] .+ \(ICC Elements of Crimes art\. 6\(a\) 1\)$/m);
    assert.match(result.out, /national profiles: .*DE/);
  });

  it('prints JSON: one object per crime with its article and its elements, each with its citation', async () => {
    const lines = expectCode(await run(['legal', 'list', '--json', '--data', join(root, 'none')]), 0)
      .out.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(lines.length >= 40, `${lines.length} crimes`);
    for (const crime of lines) {
      assert.equal(typeof crime.article, 'string');
      assert.ok(crime.elements.length > 0, crime.id);
      for (const e of crime.elements) assert.ok(e.citation.instrument && e.citation.article, e.id);
    }
  });

  it('prints a national profile: offences with the Rome Statute elements they map to, jurisdiction, limitation, checklist', async () => {
    const text = expectCode(
      await run(['legal', 'list', '--jurisdiction', 'DE', '--data', join(root, 'none')]),
      0,
    ).out;
    assert.match(text, /^de-\S+ {2}VStGB/m);
    assert.match(text, /^ {2}= (full|partial) rs-6a /m);
    assert.match(text, /^universal jurisdiction: yes$/m);
    assert.match(text, /^admissibility checklist:$/m);
    const json = expectCode(
      await run(['legal', 'list', '--jurisdiction', 'de', '--json', '--data', join(root, 'none')]),
      0,
    )
      .out.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(json.length >= 10);
    assert.ok(json.every((o) => typeof o.article === 'string' && Array.isArray(o.elements)));
    const unknown = expectCode(
      await run(['legal', 'list', '--jurisdiction', 'XX', '--data', join(root, 'none')]),
      1,
    );
    assert.match(unknown.err, /there is no national profile "XX"; known: .*DE/);
  });

  it("loads a deployment's own catalogue files from the data folder, and names the file and line of a bad one", async () => {
    const data = join(root, 'node');
    expectCode(await run(['init', '--data', data]), 0);
    await mkdir(join(data, 'legal'), { recursive: true });
    await writeFile(
      join(data, 'legal', 'XK.yaml'),
      `version: 1
code: XK
name: Example jurisdiction
instruments:
  - id: cc
    name: Criminal Code
offences:
  - id: xk-cc-100
    name: Genocide
    citation: { instrument: Criminal Code, article: "100", paragraph: null }
    maps_to:
      - crime: rs-6a
        elements: []
        match: partial
        note: The code lists fewer protected groups.
universal_jurisdiction:
  applies: false
  conditions:
    - text: Only nationals.
      citation: { instrument: Criminal Code, article: "5", paragraph: null }
limitation:
  - text: None.
    citation: { instrument: Criminal Code, article: "9", paragraph: null }
admissibility:
  - id: chain-of-custody
    requirement: Documented chain of custody.
    citation: null
    note: practice
`,
    );
    const listed = expectCode(await run(['legal', 'list', '--jurisdiction', 'XK', '--data', data]), 0);
    assert.match(listed.out, /^xk-cc-100 {2}Criminal Code art\. 100 {2}Genocide$/m);
    assert.match(listed.out, /= partial rs-6a .* — The code lists fewer protected groups\./);
    await writeFile(
      join(data, 'legal', 'bad.yaml'),
      'version: 1\ncode: ZZ\nname: Broken\ninstruments: []\noffences:\n  - id: zz-1\n    nam: typo\n',
    );
    const refused = expectCode(await run(['legal', 'list', '--data', data]), 1);
    assert.match(refused.err, /legal\/bad\.yaml:7: an offence has an unknown key "nam"/);
    // The node refuses to start on it too, with the same message.
    const serve = expectCode(await run(['migrate', '--data', data]), 1);
    assert.match(serve.err, /legal\/bad\.yaml:7/);
  });
});
