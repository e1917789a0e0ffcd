import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ItemId } from '../evidence/types.ts';
import { loadCatalogue } from '../legal/catalogue.ts';
import { isAccordError } from '../shared/errors.ts';
import type { CaseId } from '../shared/ids.ts';
import { analyseCharge, corroborates, type EvidenceFacts, gapReportCsv } from './gaps.ts';
import type { Charge, ProofLink, SourceKind } from './types.ts';

// A small catalogue with known content: one crime of three elements, one mode of liability of one
// element, and three jurisdictions — AA prosecutes the whole crime, BB only two of its elements,
// CC has no offence for it at all.
const element = (id: string, kind: string, text: string) => `      - id: ${id}
        kind: ${kind}
        text: ${text}
        citation: { instrument: ICC Elements of Crimes, article: "7(1)(a)", paragraph: "${id.slice(-1)}" }
`;
const CRIMES = `version: 1
instrument: Rome Statute of the International Criminal Court
crimes:
  - id: t-murder
    name: Crime against humanity of murder
    article: "7(1)(a)"
    category: crimes_against_humanity
    conflict: null
    citation: { instrument: Rome Statute, article: "7", paragraph: "(1)(a)" }
    elements:
${element('t-murder.1', 'material', 'The perpetrator killed one or more persons.')}${element('t-murder.2', 'contextual', 'The conduct was part of a widespread or systematic attack.')}${element('t-murder.3', 'mental', 'The perpetrator knew of the attack.')}  - id: t-deport
    name: Crime against humanity of deportation
    article: "7(1)(d)"
    category: crimes_against_humanity
    conflict: null
    citation: { instrument: Rome Statute, article: "7", paragraph: "(1)(d)" }
    elements:
${element('t-deport.1', 'material', 'The perpetrator deported one or more persons.')}  - id: t-order
    name: Ordering
    article: "25(3)(b)"
    category: mode_of_liability
    conflict: null
    citation: { instrument: Rome Statute, article: "25", paragraph: "(3)(b)" }
    elements:
${element('t-order.1', 'material', 'The accused ordered the conduct.')}`;

const profile = (code: string, offences: string, checklist: string[]) => `version: 1
code: ${code}
name: Country ${code}
instruments:
  - id: code
    name: Criminal Code
offences:
${offences}
universal_jurisdiction:
  applies: true
  conditions:
    - text: Applies.
      citation: null
      note: test data
limitation:
  - text: None.
    citation: null
    note: test data
admissibility:
${checklist.map((id) => `  - id: ${id}\n    requirement: The ${id} requirement.\n    citation: null\n    note: test data`).join('\n')}
`;
const offence = (id: string, elements: string) => `  - id: ${id}
    name: Murder as a crime against humanity
    citation: { instrument: Code, article: "1", paragraph: null }
    maps_to:
      - crime: t-murder
        elements: ${elements}
        match: partial
        note: test data
`;

const catalogue = loadCatalogue([
  { name: 'crimes.yaml', text: CRIMES },
  { name: 'AA.yaml', text: profile('AA', offence('aa-1', '[]'), ['translation', 'hearsay']) },
  { name: 'BB.yaml', text: profile('BB', offence('bb-1', '[t-murder.1, t-murder.2]'), ['chain-of-custody']) },
  {
    name: 'CC.yaml',
    text: profile(
      'CC',
      offence('cc-1', '[]')
        .replace('crime: t-murder', 'crime: t-deport')
        .replace('Murder as', 'Deportation as'),
      ['translation'],
    ),
  },
]);

const CASE = '00000000-0000-4000-8000-00000000000c' as CaseId;
const charge: Charge = {
  id: 'charge-1',
  caseId: CASE,
  suspectId: 'suspect-1',
  crimeId: 't-murder',
  modeId: 't-order',
  note: '',
  createdAt: '2026-01-01T00:00:00.000Z',
  withdrawnAt: null,
};

let n = 0;
const facts = new Map<ItemId, EvidenceFacts>();
/** An evidence item from a source of a kind; `notMet` lists failed checklist entries per jurisdiction. */
const item = (
  source: string,
  kind: SourceKind | null,
  extra: { notMet?: Record<string, string[]>; sealed?: boolean } = {},
): ItemId => {
  const id = `item-${++n}` as ItemId;
  facts.set(id, {
    itemId: id,
    title: `${source} (${kind ?? 'unclassified'})`,
    kind: 'original',
    sealed: extra.sealed ?? false,
    sourceKind: kind,
    sourceKey: `source:${source}`,
    sourceLabel: source,
    notMet: new Map(Object.entries(extra.notMet ?? {})),
  });
  return id;
};
const link = (elementId: string, itemId: ItemId, stance: ProofLink['stance'] = 'supports'): ProofLink => ({
  id: `link-${++n}`,
  caseId: CASE,
  chargeId: charge.id,
  elementId,
  itemId,
  partKind: 'whole',
  part: '',
  stance,
  weight: 'high',
  reliability: 'B',
  credibility: '2',
  note: '',
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: null,
  withdrawnAt: null,
});

