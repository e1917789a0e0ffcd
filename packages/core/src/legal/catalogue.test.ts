import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { isAccordError } from '../shared/errors.ts';
import { type CatalogueFile, loadCatalogue } from './catalogue.ts';

const CRIMES = `version: 1
instrument: Rome Statute of the International Criminal Court
crimes:
  - id: rs-6a
    name: Genocide by killing
    article: "6(a)"
    category: genocide
    conflict: null
    citation: { instrument: Rome Statute, article: "6", paragraph: "(a)" }
    elements:
      - id: rs-6a.1
        kind: material
        text: The perpetrator killed one or more persons.
        citation: { instrument: ICC Elements of Crimes, article: "6(a)", paragraph: "1" }
      - id: rs-6a.2
        kind: circumstance
        text: Such person or persons belonged to a particular national, ethnical, racial or religious group.
        citation: { instrument: ICC Elements of Crimes, article: "6(a)", paragraph: "2" }
`;

const PROFILE = `version: 1
code: DE
name: Germany
instruments:
  - id: vstgb
    name: Völkerstrafgesetzbuch
offences:
  - id: de-vstgb-6-1-1
    name: Genocide by killing
    citation: { instrument: VStGB, article: "6", paragraph: "(1) no. 1" }
    maps_to:
      - crime: rs-6a
        elements: [rs-6a.1, rs-6a.2]
        match: full
universal_jurisdiction:
  applies: true
  conditions:
    - text: No link to Germany is required.
      citation: { instrument: VStGB, article: "1", paragraph: null }
limitation:
  - text: Not subject to limitation.
    citation: { instrument: VStGB, article: "5", paragraph: null }
admissibility:
  - id: chain-of-custody
    requirement: The chain of custody is documented.
    citation: null
    note: established practice
`;

const files = (...extra: CatalogueFile[]): CatalogueFile[] => [
  { name: 'legal/rome-statute/genocide.yaml', text: CRIMES },
  { name: 'legal/jurisdictions/DE.yaml', text: PROFILE },
  ...extra,
];

/** Asserts that loading fails with a message naming `file:line` and the problem. */
const refuses = (input: CatalogueFile[], pattern: RegExp): void => {
  assert.throws(
    () => loadCatalogue(input),
    (e: unknown) => {
      assert.ok(isAccordError(e) && e.code === 'config', String(e));
      assert.match(e.message, pattern);
      return true;
    },
  );
};

describe('legal catalogue loader', () => {
  it('loads crimes, elements and a national profile, and resolves every reference', () => {
    const catalogue = loadCatalogue(files());
    assert.equal(catalogue.crime('rs-6a')?.elements.length, 2);
    assert.equal(catalogue.element('rs-6a.2')?.crime.id, 'rs-6a');
    const de = catalogue.jurisdiction('de');
    assert.equal(de?.offences[0]?.mapsTo[0]?.match, 'full');
    assert.equal(de?.admissibility[0]?.note, 'established practice');
  });

  it('names the file and line of invalid YAML', () => {
    refuses(
      files({ name: 'legal/extra/bad.yaml', text: 'crimes:\n  - id: [unclosed\n' }),
      /^.*\n?legal\/extra\/bad\.yaml:\d+: not valid YAML/m,
    );
  });

  it('names the file and line of an unknown key, a missing citation, a wrong kind', () => {
    refuses(
      files({
        name: 'x.yaml',
        text: CRIMES.replace('rs-6a', 'rs-6b')
          .replaceAll('rs-6a.', 'rs-6b.')
          .replace('    conflict: null\n', '    conflict: null\n    colour: red\n'),
      }),
      /x\.yaml:9: a crime has an unknown key "colour"/,
    );
    const noCitation = CRIMES.replace(
      '        citation: { instrument: ICC Elements of Crimes, article: "6(a)", paragraph: "1" }\n',
      '',
    );
    refuses(
      [{ name: 'g.yaml', text: noCitation }],
      /g\.yaml:11: an element of crime rs-6a lacks the key "citation"/,
    );
    refuses(
      [{ name: 'g.yaml', text: CRIMES.replace('kind: material', 'kind: physical') }],
      /g\.yaml:12: element rs-6a\.1's kind must be one of material, contextual, mental, circumstance/,
    );
  });

  it('refuses unquoted numbers in citations (8.10 would become 8.1)', () => {
    refuses(
      [
        {
          name: 'g.yaml',
          text: CRIMES.replace(
            'citation: { instrument: Rome Statute, article: "6", paragraph: "(a)" }',
            'citation: { instrument: Rome Statute, article: 8.10, paragraph: "(a)" }',
          ),
        },
      ],
      /g\.yaml:9: crime rs-6a's citation article must be quoted text \(write "8\.10" in quotes\)/,
    );
  });

  it('refuses mappings to crimes or elements that do not exist, and partial mappings without a note', () => {
    refuses(
      files({
        name: 'legal/jurisdictions/FR.yaml',
        text: PROFILE.replace('code: DE', 'code: FR').replace('rs-6a.2]', 'rs-6a.9]'),
      }),
      /legal\/jurisdictions\/FR\.yaml:12: maps to an unknown element "rs-6a\.9"/,
    );
    refuses(
      files({
        name: 'legal/jurisdictions/FR.yaml',
        text: PROFILE.replace('code: DE', 'code: FR').replace('crime: rs-6a', 'crime: rs-7-1-a'),
      }),
      /FR\.yaml:12: maps to an unknown crime "rs-7-1-a"/,
    );
    refuses(
      files({
        name: 'legal/jurisdictions/FR.yaml',
        text: PROFILE.replace('code: DE', 'code: FR').replace('match: full', 'match: partial'),
      }),
      /FR\.yaml:12: offence de-vstgb-6-1-1: a partial mapping needs a note/,
    );
  });

  it('refuses duplicates across files: a crime, an element, a jurisdiction', () => {
    refuses(
      files({ name: 'again.yaml', text: CRIMES }),
      /again\.yaml:4: crime rs-6a is already defined in legal\/rome-statute\/genocide\.yaml:4/,
    );
    refuses(files({ name: 'DE2.yaml', text: PROFILE }), /DE2\.yaml:1: jurisdiction DE is already defined/);
  });

  it('refuses element ids that do not belong to their crime, and statements without a source', () => {
    refuses(
      [{ name: 'g.yaml', text: CRIMES.replace('id: rs-6a.2', 'id: rs-6b.2') }],
      /element rs-6b\.2 of crime rs-6a must be named rs-6a\.<number>/,
    );
    refuses(
      files({
        name: 'legal/jurisdictions/FR.yaml',
        text: PROFILE.replace('code: DE', 'code: FR').replace('    note: established practice\n', ''),
      }),
      /FR\.yaml:\d+: rule chain-of-custody: without a citation it needs a note/,
    );
  });
});

