import { type CatalogueFile, type LegalCatalogue, loadCatalogue } from '@accord/core';

/**
 * A small legal catalogue with known content, for tests of the legal API and pages (the real
 * catalogue in legal/ changes as it is written). The texts are short paraphrases made for tests, not
 * the instruments' wording.
 *
 * The comparison of genocide by killing (`<p>-6a`) it gives, element by element:
 *
 * | element | DE (whole crime, full) | FR                      | UA                                 |
 * | ------- | ---------------------- | ----------------------- | ---------------------------------- |
 * | .1      | covered                | covered                 | partial (with a note)              |
 * | .2      | covered                | covered                 | gap, an offence declared "none"    |
 * | .3      | covered                | partial (with a note)   | gap                                |
 * | .4      | covered                | gap                     | gap                                |
 *
 * `prefix` renames the crimes (default `rs`) and `codes` the three profiles, so that the same
 * content can be added to a node next to the real catalogue without clashing with it.
 */
export const legalFixtureFiles = (
  prefix = 'rs',
  codes: readonly [string, string, string] = ['DE', 'FR', 'UA'],
): CatalogueFile[] => {
  const [de, fr, ua] = codes;
  const crimes = `version: 1
instrument: Rome Statute of the International Criminal Court
crimes:
  - id: ${prefix}-6a
    name: Genocide by killing
    article: "6(a)"
    category: genocide
    conflict: null
    citation: { instrument: Rome Statute, article: "6", paragraph: "(a)" }
    elements:
      - id: ${prefix}-6a.1
        kind: material
        text: The perpetrator killed one or more persons.
        citation: { instrument: ICC Elements of Crimes, article: "6(a)", paragraph: "1" }
      - id: ${prefix}-6a.2
        kind: circumstance
        text: The persons belonged to a particular national, ethnical, racial or religious group.
        citation: { instrument: ICC Elements of Crimes, article: "6(a)", paragraph: "2" }
      - id: ${prefix}-6a.3
        kind: mental
        text: The perpetrator intended to destroy that group, in whole or in part, as such.
        citation: { instrument: ICC Elements of Crimes, article: "6(a)", paragraph: "3" }
      - id: ${prefix}-6a.4
        kind: contextual
        text: The conduct took place in a manifest pattern of similar conduct against that group.
        citation: { instrument: ICC Elements of Crimes, article: "6(a)", paragraph: "4" }
        note: Fixture note on the contextual element.
  - id: ${prefix}-7-1-a
    name: Crime against humanity of murder
    article: "7(1)(a)"
    category: crimes_against_humanity
    conflict: null
    citation: { instrument: Rome Statute, article: "7", paragraph: "(1)(a)" }
    elements:
      - id: ${prefix}-7-1-a.1
        kind: material
        text: The perpetrator killed one or more persons.
        citation: { instrument: ICC Elements of Crimes, article: "7(1)(a)", paragraph: "1" }
      - id: ${prefix}-7-1-a.2
        kind: contextual
        text: The conduct was part of a widespread or systematic attack directed against a civilian population.
        citation: { instrument: ICC Elements of Crimes, article: "7(1)(a)", paragraph: "2" }
  - id: ${prefix}-8-2-a-i
    name: War crime of wilful killing
    article: "8(2)(a)(i)"
    category: war_crimes
    conflict: international
    citation: { instrument: Rome Statute, article: "8", paragraph: "(2)(a)(i)" }
    elements:
      - id: ${prefix}-8-2-a-i.1
        kind: material
        text: The perpetrator killed one or more persons protected under the Geneva Conventions.
        citation: { instrument: ICC Elements of Crimes, article: "8(2)(a)(i)", paragraph: "1" }
  - id: ${prefix}-8-2-c-i
    name: War crime of murder
    article: "8(2)(c)(i)-1"
    category: war_crimes
    conflict: non_international
    citation: { instrument: Rome Statute, article: "8", paragraph: "(2)(c)(i)" }
    elements:
      - id: ${prefix}-8-2-c-i.1
        kind: material
        text: The perpetrator killed one or more persons taking no active part in the hostilities.
        citation: { instrument: ICC Elements of Crimes, article: "8(2)(c)(i)-1", paragraph: "1" }
  - id: ${prefix}-25-3-a
    name: Commission as an individual, jointly or through another person
    article: "25(3)(a)"
    category: mode_of_liability
    conflict: null
    citation: { instrument: Rome Statute, article: "25", paragraph: "(3)(a)" }
    elements:
      - id: ${prefix}-25-3-a.1
        kind: material
        text: The person committed the crime alone, with others, or through another person.
        citation: { instrument: Rome Statute, article: "25", paragraph: "(3)(a)" }
`;
  const profile = (code: string, name: string, body: string) => `version: 1
code: ${code}
name: ${name}
${body}`;
  return [
    { name: 'fixture/crimes.yaml', text: crimes },
    {
      name: `fixture/${de}.yaml`,
      text: profile(
        de,
        'Fixture Germany',
        `instruments:
  - id: vstgb
    name: Völkerstrafgesetzbuch
offences:
  - id: de-vstgb-6
    name: Völkermord
    citation: { instrument: VStGB, article: "6", paragraph: "(1)" }
    maps_to:
      - crime: ${prefix}-6a
        elements: []
        match: full
universal_jurisdiction:
  applies: true
  conditions:
    - text: No link to the forum state is required.
      citation: { instrument: VStGB, article: "1", paragraph: null }
limitation:
  - text: Not subject to limitation.
    citation: { instrument: VStGB, article: "5", paragraph: null }
admissibility:
  - id: chain-of-custody
    requirement: The chain of custody is documented.
    citation: null
    note: established practice
`,
      ),
    },
    {
      name: `fixture/${fr}.yaml`,
      text: profile(
        fr,
        'Fixture France',
        `instruments:
  - id: cp
    name: Code pénal
offences:
  - id: fr-cp-211-1
    name: Génocide
    citation: { instrument: Code pénal, article: "211-1", paragraph: null }
    maps_to:
      - crime: ${prefix}-6a
        elements: [${prefix}-6a.1, ${prefix}-6a.2]
        match: full
      - crime: ${prefix}-6a
        elements: [${prefix}-6a.3]
        match: partial
        note: Fixture partial note — a concerted plan is required.
  - id: fr-cp-212-1
    name: Crimes contre l'humanité
    citation: { instrument: Code pénal, article: "212-1", paragraph: null }
    maps_to:
      - crime: ${prefix}-7-1-a
        elements: []
        match: full
universal_jurisdiction:
  applies: false
  conditions:
    - text: Only the extraterritorial jurisdiction the conventions listed in the code provide for.
      citation: { instrument: Code de procédure pénale, article: "689-11", paragraph: null }
limitation:
  - text: Not subject to limitation for genocide.
    citation: { instrument: Code pénal, article: "213-5", paragraph: null }
admissibility:
  - id: sworn-translation
    requirement: Documents in another language come with a sworn translation.
    citation: { instrument: Code de procédure pénale, article: "102", paragraph: null }
`,
      ),
    },
    {
      name: `fixture/${ua}.yaml`,
      text: profile(
        ua,
        'Fixture Ukraine',
        `instruments:
  - id: kk
    name: Кримінальний кодекс України
offences:
  - id: ua-kk-442
    name: Геноцид
    citation: { instrument: КК України, article: "442", paragraph: "1" }
    maps_to:
      - crime: ${prefix}-6a
        elements: [${prefix}-6a.1]
        match: partial
        note: Fixture note — the listed acts are narrower.
  - id: ua-kk-115
    name: Умисне вбивство
    citation: { instrument: КК України, article: "115", paragraph: null }
    maps_to:
      - crime: ${prefix}-6a
        elements: [${prefix}-6a.2]
        match: none
        note: Fixture note — ordinary murder knows no protected group.
universal_jurisdiction:
  applies: true
  conditions:
    - text: The suspect is found on the territory.
      citation: null
      note: Fixture source note.
limitation:
  - text: Not subject to limitation.
    citation: { instrument: КК України, article: "49", paragraph: "5" }
admissibility:
  - id: witness-identity
    requirement: Witness identity may be protected by court order.
    citation: { instrument: КПК України, article: "56", paragraph: null }
`,
      ),
    },
  ];
};

export const legalFixture = (): LegalCatalogue => loadCatalogue(legalFixtureFiles());