const analyse = (jurisdiction: string, links: ProofLink[]) =>
  analyseCharge({ catalogue, charge, jurisdiction, links, facts });
const statusOf = (report: ReturnType<typeof analyse>, id: string) => {
  const row = report.rows.find((r) => r.element.id === id);
  assert.ok(row, id);
  return { status: row.status, contradicted: row.contradicted, gap: row.gap, required: row.required, row };
};

// Sources used below.
const witnessA = item('W-0001', 'testimony');
const witnessAtranslation = item('W-0001', 'testimony', { notMet: { AA: ['translation'] } });
const witnessB = item('W-0002', 'testimony');
const orderDoc = item('Order No. 17', 'documentary');
const video = item('Video of the strike', 'digital');
const autopsy = item('Autopsy report', 'forensic');
const hearsay = item('W-0003', 'testimony', { notMet: { AA: ['hearsay'] } });
const hearsayDoc = item('Intercepted call', 'digital', { notMet: { AA: ['hearsay'] } });
const unclassified = item('Unknown upload', null);
const sealedDoc = item('Forged order', 'documentary', { sealed: true });
const denial = item('Suspect interview', 'testimony');

/** Every element corroborated by two independent sources of different kinds. */
const fullyProven = [
  link('t-murder.1', witnessA),
  link('t-murder.1', autopsy),
  link('t-murder.2', video),
  link('t-murder.2', orderDoc),
  link('t-murder.3', orderDoc),
  link('t-murder.3', witnessB),
  link('t-order.1', orderDoc),
  link('t-order.1', witnessA),
];

describe('corroboration: two independent sources of different kinds', () => {
  const kinds = (...k: (SourceKind | null)[][]) => new Map(k.map((set, i) => [`s${i}`, new Set(set)]));
  it('testimony + documentary corroborate', () =>
    assert.equal(corroborates(kinds(['testimony'], ['documentary'])), true));
  it('two testimonies do not', () => assert.equal(corroborates(kinds(['testimony'], ['testimony'])), false));
  it('one source of two kinds does not (not independent)', () =>
    assert.equal(corroborates(kinds(['testimony', 'documentary'])), false));
  it('unclassified sources cannot show different kinds', () =>
    assert.equal(corroborates(kinds([null], ['testimony'])), false));
  it('a mixed source pairs with a source of its other kind', () =>
    assert.equal(corroborates(kinds(['testimony'], ['testimony', 'digital'])), true));
});