describe('the catalogue shipped in legal/ (issue 5: catalogue validation)', () => {
  const root = join(import.meta.dirname, '..', '..', '..', '..', 'legal');
  const shipped: CatalogueFile[] = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({
      name: relative(join(root, '..'), join(root, f)),
      text: readFileSync(join(root, f), 'utf8'),
    }));
  const catalogue = loadCatalogue(shipped);
  const ids = (category: string) => catalogue.crimes.filter((c) => c.category === category).map((c) => c.id);

  it('loads without a problem: every element has a citation, every mapping points at an element', () => {
    assert.ok(catalogue.crimes.length > 0);
    for (const crime of catalogue.crimes) {
      assert.ok(crime.elements.length > 0, crime.id);
      for (const e of crime.elements) assert.ok(e.citation.instrument && e.citation.article, e.id);
    }
  });

  it('has genocide (all five acts of art. 6), each with its contextual element', () => {
    assert.deepEqual(ids('genocide').sort(), ['rs-6a', 'rs-6b', 'rs-6c', 'rs-6d', 'rs-6e']);
    for (const id of ids('genocide')) {
      assert.ok(
        catalogue.crime(id)?.elements.some((e) => e.kind === 'contextual'),
        `${id} has the contextual element`,
      );
    }
  });

  it('has every act of art. 7(1), each with the contextual elements', () => {
    const acts = ids('crimes_against_humanity');
    for (const letter of ['a', 'b', 'c', 'd', 'e', 'f', 'h', 'i', 'j', 'k']) {
      assert.ok(acts.includes(`rs-7-1-${letter}`), `art. 7(1)(${letter})`);
    }
    for (const n of [1, 2, 3, 4, 5, 6]) assert.ok(acts.includes(`rs-7-1-g-${n}`), `art. 7(1)(g)-${n}`);
    for (const id of acts) {
      assert.ok(
        (catalogue.crime(id)?.elements.filter((e) => e.kind === 'contextual').length ?? 0) >= 2,
        `${id} has both contextual elements`,
      );
    }
  });

  it('has at least twenty war crimes of art. 8, in international and non-international armed conflict', () => {
    const war = catalogue.crimes.filter((c) => c.category === 'war_crimes');
    assert.ok(war.length >= 20, `${war.length} war crimes`);
    assert.ok(war.some((c) => c.conflict === 'international'));
    assert.ok(war.some((c) => c.conflict === 'non_international'));
  });

  it('has the modes of liability of art. 25(3) and command and superior responsibility of art. 28', () => {
    const modes = ids('mode_of_liability');
    for (const letter of ['b', 'c', 'd', 'e', 'f'])
      assert.ok(modes.includes(`rs-25-3-${letter}`), `25(3)(${letter})`);
    assert.ok(
      modes.some((m) => m.startsWith('rs-25-3-a')),
      '25(3)(a)',
    );
    assert.ok(modes.includes('rs-28-a') && modes.includes('rs-28-b'), 'art. 28 (a) and (b)');
  });

  it('has at least four national profiles with mappings, universal jurisdiction, limitation and admissibility', () => {
    assert.ok(catalogue.jurisdictions.length >= 4, catalogue.jurisdictions.map((j) => j.code).join(','));
    for (const j of catalogue.jurisdictions) {
      assert.ok(j.offences.length >= 10, `${j.code}: ${j.offences.length} offences`);
      assert.ok(j.universalJurisdiction.conditions.length > 0, `${j.code}: universal jurisdiction`);
      assert.ok(j.limitation.length > 0, `${j.code}: limitation`);
      assert.ok(j.admissibility.length >= 5, `${j.code}: admissibility checklist`);
      for (const o of j.offences) {
        for (const m of o.mapsTo)
          if (m.match === 'partial') assert.ok(m.note, `${o.id}: partial mapping explained`);
      }
    }
  });
});