describe('gap analysis on constructed cases with known answers', () => {
  it('a fully proven charge has no gaps under the Rome Statute and in AA', () => {
    for (const j of ['ICC', 'AA']) {
      const r = analyse(j, fullyProven);
      assert.equal(r.proven, true, j);
      assert.equal(r.applicable, true);
      assert.deepEqual(r.counts, {
        unproven: 0,
        inadmissible: 0,
        single_source: 0,
        corroborated: 4,
        contradicted: 0,
        gaps: 0,
      });
      assert.ok(r.rows.every((row) => row.status === 'corroborated' && !row.gap));
    }
  });

  it('uncorroborated: one source, two sources of one kind, a source and its own translation, unclassified', () => {
    const r = analyse('ICC', [
      link('t-murder.1', witnessA),
      link('t-murder.1', witnessAtranslation), // the same witness: not independent
      link('t-murder.2', witnessA),
      link('t-murder.2', witnessB), // two witnesses, both testimony
      link('t-murder.3', witnessB),
      link('t-murder.3', unclassified),
      link('t-order.1', orderDoc),
      link('t-order.1', video),
    ]);
    const e1 = statusOf(r, 't-murder.1');
    assert.equal(e1.status, 'single_source');
    assert.match(e1.row.reasons.join(), /only one independent source \(W-0001\)/);
    const e2 = statusOf(r, 't-murder.2');
    assert.equal(e2.status, 'single_source');
    assert.match(e2.row.reasons.join(), /2 independent sources, all of one kind \(testimony\)/);
    const e3 = statusOf(r, 't-murder.3');
    assert.equal(e3.status, 'single_source');
    assert.match(e3.row.reasons.join(), /not all classified/);
    assert.equal(statusOf(r, 't-order.1').status, 'corroborated');
    assert.equal(r.proven, false);
    assert.equal(r.counts.gaps, 3);
    assert.equal(r.counts.single_source, 3);
  });

  it('unproven: no link, or only links to sealed items', () => {
    const r = analyse('ICC', [
      ...fullyProven.filter((l) => l.elementId !== 't-murder.3'),
      link('t-murder.3', sealedDoc),
    ]);
    const e3 = statusOf(r, 't-murder.3');
    assert.equal(e3.status, 'unproven');
    assert.equal(e3.gap, true);
    assert.match(e3.row.reasons.join(), /sealed items do not count/);
    assert.equal(r.counts.unproven, 1);
    assert.equal(r.proven, false);
  });

  it('contradicted: corroborated but contradicted is still a gap; an inadmissible contradiction is not', () => {
    const r = analyse('ICC', [...fullyProven, link('t-order.1', denial, 'contradicts')]);
    const row = statusOf(r, 't-order.1');
    assert.equal(row.status, 'corroborated');
    assert.equal(row.contradicted, true);
    assert.equal(row.gap, true);
    assert.match(row.row.reasons.join(), /contradicted by 1 item/);
    assert.equal(r.counts.contradicted, 1);
    assert.equal(r.proven, false);
    // A contradiction from evidence AA would not admit does not count in AA, but does under the Statute.
    const withHearsay = [...fullyProven, link('t-order.1', hearsay, 'contradicts')];
    assert.equal(analyse('AA', withHearsay).proven, true);
    assert.equal(analyse('ICC', withHearsay).proven, false);
  });

  it('inadmissible in one jurisdiction: proven under the Statute and in BB, not in AA', () => {
    // Element 1 rests only on evidence AA's checklist excludes (hearsay, and an unsworn translation).
    const links = [
      ...fullyProven.filter((l) => l.elementId !== 't-murder.1'),
      link('t-murder.1', hearsay),
      link('t-murder.1', hearsayDoc),
      link('t-murder.1', witnessAtranslation),
    ];
    assert.equal(analyse('ICC', links).proven, true);
    assert.equal(analyse('BB', links).proven, true);
    const aa = analyse('AA', links);
    const e1 = statusOf(aa, 't-murder.1');
    assert.equal(e1.status, 'inadmissible');
    assert.equal(e1.gap, true);
    assert.match(e1.row.reasons.join(), /the AA checklist would not admit \(not met: hearsay, translation\)/);
    assert.equal(aa.proven, false);
    assert.equal(aa.counts.inadmissible, 1);
  });

  it('admissible support alone decides: one admissible source left means single-source in AA', () => {
    const links = [
      ...fullyProven.filter((l) => l.elementId !== 't-murder.1'),
      link('t-murder.1', witnessB),
      link('t-murder.1', hearsayDoc),
    ];
    assert.equal(statusOf(analyse('ICC', links), 't-murder.1').status, 'corroborated');
    assert.equal(statusOf(analyse('AA', links), 't-murder.1').status, 'single_source');
  });

  it('a jurisdiction requires only the elements its offences map to', () => {
    const links = fullyProven.filter((l) => l.elementId !== 't-murder.3');
    const bb = analyse('BB', links);
    assert.equal(bb.offences.map((o) => o.id).join(), 'bb-1');
    const e3 = statusOf(bb, 't-murder.3');
    assert.equal(e3.required, false);
    assert.equal(e3.gap, false);
    assert.match(e3.row.reasons.join(), /not required by the BB offences/);
    assert.equal(bb.proven, true);
    assert.equal(analyse('AA', links).proven, false);
  });

  it('a jurisdiction with no offence for the crime is not applicable and never proven', () => {
    const cc = analyse('CC', fullyProven);
    assert.equal(cc.applicable, false);
    assert.equal(cc.proven, false);
    assert.ok(cc.rows.filter((r) => r.of === 'crime').every((r) => !r.required && !r.gap));
  });

  it('withdrawn or hidden links are simply not given: the grid shows only what it is given', () => {
    const r = analyse('ICC', fullyProven.slice(0, 2));
    assert.deepEqual(
      r.items.map((i) => i.itemId),
      [witnessA, autopsy],
    );
    const row = statusOf(r, 't-murder.1').row;
    assert.deepEqual(
      row.cells.map((c) => c.itemId),
      [witnessA, autopsy],
    );
  });

  it('a charge whose crime has left the catalogue says so (a typed error, not a crash)', () => {
    assert.throws(
      () =>
        analyseCharge({
          catalogue,
          charge: { ...charge, crimeId: 't-gone' },
          jurisdiction: 'ICC',
          links: [],
          facts,
        }),
      (e: unknown) =>
        isAccordError(e) &&
        e.code === 'conflict' &&
        e.context.reason === 'crime_unknown' &&
        /the crime t-gone of this charge is no longer in the legal catalogue/.test(e.message),
    );
  });

  it('exports CSV with one line per link, quoting, and no spreadsheet formulas', () => {
    const tricky = item('=HYPERLINK("x")', 'documentary');
    const r = analyse('ICC', [link('t-murder.1', tricky)]);
    const csv = gapReportCsv(r, 'Suspect, "Colonel" X');
    const lines = csv.trimEnd().split('\r\n');
    assert.equal(
      lines[0],
      'suspect,crime,mode_of_liability,jurisdiction,element,element_of,required,status,contradicted,gap,reasons,item_id,item_title,stance,part,weight,grade',
    );
    assert.equal(lines.length, 1 + 4); // one link line for element 1, one empty line for each other element
    assert.ok(
      lines[1]?.startsWith(
        '"Suspect, ""Colonel"" X",t-murder,t-order,ICC,t-murder.1,crime,true,single_source,false,true,',
      ),
    );
    assert.match(lines[1] ?? '', /,"'=HYPERLINK\(""x""\) \(documentary\)",supports,whole,high,B2$/);
    assert.ok(csv.endsWith('\r\n'));
  });
});
